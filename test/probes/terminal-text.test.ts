import {describe, expect, it} from 'vitest';
import {terminalBytes, terminalText} from '../../source/probes/ansi.ts';

describe('a command output as the tail view draws it', () => {
	it('drops titles, clearing, cursor moves, colours, charset and other escapes; keeps the text', () => {
		expect(terminalText('\u001B]0;TITLE\u0007before\u001B]2;T2\u001B\\ after')).toBe('before after');
		expect(terminalText('\u001B[2J\u001B[H\u001B[10;5Hmoved\u001B[?25l\u001B[?1049h')).toBe('moved');
		expect(terminalText('\u001B[1;31mred\u001B[0m plain\u001B[K')).toBe('red plain');
		expect(terminalText('\u001B7saved\u001B8\u001Bc\u001B(Bcs\u001BPq#0;2\u001B\\')).toBe('savedcs');
		expect(terminalText('bell\u0007 back\u0008 nul\u0000 c1\u009B2Jx')).toBe('bell back nul c1x');
		expect(terminalText('tab\tstays\nline two')).toBe('tab\tstays\nline two');
	});

	it('a carriage return keeps what was written after it (a progress bar)', () => {
		expect(terminalText('10%\r50%\r100% done\nnext')).toBe('100% done\nnext');
	});

	it('a sequence cut off at the end of a chunk is dropped, not shown', () => {
		expect(terminalText('text\u001B[3')).toBe('text');
		expect(terminalText('text\u001B]0;half a title')).toBe('text');
	});

	it('plain text passes as the same bytes', () => {
		const plain = Buffer.from('Hit:1 http://deb.debian.org bookworm InRelease\nÄpfel\ttab');
		expect(terminalBytes(plain)).toBe(plain);
		expect(terminalBytes(Buffer.from('a\u001B[2Jb')).toString()).toBe('ab');
	});
});
