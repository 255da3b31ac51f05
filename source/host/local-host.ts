/**
 * The machine the wizard runs on: commands through zx (each argument quoted
 * for the shell, so an operator's path with spaces, quotes, `$()` or `;` is
 * passed literally), files through node:fs.
 */
import {randomBytes} from 'node:crypto';
import {constants as fsConstants, promises as fs, readlinkSync} from 'node:fs';
import os from 'node:os';
import {StringDecoder} from 'node:string_decoder';
import path from 'node:path';
import type {ProcessPromise} from 'zx/core';
import {adviceFor, type PromptEvent, PromptWatcher} from '../probes/conffiles.ts';
import {GrowingBytes} from './bytes.ts';
import {commandEnv, maskText, MIN_SECRET_LENGTH} from './secrets.ts';
import {shellQuote, type CommandResult, type CommandSpec, type DiskSpace, type FileInfo, type Host, type Identity, type RunOptions, type RunRecord} from './types.ts';
import {bootIdentity} from './boot-id.ts';

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

/** The environment of a command: this one's without the secrets it has no use for (source/host/secrets.ts), then its own changes. */
const mergedEnv = (base: NodeJS.ProcessEnv, command: CommandSpec): NodeJS.ProcessEnv => commandEnv(base, command.env, command.argv);

/**
 * A run's output files (stdout and stderr, or the typescript of one on the
 * terminal) with `secrets` masked, rewritten in place (only when one
 * occurs): what stays under runs/ after a command ended holds no password.
 * While the command runs, its files are its own (mode 0600).
 */
async function maskRunFiles(files: string[], secrets: readonly string[] | undefined): Promise<void> {
	if (!secrets || secrets.length === 0) return;
	for (const file of files) {
		const text = await fs.readFile(file).catch(() => null);
		if (!text || !secrets.some(secret => text.includes(secret))) continue;
		await writeFileAtomic(file, maskText(text.toString('utf8'), secrets), 0o600);
	}
}

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
function follow(file: string, emit: (bytes: Buffer) => void, keep: number, raw = false) {
	// Raw: the bytes as read, for a reader that cuts lines itself.
	const lines = raw ? {write: emit, end: () => undefined} : wholeLines(emit);
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

// Escape sequences of a terminal: CSI (colours, cursor moves), OSC (titles),
// DCS/SOS/PM/APC strings, and the short ones (ESC 7, ESC ( B, ESC =).
const TERMINAL_ESCAPES = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)|\u001B[PX^_][^\u001B]*\u001B\\|\u001B[ -/]*[0-~]/g;
const ERASE_LINE = /\u001B\[[02]?K/;

/** One line of a terminal's record as the text the terminal showed: escapes gone, a CR writes over the line from its start. */
export function terminalLine(line: string): string {
	let shown = '';
	for (const part of line.split('\r')) {
		// Erased to its end (apt's progress line): what was under it is gone.
		const erased = ERASE_LINE.test(part);
		let text = part.replace(TERMINAL_ESCAPES, '');
		while (/[^\x08]\x08/.test(text)) text = text.replace(/[^\x08]\x08/, '');
		text = text.replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, '');
		shown = erased ? text : text + shown.slice(text.length);
	}
	return shown;
}

const SCRIPT_HEADER = /^Script (started|done) on \d{4}-\d\d-\d\d/;

/**
 * The text of script(1)'s typescript, as whole lines (joined with "\n", as
 * bytes) for `emit`: escape sequences removed, CRs resolved (terminalLine),
 * script's own first and last line left out, and blank lines at the end
 * (script's before its last line) dropped.
 */
export function terminalText(emit: (bytes: Buffer) => void) {
	let blanks = 0;
	const lines = wholeLines(bytes => {
		const out: string[] = [];
		for (const line of bytes.toString('utf8').split('\n')) {
			const text = terminalLine(line);
			if (SCRIPT_HEADER.test(text)) continue;
			if (text.trim() === '') {
				blanks++;
				continue;
			}
			for (; blanks > 0; blanks--) out.push('');
			out.push(text);
		}
		if (out.length > 0) emit(Buffer.from(out.join('\n'), 'utf8'));
	});
	return {write: (bytes: Buffer) => lines.write(bytes), end: () => lines.end()};
}

/** The terminal of this process's standard input (/dev/pts/3), or null. */
function ownTerminal(): string | null {
	try {
		const target = readlinkSync('/proc/self/fd/0');
		return target.startsWith('/dev/') ? target : null;
	} catch {
		return null;
	}
}

/** The files apt and dpkg lock with fcntl(F_SETLK) while they work. */
export const PACKAGE_LOCKS = ['/var/lib/dpkg/lock-frontend', '/var/lib/dpkg/lock', '/var/lib/apt/lists/lock'];

const PACKAGE_PROGRAMS = new Set(['apt', 'apt-get', 'aptitude', 'dpkg', 'dpkg-reconfigure', 'unattended-upgrade']);
/** apt, dpkg and their kin: commands that take the package locks. */
export const isPackageCommand = (argv: string[]) => PACKAGE_PROGRAMS.has(path.basename(argv[0] ?? ''));

export type LockHolder = {file: string; pid: number; command: string};

/**
 * Who holds a lock on `files`, from the kernel's table of locks
 * (/proc/locks: fcntl locks as POSIX, flock as FLOCK, each with the pid
 * that holds it and the device and inode of the file). The lock is not
 * taken to test it: the wizard never holds apt's lock itself.
 */
export async function lockHolders(files: string[]): Promise<LockHolder[]> {
	const table = await fs.readFile('/proc/locks', 'utf8').catch(() => '');
	const holders: LockHolder[] = [];
	for (const file of files) {
		const info = await fs.stat(file).catch(() => null);
		if (!info) continue;
		const major = Number((BigInt(info.dev) >> 8n) & 0xfffn) | Number((BigInt(info.dev) >> 32n) & ~0xfffn);
		const minor = Number(BigInt(info.dev) & 0xffn) | Number((BigInt(info.dev) >> 12n) & ~0xffn);
		for (const line of table.split('\n')) {
			// "1: POSIX  ADVISORY  WRITE 1234 08:01:131090 0 EOF"; a waiting lock ("1: -> POSIX ...") holds nothing.
			const m = /^\d+:\s+(POSIX|FLOCK|OFDLCK)\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
			if (!m || Number(m[5]) !== info.ino) continue;
			if (Number.parseInt(m[3]!, 16) !== major || Number.parseInt(m[4]!, 16) !== minor) continue;
			const pid = Number(m[2]);
			if (holders.some(h => h.file === file && h.pid === pid)) continue;
			holders.push({file, pid, command: pid > 0 ? await commandOf(pid) : 'a process of another namespace (open file description lock)'});
		}
	}
	return holders;
}

async function commandOf(pid: number): Promise<string> {
	const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
	const argv = cmdline.split('\0').filter(a => a !== '');
	// One line, not too long: a command line can hold a whole script.
	if (argv.length > 0) return argv.join(' ').replace(/\s+/g, ' ').slice(0, 120);
	return (await fs.readFile(`/proc/${pid}/comm`, 'utf8').catch(() => 'unknown')).trim();
}

/** A key as a directory name: letters, digits, dot, dash; anything else encoded. */
export const runDirName = (key: string) => `run-${key.replace(/[^A-Za-z0-9.-]/g, c => `_${c.charCodeAt(0).toString(16)}`)}`;

const sameArgv = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

const processAlive = (pid: number) => {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
};

/** A process's group and its start (clock ticks since boot) from /proc: a pid used again by another process has another start. */
async function processStat(pid: number): Promise<{pgid: number; start: number} | null> {
	const text = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
	if (text === null) return null;
	// The name (field 2) is in parentheses and may hold spaces: the fields after its ") " are counted from 3.
	const fields = text.slice(text.lastIndexOf(') ') + 2).split(' ');
	// A zombie (killed, its parent gone before reaping it) runs no more.
	if (fields[0] === 'Z' || fields[0] === 'X') return null;
	return {pgid: Number(fields[2]), start: Number(fields[19])};
}

/**
 * The small shell's record of itself, written before it starts the
 * command: "pid pgid start" (start in clock ticks since boot, from /proc).
 * Run in a subshell, where $$ is still the shell's pid, so the command's
 * "$@" is not touched.
 */
const RECORD_SELF = '(umask 077; read -r l </proc/$$/stat; l=${l##*) }; set -- $l; echo "$$ $3 ${20}" >"$s.pid")';

/**
 * A filter that copies its input to its output line by line, each value of
 * UPGRADE_WIZARD_MASK (one a line) replaced by ***, as literal text, flushed
 * after every line: the wizard follows the file as it grows. Perl (Debian's
 * perl-base is essential) keeps every byte (NUL, invalid UTF-8, a last line
 * without newline); without it, awk (mawk loses what follows a NUL in a line).
 */
const MASK_PERL = '$|=1; my @m = grep { length } split /\\n/, $ENV{UPGRADE_WIZARD_MASK} // ""; while (my $l = <STDIN>) { for my $m (@m) { $l =~ s/\\Q$m\\E/***/g } print $l }';
const MASK_AWK =
	'BEGIN { n = split(ENVIRON["UPGRADE_WIZARD_MASK"], m, "\\n") } ' +
	'{ line = $0; for (i = 1; i <= n; i++) { if (m[i] == "") continue; out = ""; while ((p = index(line, m[i])) > 0) { out = out substr(line, 1, p - 1) "***"; line = substr(line, p + length(m[i])) } line = out line } print line; fflush() }';
/** Defines mask, the filter as a shell function: perl, else awk (mawk told to read a pipe line by line). */
const CHOOSE_MASK_FILTER =
	'w=; command -v perl >/dev/null 2>&1 || { awk -W version 2>/dev/null | grep -q mawk && w="-W interactive"; }; ' +
	`mask() { if command -v perl >/dev/null 2>&1; then UPGRADE_WIZARD_MASK=$m perl -e ${shellQuote(MASK_PERL)}; else UPGRADE_WIZARD_MASK=$m LC_ALL=C awk $w ${shellQuote(MASK_AWK)}; fi; }`;

/** What a run directory says: finished (status written), running (its shell alive), or lost. */
async function readRecord(dir: string, key: string | null): Promise<RunRecord | null> {
	let meta: {key: string | null; argv: string[]; startedAt?: string; interactive?: boolean};
	try {
		meta = JSON.parse(await fs.readFile(path.join(dir, 'command'), 'utf8')) as typeof meta;
	} catch {
		return null;
	}
	if (!meta.key || (key !== null && meta.key !== key)) return null;
	const status = Number.parseInt(await fs.readFile(path.join(dir, 'status'), 'utf8').catch(() => ''), 10);
	const [pid, pgid, start] = (await fs.readFile(path.join(dir, 'status.pid'), 'utf8').catch(() => '')).trim().split(' ').map(n => Number.parseInt(n, 10));
	let output: string;
	if (meta.interactive) {
		// script(1)'s record of the terminal, as text.
		const lines: string[] = [];
		const text = terminalText(bytes => lines.push(...bytes.toString('utf8').split('\n')));
		text.write(await fs.readFile(path.join(dir, 'typescript')).catch(() => Buffer.alloc(0)));
		text.end();
		output = lines.join('\n');
	} else output = await fs.readFile(path.join(dir, 'stdout'), 'utf8').catch(() => '');
	const tail = output.split('\n').filter(l => l !== '').slice(-5);
	let alive = false;
	if (!Number.isInteger(status) && Number.isInteger(pid)) {
		const stat = await processStat(pid!);
		// The same process, not a later one that got its pid (a record without a start: its pid alone).
		alive = Number.isInteger(start) ? stat !== null && stat.start === start : processAlive(pid!);
	}
	const state = Number.isInteger(status) ? 'finished' : alive ? 'running' : 'lost';
	return {
		key: meta.key,
		argv: meta.argv,
		state,
		exitCode: Number.isInteger(status) ? status : null,
		tail,
		...(meta.startedAt ? {startedAt: meta.startedAt} : {}),
		...(Number.isInteger(pid) ? {pid: pid!} : {}),
		...(Number.isInteger(pgid) ? {pgid: pgid!} : {}),
		...(meta.interactive ? {interactive: true} : {}),
	};
}

export class LocalHost implements Host {
	readonly kind = 'local' as const;
	readonly label: string;

	/** Where commands write their output while they run (the state directory's runs/). */
	private readonly runDir: string;

	/** The files apt and dpkg lock (see lockHolders). */
	private readonly packageLocks: string[];

	constructor(
		private readonly baseEnv: NodeJS.ProcessEnv = process.env,
		options: {runDir?: string; packageLocks?: string[]} = {},
	) {
		this.label = os.hostname();
		this.runDir = options.runDir ?? path.join(os.tmpdir(), `upgrade-wizard-runs-${process.getuid?.() ?? 'user'}`);
		this.packageLocks = options.packageLocks ?? PACKAGE_LOCKS;
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
		let startedAt = new Date().toISOString();
		const dir = path.join(this.runDir, options.key ? runDirName(options.key) : `${Date.now()}-${randomBytes(3).toString('hex')}`);
		const files = {stdout: path.join(dir, 'stdout'), stderr: path.join(dir, 'stderr'), status: path.join(dir, 'status'), pid: path.join(dir, 'pid')};
		if (options.key) {
			const record = await readRecord(dir, options.key);
			// The same command under the same key: never started twice.
			if (record && sameArgv(record.argv, command.argv) && record.state !== 'lost') return this.follow(dir, files, record, options, startedAt);
			if (record) await fs.rename(dir, `${dir}.old-${Date.now()}`);
		}
		await this.waitForPackageLocks(command, options);
		startedAt = new Date().toISOString();
		await fs.mkdir(dir, {recursive: true, mode: 0o700});
		await fs.writeFile(path.join(dir, 'command'), `${JSON.stringify({key: options.key ?? null, argv: command.argv, startedAt})}\n`, {mode: 0o600});
		// The command's arguments reach it as "$@": no shell ever reads them.
		// Its files are the wizard's, mode 0600 (they may hold what the command printed of a secret);
		// the command itself runs with the umask it would have had.
		// With secrets to mask, the output reaches its files through a masking filter (CHOOSE_MASK_FILTER), so
		// that not even while the command runs do they hold a password; the filters run beside the
		// command in its process group and outlive the wizard with it.
		const masks = (options.mask ?? []).flatMap(secret => secret.split('\n')).filter(line => line.length >= MIN_SECRET_LENGTH);
		const script =
			masks.length > 0
				? `o=$1; e=$2; s=$3; shift 3; m=$UPGRADE_WIZARD_MASK; unset UPGRADE_WIZARD_MASK; ${RECORD_SELF}; (umask 077; : >"$o"; : >"$e"; rm -f "$o.fifo" "$e.fifo"; mkfifo "$o.fifo" "$e.fifo"); ` +
					`${CHOOSE_MASK_FILTER}; ` +
					`mask <"$o.fifo" >>"$o" & a=$!; mask <"$e.fifo" >>"$e" & b=$!; ` +
					// The filters end with the command's output; a daemon it started may keep that open, so at most 5 s are waited for them.
					`"$@" >"$o.fifo" 2>"$e.fifo" </dev/null; st=$?; n=0; while { kill -0 $a || kill -0 $b; } 2>/dev/null && [ $n -lt 50 ]; do n=$((n+1)); sleep 0.1; done; ` +
					`rm -f "$o.fifo" "$e.fifo"; (umask 077; echo $st >"$s.tmp"); mv "$s.tmp" "$s"`
				: `o=$1; e=$2; s=$3; shift 3; ${RECORD_SELF}; (umask 077; : >"$o"; : >"$e"); "$@" >"$o" 2>"$e" </dev/null; st=$?; (umask 077; echo $st >"$s.tmp"); mv "$s.tmp" "$s"`;
		const $ = await shell();
		const child: ProcessPromise = $({
			quiet: true,
			nothrow: true,
			verbose: false,
			// The values to mask reach the filters only: the script takes them out of the command's environment.
			env: {...mergedEnv(this.baseEnv, command), ...(masks.length > 0 ? {UPGRADE_WIZARD_MASK: masks.join('\n')} : {})},
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
		await maskRunFiles([files.stdout, files.stderr], options.mask);
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
		await maskRunFiles([files.stdout, files.stderr], options.mask);
		return {exitCode, stdout: out.kept(), stderr: err.kept(), startedAt: record.startedAt ?? startedAt, endedAt: new Date().toISOString()};
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

	/** Mask `secrets` in the output files of every run that no longer runs (left by a wizard that was killed). */
	async maskRuns(secrets: readonly string[]): Promise<void> {
		for (const record of await this.runRecords('')) {
			if (record.state === 'running') continue;
			const dir = path.join(this.runDir, runDirName(record.key));
			await maskRunFiles([path.join(dir, 'stdout'), path.join(dir, 'stderr'), path.join(dir, 'typescript')], secrets);
		}
	}

	async clearRuns(keepPrefix: string): Promise<void> {
		for (const record of await this.runRecords('')) {
			if (record.key.startsWith(keepPrefix) || record.state === 'running') continue;
			await fs.rm(path.join(this.runDir, runDirName(record.key)), {recursive: true, force: true});
		}
	}

	/** With text for its standard input: a pipe it must be. */
	private async runPiped(command: CommandSpec, options: RunOptions): Promise<CommandResult> {
		await this.waitForPackageLocks(command, options);
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
			env: mergedEnv(this.baseEnv, command),
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

	/**
	 * The command on the terminal under script(1) from util-linux, which
	 * copies everything the command writes to a file (the typescript): the
	 * run leaves the same record as a captured one (its shell's pid, process
	 * group and start, the exit status when it ends, the output), so a
	 * wizard started again follows it instead of starting it a second time.
	 * The typescript is followed: its text goes to `onOutput` (the
	 * transcript), and when dpkg asks about a configuration file, the
	 * vendor's advice for it is written to the terminal, dpkg's question
	 * after it again. What the operator types goes through script to the
	 * command unchanged. No native addon.
	 */
	async runInteractive(command: CommandSpec, options: RunOptions = {}): Promise<CommandResult> {
		const dir = path.join(this.runDir, options.key ? runDirName(options.key) : `${Date.now()}-${randomBytes(3).toString('hex')}`);
		const files = {typescript: path.join(dir, 'typescript'), status: path.join(dir, 'status')};
		if (options.key) {
			const record = await readRecord(dir, options.key);
			// The same command under the same key: never started twice.
			if (record && record.interactive && sameArgv(record.argv, command.argv) && record.state !== 'lost') return this.followTerminal(dir, files, record, options);
			if (record) await fs.rename(dir, `${dir}.old-${Date.now()}`);
		}
		await this.waitForPackageLocks(command, options);
		const startedAt = new Date().toISOString();
		await fs.mkdir(dir, {recursive: true, mode: 0o700});
		await fs.writeFile(path.join(dir, 'command'), `${JSON.stringify({key: options.key ?? null, argv: command.argv, startedAt, interactive: true, tty: ownTerminal()})}\n`, {mode: 0o600});
		// script writes into the file it finds: mode 0600, the terminal may show a secret.
		await fs.writeFile(files.typescript, '', {mode: 0o600});
		const typescript = this.followTypescript(files.typescript, options, true);
		let finished = false;
		const polling = (async () => {
			while (!finished) {
				await typescript.poll();
				await new Promise(resolve => setTimeout(resolve, 100));
			}
		})();
		// -q: no start and end lines on the terminal; -f: flush at each write; -e: the command's exit status.
		// The shell around it records itself and the exit status next to the typescript, as for a captured run.
		const script = `s=$1; t=$2; c=$3; ${RECORD_SELF}; script -qfec "$c" "$t"; st=$?; (umask 077; echo $st >"$s.tmp"); mv "$s.tmp" "$s"`;
		const $ = await shell();
		const output = await $({
			quiet: true,
			nothrow: true,
			verbose: false,
			stdio: 'inherit',
			env: {...mergedEnv(this.baseEnv, command), SHELL: '/bin/sh'},
			...(command.cwd ? {cwd: command.cwd} : {}),
		})`sh -c ${script} sh ${files.status} ${files.typescript} ${command.argv.map(shellQuote).join(' ')}`;
		finished = true;
		await polling;
		await typescript.poll();
		typescript.end();
		// What the terminal showed stays under runs/ (the record's tail, a later wizard's follow): without the secrets.
		await maskRunFiles([files.typescript], options.mask);
		const recorded = Number.parseInt(await fs.readFile(files.status, 'utf8').catch(() => ''), 10);
		if (!options.key) await fs.rm(dir, {recursive: true, force: true});
		return {exitCode: Number.isInteger(recorded) ? recorded : statusOf(output), stdout: '', stderr: '', startedAt, endedAt: new Date().toISOString()};
	}

	/**
	 * A typescript followed: its text (escapes gone) to `onOutput`, and, when
	 * `advise`, dpkg's questions watched for the advice.
	 */
	private followTypescript(file: string, options: RunOptions, advise: boolean) {
		const text = terminalText(bytes => options.onOutput?.({stream: 'stdout', bytes}));
		let watcher: PromptWatcher | null = null;
		const decoder = new StringDecoder('utf8');
		const watch = () => {
			const advice = options.conffileAdvice;
			if (advice) watcher = new PromptWatcher(event => process.stdout.write(adviceText(event, advice)));
		};
		if (advise) watch();
		const followed = follow(
			file,
			bytes => {
				text.write(bytes);
				watcher?.write(decoder.write(bytes));
			},
			0,
			true,
		);
		return {
			poll: () => followed.poll(),
			end: () => {
				followed.end();
				text.end();
			},
			/** From here on, dpkg's questions get the advice (not those of the output read so far). */
			watch,
		};
	}

	/**
	 * A run on the terminal that an earlier wizard started: what it wrote is
	 * read again, and while it still runs (it has the terminal, through the
	 * script(1) of that wizard) it is followed until its status is written.
	 */
	private async followTerminal(dir: string, files: {typescript: string; status: string}, record: RunRecord, options: RunOptions): Promise<CommandResult> {
		// On the terminal it was started on, it draws itself; on another one, its text is shown here, read-only.
		const meta = JSON.parse(await fs.readFile(path.join(dir, 'command'), 'utf8').catch(() => '{}')) as {tty?: string | null};
		const here = meta.tty !== undefined && meta.tty !== null && meta.tty === ownTerminal();
		const shown: RunOptions = {
			...options,
			onOutput: chunk => {
				options.onOutput?.(chunk);
				if (!here && record.state === 'running') process.stdout.write(`${chunk.bytes.toString('utf8').replaceAll('\n', '\r\n')}\r\n`);
			},
		};
		const typescript = this.followTypescript(files.typescript, shown, false);
		if (record.state === 'running') {
			process.stdout.write(
				`(started ${record.startedAt ?? 'earlier'} by the wizard before this one${record.pid ? `, pid ${record.pid}` : ''}; it still runs${
					here ? ' and has this terminal: answer its questions here' : `${meta.tty ? ` on ${meta.tty}` : ''}: answer its questions there; its output follows`
				})\n`,
			);
		}
		await typescript.poll();
		typescript.watch();
		let current: RunRecord | null = record;
		while (current?.state === 'running') {
			await typescript.poll();
			await new Promise(resolve => setTimeout(resolve, 100));
			current = await readRecord(dir, record.key);
		}
		await typescript.poll();
		typescript.end();
		await maskRunFiles([files.typescript], options.mask);
		const exitCode = current?.state === 'finished' && current.exitCode !== null ? current.exitCode : 1;
		return {exitCode, stdout: '', stderr: '', startedAt: record.startedAt ?? new Date().toISOString(), endedAt: new Date().toISOString()};
	}

	/**
	 * Before apt or dpkg starts: another apt, dpkg or unattended-upgrade
	 * holding one of their locks is named (pid and command) and waited for,
	 * checked again every 2 s, instead of the command starting next to it.
	 */
	private async waitForPackageLocks(command: CommandSpec, options: RunOptions): Promise<void> {
		if (!isPackageCommand(command.argv)) return;
		let said = '';
		for (;;) {
			const holders = await lockHolders(this.packageLocks);
			if (holders.length === 0) {
				if (said !== '') options.onNotice?.('the package locks are free now: starting');
				return;
			}
			const text = `waiting: ${holders.map(h => `${h.file} is held by pid ${h.pid} (${h.command})`).join('; ')}; ${command.argv[0]} starts when it is released`;
			if (text !== said) {
				options.onNotice?.(text);
				said = text;
			}
			await new Promise(resolve => setTimeout(resolve, 2000));
		}
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

	/** The kernel's boot id with a marker under /run: see boot-id.ts (a container keeps its host's boot id). */
	async bootId(): Promise<string> {
		return bootIdentity(this);
	}

	now(): number {
		return Date.now();
	}
}

/**
 * `mkdir -p DIR`. Node reports ENOENT for a directory it cannot make on a
 * read-only file system (EROFS) or under one it may not write (EACCES):
 * then the first missing directory is made alone, whose error is the cause.
 */
export async function makeDirectory(dir: string, mode: number): Promise<void> {
	try {
		await fs.mkdir(dir, {recursive: true, mode});
		return;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
		let missing = path.resolve(dir);
		for (;;) {
			const parent = path.dirname(missing);
			if (parent === missing) throw error;
			if (await fs.stat(parent).then(() => true, () => false)) break;
			missing = parent;
		}
		// Throws the real cause; if it works now (made meanwhile), the whole path is tried again.
		await fs.mkdir(missing, {mode}).catch((cause: NodeJS.ErrnoException) => {
			if (cause.code !== 'EEXIST') throw cause;
		});
	}
	await fs.mkdir(dir, {recursive: true, mode});
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
	} catch (error) {
		// A full disk (ENOSPC) or a write error: the half-written temp file goes, the old file stays.
		await handle.close().catch(() => {});
		await fs.rm(temp, {force: true}).catch(() => {});
		throw error;
	}
	await handle.close();
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
