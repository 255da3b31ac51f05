import {describe, expect, it} from 'vitest';
import {outputLines, stripAnsi} from '../../source/probes/ansi.ts';

describe('terminal output helpers', () => {
	it('removes colour codes, including bold-red pairs and resets', () => {
		expect(stripAnsi('\u001b[1;31mFAIL: x\n\u001b[0mnext')).toBe('FAIL: x\nnext');
	});

	it('removes window-title and hyperlink sequences', () => {
		expect(stripAnsi('\u001b]0;title\u0007text \u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\')).toBe('text link');
	});

	it('splits CRLF, LF and a final newline into lines', () => {
		expect(outputLines('a\r\nb\nc\n')).toEqual(['a', 'b', 'c']);
		expect(outputLines('')).toEqual([]);
		expect(outputLines('\n')).toEqual(['']);
	});
});
