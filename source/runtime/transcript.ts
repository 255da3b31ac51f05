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
		if (text !== '' && this.handle) await this.handle.write(text);
	}

	note(what: string, at: Date = new Date()): Promise<void> {
		return this.write(`# ${at.toISOString()} ${what}`);
	}

	async close(): Promise<void> {
		await this.pending;
		await this.handle?.sync().catch(() => undefined);
		await this.handle?.close();
		this.handle = null;
	}
}
