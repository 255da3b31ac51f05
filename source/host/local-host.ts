/**
 * The machine the wizard runs on: commands through zx (each argument quoted
 * for the shell, so an operator's path with spaces, quotes, `$()` or `;` is
 * passed literally), files through node:fs.
 */
import {randomBytes} from 'node:crypto';
import {constants as fsConstants, promises as fs} from 'node:fs';
import os from 'node:os';
import {StringDecoder} from 'node:string_decoder';
import path from 'node:path';
import {$, type ProcessPromise} from 'zx';
import type {CommandResult, CommandSpec, DiskSpace, FileInfo, Host, Identity, OutputChunk, RunOptions} from './types.ts';

/** How much of a bulk command's output is kept in memory (the transcript has it all). */
export const TAIL_BYTES = 64 * 1024;

/**
 * A chunk list for zx that keeps only the last `limit` bytes: apt's output
 * can run to millions of lines, and zx would otherwise hold all of it.
 */
class TailChunks extends Array<string | Buffer> {
	// Derived arrays (map, filter) are plain arrays.
	static override get [Symbol.species]() {
		return Array;
	}
	private bytes = 0;
	private limit = TAIL_BYTES;
	static bounded(limit: number): TailChunks {
		const chunks = new TailChunks();
		chunks.limit = limit;
		return chunks;
	}
	override push(...items: Array<string | Buffer>): number {
		for (const item of items) {
			super.push(item);
			this.bytes += item.length;
		}
		while (this.bytes > this.limit && this.length > 1) this.bytes -= this.shift()!.length;
		return this.length;
	}
}

/** Split streamed text into lines, keeping an unfinished last line for later. */
export function lineSplitter(emit: (line: string) => void) {
	let pending = '';
	return {
		write(text: string) {
			const parts = (pending + text).split(/\r?\n/);
			pending = parts.pop() ?? '';
			for (const part of parts) emit(part);
		},
		end() {
			if (pending !== '') emit(pending);
			pending = '';
		},
	};
}

const mergedEnv = (base: NodeJS.ProcessEnv, changes: CommandSpec['env']): NodeJS.ProcessEnv => {
	const env = {...base};
	for (const [name, value] of Object.entries(changes ?? {})) {
		if (value === null) delete env[name];
		else env[name] = value;
	}
	return env;
};

/** The exit status as a shell reports it: 128 + the signal's number for a command a signal ended (130 for Ctrl-C). */
function statusOf(output: {exitCode: number | null; signal: NodeJS.Signals | null}): number {
	if (output.exitCode !== null) return output.exitCode;
	return output.signal ? 128 + (os.constants.signals[output.signal] ?? 0) : 1;
}

/**
 * Follow a file another process writes: read what was added since the last
 * poll, hand on whole lines, and keep the last `keep` characters (or all).
 */
function follow(file: string, emit: (line: string) => void, keep: number) {
	const decoder = new StringDecoder('utf8');
	const lines = lineSplitter(emit);
	let offset = 0;
	let kept = '';
	const take = (text: string) => {
		lines.write(text);
		kept += text;
		if (kept.length > keep) kept = kept.slice(kept.length - keep);
	};
	return {
		async poll() {
			let handle: fs.FileHandle;
			try {
				handle = await fs.open(file, 'r');
			} catch {
				return; // Not created yet.
			}
			try {
				const buffer = Buffer.alloc(256 * 1024);
				for (;;) {
					const {bytesRead} = await handle.read(buffer, 0, buffer.length, offset);
					if (bytesRead === 0) break;
					offset += bytesRead;
					take(decoder.write(buffer.subarray(0, bytesRead)));
				}
			} finally {
				await handle.close();
			}
		},
		end() {
			take(decoder.end());
			lines.end();
		},
		kept: () => kept,
	};
}

export class LocalHost implements Host {
	readonly kind = 'local' as const;
	readonly label: string;

	/** Where commands write their output while they run (the state directory's runs/). */
	private readonly runDir: string;

	constructor(
		private readonly baseEnv: NodeJS.ProcessEnv = process.env,
		options: {runDir?: string} = {},
	) {
		this.label = os.hostname();
		this.runDir = options.runDir ?? path.join(os.tmpdir(), `upgrade-wizard-runs-${process.getuid?.() ?? 'user'}`);
	}

	/**
	 * Run a command so that it outlives the wizard: in its own process group
	 * (the terminal's Ctrl-C does not reach it), its output written to files
	 * that the wizard follows, not to pipes (a pipe whose reader died kills
	 * the writer with SIGPIPE: pg_upgradecluster half done). A small shell
	 * records the exit status next to the output. The files stay where the
	 * wizard died; after a clean end they are removed (the transcript has it all).
	 */
	async run(command: CommandSpec, options: RunOptions = {}): Promise<CommandResult> {
		if (options.input !== undefined) return this.runPiped(command, options);
		const startedAt = new Date().toISOString();
		const dir = path.join(this.runDir, `${Date.now()}-${randomBytes(3).toString('hex')}`);
		await fs.mkdir(dir, {recursive: true, mode: 0o700});
		const files = {stdout: path.join(dir, 'stdout'), stderr: path.join(dir, 'stderr'), status: path.join(dir, 'status')};
		await fs.writeFile(path.join(dir, 'command'), `${JSON.stringify(command.argv)}\n`, {mode: 0o600});
		// The command's arguments reach it as "$@": no shell ever reads them.
		const script = 'o=$1; e=$2; s=$3; shift 3; "$@" >"$o" 2>"$e" </dev/null; echo $? >"$s.tmp"; mv "$s.tmp" "$s"';
		const child: ProcessPromise = $({
			quiet: true,
			nothrow: true,
			verbose: false,
			env: mergedEnv(this.baseEnv, command.env),
			...(command.cwd ? {cwd: command.cwd} : {}),
			stdio: 'ignore',
			detached: true,
		})`sh -c ${script} sh ${files.stdout} ${files.stderr} ${files.status} ${command.argv}`;
		const keep = options.capture === 'tail' ? TAIL_BYTES : Number.POSITIVE_INFINITY;
		const out = follow(files.stdout, text => options.onOutput?.({stream: 'stdout', text}), keep);
		const err = follow(files.stderr, text => options.onOutput?.({stream: 'stderr', text}), keep);
		let finished = false;
		const polling = (async () => {
			while (!finished) {
				await out.poll();
				await err.poll();
				await new Promise(resolve => setTimeout(resolve, 50));
			}
		})();
		const output = await child;
		finished = true;
		await polling;
		await out.poll();
		await err.poll();
		out.end();
		err.end();
		const recorded = Number.parseInt(await fs.readFile(files.status, 'utf8').catch(() => ''), 10);
		await fs.rm(dir, {recursive: true, force: true});
		return {
			exitCode: Number.isInteger(recorded) ? recorded : statusOf(output),
			stdout: out.kept(),
			stderr: err.kept(),
			startedAt,
			endedAt: new Date().toISOString(),
		};
	}

	/** With text for its standard input: a pipe it must be. */
	private async runPiped(command: CommandSpec, options: RunOptions): Promise<CommandResult> {
		const startedAt = new Date().toISOString();
		const store =
			options.capture === 'tail'
				? {stdout: TailChunks.bounded(TAIL_BYTES), stderr: TailChunks.bounded(TAIL_BYTES), stdall: TailChunks.bounded(TAIL_BYTES)}
				: undefined;
		const child: ProcessPromise = $({
			quiet: true,
			nothrow: true,
			verbose: false,
			env: mergedEnv(this.baseEnv, command.env),
			...(command.cwd ? {cwd: command.cwd} : {}),
			...(options.input !== undefined ? {input: options.input} : {stdio: ['ignore', 'pipe', 'pipe']}),
			...(store ? {store: store as never} : {}),
			// Its own process group: the terminal's signals do not reach it.
			detached: true,
		})`${command.argv}`;
		const emit = (stream: OutputChunk['stream']) => {
			const splitter = lineSplitter(text => options.onOutput?.({stream, text}));
			return splitter;
		};
		const out = emit('stdout');
		const err = emit('stderr');
		child.stdout.on('data', (data: Buffer) => out.write(data.toString('utf8')));
		child.stderr.on('data', (data: Buffer) => err.write(data.toString('utf8')));
		const output = await child;
		out.end();
		err.end();
		return {
			exitCode: statusOf(output),
			stdout: output.stdout,
			stderr: output.stderr,
			startedAt,
			endedAt: new Date().toISOString(),
		};
	}

	async runInteractive(command: CommandSpec): Promise<CommandResult> {
		const startedAt = new Date().toISOString();
		const output = await $({
			quiet: true,
			nothrow: true,
			verbose: false,
			stdio: 'inherit',
			env: mergedEnv(this.baseEnv, command.env),
			...(command.cwd ? {cwd: command.cwd} : {}),
		})`${command.argv}`;
		return {exitCode: statusOf(output), stdout: '', stderr: '', startedAt, endedAt: new Date().toISOString()};
	}

	async readFile(file: string): Promise<string | null> {
		try {
			return await fs.readFile(file, 'utf8');
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
			throw error;
		}
	}

	async writeFile(file: string, content: string, mode?: number): Promise<void> {
		await writeFileAtomic(file, content, mode);
	}

	async removeFile(file: string): Promise<void> {
		await fs.rm(file, {force: true});
	}

	async listDir(dir: string): Promise<string[]> {
		try {
			return (await fs.readdir(dir)).sort();
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
			throw error;
		}
	}

	async stat(file: string): Promise<FileInfo | null> {
		try {
			const s = await fs.stat(file);
			return {size: s.size, mtimeMs: s.mtimeMs, isFile: s.isFile(), isDirectory: s.isDirectory()};
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
			throw error;
		}
	}

	async diskSpace(file: string): Promise<DiskSpace> {
		const s = await fs.statfs(file);
		return {totalBytes: s.blocks * s.bsize, availableBytes: s.bavail * s.bsize, freeBytes: s.bfree * s.bsize};
	}

	env(): Record<string, string> {
		return Object.fromEntries(Object.entries(this.baseEnv).filter((e): e is [string, string] => typeof e[1] === 'string'));
	}

	async identity(): Promise<Identity> {
		const info = os.userInfo();
		return {uid: info.uid, user: info.username, hostname: os.hostname()};
	}

	async bootId(): Promise<string> {
		return ((await this.readFile('/proc/sys/kernel/random/boot_id')) ?? '').trim();
	}

	now(): number {
		return Date.now();
	}
}

/**
 * Write a file so that a crash leaves either the old or the new content:
 * temp file in the same directory, fsync, rename, fsync of the directory.
 * The mode of an existing file is kept unless one is given.
 */
export async function writeFileAtomic(file: string, content: string, mode?: number): Promise<void> {
	const dir = path.dirname(file);
	let keepMode = mode;
	if (keepMode === undefined) {
		try {
			keepMode = (await fs.stat(file)).mode & 0o7777;
		} catch {
			keepMode = 0o644;
		}
	}
	const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
	const handle = await fs.open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, keepMode);
	try {
		await handle.writeFile(content, 'utf8');
		await handle.chmod(keepMode);
		await handle.sync();
	} finally {
		await handle.close();
	}
	try {
		await fs.rename(temp, file);
	} catch (error) {
		await fs.rm(temp, {force: true});
		throw error;
	}
	const dirHandle = await fs.open(dir, fsConstants.O_RDONLY);
	try {
		await dirHandle.sync();
	} finally {
		await dirHandle.close();
	}
}
