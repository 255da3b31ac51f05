import {describe, expect, it, vi} from 'vitest';
import {OutputBuffer, TAIL_LINES, UPDATES_PER_SECOND} from '../../source/runtime/output.ts';

describe('live output', () => {
	it('keeps a bounded tail however long the command runs', () => {
		const buffer = new OutputBuffer();
		buffer.start('apt dist-upgrade');
		for (let i = 1; i <= 100_000; i++) buffer.push(`line ${i}`);
		buffer.stop();
		const view = buffer.snapshot();
		expect(view.total).toBe(100_000);
		expect(view.lines.length).toBe(TAIL_LINES);
		expect(view.lines.at(-1)).toBe('line 100000');
	});

	it("counts every line of chunks of many lines and shows the last ones, whatever the chunks' sizes", () => {
		const buffer = new OutputBuffer();
		buffer.start('apt dist-upgrade');
		const all: string[] = [];
		let n = 0;
		// Chunks of 1 to 1,000 lines, as a host hands them on.
		for (const size of [1, 3, 1000, 1, 250, 199, 200, 201, 2, 1000, 7, 1]) {
			const lines = Array.from({length: size}, () => `Unpacking package-${++n} ...`);
			all.push(...lines);
			buffer.pushBytes(Buffer.from(lines.join('\n')));
			buffer.stop();
			const view = buffer.snapshot();
			expect(view.total).toBe(all.length);
			expect(view.lines).toEqual(all.slice(-TAIL_LINES));
		}
		expect(buffer.snapshot().lines.at(-1)).toBe(`Unpacking package-${n} ...`);
	});

	it('keeps empty lines and non-ASCII text of a chunk, and starts afresh for the next command', () => {
		const buffer = new OutputBuffer();
		buffer.start('first');
		buffer.pushBytes(Buffer.from('Paramètres\n\nfin'));
		buffer.push('(ran on the terminal; exit status 0)');
		buffer.stop();
		expect(buffer.snapshot()).toMatchObject({command: 'first', total: 4, lines: ['Paramètres', '', 'fin', '(ran on the terminal; exit status 0)']});
		buffer.start('second');
		buffer.pushBytes(Buffer.from(''));
		buffer.stop();
		expect(buffer.snapshot()).toMatchObject({command: 'second', total: 1, lines: ['']});
	});

	it('does not keep the bytes it was given: a host reuses them for the next read', () => {
		const buffer = new OutputBuffer();
		buffer.start('x');
		const reused = Buffer.from('line 1\nline 2');
		buffer.pushBytes(reused);
		reused.fill('#');
		buffer.stop();
		expect(buffer.snapshot().lines).toEqual(['line 1', 'line 2']);
	});

	it('batches screen updates instead of one per line', async () => {
		vi.useFakeTimers();
		const buffer = new OutputBuffer();
		const listener = vi.fn();
		buffer.subscribe(listener);
		buffer.start('x');
		listener.mockClear();
		for (let i = 0; i < 5000; i++) buffer.push(String(i));
		expect(listener).not.toHaveBeenCalled();
		vi.advanceTimersByTime(1000 / UPDATES_PER_SECOND + 50);
		expect(listener).toHaveBeenCalledTimes(1);
		vi.useRealTimers();
	});
});
