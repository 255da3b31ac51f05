/**
 * Binds a machine to a host: provides the actors that run commands, apply
 * file changes and probe, saves the snapshot after every transition, and
 * writes the transcript. The UI gets the actor and the live output from here
 * and never touches the host.
 */
import {createActor, type Actor, type AnyStateMachine, type SnapshotFrom} from 'xstate';
import {maskDeep, maskText, secretValues} from '../host/secrets.ts';
import {displayCommand, type Host, type RunRecord} from '../host/types.ts';
import {bindRuntime, maskLines, unmaskLines, type CommandTarget, type FileChange, type OperatorEvent, type RunSummary, type StepCommand} from '../../machines/kit.ts';
import {terminalBytes} from '../probes/ansi.ts';
import {OutputBuffer} from './output.ts';
import type {StateStore} from './store.ts';
import {redactBytes, type Transcript} from './transcript.ts';

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
};

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
};

export type StepPosition = {step: string; screen: string | null};

/** Where a snapshot stands: the top-level step and the screen inside it. */
export function position(value: unknown): StepPosition {
	if (typeof value === 'string') return {step: value, screen: null};
	const [step, inner] = Object.entries(value as Record<string, unknown>)[0] ?? ['', null];
	return {step, screen: typeof inner === 'string' ? inner : inner ? position(inner).step : null};
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
	 * For a step that was cut off while its commands ran: what the host's run
	 * records say of them (finished, still running, lost), for the screen.
	 */
	async interruptedRuns(): Promise<RunRecord[]> {
		const snapshot = this.actor.getSnapshot();
		const {step, screen} = position(snapshot.value);
		if (screen !== 'interrupted' || !this.options.host.runRecords) return [];
		const run = (snapshot.context as {runs?: number}).runs ?? 0;
		const records = await this.options.host.runRecords(`${step}.${run}.`);
		return records.map(record => ({...record, tail: record.tail.map(line => maskText(line, this.secrets))}));
	}

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
		this.actor.send(event as never);
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
			const started = Date.now();
			this.output.start(display);
			await transcript.note(`run${this.dryRun ? ' (dry run, not executed)' : ''}${command.server ? ` on ${command.server.name} (${host.label})` : ''}: ${display}`);
			let exitCode = 0;
			if (this.dryRun) {
				this.output.push(`(dry run) not executed: ${display}`);
			} else if (command.interactive && host.kind !== 'simulated' && terminal) {
				await terminal.suspend();
				try {
					process.stdout.write(`\n$ ${display}\n`);
					exitCode = (await host.runInteractive(command, command.conffileAdvice ? {conffileAdvice: command.conffileAdvice} : {})).exitCode;
				} finally {
					await terminal.resume({display, exitCode});
				}
				this.output.push(`(ran on the terminal; exit status ${exitCode})`);
			} else {
				const result = await host.run(command, {
					key: `${step}.${run}.${index}`,
					mask: secrets,
					capture: command.bulk ? 'tail' : 'all',
					// Whole lines, many at a time, as bytes: counted and copied, never split
					// into a string per line. A secret printed on one line is in one chunk.
					onOutput: chunk => {
						// Text only for the screen and the transcript: no escape sequence of the command reaches the terminal.
						const bytes = redactBytes(terminalBytes(chunk.bytes), secrets);
						this.output.pushBytes(bytes);
						void transcript.writeLines(chunk.stream === 'stderr' ? '! ' : '| ', bytes);
					},
				});
				exitCode = result.exitCode;
			}
			this.output.stop();
			// A command that did not run has no exit status.
			if (!this.dryRun) await transcript.note(`exit status ${exitCode} after ${((Date.now() - started) / 1000).toFixed(1)} s: ${display}`);
			summary.commands.push({display, exitCode, durationMs: Date.now() - started, dryRun: this.dryRun});
			if (exitCode !== 0) {
				summary.failedIndex = index;
				summary.tail = [...this.output.snapshot().lines.slice(-8)];
				break;
			}
		}
		if (step === 'reboot' && summary.failedIndex === null) this.rebooting = true;
		return summary;
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
			const display = change.after === null ? `remove ${change.path} (kept as .bak)` : `write ${change.path}${change.before === null ? '' : ' (old one kept as .bak)'}`;
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
					if (current !== null && change.before !== null) await host.writeFile(await this.backupName(change.path), current, 0o600);
					if (after === null) await host.removeFile(change.path);
					else await host.writeFile(change.path, after);
				}
			}
			this.output.push(`${this.dryRun ? '(dry run) ' : ''}${display}: done`);
			this.output.stop();
			summary.commands.push({display, exitCode: 0, durationMs: Date.now() - started, dryRun: this.dryRun});
		}
		return summary;
	}

	/**
	 * `file.bak`, or `file.N.bak` when an earlier backup must not be
	 * overwritten: apt silently ignores names ending in .bak in sources.list.d.
	 */
	private async backupName(file: string): Promise<string> {
		const {host} = this.options;
		if (!(await host.stat(`${file}.bak`))) return `${file}.bak`;
		for (let n = 1; ; n++) if (!(await host.stat(`${file}.${n}.bak`))) return `${file}.${n}.bak`;
	}
}
