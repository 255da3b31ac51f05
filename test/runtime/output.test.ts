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
