/**
 * Binds a machine to a host: provides the actors that run commands, apply
 * file changes and probe, saves the snapshot after every transition, and
 * writes the transcript. The UI gets the actor and the live output from here
 * and never touches the host.
 */
import {createActor, type Actor, type AnyStateMachine, type SnapshotFrom} from 'xstate';
import {countLines} from '../host/bytes.ts';
import {LineMasker, maskDeep, maskText, secretValues} from '../host/secrets.ts';
import {displayCommand, type Host, type OutputChunk, type RunRecord} from '../host/types.ts';
import {bindRuntime, maskLines, unmaskLines, wizardBackupPath, type CommandTarget, type FileChange, type OperatorEvent, type RunSummary, type StepCommand} from '../../machines/kit.ts';
import {describeFailures, isNeededRepository, parseAptUpdate} from '../probes/apt-update.ts';
import {terminalBytes} from '../probes/ansi.ts';
import {OutputBuffer} from './output.ts';
import type {StateStore} from './store.ts';
import {notRunAgainNote, redactBytes, type Transcript} from './transcript.ts';

/** Hands the real terminal to an interactive command and takes it back. */
export type Terminal = {
	suspend(): Promise<void>;
	/** Take the terminal back; `finished` says which command ended and how. */
	resume(finished?: {display: string; exitCode: number}): Promise<void>;
};

export type ProbeEnv = {
	/** The wizard process's own environment (is it inside tmux?). */
	processEnv: NodeJS.ProcessEnv;
	/** The command that starts this wizard again inside tmux, as argv. */
	relaunch?: string[];
	/** The Host of a server of a multi-server deployment (PureMessage). */
	hostFor?: HostFor;
	/** The deployment file named on the command line, if any. */
	deployment?: string;
	/** Writes a check's command with all its output and exit status to the transcript (a vendor's checklist). */
	record?: (display: string, result: {exitCode: number; stdout: string; stderr: string}) => Promise<void>;
	/** How the other nodes of a cluster are reached over OpenSSH (--ssh-config, --ssh-identity). */
	ssh?: ClusterSsh;
};

/** An ssh config file (-F) and a key file (-i) for the other nodes of a cluster, as given on the command line. */
export type ClusterSsh = {config: string | null; identity: string | null};

/** Gives the Host a command's target server is reached through (this machine, SSH, a simulated server). */
export type HostFor = (target: CommandTarget) => Promise<Host>;

export type ProbeFn = (host: Host, context: any, env: ProbeEnv) => Promise<Record<string, unknown>>;

export type WizardOptions = {
	machine: AnyStateMachine;
	host: Host;
	store: StateStore;
	transcript: Transcript;
	probes: Record<string, ProbeFn>;
	/** Show everything, execute nothing that changes the host. */
	dryRun?: boolean;
	terminal?: Terminal;
	/** The wizard process's own environment (is it inside tmux?). */
	processEnv?: NodeJS.ProcessEnv;
	/** A saved snapshot to resume from. */
	snapshot?: unknown;
	/** The command that starts this wizard again inside tmux, as argv. */
	relaunch?: string[];
	/** For commands that name a server: the Host that reaches it. */
	hostFor?: HostFor;
	/** The deployment file named on the command line, for the probes. */
	deployment?: string;
	/** How the other nodes of a cluster are reached, for the probes. */
	ssh?: ClusterSsh;
};

export type StepPosition = {step: string; screen: string | null};

/** Where a snapshot stands: the top-level step and the screen inside it. */
export function position(value: unknown): StepPosition {
	if (typeof value === 'string') return {step: value, screen: null};
	const [step, inner] = Object.entries(value as Record<string, unknown>)[0] ?? ['', null];
	return {step, screen: typeof inner === 'string' ? inner : inner ? position(inner).step : null};
}

/**
 * Why a saved snapshot cannot be restored into `machine`, or null: its place
 * names a step or screen the machine does not have (a hand-edited or foreign
 * file), or the machine cannot resolve it. Read before the actor is made:
 * such a place made every start crash.
 */
export function snapshotProblem(machine: AnyStateMachine, snapshot: unknown): string | null {
	const value = (snapshot as {value?: unknown} | null)?.value;
	if (value === undefined || value === null || (typeof value !== 'string' && typeof value !== 'object')) return 'it holds no saved step';
	const walk = (node: {states: Record<string, any>}, v: unknown, where: string[]): string | null => {
		const entries: Array<[string, unknown]> = typeof v === 'string' ? [[v, null]] : Object.entries(v as Record<string, unknown>);
		if (entries.length === 0) return where.length === 0 ? 'it holds no saved step' : null;
		for (const [name, inner] of entries) {
			const child = Object.hasOwn(node.states, name) ? node.states[name] : undefined;
			if (!child) return where.length === 0 ? `it names the step ${JSON.stringify(name)}, which these steps do not have` : `it names the screen ${JSON.stringify(name)} of step ${JSON.stringify(where[0])}, which that step does not have`;
			if (inner !== null && inner !== undefined && typeof inner !== 'string' && typeof inner !== 'object') return `its place ${JSON.stringify(name)} is not a step`;
			if (inner !== null && inner !== undefined) {
				const problem = walk(child, inner, [...where, name]);
				if (problem) return problem;
			}
		}
		return null;
	};
	const problem = walk(machine.root as never, value, []);
	if (problem) return problem;
	try {
		const context = (snapshot as {context?: unknown}).context;
		if (context !== undefined && (typeof context !== 'object' || context === null)) return 'its facts (context) are not an object';
		createActor(machine, {snapshot: interruptedSnapshot(machine, snapshot) as never, input: {startedAt: 0}});
	} catch (error) {
		return `it cannot be restored (${(error as Error).message})`;
	}
	return null;
}

/**
 * A snapshot saved while a command ran would start that command again on
 * restore. Land on the step's `interrupted` screen instead: the operator sees
 * that it was cut off and decides whether to run it again.
 */
export function interruptedSnapshot(machine: AnyStateMachine, saved: any): any {
	const {step, screen} = position(saved?.value);
	const node = machine.root.states[step];
	const screenNode = screen ? node?.states[screen] : undefined;
	const runs = screenNode?.invoke.some(i => i.src === 'runCommands' || i.src === 'applyChanges');
	if (!node || !runs) return saved;
	const target = node.states.interrupted ? 'interrupted' : node.states.blocked ? 'blocked' : 'review';
	return {...saved, value: {[step]: target}, children: {}};
}

/**
 * `bytes` (lines joined with "\n") without as many first lines as `skip`
 * still counts for `stream`, which counts down; null when none is left.
 */
export function skipLines(bytes: Buffer, skip: {stdout: number; stderr: number}, stream: 'stdout' | 'stderr'): Buffer | null {
	const left = skip[stream];
	if (left <= 0) return bytes;
	const lines = countLines(bytes);
	if (lines <= left) {
		skip[stream] = left - lines;
		return null;
	}
	let at = -1;
	for (let n = 0; n < left; n++) at = bytes.indexOf(0x0a, at + 1);
	skip[stream] = 0;
	return bytes.subarray(at + 1);
}

/** What became of one command of a step the wizard was stopped in (see Wizard.interruptedRuns). */
export type CommandFate = {
	display: string;
	argv: string[];
	/**
	 * finished: its exit status is known; running: its process is alive;
	 * cut off: it started and ended without an exit status; unknown: it
	 * started on a server over SSH and may still run there; not started.
	 */
	state: 'finished' | 'running' | 'cut off' | 'unknown' | 'not started';
	exitCode: number | null;
	/** Where that was read: the host's run record or the transcript. */
	from: 'record' | 'transcript' | null;
	/** Where the run record is, for the screen: runs/ beside the saved place, or on a server. */
	recordIn?: string;
	pid?: number;
	/** Its duration, from the transcript's exit status line. */
	seconds?: number | null;
	/** The last lines of its output (from a run record). */
	tail: string[];
};

const sameArgv = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export class Wizard {
	readonly output = new OutputBuffer();
	readonly actor: Actor<AnyStateMachine>;
	/** Set when the last transition was the reboot command finishing. */
	rebooting = false;
	/** Set by the CLI once the screen exists: interactive commands borrow it. */
	terminal: Terminal | undefined;
	private saving: Promise<void> = Promise.resolve();
	private lastPosition = '';
	private saveError: Error | null = null;
	private readonly options: WizardOptions;
	/**
	 * The values of the secret variables of every environment commands get
	 * (the host's, a command's own): masked in the output on screen, the
	 * transcript, the saved place and the run records. Longest first.
	 */
	private secrets: string[] = [];

	constructor(options: WizardOptions) {
		this.options = options;
		this.terminal = options.terminal;
		const {machine, host} = options;
		this.addSecrets(host.env());
		const snapshot = options.snapshot ? interruptedSnapshot(machine, options.snapshot) : undefined;
		this.actor = createActor(machine, {
			input: {startedAt: host.now()},
			...(snapshot ? {snapshot} : {}),
		});
		// What the machine's actors do, for this wizard only (nothing runs before start()).
		bindRuntime(this.actor.system, {
			runCommands: input => this.runCommands(input.step, input.commands, input.run ?? 0),
			applyChanges: input => this.applyChanges(input.step, input.changes),
			probe: async input => {
				const probe = options.probes[input.probe];
				if (!probe) throw new Error(`no probe named ${input.probe}`);
				return probe(host, input.context, {
					processEnv: options.processEnv ?? process.env,
					...(options.relaunch ? {relaunch: options.relaunch} : {}),
					...(options.hostFor ? {hostFor: options.hostFor} : {}),
					...(options.deployment ? {deployment: options.deployment} : {}),
					record: async (display, result) => {
						const {transcript} = options;
						await transcript.note(`check: ${display}`);
						for (const [prefix, text] of [['| ', result.stdout], ['! ', result.stderr]] as const) {
							if (text !== '') await transcript.writeLines(prefix, redactBytes(terminalBytes(Buffer.from(text.replace(/\n$/, ''))), this.secrets));
						}
						await transcript.note(`exit status ${result.exitCode}: ${display}`);
					},
					...(options.ssh ? {ssh: options.ssh} : {}),
				});
			},
		});
		this.actor.subscribe({
			next: state => this.onTransition(state),
			error: error => void options.transcript.note(`machine error: ${String(error)}`),
		});
	}

	get host() {
		return this.options.host;
	}

	get dryRun() {
		return Boolean(this.options.dryRun);
	}

	/**
	 * For a step that was cut off while its commands ran: what became of each
	 * of its commands, from the host's run record (finished, still running,
	 * lost) or, on a host that keeps none, from the transcript (its `run:` and
	 * `exit status` lines after the step last started running). Read once,
	 * before the wizard starts: Enter then runs only what did not finish.
	 */
	async interruptedRuns(): Promise<CommandFate[]> {
		const snapshot = this.actor.getSnapshot();
		const {step, screen} = position(snapshot.value);
		if (screen !== 'interrupted') return [];
		const meta = this.options.machine.root.states[step]?.meta as {commands?: (context: unknown) => StepCommand[]} | undefined;
		let commands: StepCommand[];
		try {
			commands = meta?.commands?.(snapshot.context) ?? [];
		} catch {
			return [];
		}
		if (commands.length === 0) return [];
		const run = (snapshot.context as {runs?: number}).runs ?? 0;
		const transcribed = await this.options.transcript.runsSince(`at ${step}.running`);
		const fates: CommandFate[] = [];
		for (const [index, command] of commands.entries()) {
			const host = command.server && this.options.hostFor ? await this.options.hostFor(command.server).catch(() => this.options.host) : this.options.host;
			const display = displayCommand(command);
			const key = `${step}.${run}.${index}`;
			const record = host.runRecords ? (await host.runRecords(key)).find(r => r.key === key && sameArgv(r.argv, command.argv)) : undefined;
			const written = transcribed[index]?.display === display ? transcribed[index] : undefined;
			const fate: CommandFate = record
				? {
						display,
						argv: command.argv,
						state: record.state === 'lost' ? 'cut off' : record.state,
						exitCode: record.exitCode,
						from: 'record',
						recordIn: host.kind === 'ssh' ? `its run record on ${host.label}` : 'its run record in runs/ next to the saved place',
						...(record.pid ? {pid: record.pid} : {}),
						tail: maskText(record.tail.join('\n'), this.secrets).split('\n'),
					}
				: written
					? {
							display,
							argv: command.argv,
							// A simulated command ends with the wizard; one over SSH may run on without its client.
							state: written.exitCode !== null ? 'finished' : host.kind === 'ssh' ? 'unknown' : 'cut off',
							exitCode: written.exitCode,
							from: 'transcript',
							seconds: written.seconds,
							tail: [],
						}
					: {display, argv: command.argv, state: 'not started', exitCode: null, from: null, tail: []};
			fates.push(fate);
			// After one that did not finish, none ran.
			if (fate.state !== 'finished') {
				for (const rest of commands.slice(index + 1)) fates.push({display: displayCommand(rest), argv: rest.argv, state: 'not started', exitCode: null, from: null, tail: []});
				break;
			}
		}
		this.resumed = {step, run, fates};
		return fates;
	}

	/** What interruptedRuns found, for the run of the step it was read for. */
	private resumed: {step: string; run: number; fates: CommandFate[]} | null = null;

	/** Start (or resume) and tell the machine what it can only learn at start. */
	async start(): Promise<void> {
		// Records of runs a killed wizard left: no password stays in them.
		await this.options.host.maskRuns?.(this.secrets);
		this.actor.start();
		const {step, screen} = position(this.actor.getSnapshot().value);
		await this.options.transcript.note(`wizard started at ${step}${screen ? `.${screen}` : ''} on ${this.options.host.label}${this.dryRun ? ' (dry run)' : ''}`);
		if (step === 'reboot' && screen === 'waiting') {
			this.send({type: 'host.booted', bootId: await this.options.host.bootId()});
		}
		const env = this.options.processEnv ?? process.env;
		if (screen === 'relaunch' && (env.TMUX || env.STY)) this.send({type: 'host.session'} as never);
	}

	/** Send an operator event; decisions go to the transcript first. */
	send(event: OperatorEvent | {type: string}) {
		const e = event as Record<string, unknown>;
		const detail = ['reason', 'text', 'value']
			.filter(key => typeof e[key] === 'string')
			.map(key => `${key}=${JSON.stringify(e[key])}`)
			.join(' ');
		if (event.type !== 'operator.continue') void this.options.transcript.note(`${event.type}${detail ? ` ${detail}` : ''}`);
		// The simulated host's command line (training): not an event of the upgrade.
		if (event.type === 'operator.shell') {
			this.shelling = this.shelling.then(() => this.openShell());
			return;
		}
		this.actor.send(event as never);
	}

	/** Settles when the command line opened with ! was left. */
	shelling: Promise<void> = Promise.resolve();

	/** The terminal handed to the simulated host's command line until the trainee leaves it. */
	private async openShell(): Promise<void> {
		const {host, transcript} = this.options;
		if (!host.shell) return;
		const terminal = this.terminal;
		if (terminal) await terminal.suspend();
		try {
			await host.shell({
				terminal: Boolean(terminal),
				note: text => void transcript.note(text),
				onOutput: chunk => void transcript.writeLines(chunk.stream === 'stderr' ? '! ' : '| ', redactBytes(terminalBytes(chunk.bytes), this.secrets)),
			});
		} finally {
			if (terminal) await terminal.resume();
		}
	}

	/** Resolves when every snapshot so far is on disk; rejects if a write failed. */
	async flushed(): Promise<void> {
		await this.saving;
		if (this.saveError) throw this.saveError;
	}

	private onTransition(state: SnapshotFrom<AnyStateMachine>) {
		const {step, screen} = position(state.value);
		const where = `${step}.${screen ?? ''}`;
		if (where !== this.lastPosition) {
			void this.options.transcript.note(`at ${where}`);
			this.lastPosition = where;
		}
		// Output kept in the snapshot (a failed command's tail, a probe's findings) holds no password.
		const persisted = maskDeep(this.actor.getPersistedSnapshot(), this.secrets);
		this.saving = this.saving
			.then(() => this.options.store.save(persisted))
			.then(
				() => {
					this.saveError = null;
					this.setProblem(null);
				},
				(error: Error) => {
					this.saveError = error;
					this.setProblem(
						`The saved place could not be written (${error.message}). If the wizard stops now, it cannot resume here. ` +
							`Free space in ${this.options.store.dir} or make it writable; the wizard writes it again at the next step.`,
					);
				},
			);
	}

	private problemText: string | null = null;
	private readonly problemListeners = new Set<() => void>();
	/** A problem the operator must see now (the saved place cannot be written), for the screen. */
	readonly problem = {
		subscribe: (listener: () => void) => {
			this.problemListeners.add(listener);
			return () => void this.problemListeners.delete(listener);
		},
		get: () => this.problemText,
	};

	private setProblem(text: string | null) {
		if (text === this.problemText) return;
		this.problemText = text;
		for (const listener of this.problemListeners) listener();
	}

	private async runCommands(step: string, commands: StepCommand[], run: number): Promise<RunSummary> {
		const {transcript} = this.options;
		const terminal = this.terminal;
		const summary: RunSummary = {step, commands: [], failedIndex: null, tail: []};
		// Records of earlier runs are no longer needed; this run's are kept until the next.
		await this.options.host.clearRuns?.(`${step}.${run}.`);
		for (const [index, command] of commands.entries()) {
			// A command for a server of a deployment runs on that server's host.
			const host = command.server && this.options.hostFor ? await this.options.hostFor(command.server) : this.options.host;
			const display = displayCommand(command);
			// A password in the environment the command gets (the host's or its own) is shown nowhere, echoed or not.
			this.addSecrets({...host.env(), ...command.env});
			const secrets = this.secrets;
			const key = `${step}.${run}.${index}`;
			// Finished before the wizard stopped, on a host that keeps no run record
			// (the transcript has its exit status): not run again, its result counts.
			const before = this.resumed?.step === step && this.resumed.run === run ? this.resumed.fates[index] : undefined;
			if (!this.dryRun && before?.from === 'transcript' && before.state === 'finished' && before.exitCode !== null && before.display === display) {
				this.output.start(display);
				this.output.push(`(finished before the wizard stopped, exit status ${before.exitCode}: not run again)`);
				this.output.stop();
				await transcript.note(notRunAgainNote(before.exitCode, display));
				summary.commands.push({display, exitCode: before.exitCode, durationMs: (before.seconds ?? 0) * 1000, dryRun: false});
				if (before.exitCode !== 0) {
					summary.failedIndex = index;
					break;
				}
				continue;
			}
			// A run of this command that an earlier wizard started (it was killed, or
			// left on a signal): the host follows it instead of starting it again, and
			// the transcript goes on with it as one run.
			const earlier = this.dryRun ? undefined : await this.earlierRun(host, key, command.argv);
			const started = earlier?.startedAt ? Date.parse(earlier.startedAt) : Date.now();
			this.output.start(display);
			const seen = earlier ? await transcript.transcribed(display) : null;
			if (!seen) await transcript.note(`run${this.dryRun ? ' (dry run, not executed)' : ''}${command.server ? ` on ${command.server.name} (${host.label})` : ''}: ${display}`);
			if (earlier) {
				await transcript.note(
					earlier.state === 'running'
						? `following ${display}: started ${earlier.startedAt ?? 'earlier'} by the wizard before this one${earlier.pid ? ` (pid ${earlier.pid}, process group ${earlier.pgid ?? '?'})` : ''}, still running`
						: `${display} finished while no wizard ran: its output and exit status from its record`,
				);
			}
			// Lines the transcript already has (an earlier wizard wrote them) are not written again.
			const skip = {stdout: seen?.stdout ?? 0, stderr: seen?.stderr ?? 0};
			const pass = (stream: OutputChunk['stream'], bytes: Buffer) => {
				this.output.pushBytes(bytes);
				const rest = skipLines(bytes, skip, stream);
				if (rest) void transcript.writeLines(stream === 'stderr' ? '! ' : '| ', rest);
			};
			// A password of several lines is masked whole however the reads cut its lines apart.
			const maskers = {stdout: new LineMasker(() => secrets), stderr: new LineMasker(() => secrets)};
			const onOutput = (chunk: OutputChunk) => {
				// Text only for the screen and the transcript: no escape sequence of the command reaches the terminal.
				const bytes = maskers[chunk.stream].feed(terminalBytes(chunk.bytes));
				if (bytes) pass(chunk.stream, bytes);
			};
			const endOutput = () => {
				for (const stream of ['stdout', 'stderr'] as const) {
					const rest = maskers[stream].end();
					if (rest) pass(stream, rest);
				}
			};
			const onNotice = (text: string) => {
				this.output.push(`(${text})`);
				void transcript.note(text);
				if (command.interactive && terminal) process.stdout.write(`(${text})\n`);
			};
			let exitCode = 0;
			let unread: {needed: number; lines: string[]} | null = null;
			if (this.dryRun) {
				this.output.push(`(dry run) not executed: ${display}`);
			} else if (command.interactive && !host.answersItself && terminal) {
				// One that finished meanwhile needs the terminal no more: its record is read.
				const onTerminal = earlier?.state !== 'finished';
				if (onTerminal) await terminal.suspend();
				try {
					if (onTerminal) process.stdout.write(`\n$ ${display}\n`);
					exitCode = (
						await host.runInteractive(command, {
							key,
							mask: secrets,
							capture: 'tail',
							onOutput,
							onNotice,
							...(command.conffileAdvice ? {conffileAdvice: command.conffileAdvice} : {}),
						})
					).exitCode;
				} finally {
					if (onTerminal) await terminal.resume({display, exitCode});
				}
				this.output.push(`(ran on the terminal; exit status ${exitCode})`);
			} else {
				const result = await host.run(command, {
					key,
					mask: secrets,
					capture: command.bulk ? 'tail' : 'all',
					// Whole lines, many at a time, as bytes: counted and copied, never split
					// into a string per line. A secret printed on one line is in one chunk.
					onOutput,
					onNotice,
				});
				exitCode = result.exitCode;
				if (command.repositories) unread = await this.unreadRepositories(result, command.repositories.needed);
			}
			endOutput();
			this.output.stop();
			// A command that did not run has no exit status.
			if (!this.dryRun) await transcript.note(`exit status ${exitCode} after ${((Date.now() - started) / 1000).toFixed(1)} s: ${display}`);
			const problem = unread && unread.needed > 0 ? `${unread.needed} needed ${unread.needed === 1 ? 'repository' : 'repositories'} not read` : undefined;
			summary.commands.push({display, exitCode, durationMs: Date.now() - started, dryRun: this.dryRun, ...(problem ? {problem} : {})});
			if (exitCode !== 0 || problem) {
				summary.failedIndex = index;
				summary.tail = unread && unread.lines.length > 0 ? unread.lines : [...this.output.snapshot().lines.slice(-8)];
				break;
			}
		}
		// What the restart found counts for the run it was read for, once.
		if (this.resumed?.step === step) this.resumed = null;
		if (step === 'reboot' && summary.failedIndex === null) this.rebooting = true;
		return summary;
	}

	/** The host's record of a run of `argv` under `key` that is still running or finished (not lost). */
	private async earlierRun(host: Host, key: string, argv: string[]): Promise<RunRecord | undefined> {
		if (!host.runRecords) return undefined;
		const records = await host.runRecords(key);
		return records.find(r => r.key === key && r.state !== 'lost' && r.argv.length === argv.length && r.argv.every((a, i) => a === argv[i]));
	}

	/**
	 * What `apt update` could not read, in the transcript and on the screen;
	 * `needed` counts the repositories the upgrade cannot do without.
	 */
	private async unreadRepositories(result: {stdout: string; stderr: string; exitCode: number}, hosts: string[]): Promise<{needed: number; lines: string[]}> {
		const report = parseAptUpdate(`${result.stdout}\n${result.stderr}`);
		const needed = report.failures.filter(f => isNeededRepository(f.uri, hosts)).length;
		const described = describeFailures(report, hosts);
		if (described.length === 0) return {needed, lines: []};
		const lines = [
			...(needed > 0
				? [`apt could not read ${needed === 1 ? 'a repository' : `${needed} repositories`} the upgrade needs${result.exitCode === 0 ? ' (it only warned and exited 0: its package lists are stale)' : ''}:`]
				: ['apt could not read these repositories (the upgrade does not need them):']),
			...described.map(l => `  ${l}`),
			...(needed > 0 ? ['Check the host\'s network, DNS and proxy, and the subscription for enterprise.proxmox.com (401), then press r.'] : []),
		];
		for (const l of lines) this.output.push(l);
		for (const l of lines) await this.options.transcript.note(l);
		return {needed, lines};
	}

	/** Mask the secrets of `env` from now on, everywhere. */
	private addSecrets(env: Record<string, string | null | undefined>) {
		const added = secretValues(env).filter(secret => !this.secrets.includes(secret));
		if (added.length === 0) return;
		for (const secret of added) this.options.transcript.redact(secret);
		this.secrets = [...this.secrets, ...added].sort((a, b) => b.length - a.length);
	}

	private async applyChanges(step: string, changes: FileChange[]): Promise<RunSummary> {
		const {host, transcript} = this.options;
		const summary: RunSummary = {step, commands: [], failedIndex: null, tail: []};
		for (const [index, change] of changes.entries()) {
			// Named before anything is written, so the screen and the transcript say where the old file goes.
			const backup = change.before !== null ? await this.backupName(step, change.path) : null;
			const display = change.after === null ? `remove ${change.path} (kept as ${backup})` : `write ${change.path}${backup === null ? '' : ` (old one kept as ${backup})`}`;
			const started = Date.now();
			this.output.start(display);
			await transcript.note(`${this.dryRun ? '(dry run, not executed) ' : ''}${display}`);
			await transcript.write(...change.diff.split('\n').map(line => `| ${line}`));
			if (!this.dryRun) {
				const current = await host.readFile(change.path);
				// With secrets masked in the change, the file is compared as it would be masked.
				const seen = change.masked && current !== null ? maskLines(current, change.masked) : current;
				const after = change.masked && change.after !== null && current !== null ? unmaskLines(change.after, current, change.masked) : change.after;
				// Safe to run twice: a change already made (before a crash) is done.
				if (seen !== change.after) {
					if (seen !== change.before || (change.after !== null && after === null)) {
						summary.failedIndex = index;
						summary.tail = [`${change.path} changed since the preview; nothing was written. Press r to look again.`];
						summary.commands.push({display, exitCode: 1, durationMs: Date.now() - started, dryRun: false});
						break;
					}
					// Readable by root alone: the old file may hold a password (vmm's pgsql-*.cf do).
					if (current !== null && backup !== null) {
						await host.makeDir?.(backup.slice(0, backup.lastIndexOf('/')), 0o700);
						await host.writeFile(backup, current, 0o600);
					}
					if (after === null) await host.removeFile(change.path);
					else {
						// A new file of the wizard's own (a cluster node's progress file) may be the first in its directory.
						if (current === null) await host.makeDir?.(change.path.slice(0, change.path.lastIndexOf('/')) || '/', 0o755);
						await host.writeFile(change.path, after);
					}
				}
			}
			this.output.push(`${this.dryRun ? '(dry run) ' : ''}${display}: done`);
			this.output.stop();
			summary.commands.push({display, exitCode: 0, durationMs: Date.now() - started, dryRun: this.dryRun});
		}
		return summary;
	}

	/**
	 * Where the old content of `file` goes: under the wizard's own backup
	 * directory, never beside the file, where apt, dpkg and ucf write theirs
	 * (apt 3's modernize-sources moves sources.list to sources.list.bak).
	 * An earlier backup is never overwritten: `.1`, `.2`, ... after it.
	 */
	private async backupName(step: string, file: string): Promise<string> {
		const {host, machine} = this.options;
		const product = (machine.root.meta as {product?: string} | undefined)?.product ?? 'wizard';
		for (let n = 0; ; n++) {
			const name = wizardBackupPath(product, step, file, n);
			if (!(await host.stat(name))) return name;
		}
	}
}
