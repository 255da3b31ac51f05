/**
 * Live output of the command that runs now: a bounded tail for the screen,
 * with renders batched. The full output goes to the transcript, never here:
 * 2,000,000 lines of apt must not grow memory or flood a slow console.
 */
import {countLines, GrowingBytes} from '../host/bytes.ts';

/** Lines kept for the screen; the step shows the last few that fit. */
export const TAIL_LINES = 200;
/** At most this many screen updates a second (a slow iKVM link keeps up). */
export const UPDATES_PER_SECOND = 5;

export type OutputView = {
	/** The command line running now, or null between commands. */
	command: string | null;
	lines: readonly string[];
	/** All lines of this command so far, including those no longer kept. */
	total: number;
	startedAt: number | null;
};

const NEWLINE = Buffer.from('\n');


/** Where the last `count` lines of `text` start (0 when it holds no more). */
function startOfLast(text: string | Buffer, count: number): number {
	let start = text.length;
	for (let found = 0; found < count; found++) {
		if (start === 0) return 0;
		const at = text.lastIndexOf('\n', start - 1);
		if (at === -1) return 0;
		start = at;
	}
	return start + 1;
}

/** The last `count` lines of `text`, split; only that part of it is looked at. */
export function lastLines(text: string, count: number): string[] {
	return text.slice(startOfLast(text, count)).split('\n');
}

export class OutputBuffer {
	/**
	 * The last lines as UTF-8 bytes, joined with "\n" (`tailLines` of them,
	 * between TAIL_LINES and twice that once there are enough), in memory
	 * kept from one chunk to the next: decoded only when drawn.
	 */
	private tailBytes = new GrowingBytes(16 * 1024);
	private tailLines = 0;
	private total = 0;
	private command: string | null = null;
	private startedAt: number | null = null;
	private listeners = new Set<() => void>();
	private view: OutputView = {command: null, lines: [], total: 0, startedAt: null};
	private timer: NodeJS.Timeout | null = null;
	private dirty = false;

	constructor(private readonly clock: () => number = Date.now) {}

	start(command: string) {
		this.command = command;
		this.forget();
		this.startedAt = this.clock();
		this.flush();
	}

	/** One or more lines, joined with "\n". */
	push(text: string) {
		this.pushBytes(Buffer.from(text, 'utf8'));
	}

	/**
	 * A host's output chunk: lines as UTF-8 bytes, joined with "\n". All are
	 * counted; the last TAIL_LINES are copied, and decoded only when the
	 * screen is drawn (5 times a second), so a chunk of 1,000 lines becomes
	 * no strings at all. The bytes are not kept (the host reuses them).
	 */
	pushBytes(bytes: Buffer) {
		const lines = countLines(bytes);
		this.total += lines;
		if (lines >= TAIL_LINES) {
			const start = startOfLast(bytes, TAIL_LINES);
			this.tailBytes.length = 0;
			this.tailBytes.append(bytes, start);
			this.tailLines = TAIL_LINES;
		} else {
			if (this.tailLines > 0) this.tailBytes.append(NEWLINE);
			this.tailBytes.append(bytes);
			this.tailLines += lines;
			if (this.tailLines > 2 * TAIL_LINES) {
				// Trimmed in batches, so that pushing stays O(1) amortised.
				const start = startOfLast(this.tailBytes.view(), TAIL_LINES);
				this.tailBytes.buffer.copyWithin(0, start, this.tailBytes.length);
				this.tailBytes.length -= start;
				this.tailLines = TAIL_LINES;
			}
		}
		this.schedule();
	}

	stop() {
		this.flush();
	}

	clear() {
		this.command = null;
		this.forget();
		this.startedAt = null;
		this.flush();
	}

	private forget() {
		// Memory a very long line made the tail grow to is not kept for the next command.
		if (this.tailBytes.buffer.length > 256 * 1024) this.tailBytes = new GrowingBytes(16 * 1024);
		this.tailBytes.length = 0;
		this.tailLines = 0;
		this.total = 0;
	}

	/** The last TAIL_LINES lines. */
	private tail(): string[] {
		if (this.tailLines === 0) return [];
		return lastLines(this.tailBytes.view().toString('utf8'), TAIL_LINES);
	}

	snapshot = (): OutputView => this.view;

	subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	private schedule() {
		this.dirty = true;
		if (this.timer) return;
		this.timer = setTimeout(() => {
			this.timer = null;
			if (this.dirty) this.flush();
		}, 1000 / UPDATES_PER_SECOND);
	}

	private flush() {
		if (this.timer) {
			clearTimeout(this.timer);
			this.timer = null;
		}
		this.dirty = false;
		this.view = {
			command: this.command,
			lines: this.tail(),
			total: this.total,
			startedAt: this.startedAt,
		};
		for (const listener of this.listeners) listener();
	}
}
