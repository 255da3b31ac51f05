/**
 * The transcript: every command, when it ran, its exit status and all of its
 * output, plus every decision of the operator (skips with reasons, typed
 * confirmations). Mode 0600: it can hold host details an admin keeps private.
 */
import {promises as fs, constants as fsConstants} from 'node:fs';
import path from 'node:path';

export class Transcript {
	private handle: fs.FileHandle | null = null;
	private pending: Promise<void> = Promise.resolve();
	private secrets: string[] = [];

	private constructor(readonly file: string) {}

	static async open(file: string): Promise<Transcript> {
		const transcript = new Transcript(file);
		await fs.mkdir(path.dirname(file), {recursive: true, mode: 0o700});
		transcript.handle = await fs.open(file, fsConstants.O_WRONLY | fsConstants.O_APPEND | fsConstants.O_CREAT, 0o600);
		// An existing file made by an older version may be wider: narrow it.
		await transcript.handle.chmod(0o600);
		return transcript;
	}

	/** Text that must never reach the transcript (a typed password): replaced by ***. */
	redact(secret: string) {
		if (secret) this.secrets.push(secret);
	}

	/**
	 * Append lines, in order. Lines that arrive while a write is under way
	 * are gathered and written together: a command printing 200,000 lines
	 * must not cost 200,000 writes (that took 11 s for `seq 200000`).
	 */
	write(...lines: string[]): Promise<void> {
		let text = lines.map(line => `${line}\n`).join('');
		for (const secret of this.secrets) text = text.replaceAll(secret, '***');
		this.buffer += text;
		if (!this.drainQueued) {
			this.drainQueued = true;
			this.pending = this.pending.then(() => this.drain());
		}
		return this.pending;
	}

	private buffer = '';
	private drainQueued = false;

	private async drain(): Promise<void> {
		this.drainQueued = false;
		const text = this.buffer;
		this.buffer = '';
		const handle = this.handle;
		if (text !== '' && handle) await handle.write(text);
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
		for (;;) {
			const pending = this.pending;
			await pending;
			if (pending === this.pending && !this.drainQueued) break;
		}
		const handle = this.handle;
		// From here a write finds no handle, instead of one being closed.
		this.handle = null;
		await handle?.sync().catch(() => undefined);
		await handle?.close();
	}
}
