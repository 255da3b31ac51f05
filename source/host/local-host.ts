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
import type {ProcessPromise} from 'zx/core';
import {adviceFor, type PromptEvent, PromptWatcher} from '../probes/conffiles.ts';
import {GrowingBytes} from './bytes.ts';
import {shellQuote, type CommandResult, type CommandSpec, type DiskSpace, type FileInfo, type Host, type Identity, type RunOptions, type RunRecord} from './types.ts';

/**
 * zx, loaded by the first command: it finds bash and sets itself up when
 * loaded (~10 ms), which a start on the simulated host, or before its
 * first command, need not wait for.
 */
let zx: Promise<typeof import('zx/core')> | undefined;
const shell = async () => (await (zx ??= import('zx/core'))).$;

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

const LF = 0x0a;
const CR = 0x0d;

/**
 * Whole lines of a stream, handed on together, as bytes: each call of `emit`
 * gets every line completed since the last call, separated by "\n" (CR-LF
 * made "\n"; no final newline). The bytes after the last newline wait for
 * the rest of their line; `end()` hands on an unfinished last line. Lines are
 * cut on bytes: "\n" never occurs inside a UTF-8 sequence, so a character
 * split across two reads is whole again before anyone decodes it.
 *
 * What `emit` gets is valid only during the call (the memory is used again
 * for the next lines): nothing of a stream's output is allocated per line,
 * nor per read once the buffer has grown to a read's size.
 */
export function wholeLines(emit: (bytes: Buffer) => void) {
	// The unfinished line, and the lines it completes when a read ends it.
	const carry = new GrowingBytes(4096);
	const hand = (lines: Buffer) => {
		const crlf = lines.indexOf('\r\n') !== -1;
		// A CR last is the CR of the CR-LF that ended the last line.
		const end = lines.length > 0 && lines[lines.length - 1] === CR ? lines.length - 1 : lines.length;
		if (!crlf) return emit(lines.subarray(0, end));
		const out = Buffer.allocUnsafe(end);
		let o = 0;
		for (let i = 0; i < end; i++) if (lines[i] !== CR || lines[i + 1] !== LF) out[o++] = lines[i]!;
		emit(out.subarray(0, o));
	};
	return {
		write(bytes: Buffer) {
			const last = bytes.lastIndexOf(LF);
			if (last === -1) return carry.append(bytes);
			if (carry.length === 0) hand(bytes.subarray(0, last));
			else {
				carry.append(bytes.subarray(0, last));
				hand(carry.view());
			}
			carry.length = 0;
			if (last + 1 < bytes.length) carry.append(bytes.subarray(last + 1));
		},
		end() {
			if (carry.length > 0) emit(carry.view());
			carry.length = 0;
		},
	};
}

/**
 * The last `limit` bytes written (all of them when it is infinite), copied
 * into memory kept from one write to the next.
 */
class ByteTail {
	private buffer = Buffer.alloc(0);
	private length = 0;
	private readonly pieces: Buffer[] = [];
	constructor(private readonly limit: number) {}

	write(bytes: Buffer) {
		if (!Number.isFinite(this.limit)) {
			this.pieces.push(Buffer.from(bytes));
			return;
		}
		if (bytes.length >= this.limit) {
			if (this.buffer.length < this.limit) this.buffer = Buffer.allocUnsafe(2 * this.limit);
			bytes.copy(this.buffer, 0, bytes.length - this.limit);
			this.length = this.limit;
			return;
		}
		if (this.length + bytes.length > this.buffer.length) {
			if (this.buffer.length < 2 * this.limit) {
				const bigger = Buffer.allocUnsafe(2 * this.limit);
				this.buffer.copy(bigger, 0, 0, this.length);
				this.buffer = bigger;
			} else {
				// Full: the last `limit` bytes move to the front.
				this.buffer.copyWithin(0, this.length - this.limit, this.length);
				this.length = this.limit;
			}
		}
		bytes.copy(this.buffer, this.length);
		this.length += bytes.length;
	}

	text(): string {
		const all = Number.isFinite(this.limit) ? this.buffer.subarray(0, this.length) : Buffer.concat(this.pieces);
		let start = Math.max(0, all.length - this.limit);
		// Not inside a character: skip the rest of one cut off.
		while (start > 0 && start < all.length && (all[start]! & 0xc0) === 0x80) start++;
		return all.toString('utf8', start);
	}
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
 * poll, hand on its whole lines (many per call, as bytes), and keep the last
 * `keep` bytes (or all) for the result. One buffer serves every read: what
 * a read brings is copied where it is kept, never allocated anew.
 */
function follow(file: string, emit: (bytes: Buffer) => void, keep: number) {
	const lines = wholeLines(emit);
	const kept = new ByteTail(keep);
	let buffer: Buffer | null = null;
	let offset = 0;
	return {
		async poll() {
			let handle: fs.FileHandle;
			try {
				handle = await fs.open(file, 'r');
			} catch {
				return; // Not created yet.
			}
			try {
				buffer ??= Buffer.allocUnsafe(64 * 1024);
				for (;;) {
					const {bytesRead} = await handle.read(buffer, 0, buffer.length, offset);
					if (bytesRead === 0) break;
					offset += bytesRead;
					const read = buffer.subarray(0, bytesRead);
					kept.write(read);
					lines.write(read);
				}
			} finally {
				await handle.close();
			}
		},
		end() {
			lines.end();
		},
		kept: () => kept.text(),
	};
}

/** A key as a directory name: letters, digits, dot, dash; anything else encoded. */
const runDirName = (key: string) => `run-${key.replace(/[^A-Za-z0-9.-]/g, c => `_${c.charCodeAt(0).toString(16)}`)}`;

const sameArgv = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

const processAlive = (pid: number) => {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
};

/** What a run directory says: finished (status written), running (its shell alive), or lost. */
async function readRecord(dir: string, key: string | null): Promise<RunRecord | null> {
	let meta: {key: string | null; argv: string[]};
	try {
		meta = JSON.parse(await fs.readFile(path.join(dir, 'command'), 'utf8')) as typeof meta;
	} catch {
		return null;
	}
	if (!meta.key || (key !== null && meta.key !== key)) return null;
	const status = Number.parseInt(await fs.readFile(path.join(dir, 'status'), 'utf8').catch(() => ''), 10);
	const pid = Number.parseInt(await fs.readFile(path.join(dir, 'status.pid'), 'utf8').catch(() => ''), 10);
	const output = await fs.readFile(path.join(dir, 'stdout'), 'utf8').catch(() => '');
	const tail = output.split('\n').filter(l => l !== '').slice(-5);
	const state = Number.isInteger(status) ? 'finished' : Number.isInteger(pid) && processAlive(pid) ? 'running' : 'lost';
	return {key: meta.key, argv: meta.argv, state, exitCode: Number.isInteger(status) ? status : null, tail};
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
		const dir = path.join(this.runDir, options.key ? runDirName(options.key) : `${Date.now()}-${randomBytes(3).toString('hex')}`);
		const files = {stdout: path.join(dir, 'stdout'), stderr: path.join(dir, 'stderr'), status: path.join(dir, 'status'), pid: path.join(dir, 'pid')};
		if (options.key) {
			const record = await readRecord(dir, options.key);
			// The same command under the same key: never started twice.
			if (record && sameArgv(record.argv, command.argv) && record.state !== 'lost') return this.follow(dir, files, record, options, startedAt);
			if (record) await fs.rename(dir, `${dir}.old-${Date.now()}`);
		}
		await fs.mkdir(dir, {recursive: true, mode: 0o700});
		await fs.writeFile(path.join(dir, 'command'), `${JSON.stringify({key: options.key ?? null, argv: command.argv, startedAt})}\n`, {mode: 0o600});
		// The command's arguments reach it as "$@": no shell ever reads them.
		const script = 'o=$1; e=$2; s=$3; shift 3; echo $$ >"$s.pid"; "$@" >"$o" 2>"$e" </dev/null; echo $? >"$s.tmp"; mv "$s.tmp" "$s"';
		const $ = await shell();
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
		const out = follow(files.stdout, bytes => options.onOutput?.({stream: 'stdout', bytes}), keep);
		const err = follow(files.stderr, bytes => options.onOutput?.({stream: 'stderr', bytes}), keep);
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
		// A keyed run's record stays until the wizard clears it (a later step): a
		// restart in between finds it finished instead of running it again.
		if (!options.key) await fs.rm(dir, {recursive: true, force: true});
		return {
			exitCode: Number.isInteger(recorded) ? recorded : statusOf(output),
			stdout: out.kept(),
			stderr: err.kept(),
			startedAt,
			endedAt: new Date().toISOString(),
		};
	}

	/**
	 * A keyed run that was started before (by an earlier wizard): its output
	 * is replayed, and if it still runs, followed until its status is written.
	 */
	private async follow(
		dir: string,
		files: {stdout: string; stderr: string; status: string},
		record: RunRecord,
		options: RunOptions,
		startedAt: string,
	): Promise<CommandResult> {
		const keep = options.capture === 'tail' ? TAIL_BYTES : Number.POSITIVE_INFINITY;
		const out = follow(files.stdout, bytes => options.onOutput?.({stream: 'stdout', bytes}), keep);
		const err = follow(files.stderr, bytes => options.onOutput?.({stream: 'stderr', bytes}), keep);
		let current: RunRecord | null = record;
		while (current?.state === 'running') {
			await out.poll();
			await err.poll();
			await new Promise(resolve => setTimeout(resolve, 100));
			current = await readRecord(dir, record.key);
		}
		await out.poll();
		await err.poll();
		out.end();
		err.end();
		const exitCode = current?.state === 'finished' && current.exitCode !== null ? current.exitCode : 1;
		return {exitCode, stdout: out.kept(), stderr: err.kept(), startedAt, endedAt: new Date().toISOString()};
	}

	async runRecords(prefix: string): Promise<RunRecord[]> {
		const names = await fs.readdir(this.runDir).catch(() => [] as string[]);
		const records: RunRecord[] = [];
		for (const name of names.sort()) {
			const record = await readRecord(path.join(this.runDir, name), null);
			if (record && record.key.startsWith(prefix)) records.push(record);
		}
		return records;
	}

	async clearRuns(keepPrefix: string): Promise<void> {
		for (const record of await this.runRecords('')) {
			if (record.key.startsWith(keepPrefix) || record.state === 'running') continue;
			await fs.rm(path.join(this.runDir, runDirName(record.key)), {recursive: true, force: true});
		}
	}

	/** With text for its standard input: a pipe it must be. */
	private async runPiped(command: CommandSpec, options: RunOptions): Promise<CommandResult> {
		const startedAt = new Date().toISOString();
		const store =
			options.capture === 'tail'
				? {stdout: TailChunks.bounded(TAIL_BYTES), stderr: TailChunks.bounded(TAIL_BYTES), stdall: TailChunks.bounded(TAIL_BYTES)}
				: undefined;
		const $ = await shell();
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
		const out = wholeLines(bytes => options.onOutput?.({stream: 'stdout', bytes}));
		const err = wholeLines(bytes => options.onOutput?.({stream: 'stderr', bytes}));
		child.stdout.on('data', (data: Buffer) => out.write(data));
		child.stderr.on('data', (data: Buffer) => err.write(data));
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

	async runInteractive(command: CommandSpec, options: RunOptions = {}): Promise<CommandResult> {
		if (options.conffileAdvice) return this.runAdvised(command, options.conffileAdvice);
		const startedAt = new Date().toISOString();
		const $ = await shell();
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

	/**
	 * The command on the terminal under script(1) from util-linux, which
	 * copies everything the command writes to a file: that file is followed,
	 * and when dpkg asks about a configuration file, the vendor's advice for
	 * it is written to the terminal, dpkg's question after it again. What the
	 * operator types goes through script to dpkg unchanged. No native addon.
	 */
	private async runAdvised(command: CommandSpec, advice: NonNullable<RunOptions['conffileAdvice']>): Promise<CommandResult> {
		const startedAt = new Date().toISOString();
		const dir = path.join(this.runDir, `advised-${Date.now()}-${randomBytes(3).toString('hex')}`);
		await fs.mkdir(dir, {recursive: true, mode: 0o700});
		const log = path.join(dir, 'typescript');
		const watcher = new PromptWatcher(event => process.stdout.write(adviceText(event, advice)));
		const decoder = new StringDecoder('utf8');
		let offset = 0;
		const poll = async () => {
			const handle = await fs.open(log, 'r').catch(() => null);
			if (!handle) return;
			try {
				const buffer = Buffer.alloc(64 * 1024);
				for (;;) {
					const {bytesRead} = await handle.read(buffer, 0, buffer.length, offset);
					if (bytesRead === 0) break;
					offset += bytesRead;
					watcher.write(decoder.write(buffer.subarray(0, bytesRead)));
				}
			} finally {
				await handle.close();
			}
		};
		let finished = false;
		const polling = (async () => {
			while (!finished) {
				await poll();
				await new Promise(resolve => setTimeout(resolve, 100));
			}
		})();
		// -q: no start and end lines on the terminal; -f: flush at each write; -e: the command's exit status.
		const $ = await shell();
		const output = await $({
			quiet: true,
			nothrow: true,
			verbose: false,
			stdio: 'inherit',
			env: mergedEnv(this.baseEnv, command.env),
			...(command.cwd ? {cwd: command.cwd} : {}),
		})`script -qfec ${command.argv.map(shellQuote).join(' ')} ${log}`;
		finished = true;
		await polling;
		await fs.rm(dir, {recursive: true, force: true});
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

	async makeDir(dir: string, mode: number): Promise<void> {
		await fs.mkdir(dir, {recursive: true, mode});
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

/**
 * The advice as it goes onto the terminal while dpkg waits: after its
 * question, then the question again so the cursor is where dpkg expects the
 * answer. For ucf's dialog: on the bottom row, cursor put back (the terminal
 * is raw under script: lines end in CR LF).
 */
export function adviceText(event: PromptEvent, list: NonNullable<RunOptions['conffileAdvice']>): string {
	if (event.kind === 'apt') {
		const lines = event.defaultYes
			? [
					'[upgrade-wizard] apt asks before it changes packages: read the lists above.',
					'                 Y if nothing you need is REMOVED (never proxmox-mailgateway',
					'                 or pmg-api); n stops, nothing changed. Enter is Y.',
				]
			: [
					'[upgrade-wizard] apt warned above (read its W:/Warning: lines, e.g. a',
					'                 repository configured twice). Enter is N and stops: fix',
					'                 the warning and run the step again; y only if harmless.',
				];
		return ['', '', ...lines, event.prompt].join('\r\n') + ' ';
	}
	const advice = adviceFor(event.path, list);
	const head = `[upgrade-wizard] ${event.path}: ${advice.answer}`;
	if (event.kind === 'ucf') {
		const line = `${head} - ${advice.why}`;
		return `\u001B7\u001B[999;1H\u001B[2K${line.length > 79 ? `${line.slice(0, 78)}~` : line}\u001B8`;
	}
	const why: string[] = [];
	let current = '';
	for (const word of advice.why.split(' ')) {
		if (current !== '' && current.length + 1 + word.length > 78 - 18) {
			why.push(current);
			current = word;
		} else current = current === '' ? word : `${current} ${word}`;
	}
	if (current !== '') why.push(current);
	return ['', '', head, ...why.map(l => `${' '.repeat(18)}${l}`), event.prompt].join('\r\n') + ' ';
}
