/**
 * One key press per write, before Ink hands input to components. Ink emits
 * the keys of one chunk (a fast iKVM, `tmux send-keys Down Down Enter`,
 * typed-ahead answers) one after the other in the same turn, and a component
 * such as ink-select-input handles the second with the state it had before
 * the first (its handler is renewed only once React has committed). So the
 * terminal is read here: the chunk is cut into single keys, and the next key
 * goes to Ink only when the screen has settled after the one before (the
 * screen says so with useKeysSettled), or after SETTLE_FALLBACK_MS when a key
 * changed nothing on it.
 */
import {useStdin} from 'ink';
import {useEffect, useRef} from 'react';
import {Readable} from 'node:stream';

/**
 * How long a key may go without the screen saying it has settled before the
 * next one goes anyway. The wizard's screens draw after every key, so this
 * is only for a key that reached no screen; React may take well over 100 ms
 * to run its effects on a busy machine, and a key sent before that meets a
 * list that has not seen the one before.
 */
export const SETTLE_FALLBACK_MS = 500;
/** How long an Escape alone waits for the rest of a sequence (Down is ESC [ B) before it counts as Escape. */
export const ESCAPE_WAIT_MS = 20;

const ESC = '\u001B';

/**
 * Cut text read from a terminal into single keys: an escape sequence (CSI
 * `ESC [ ... final`, the Linux console's `ESC [ [ A`, SS3 `ESC O x`, and any
 * of them after a second ESC for Alt) is one key, every other character is
 * one. `rest` is an unfinished sequence at the end, to be joined to the next
 * chunk.
 */
export function splitSequences(text: string): {keys: string[]; rest: string} {
	const keys: string[] = [];
	let index = 0;
	while (index < text.length) {
		if (text[index] !== ESC) {
			const char = String.fromCodePoint(text.codePointAt(index)!);
			keys.push(char);
			index += char.length;
			continue;
		}
		const end = sequenceEnd(text, index + (text[index + 1] === ESC ? 1 : 0));
		if (end === null) return {keys, rest: text.slice(index)};
		keys.push(text.slice(index, end));
		index = end;
	}
	return {keys, rest: ''};
}

/** Where the sequence that starts with the ESC at `at` ends; null: it is not complete yet. */
function sequenceEnd(text: string, at: number): number | null {
	const kind = text[at + 1];
	if (kind === undefined) return null;
	if (kind === '[') {
		let i = at + 2;
		if (text[i] === '[') {
			// The Linux console's function keys: ESC [ [ A.
			return i + 1 < text.length ? i + 2 : null;
		}
		for (; i < text.length; i++) {
			const code = text.charCodeAt(i);
			if (code >= 0x40 && code <= 0x7e) return i + 1;
			if (code < 0x20 || code > 0x3f) return i;
		}
		return null;
	}
	if (kind === 'O') return at + 2 < text.length ? at + 3 : null;
	// Alt and a character (or a lone ESC before another key's ESC).
	if (kind === ESC) return at + 1;
	return at + 1 + String.fromCodePoint(text.codePointAt(at + 1)!).length;
}

/** Keys in, one at a time out: each waits until the screen has settled after the one before. */
export class KeyFeed {
	/** Keys to go, each with the chunk (the burst) it came in. */
	private readonly queue: Array<{key: string; burst: number}> = [];
	private bursts = 0;
	/** The burst of the key last handed on. */
	private current = -1;
	private pending = '';
	private pendingTimer: ReturnType<typeof setTimeout> | null = null;
	private waiting: ReturnType<typeof setTimeout> | null = null;
	private closed = false;
	/** A key the screen takes itself, before Ink: true when it did (see useKeyIntercept). */
	intercept: ((key: string) => boolean) | null = null;

	constructor(
		private readonly deliver: (key: string) => void,
		private readonly fallbackMs = SETTLE_FALLBACK_MS,
	) {}

	/** A chunk as read from the terminal. */
	write(chunk: string | Buffer) {
		if (this.closed) return;
		if (this.pendingTimer) clearTimeout(this.pendingTimer);
		this.pendingTimer = null;
		const {keys, rest} = splitSequences(this.pending + String(chunk));
		this.pending = rest;
		const burst = this.bursts++;
		this.queue.push(...keys.map(key => ({key, burst})));
		if (rest !== '') {
			this.pendingTimer = setTimeout(() => {
				this.pendingTimer = null;
				// Nothing followed: an Escape on its own (or a cut sequence, passed on as it came).
				if (this.pending !== '') this.queue.push({key: this.pending, burst: this.bursts++});
				this.pending = '';
				this.pump();
			}, ESCAPE_WAIT_MS);
		}
		this.pump();
	}

	/**
	 * The screen has drawn (and its components have taken their new handlers)
	 * after the last key. `changed`: it is another screen than the one the
	 * key was pressed on; the rest of that key's burst was meant for the
	 * screen before and is dropped. Returns how many keys were.
	 */
	settled(changed = false): number {
		let dropped = 0;
		if (changed) {
			while (this.queue.length > 0 && this.queue[0]!.burst === this.current) {
				this.queue.shift();
				dropped++;
			}
		}
		if (!this.waiting) return dropped;
		clearTimeout(this.waiting);
		this.waiting = null;
		// Not from inside React's effects: the next key is its own turn.
		setImmediate(() => this.pump());
		return dropped;
	}

	/** Keys still waiting are dropped (the screen that would take them is gone). */
	drop() {
		this.queue.length = 0;
		this.pending = '';
		if (this.pendingTimer) clearTimeout(this.pendingTimer);
		if (this.waiting) clearTimeout(this.waiting);
		this.pendingTimer = null;
		this.waiting = null;
	}

	/** For good: nothing more goes through. */
	close() {
		this.drop();
		this.closed = true;
	}

	private pump() {
		if (this.closed || this.waiting || this.queue.length === 0) return;
		const {key, burst} = this.queue.shift()!;
		this.current = burst;
		this.waiting = setTimeout(() => {
			this.waiting = null;
			this.pump();
		}, this.fallbackMs);
		this.waiting.unref?.();
		if (!this.intercept?.(key)) this.deliver(key);
	}
}

type Source = NodeJS.ReadStream;

/**
 * The stdin Ink reads: the terminal, one key per write. Read the way Ink
 * read process.stdin itself (paused mode, 'readable', raw mode while a
 * component listens), so that the session's hand-over of the terminal to a
 * command works as before; a new one for every mount, so keys typed before
 * an unmount never reach the next screen.
 */
export class KeyStream extends Readable {
	readonly isTTY: boolean;
	private readonly feed: KeyFeed;
	private attached = false;

	constructor(private readonly source: Source) {
		super();
		this.isTTY = Boolean(source.isTTY);
		this.feed = new KeyFeed(key => {
			this.push(key);
		});
	}

	override _read() {
		// Keys are pushed as they come.
	}

	setRawMode(on: boolean) {
		if (this.source.isTTY) this.source.setRawMode(on);
		if (on) this.attach();
		else this.detach();
		return this;
	}

	ref() {
		this.source.ref();
		return this;
	}

	unref() {
		this.source.unref();
		return this;
	}

	/** See useKeysSettled. */
	settled(changed = false): number {
		return this.feed.settled(changed);
	}

	/** See useKeyIntercept. */
	set intercept(take: ((key: string) => boolean) | null) {
		this.feed.intercept = take;
	}

	override _destroy(error: Error | null, callback: (error?: Error | null) => void) {
		this.detach();
		this.feed.close();
		callback(error);
	}

	private readonly onReadable = () => {
		let chunk: string | Buffer | null;
		while ((chunk = this.source.read() as string | Buffer | null) !== null) this.feed.write(chunk);
	};

	private attach() {
		if (this.attached) return;
		this.attached = true;
		this.source.setEncoding('utf8');
		this.source.addListener('readable', this.onReadable);
	}

	private detach() {
		if (!this.attached) return;
		this.attached = false;
		this.source.removeListener('readable', this.onReadable);
		this.feed.drop();
	}
}

/**
 * Tell the stdin Ink reads (a KeyStream, or a test's feed) that this screen
 * has committed: the next key may come. Call it in the component that owns
 * the screen; its effect runs after those of the components inside it.
 * `screen` names what is on the terminal: when it is another than at the
 * last commit, the rest of the burst is dropped and `onDropped` told how
 * many keys.
 */
export function useKeysSettled(screen = '', onDropped?: (count: number) => void) {
	const {stdin} = useStdin();
	const last = useRef(screen);
	useEffect(() => {
		const changed = last.current !== screen;
		last.current = screen;
		const dropped = (stdin as {settled?: (changed?: boolean) => number}).settled?.(changed) ?? 0;
		if (dropped > 0) onDropped?.(dropped);
	});
}

/**
 * Keys this screen takes itself before Ink sees them (the training list's
 * digits, which ink-select-input would take as a pick): `take` gets the raw
 * key and says whether it took it.
 */
export function useKeyIntercept(take: (key: string) => boolean) {
	const {stdin} = useStdin();
	const latest = useRef(take);
	latest.current = take;
	useEffect(() => {
		const target = stdin as {intercept?: ((key: string) => boolean) | null};
		target.intercept = key => latest.current(key);
		return () => {
			target.intercept = null;
		};
	}, [stdin]);
}
