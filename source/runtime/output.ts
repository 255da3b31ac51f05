/**
 * Live output of the command that runs now: a bounded tail for the screen,
 * with renders batched. The full output goes to the transcript, never here:
 * 2,000,000 lines of apt must not grow memory or flood a slow console.
 */

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

export class OutputBuffer {
	private lines: string[] = [];
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
		this.lines = [];
		this.total = 0;
		this.startedAt = this.clock();
		this.flush();
	}

	push(line: string) {
		this.lines.push(line);
		this.total += 1;
		// Trim in batches so pushing stays O(1) amortised.
		if (this.lines.length > TAIL_LINES * 2) this.lines = this.lines.slice(-TAIL_LINES);
		this.schedule();
	}

	stop() {
		this.flush();
	}

	clear() {
		this.command = null;
		this.lines = [];
		this.total = 0;
		this.startedAt = null;
		this.flush();
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
			lines: this.lines.slice(-TAIL_LINES),
			total: this.total,
			startedAt: this.startedAt,
		};
		for (const listener of this.listeners) listener();
	}
}
