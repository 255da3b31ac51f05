/**
 * A server reached with the system's OpenSSH client: every command is
 * `ssh -o BatchMode=yes ... destination -- 'quoted' 'argv'`, started from an
 * argument vector (no local shell), key-based (BatchMode never asks for a
 * password). The remote side gets one string for its shell: each argument is
 * quoted for it with shellQuote, so spaces, quotes, `$()` and `;` arrive as
 * written. Files are read and written with cat, sh and mv on the server.
 */
import {spawn} from 'node:child_process';
import {StringDecoder} from 'node:string_decoder';
import {isPackageCommand, PACKAGE_LOCKS, runDirName, TAIL_BYTES, wholeLines, type LockHolder} from './local-host.ts';
import {sshArgv, type SshTarget} from './ssh-command.ts';
import {type CommandResult, type CommandSpec, type DiskSpace, type FileInfo, type Host, type Identity, type RunOptions, type RunRecord} from './types.ts';
import {bootIdentity} from './boot-id.ts';

export type SshHostOptions = {
	/** More ssh options, e.g. ['-o', 'UserKnownHostsFile=/tmp/x'] (tests). */
	extra?: string[];
	/** The ssh program (default: ssh from PATH). */
	program?: string;
	/** The files apt and dpkg lock on the server (default PACKAGE_LOCKS; tests use others). */
	packageLocks?: string[];
	/** Between two looks at the locks while another apt holds them (ms, default 2000). */
	lockPollMs?: number;
	/** Where keyed runs leave their records on the server (default /var/lib/upgrade-wizard/runs). */
	runDir?: string;
};

/** The small shell's record of itself on the server, as on this machine: "pid pgid start". */
const RECORD_SELF = '(umask 077; read -r l </proc/$$/stat; l=${l##*) }; set -- $l; echo "$$ $3 ${20}" >"$d/status.pid")';

/**
 * Start a keyed run on the server so that it outlives the connection (and
 * the wizard): in a session of its own (setsid), its output to files in its
 * run directory, its exit status written next to them when it ends. Then
 * FOLLOW_RUN. Arguments: the run directory, the record's command line (JSON), the argv.
 */
const START_RUN = [
	'd=$1; meta=$2; shift 2',
	'umask 077; rm -rf "$d"; mkdir -p "$d" || exit 125; printf "%s\\n" "$meta" >"$d/command"; : >"$d/stdout"; : >"$d/stderr"',
	`setsid sh -c 'd=$1; shift; ${RECORD_SELF.replaceAll("'", `'"'"'`)}; "$@" >"$d/stdout" 2>"$d/stderr" </dev/null; st=$?; (umask 077; echo $st >"$d/status.tmp"); mv "$d/status.tmp" "$d/status"' sh "$d" "$@" </dev/null >/dev/null 2>&1 &`,
	'n=0; while [ ! -s "$d/status.pid" ] && [ $n -lt 200 ]; do n=$((n+1)); sleep 0.05; done',
].join('\n');

/**
 * Follow a keyed run on the server from its start until its shell is gone:
 * its stdout to ours, its stderr to ours, then its exit status as ours
 * (254 when it ended without one: cut off). Argument: the run directory.
 */
const FOLLOW_RUN = [
	'd=$1',
	'set -- $(cat "$d/status.pid" 2>/dev/null); p=${1:-0}',
	'tail -c +1 -s 0.2 -f --pid=$p "$d/stdout" & t=$!',
	'tail -c +1 -s 0.2 -f --pid=$p "$d/stderr" >&2',
	'wait $t',
	'[ -s "$d/status" ] && exit $(cat "$d/status")',
	'exit 254',
].join('\n');

/**
 * Every run record under a directory on the server, as blocks: "@@ name",
 * "command <json>", "status <n>", "pid <pid> <pgid> <start>", "alive 0|1",
 * then its last lines of output, each after "| ". Argument: the directory.
 */
const LIST_RUNS = [
	'for d in "$1"/run-*; do',
	'  [ -f "$d/command" ] || continue',
	'  echo "@@ ${d##*/}"; echo "command $(head -n 1 "$d/command")"; echo "status $(cat "$d/status" 2>/dev/null)"',
	'  r=$(cat "$d/status.pid" 2>/dev/null); echo "pid $r"; a=0',
	'  set -- $r',
	'  if [ -n "$1" ] && read -r l </proc/$1/stat 2>/dev/null; then l=${l##*) }; s=$3; set -- $l; [ "$1" != Z ] && [ "${20}" = "$s" ] && a=1; fi',
	'  echo "alive $a"',
	'  tail -n 5 "$d/stdout" 2>/dev/null | sed "s/^/| /"',
	'done',
].join('\n');

/**
 * Run on the server: for each lock file given, the processes that hold a
 * lock on it, from the kernel's table (/proc/locks: "1: POSIX ADVISORY
 * WRITE <pid> <major>:<minor>:<inode> 0 EOF", major and minor in hex), as
 * lines "<file>\t<pid>\t<command line>". The lock is never taken to test it.
 */
const LOCK_HOLDERS = [
	'for f in "$@"; do',
	'  s=$(stat -c "%d %i" -- "$f" 2>/dev/null) || continue',
	'  for pid in $(awk -v s="$s" \'function hex(h,  i, n) { n = 0; h = tolower(h); for (i = 1; i <= length(h); i++) n = n * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1; return n }',
	'    BEGIN { split(s, a, " "); dev = a[1]; ino = a[2]; maj = int(dev / 256) % 4096; min = dev % 256 + int(dev / 1048576) * 256 }',
	'    $2 ~ /^(POSIX|FLOCK|OFDLCK)$/ { split($6, d, ":"); if (d[3] == ino && hex(d[1]) == maj && hex(d[2]) == min && !seen[$5]++) print $5 }\' /proc/locks); do',
	// One line, not too long: a command line can hold a whole script.
	'    c=$(tr "\\0\\n\\t" "   " </proc/$pid/cmdline 2>/dev/null | tr -s " " | cut -c1-120)',
	'    printf "%s\\t%s\\t%s\\n" "$f" "$pid" "${c:-unknown}"',
	'  done',
	'done',
].join('\n');

/** ssh's own exit status when the connection or authentication failed. */
export const SSH_FAILED = 255;

/** `env -u NAME NAME=value cmd`: a command's environment changes, done on the server. */
function withEnv(command: CommandSpec): string[] {
	const env = Object.entries(command.env ?? {});
	const prefix = env.length > 0 ? ['env', ...env.flatMap(([k, v]) => (v === null ? ['-u', k] : [`${k}=${v}`]))] : [];
	const argv = [...prefix, ...command.argv];
	return command.cwd ? ['sh', '-c', 'cd "$1" && shift && exec "$@"', 'sh', command.cwd, ...argv] : argv;
}

export class SshHost implements Host {
	readonly kind = 'ssh' as const;
	readonly label: string;

	constructor(
		readonly target: SshTarget,
		private readonly options: SshHostOptions = {},
		label?: string,
	) {
		this.label = label ?? `${target.destination} (ssh)`;
	}

	/** The exact local argv that runs `argv` on the server: shown to the operator before it runs. */
	argvFor(argv: string[], tty = false): string[] {
		const full = sshArgv(this.target, argv, {tty, ...(this.options.extra ? {extra: this.options.extra} : {})});
		return this.options.program ? [this.options.program, ...full.slice(1)] : full;
	}

	/** Who holds apt's and dpkg's locks on the server (see LOCK_HOLDERS); none when that cannot be read. */
	async lockHolders(): Promise<LockHolder[]> {
		const result = await this.spawnRun({argv: ['sh', '-c', LOCK_HOLDERS, 'sh', ...(this.options.packageLocks ?? PACKAGE_LOCKS)]}, {capture: 'all'});
		if (result.exitCode !== 0) return [];
		return result.stdout
			.split('\n')
			.filter(l => l !== '')
			.map(l => {
				const [file = '', pid = '', ...rest] = l.split('\t');
				const command = rest.join('\t').trim();
				return {file, pid: Number(pid), command: Number(pid) > 0 ? command || 'unknown' : 'a process of another namespace (open file description lock)'};
			});
	}

	/**
	 * Before apt or dpkg on the server: while another process holds the
	 * package locks there, name it and wait, instead of starting a second one.
	 */
	private async waitForPackageLocks(command: CommandSpec, options: RunOptions): Promise<void> {
		if (!isPackageCommand(command.argv)) return;
		let said = '';
		for (;;) {
			const holders = await this.lockHolders();
			if (holders.length === 0) {
				if (said !== '') options.onNotice?.(`the package locks on ${this.target.destination} are free now: starting`);
				return;
			}
			const text = `waiting: on ${this.target.destination}, ${holders.map(h => `${h.file} is held by pid ${h.pid} (${h.command})`).join('; ')}; ${command.argv[0]} starts when it is released`;
			if (text !== said) {
				options.onNotice?.(text);
				said = text;
			}
			await new Promise(resolve => setTimeout(resolve, this.options.lockPollMs ?? 2000));
		}
	}

	async run(command: CommandSpec, options: RunOptions = {}): Promise<CommandResult> {
		if (!options.key || options.input !== undefined) {
			await this.waitForPackageLocks(command, options);
			return this.spawnRun(command, options);
		}
		// A keyed run leaves a record on the server and outlives the connection: a
		// wizard started again follows it (or reads how it ended) instead of starting it twice.
		const dir = `${this.runDir}/${runDirName(options.key)}`;
		const record = (await this.runRecords(options.key)).find(r => r.key === options.key);
		if (record && record.state !== 'lost' && record.argv.length === command.argv.length && record.argv.every((a, i) => a === command.argv[i])) {
			if (record.state === 'running') options.onNotice?.(`following the run started ${record.startedAt ?? 'earlier'} on ${this.target.destination}${record.pid ? ` (pid ${record.pid})` : ''}`);
			return this.spawnRun({argv: ['sh', '-c', FOLLOW_RUN, 'sh', dir]}, options, record.startedAt);
		}
		await this.waitForPackageLocks(command, options);
		const startedAt = new Date().toISOString();
		const meta = JSON.stringify({key: options.key, argv: command.argv, startedAt});
		return this.spawnRun({argv: ['sh', '-c', `${START_RUN}\n${FOLLOW_RUN.replace('d=$1', '')}`, 'sh', dir, meta, ...withEnv(command)]}, options, startedAt);
	}

	private get runDir() {
		return this.options.runDir ?? '/var/lib/upgrade-wizard/runs';
	}

	/** The records of keyed runs on the server whose key starts with `prefix`. */
	async runRecords(prefix: string): Promise<RunRecord[]> {
		const result = await this.spawnRun({argv: ['sh', '-c', LIST_RUNS, 'sh', this.runDir]}, {capture: 'all'});
		if (result.exitCode !== 0) return [];
		const records: RunRecord[] = [];
		let current: (RunRecord & {alive?: boolean; status?: number}) | null = null;
		for (const line of result.stdout.split('\n')) {
			if (line.startsWith('@@ ')) {
				current = null;
				continue;
			}
			if (line.startsWith('command ')) {
				try {
					const meta = JSON.parse(line.slice(8)) as {key: string; argv: string[]; startedAt?: string};
					current = {key: meta.key, argv: meta.argv, state: 'lost', exitCode: null, tail: [], ...(meta.startedAt ? {startedAt: meta.startedAt} : {})};
					if (meta.key.startsWith(prefix)) records.push(current);
				} catch {
					current = null;
				}
				continue;
			}
			if (!current) continue;
			if (line.startsWith('status ')) {
				const status = Number.parseInt(line.slice(7), 10);
				if (Number.isInteger(status)) Object.assign(current, {state: 'finished', exitCode: status});
			} else if (line.startsWith('pid ')) {
				const [pid, pgid] = line.slice(4).trim().split(' ').map(n => Number.parseInt(n, 10));
				if (Number.isInteger(pid)) current.pid = pid!;
				if (Number.isInteger(pgid)) current.pgid = pgid!;
			} else if (line === 'alive 1' && current.state !== 'finished') current.state = 'running';
			else if (line.startsWith('| ')) current.tail.push(line.slice(2));
		}
		return records;
	}

	/** Forget the records on the server that no longer run and whose key does not start with `keepPrefix`. */
	async clearRuns(keepPrefix: string): Promise<void> {
		const gone = (await this.runRecords('')).filter(r => !r.key.startsWith(keepPrefix) && r.state !== 'running');
		if (gone.length > 0) await this.spawnRun({argv: ['rm', '-rf', '--', ...gone.map(r => `${this.runDir}/${runDirName(r.key)}`)]}, {capture: 'all'});
	}

	private spawnRun(command: CommandSpec, options: RunOptions = {}, since?: string): Promise<CommandResult> {
		const startedAt = since ?? new Date().toISOString();
		const [program, ...args] = this.argvFor(withEnv(command));
		return new Promise(resolve => {
			const child = spawn(program!, args, {stdio: ['pipe', 'pipe', 'pipe'], detached: true});
			const keep = options.capture === 'tail' ? (s: string) => (s.length > TAIL_BYTES ? s.slice(-TAIL_BYTES) : s) : (s: string) => s;
			let stdout = '';
			let stderr = '';
			const out = wholeLines(bytes => options.onOutput?.({stream: 'stdout', bytes}));
			const err = wholeLines(bytes => options.onOutput?.({stream: 'stderr', bytes}));
			const outText = new StringDecoder('utf8');
			const errText = new StringDecoder('utf8');
			child.stdout.on('data', (d: Buffer) => {
				stdout = keep(stdout + outText.write(d));
				out.write(d);
			});
			child.stderr.on('data', (d: Buffer) => {
				stderr = keep(stderr + errText.write(d));
				err.write(d);
			});
			child.stdin.on('error', () => undefined);
			child.stdin.end(options.input ?? '');
			const done = (exitCode: number) => {
				stdout = keep(stdout + outText.end());
				stderr = keep(stderr + errText.end());
				out.end();
				err.end();
				resolve({exitCode, stdout, stderr, startedAt, endedAt: new Date().toISOString()});
			};
			child.on('error', error => {
				stderr += `${program}: ${error.message}\n`;
				done(127);
			});
			child.on('close', (code, signal) => done(code ?? (signal ? 128 + 15 : 1)));
		});
	}

	/** On the terminal with -t: pmx-setup's questions reach the operator. */
	async runInteractive(command: CommandSpec, options: RunOptions = {}): Promise<CommandResult> {
		await this.waitForPackageLocks(command, options);
		const startedAt = new Date().toISOString();
		const [program, ...args] = this.argvFor(withEnv(command), true);
		return new Promise(resolve => {
			const child = spawn(program!, args, {stdio: 'inherit'});
			child.on('error', () => resolve({exitCode: 127, stdout: '', stderr: '', startedAt, endedAt: new Date().toISOString()}));
			child.on('close', code => resolve({exitCode: code ?? 1, stdout: '', stderr: '', startedAt, endedAt: new Date().toISOString()}));
		});
	}

	private async must(argv: string[], input?: string): Promise<string> {
		const result = await this.spawnRun({argv}, {capture: 'all', ...(input !== undefined ? {input} : {})});
		if (result.exitCode !== 0) throw new Error(`on ${this.target.destination}: ${argv.join(' ')} exited ${result.exitCode}: ${result.stderr.trim().split('\n').pop() ?? ''}`);
		return result.stdout;
	}

	async readFile(path: string): Promise<string | null> {
		// Exit 3: the file is not there; anything else that fails is an error.
		const result = await this.run({argv: ['sh', '-c', 'test -e "$1" || exit 3; exec cat -- "$1"', 'sh', path]}, {capture: 'all'});
		if (result.exitCode === 3) return null;
		if (result.exitCode !== 0) throw new Error(`on ${this.target.destination}: cannot read ${path}: ${result.stderr.trim()}`);
		return result.stdout;
	}

	/** Temp file beside it, sync, rename: a cut connection leaves the old or the new content. */
	async writeFile(path: string, content: string, mode?: number): Promise<void> {
		const script = 't="$1.upgrade-wizard.$$"; cat >"$t" && { [ -z "$2" ] || chmod "$2" "$t"; } && sync "$t" 2>/dev/null; mv -f "$t" "$1" || { rm -f "$t"; exit 1; }';
		await this.must(['sh', '-c', script, 'sh', path, mode === undefined ? '' : mode.toString(8)], content);
	}

	async removeFile(path: string): Promise<void> {
		await this.must(['rm', '-f', '--', path]);
	}

	async makeDir(path: string, mode: number): Promise<void> {
		await this.must(['mkdir', '-p', '-m', mode.toString(8), '--', path]);
	}

	async listDir(path: string): Promise<string[]> {
		const result = await this.run({argv: ['ls', '-1A', '--', path]}, {capture: 'all'});
		if (result.exitCode !== 0) return [];
		return result.stdout.split('\n').filter(l => l !== '').sort();
	}

	async stat(path: string): Promise<FileInfo | null> {
		const result = await this.run({argv: ['stat', '-c', '%s %Y %F', '--', path]}, {capture: 'all'});
		if (result.exitCode !== 0) {
			if (/No such file/i.test(result.stderr)) return null;
			throw new Error(`on ${this.target.destination}: stat ${path}: ${result.stderr.trim()}`);
		}
		const [size, mtime, ...type] = result.stdout.trim().split(' ');
		const kind = type.join(' ');
		return {size: Number(size), mtimeMs: Number(mtime) * 1000, isFile: kind.startsWith('regular'), isDirectory: kind === 'directory'};
	}

	/** statfs on the server: block size, blocks, available to users, free. */
	async diskSpace(path: string): Promise<DiskSpace> {
		const [bsize, blocks, bavail, bfree] = (await this.must(['stat', '-f', '-c', '%S %b %a %f', '--', path])).trim().split(' ').map(Number);
		return {totalBytes: blocks! * bsize!, availableBytes: bavail! * bsize!, freeBytes: bfree! * bsize!};
	}

	/** What the commands run with is the server's login environment, not this one's. */
	env(): Record<string, string> {
		return {};
	}

	async identity(): Promise<Identity> {
		const [uid, user, hostname] = (await this.must(['sh', '-c', 'id -u; id -un; hostname'])).trim().split('\n');
		return {uid: Number(uid), user: user ?? '', hostname: hostname ?? ''};
	}

	/** The kernel's boot id with a marker under /run: see boot-id.ts (a container keeps its host's boot id). */
	async bootId(): Promise<string> {
		return bootIdentity(this);
	}

	now(): number {
		return Date.now();
	}
}
