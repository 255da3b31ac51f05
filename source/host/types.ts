/**
 * The Host seam: everything the wizard learns from or does to a machine goes
 * through this interface. `LocalHost` acts on the machine the wizard runs on;
 * `SimulatedHost` plays a scenario file. The UI never sees a Host.
 */

export type {CommandSpec, CommandTarget} from '../shared/command.ts';
import type {CommandSpec} from '../shared/command.ts';
import {shellQuote} from '../shared/shell.ts';

export {shellQuote};

/**
 * Whole lines of a command's output, as many as arrived together, as UTF-8
 * bytes: lines separated by "\n" (CR-LF made "\n"), no final newline, so
 * `chunkLines(chunk)` gives the lines. Only a stream's last chunk may end in
 * an unfinished line. A line never spans two chunks, so neither does a
 * secret printed on one line.
 *
 * Bytes, not a string: 2,000,000 lines of apt pass through without V8 ever
 * holding them; only the few lines on screen are decoded. `bytes` is valid
 * only during the call of `onOutput` (a host reads the next output into the
 * same memory): copy what is kept.
 */
export type OutputChunk = {stream: 'stdout' | 'stderr'; bytes: Buffer};

/** A chunk's lines as one string, joined with "\n". */
export function chunkText(chunk: OutputChunk): string {
	return chunk.bytes.toString('utf8');
}

/** A chunk's lines. */
export function chunkLines(chunk: OutputChunk): string[] {
	return chunkText(chunk).split('\n');
}

export type RunOptions = {
	/** Called with output as it arrives, for live display and the transcript: whole lines, many per call. */
	onOutput?: (chunk: OutputChunk) => void;
	/**
	 * How much of stdout/stderr to keep in the result: 'all' for probes whose
	 * output is parsed, 'tail' (last 64 KiB) for bulk commands like apt.
	 */
	capture?: 'all' | 'tail';
	/** Text written to the command's standard input, then closed. */
	input?: string;
	/**
	 * Names the run (e.g. "backup.0": the step and the command's place in
	 * it). A host that keeps run records does not start a command again
	 * whose record says it finished, and follows one that is still running.
	 */
	key?: string;
	/**
	 * For an interactive command: watch its output for dpkg's (and ucf's)
	 * questions about configuration files and show this advice at each.
	 */
	conffileAdvice?: Array<{files: string[]; answer: string; why: string}>;
	/**
	 * What the host says about the run that is not the command's output,
	 * e.g. that it waits for another apt holding the package locks.
	 */
	onNotice?: (text: string) => void;
	/** Text to mask (***) in what the host keeps of the output once the command ended (run records). */
	mask?: readonly string[];
};

/** What a host knows of a command it started under a key, e.g. after the wizard was restarted. */
export type RunRecord = {
	key: string;
	argv: string[];
	state: 'running' | 'finished' | 'lost';
	/** When finished. */
	exitCode: number | null;
	/** The last lines of its output. */
	tail: string[];
	/** When it started (ISO), when the record says. */
	startedAt?: string;
	/** The shell that runs it, and its process group. */
	pid?: number;
	pgid?: number;
	/** It runs (ran) on the terminal, under script(1). */
	interactive?: boolean;
};

export type CommandResult = {
	/** Exit status; 127 when the program does not exist or is not simulated. */
	exitCode: number;
	stdout: string;
	stderr: string;
	/** ISO times, for the transcript. */
	startedAt: string;
	endedAt: string;
};

export type FileInfo = {
	size: number;
	/** Modification time, milliseconds since the epoch. */
	mtimeMs: number;
	isFile: boolean;
	isDirectory: boolean;
};

/** Figures of the file system holding a path, from statfs. */
export type DiskSpace = {
	/** Bytes of the whole file system. */
	totalBytes: number;
	/** Bytes an unprivileged user may still write (f_bavail * f_bsize). */
	availableBytes: number;
	/** Bytes free including those reserved for root (f_bfree * f_bsize). */
	freeBytes: number;
};

export type Identity = {uid: number; user: string; hostname: string};

export interface Host {
	/** 'local' acts on this machine; 'simulated' plays a scenario; 'ssh' reaches a server with OpenSSH. */
	readonly kind: 'local' | 'simulated' | 'ssh';
	/** One line for the header, e.g. "pmg1.example.lan (simulated)". */
	readonly label: string;

	/** Run a command with captured, streamed output. Never throws for a non-zero exit. */
	run(command: CommandSpec, options?: RunOptions): Promise<CommandResult>;
	/**
	 * Run a command that talks to the operator on the terminal (apt's and
	 * dpkg's questions). The caller has released the terminal first.
	 */
	runInteractive(command: CommandSpec, options?: RunOptions): Promise<CommandResult>;
	/**
	 * A host that answers the questions of a command itself (a simulated
	 * host whose scenario says so): such a command needs no terminal.
	 */
	readonly answersItself?: boolean;
	/**
	 * PureMessage on a simulated deployment: what the product's size check
	 * reports on each server, by name (the scenario plays it; the vendor
	 * procedure names no command). Real hosts have none.
	 */
	readonly sizeCheck?: Readonly<Record<string, string>>;
	/**
	 * A command line on the host for the trainee (a simulated host): on the
	 * terminal the caller handed over, or, without one, the scenario's own
	 * solution typed. Returns the command lines that ran.
	 */
	shell?(options: {terminal: boolean; note?: (text: string) => void; onOutput?: (chunk: OutputChunk) => void}): Promise<string[]>;
	/** Records of keyed runs whose key starts with `prefix` (hosts that keep them). */
	runRecords?(prefix: string): Promise<RunRecord[]>;
	/** Forget the finished records whose key does not start with `keepPrefix`. */
	clearRuns?(keepPrefix: string): Promise<void>;
	/** Mask `secrets` in the output kept of runs that ended (hosts that keep run records). */
	maskRuns?(secrets: readonly string[]): Promise<void>;

	/** File contents as text, or null when the file does not exist. */
	readFile(path: string): Promise<string | null>;
	/** Write atomically: temp file, fsync, rename, directory fsync. */
	writeFile(path: string, content: string, mode?: number): Promise<void>;
	/** Remove a file; no error when it is already gone. */
	removeFile(path: string): Promise<void>;
	/** Create a directory and its parents (mode for those it creates); absent where directories need no making. */
	makeDir?(path: string, mode: number): Promise<void>;
	/** Entry names in a directory (not paths), sorted; [] when it does not exist. */
	listDir(path: string): Promise<string[]>;
	/** Stat a path, or null when it does not exist. */
	stat(path: string): Promise<FileInfo | null>;
	/** Disk figures of the file system that holds `path`. */
	diskSpace(path: string): Promise<DiskSpace>;

	/** The environment commands run with (before a CommandSpec's changes). */
	env(): Record<string, string>;
	identity(): Promise<Identity>;
	/** Identity of the current boot; changes on every boot (also of a container, see boot-id.ts). */
	bootId(): Promise<string>;
	/** Milliseconds since the epoch (a simulated host may run its own clock). */
	now(): number;
}

/** The exact command line shown to the operator before a command runs. */
/**
 * Environment variables whose values are never shown or logged: a word of
 * the name (between `_`) ends in PASSWORD, PASSWD, PASSPHRASE, PASS, SECRET,
 * TOKEN, KEY or CREDENTIAL(S) (PGPASSWORD, API_KEY; not KEYBOARD, PWD). See
 * source/host/secrets.ts.
 */
export const SECRET_NAME = /(?:^|_)[A-Za-z0-9]*(?:PASSWORD|PASSWD|PASSPHRASE|PASS|SECRET|TOKEN|KEY|CREDENTIALS?)(?:_|$)/i;

export function displayCommand(command: CommandSpec): string {
	const env = Object.entries(command.env ?? {});
	const unset = env.filter(([, v]) => v === null).map(([k]) => k);
	const set = env
		.filter(([, v]) => v !== null)
		.map(([k, v]) => `${k}=${SECRET_NAME.test(k) ? '***' : shellQuote(v as string)}`);
	const prefix: string[] = [];
	if (unset.length > 0) prefix.push('env', ...unset.map(name => `-u ${name}`));
	else if (set.length > 0) prefix.push('env');
	prefix.push(...set);
	return [...prefix, ...command.argv.map(shellQuote)].join(' ');
}
