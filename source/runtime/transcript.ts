/**
 * The transcript: every command, when it ran, its exit status and all of its
 * output, plus every decision of the operator (skips with reasons, typed
 * confirmations). Mode 0600: it can hold host details an admin keeps private.
 */
import {promises as fs, constants as fsConstants} from 'node:fs';
import path from 'node:path';
import {countLines, GrowingBytes} from '../host/bytes.ts';
import {makeDirectory} from '../host/local-host.ts';

/**
 * `bytes` (UTF-8) with every secret replaced by ***: the same bytes when
 * none occurs in them, else new ones (decoded, replaced, encoded).
 */
export function redactBytes(bytes: Buffer, secrets: readonly string[]): Buffer {
	if (!secrets.some(secret => bytes.includes(secret))) return bytes;
	return Buffer.from(redactText(bytes.toString('utf8'), secrets), 'utf8');
}

function redactText(text: string, secrets: readonly string[]): string {
	for (const secret of secrets) if (text.includes(secret)) text = text.replaceAll(secret, '***');
	return text;
}

const LF = 0x0a;

/**
 * Bytes waiting to be written: output waiting for the disk is never copied
 * by a collection.
 */
class ByteQueue extends GrowingBytes {
	constructor() {
		super(64 * 1024);
	}

	text(text: string) {
		const at = this.reserve(Buffer.byteLength(text, 'utf8'));
		this.length += this.buffer.write(text, at, 'utf8');
	}

	/** Lines (joined with "\n") with `prefix` before each and "\n" after each. */
	lines(prefix: Buffer, bytes: Buffer) {
		let o = this.reserve(bytes.length + countLines(bytes) * prefix.length + 1);
		const out = this.buffer;
		const p = prefix.length;
		for (let k = 0; k < p; k++) out[o++] = prefix[k]!;
		for (let i = 0; i < bytes.length; i++) {
			const byte = bytes[i]!;
			out[o++] = byte;
			if (byte === LF) for (let k = 0; k < p; k++) out[o++] = prefix[k]!;
		}
		out[o++] = LF;
		this.length = o;
	}
}

export class Transcript {
	private handle: fs.FileHandle | null = null;
	private pending: Promise<void> = Promise.resolve();
	private secrets: string[] = [];

	private constructor(readonly file: string) {}

	static async open(file: string): Promise<Transcript> {
		const transcript = new Transcript(file);
		await makeDirectory(path.dirname(file), 0o700);
		transcript.handle = await fs.open(file, fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT, 0o600);
		// An existing file made by an older version may be wider: narrow it.
		await transcript.handle.chmod(0o600);
		return transcript;
	}

	/** Text that must never reach the transcript (a typed password): replaced by ***. */
	redact(secret: string) {
		if (secret && !this.secrets.includes(secret)) {
			this.secrets.push(secret);
			// The longest first: a secret inside another is masked with it.
			this.secrets.sort((a, b) => b.length - a.length);
		}
	}

	/**
	 * Append lines, in order. Lines that arrive while a write is under way
	 * are gathered and written together: a command printing 200,000 lines
	 * must not cost 200,000 writes (that took 11 s for `seq 200000`).
	 */
	write(...lines: string[]): Promise<void> {
		this.queued.text(redactText(lines.map(line => `${line}\n`).join(''), this.secrets));
		return this.queue();
	}

	/**
	 * Append a command's output: lines as UTF-8 bytes joined with "\n" (a
	 * host's chunk), each with `prefix` before it. The bytes are copied
	 * before this returns.
	 */
	writeLines(prefix: string, bytes: Buffer): Promise<void> {
		this.queued.lines(this.prefixBytes(prefix), redactBytes(bytes, this.secrets));
		return this.queue();
	}

	private prefixes = new Map<string, Buffer>();
	private prefixBytes(prefix: string): Buffer {
		let bytes = this.prefixes.get(prefix);
		if (!bytes) this.prefixes.set(prefix, (bytes = Buffer.from(prefix, 'utf8')));
		return bytes;
	}

	private queue(): Promise<void> {
		if (!this.drainQueued) {
			this.drainQueued = true;
			// A write that failed (a full disk) fails its callers, not every write after it.
			this.pending = this.pending.catch(() => {}).then(() => this.drain());
		}
		return this.pending;
	}

	/** What could not be written (the disk was full): said in the transcript at the next write that works. */
	private lost: {bytes: number; lines: number; since: Date; until: Date; error: string; midLine: boolean} | null = null;

	/** What is gathered; while it is written, the other one gathers. */
	private queued = new ByteQueue();
	private spare = new ByteQueue();
	private drainQueued = false;

	private async drain(): Promise<void> {
		this.drainQueued = false;
		const writing = this.queued;
		this.queued = this.spare;
		this.spare = writing;
		const handle = this.handle;
		let at = 0;
		try {
			if (this.lost && handle) await this.writeLost(handle);
			for (; handle && at < writing.length; ) at += (await handle.write(writing.buffer, at, writing.length - at)).bytesWritten;
		} catch (error) {
			const rest = writing.buffer.subarray(at, writing.length);
			const now = new Date();
			this.lost = {
				bytes: (this.lost?.bytes ?? 0) + rest.length,
				lines: (this.lost?.lines ?? 0) + countLines(rest),
				since: this.lost?.since ?? now,
				until: now,
				error: (error as Error).message,
				midLine: this.lost?.midLine || (at > 0 && writing.buffer[at - 1] !== LF),
			};
			throw error;
		} finally {
			writing.length = 0;
			// What a burst made it grow to (the disk was slow) is not kept for good.
			if (writing.buffer.length > 1024 * 1024) writing.buffer = Buffer.alloc(0);
		}
	}

	/** The note on what a full disk kept out of the transcript; throws (and keeps the record) while it still cannot be written. */
	private async writeLost(handle: fs.FileHandle): Promise<void> {
		const lost = this.lost!;
		const note = Buffer.from(
			`${lost.midLine ? '\n' : ''}# ${new Date().toISOString()} transcript: ${lost.bytes} bytes (${lost.lines} lines) between ${lost.since.toISOString()} and ${lost.until.toISOString()} could not be written (${lost.error}): the output, exit statuses and decisions of that time are missing above\n`,
			'utf8',
		);
		for (let at = 0; at < note.length; ) at += (await handle.write(note, at, note.length - at)).bytesWritten;
		this.lost = null;
	}

	/**
	 * For a run that an earlier wizard started and this one follows: whether
	 * the transcript already has its `run:` line (the last one for
	 * `display`), and how many lines of its output (stdout "| ", stderr "! ")
	 * were written after it, so the same lines are not written twice. Read
	 * from the end, a megabyte at a time: the transcript of a long upgrade
	 * is large, the run is near its end.
	 */
	async transcribed(display: string): Promise<{stdout: number; stderr: number} | null> {
		await this.settled();
		const handle = await fs.open(this.file, 'r').catch(() => null);
		if (!handle) return null;
		try {
			const counts = {stdout: 0, stderr: 0};
			const isRun = (line: string) => {
				// "# <time> run: <display>" or "# <time> run on <server> (<host>): <display>".
				const rest = line.slice(line.indexOf(' ', 2) + 1);
				return rest === `run: ${display}` || (rest.startsWith('run on ') && rest.endsWith(`: ${display}`));
			};
			const size = (await handle.stat()).size;
			const block = Buffer.allocUnsafe(1024 * 1024);
			// The start of a line whose beginning is in the block before (copied: the block is read again).
			let carry = Buffer.alloc(0);
			for (let end = size; end > 0; ) {
				const start = Math.max(0, end - block.length);
				const {bytesRead} = await handle.read(block, 0, end - start, start);
				const bytes = Buffer.concat([block.subarray(0, bytesRead), carry]);
				end = start;
				const cut = start > 0 ? bytes.indexOf(LF) : -1;
				if (start > 0 && cut === -1) {
					carry = bytes;
					continue;
				}
				const whole = bytes.subarray(cut + 1);
				for (let stop = whole.length; ; ) {
					const at = stop === 0 ? -1 : whole.lastIndexOf(LF, stop - 1);
					const line = whole.subarray(at + 1, stop);
					if (line[0] === 0x7c && line[1] === 0x20) counts.stdout++;
					else if (line[0] === 0x21 && line[1] === 0x20) counts.stderr++;
					else if (line[0] === 0x23 && isRun(line.toString('utf8'))) return counts;
					if (at === -1) break;
					stop = at;
				}
				carry = Buffer.from(bytes.subarray(0, cut + 1));
			}
			return null;
		} finally {
			await handle.close();
		}
	}

	/** Resolves when everything written so far is in the file. */
	async settled(): Promise<void> {
		for (;;) {
			const pending = this.pending;
			// A write that failed was reported to its caller; settled means only that nothing is under way.
			await pending.catch(() => {});
			if (pending === this.pending && !this.drainQueued) return;
		}
	}

	note(what: string, at: Date = new Date()): Promise<void> {
		return this.write(`# ${at.toISOString()} ${what}`);
	}

	/**
	 * Write what is gathered, then close. Output that still arrives while it
	 * closes (a command that outlives the wizard on SIGTERM) is written
	 * first; what arrives after is not, and stays in the command's own
	 * output file under runs/, where the next start reads it.
	 */
	async close(): Promise<void> {
		// A write the disk refused was reported to its caller: the file is closed all the same.
		await this.settled();
		const handle = this.handle;
		// From here a write finds no handle, instead of one being closed.
		this.handle = null;
		await handle?.sync().catch(() => undefined);
		await handle?.close();
	}
}
