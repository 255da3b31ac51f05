/**
 * The vocabulary every upgrade machine shares: step content (meta), the
 * operator's events, command descriptions, and builders for the usual shape
 * of a step (review -> run -> check -> passed | blocked). No I/O here: the
 * actors named below are done by the runtime bound to the wizard (bindRuntime).
 */
import {assign, fromPromise, type ActorSystem} from 'xstate';
import type {CommandSpec} from '../source/shared/command.ts';

export type {CommandTarget} from '../source/shared/command.ts';
import type {CommandTarget} from '../source/shared/command.ts';

export type Level = 'PASS' | 'INFO' | 'SKIP' | 'NOTICE' | 'WARN' | 'FAIL';

/** One line of a check result, always with a word, never colour alone. */
export type Finding = {level: Level; text: string};

/** A command a step runs, shown in full before it runs. */
export type StepCommand = CommandSpec & {
	/** Runs on the real terminal (apt's and dpkg's questions). */
	interactive?: boolean;
	/** One line shown under the command, e.g. why the environment is cleaned. */
	note?: string;
	/** Bulk output (apt): only a tail is kept in memory. */
	bulk?: boolean;
	/** For an interactive command: the advice to show when dpkg asks about one of these configuration files. */
	conffileAdvice?: Array<{files: string[]; answer: string; why: string}>;
	/** The server it runs on; absent: the host the wizard was started for. */
	server?: CommandTarget;
	/**
	 * `apt update`: read what apt says of each repository. The command fails
	 * while a repository on one of these hosts (or a subdomain) could not be
	 * read, even when apt exits 0 (it only warns about an unreachable one).
	 */
	repositories?: {needed: string[]};
};

/**
 * Where the wizard keeps the old content of a file it changes: a directory
 * of its own, since apt, dpkg and ucf write `.bak`, `.dpkg-old`, `.ucf-old`
 * beside the files (apt 3's modernize-sources renames every `.list` it
 * converts to `.list.bak`, which would replace a wizard's backup there).
 */
export const WIZARD_BACKUP_DIR = '/var/lib/upgrade-wizard/backup';

/** The backup of `file` made at `step` of `product`'s path; `n` > 0 when an earlier one is there. */
export const wizardBackupPath = (product: string, step: string, file: string, n = 0): string =>
	`${WIZARD_BACKUP_DIR}/${product}/${step}${file.startsWith('/') ? '' : '/'}${file}${n > 0 ? `.${n}` : ''}`;

/** A file the wizard changes itself: shown as a diff, its old content kept under WIZARD_BACKUP_DIR, written atomically. */
export type FileChange = {
	path: string;
	/** Content the preview was made from; the change is refused if the file differs now. */
	before: string | null;
	/** New content, or null to remove the file. */
	after: string | null;
	diff: string;
	/**
	 * Lines matching this pattern (a RegExp source; group 1 is the part kept)
	 * hold secrets: `before` and `after` carry them masked as `...***`, so the
	 * saved state holds no password; the runtime takes them from the file
	 * itself when it writes (see unmaskLines).
	 */
	masked?: string;
};

/** The text with the value of every line matching `pattern` replaced by ***. */
export const maskLines = (text: string, pattern: string): string =>
	text
		.split('\n')
		.map(line => {
			const m = new RegExp(pattern).exec(line);
			return m ? `${m[1]}***` : line;
		})
		.join('\n');

/**
 * `masked` with each masked line put back from `real`: the line of `real`
 * that masks to the same text (the same key). Null when one has no source,
 * so nothing with *** in place of a password is ever written.
 */
export function unmaskLines(masked: string, real: string, pattern: string): string | null {
	const sources = new Map<string, string>();
	for (const line of real.split('\n')) {
		const m = new RegExp(pattern).exec(line);
		if (m && !sources.has(`${m[1]}***`)) sources.set(`${m[1]}***`, line);
	}
	const out: string[] = [];
	for (const line of masked.split('\n')) {
		if (!new RegExp(pattern).test(line) || !line.endsWith('***')) {
			out.push(line);
			continue;
		}
		const source = sources.get(line);
		if (source === undefined) return null;
		out.push(source);
	}
	return out.join('\n');
}

/** Advice for a prompt the operator will meet while a command runs. */
export type Advice = {prompt: string; answer: string; why: string};

export type StepStatus = 'pending' | 'passed' | 'skipped' | 'failed';

/** What the runtime reports after running a step's commands. */
export type RunSummary = {
	step: string;
	commands: Array<{display: string; exitCode: number; durationMs: number; dryRun: boolean; problem?: string}>;
	/** Index of the command that failed, or null when all succeeded. */
	failedIndex: number | null;
	/** Last lines of output of the failed command, for the failure screen. */
	tail: string[];
};

/** A choice offered on a `choose` screen. */
export type Option = {value: string; label: string; hint?: string};

export type OperatorEvent =
	| {type: 'operator.continue'}
	| {type: 'operator.skip'; reason: string}
	| {type: 'operator.retry'}
	| {type: 'operator.recheck'}
	| {type: 'operator.fix'}
	| {type: 'operator.choose'; value: string}
	| {type: 'operator.confirm'; text: string}
	| {type: 'operator.override'; text: string}
	/** Free text the operator typed on an `input` screen (a path, a host name): never a password. */
	| {type: 'operator.input'; value: string}
	/** Open the simulated host's command line (training); the runtime handles it, no step does. */
	| {type: 'operator.shell'}
	| {type: 'host.booted'; bootId: string};

/** State shared by every path; `F` is the product's facts. */
export type WizardContext<F> = {
	/** Host clock when this upgrade began (a backup must be newer). */
	startedAt: number;
	facts: F;
	status: Record<string, {status: StepStatus; reason?: string}>;
	lastRun: RunSummary | null;
	/** The last error an actor raised, shown on the failure screen. */
	error: string | null;
	choices: Record<string, string>;
	/** Typed confirmations and overrides, by key: written to the transcript. */
	confirmations: Record<string, string>;
	/** How many times commands were started (see runOf); absent in older saved states. */
	runs?: number;
};

export type Phase = {id: string; title: string};

/** How a screen of a step is drawn; the UI picks its layout from this. */
export type View =
	| 'review'
	| 'running'
	| 'interrupted'
	| 'failed'
	| 'done'
	| 'checking'
	| 'passed'
	| 'blocked'
	| 'choose'
	| 'confirm'
	| 'input'
	| 'info'
	| 'finished';

/** Content of a step: on the step's top-level state node as `meta`. */
export type StepMeta<C> = {
	step: true;
	/**
	 * Whether the step counts in "step N/M" when it is not the current one
	 * (default: it does). A step that passes without a screen where nothing
	 * calls for one (the session check off SSH) is not counted: the operator
	 * never saw it, and the first screen is step 1.
	 */
	counted?: (context: C) => boolean;
	title: string;
	/** The title as it reads for this context (the server a step acts on). */
	titleFor?: (context: C) => string;
	phase: string;
	/** Why the step exists: shown under the title, in full with `?`. */
	why: string;
	/** Where it comes from in the vendor's procedure. */
	source?: string;
	/** What the operator does or sees, one paragraph. */
	what?: string;
	/** The commands the step runs, computed from what is known. */
	commands?: (context: C) => StepCommand[];
	advice?: Advice[];
	/** Findings for the passed/blocked screens. */
	findings?: (context: C) => Finding[];
	/** Show the findings above the commands too (the probe decided the commands are needed). */
	reviewFindings?: boolean;
	/** What to do when the guard fails. */
	remedy?: (context: C) => string[];
	/** File changes the step makes instead of commands, each shown as a diff first. */
	changes?: (context: C) => FileChange[];
	/** Read-only commands the probe runs, named on the checking screen. */
	probeShows?: string[];
	/** Commands `f` runs on the blocked screen (shown first). */
	fix?: (context: C) => StepCommand[];
	/** What the failure screen says instead of the general advice (the vendor's own words). */
	failure?: string[];
	/** `s` is offered on the review screen; a skip never passes a guard. */
	skippable?: boolean;
	/** `o` on the blocked screen asks for this typed confirmation. */
	override?: {word: string; what: string};
	/** On the done screen, show this many last lines of output instead of 8 (a report the operator reads). */
	doneOutputLines?: number;
};

/** Content of one screen inside a step (a substate). */
export type ScreenMeta<C> = {
	view: View;
	/** For `choose`: the options, computed from context. */
	options?: (context: C) => Option[];
	/** For `confirm`: what to type, and what it confirms. */
	confirm?: {
		word: string;
		prompt: (context: C) => string;
		/** The word as it is for this context (a node's name), when it is not always `word`. */
		wordFor?: (context: C) => string;
	};
	/** For `info`/`choose`/`input`: extra lines for this screen. */
	lines?: (context: C) => string[];
	/**
	 * For `input`: what is asked, and the value Enter on an empty line gives.
	 * The text is used literally (a path with spaces, quotes or `;`), never
	 * by a shell. Never ask for a password here: it would be saved.
	 * `example` is named in the footer ("type e.g. 12G") and is what the
	 * tests and the docs type there; Enter never takes it (a figure must be
	 * read off the host).
	 */
	input?: {prompt: (context: C) => string; default?: (context: C) => string; example?: string};
};

/** The actor system of a running wizard, of any product. */
type AnyActorSystem = ActorSystem<any>;

/** What the runtime does for the actors a machine invokes (source/runtime/runtime.ts). */
export type RuntimeActions = {
	runCommands: (input: {step: string; commands: StepCommand[]; run?: number}) => Promise<RunSummary>;
	applyChanges: (input: {step: string; changes: FileChange[]}) => Promise<RunSummary>;
	probe: (input: {probe: string; context: unknown}) => Promise<unknown>;
};

/** By the actor system of each running wizard: its runtime. */
const runtimes = new WeakMap<AnyActorSystem, RuntimeActions>();

/**
 * The runtime of the wizard whose actor system this is. Binding it, rather
 * than `.provide()`-ing actors, spares building the machine's states a
 * second time at every start; `.provide()` still overrides these (tests).
 */
export function bindRuntime(system: AnyActorSystem, actions: RuntimeActions) {
	runtimes.set(system, actions);
}

function runtimeOf(system: AnyActorSystem, name: keyof RuntimeActions): RuntimeActions {
	const actions = runtimes.get(system);
	if (!actions) throw new Error(`${name} is done by the runtime, and none is bound to this actor (bindRuntime)`);
	return actions;
}

/**
 * The actors every machine invokes: they hand their input to the runtime
 * bound to the wizard's actor system, so a machine never does I/O itself.
 */
export function runtimeActors<Facts, Probe extends string, C>() {
	return {
		runCommands: fromPromise<RunSummary, {step: string; commands: StepCommand[]}>(async ({input, system}) => runtimeOf(system, 'runCommands').runCommands(input)),
		applyChanges: fromPromise<RunSummary, {step: string; changes: FileChange[]}>(async ({input, system}) => runtimeOf(system, 'applyChanges').applyChanges(input)),
		probe: fromPromise<Partial<Facts>, {probe: Probe; context: C}>(async ({input, system}) => (await runtimeOf(system, 'probe').probe(input)) as Partial<Facts>),
	};
}

/**
 * A value made on first use, then kept: a path's machine. Building a
 * machine's states takes 10-20 ms, and a start needs only its product's.
 */
export function once<T>(make: () => T): () => T {
	let made: {value: T} | undefined;
	return () => (made ??= {value: make()}).value;
}

/** The context every path starts from: nothing found, nothing decided. */
export function freshContext<F>(startedAt: number): WizardContext<F> {
	return {startedAt, facts: {} as F, status: {}, lastRun: null, error: null, choices: {}, confirmations: {}};
}

export const phases = (...list: Array<[string, string]>): Phase[] =>
	list.map(([id, title]) => ({id, title}));

type AnyConfig = Record<string, unknown>;

export type StepSpec<C> = Omit<StepMeta<C>, 'step'> & {
	id: string;
	/** Target of the step after it passed: a step id. */
	next: string;
	/** Probe actor input name; a step with a probe ends in a guard. */
	probe?: string;
	/** Guard (by name) that must hold to pass; required with `probe`. */
	guard?: string;
	/** Substates added to the standard ones (for choices, confirmations). */
	extraStates?: Record<string, AnyConfig>;
	/** First substate, when not review/checking. */
	initial?: string;
	/** Where `passed` leads, when not straight to `next` (e.g. a confirmation). */
	afterPassed?: string;
	/** Where successful commands lead, when not to checking/done. */
	afterCommands?: string;
};

/**
 * Which run of its commands a step is on: counted up each time the operator
 * starts them, not when the wizard comes back to a run that was cut off, so
 * a run that outlived the wizard is followed, not started a second time.
 */
const runOf = (context: unknown) => (context as {runs?: number}).runs ?? 0;

const recordStatus = (step: string, status: StepStatus, reasonFrom?: 'event') => ({
	type: 'recordStatus',
	params: {step, status, reasonFrom},
});

/**
 * Build the state node of a standard step. Substates:
 * review -> running -> (checking -> evaluate -> passed | blocked) | done,
 * with failed and interrupted for commands that did not finish.
 */
export function step<C>(spec: StepSpec<C>): AnyConfig {
	const {id, next, probe, guard, extraStates, initial, afterPassed, ...meta} = spec;
	const hasCommands = Boolean(meta.commands ?? meta.changes);
	const target = `#wizard.${next}`;
	const afterCommands = spec.afterCommands ?? (probe ? 'checking' : 'done');
	delete (meta as {afterCommands?: string}).afterCommands;
	const states: Record<string, AnyConfig> = {};

	if (hasCommands) {
		states.review = {
			meta: {view: 'review'},
			on: {
				// Over SSH without tmux, by the operator's choice: one more warning
				// before the first command that changes the host.
				'operator.continue': [{guard: 'sshReminderDue', target: 'sshReminder'}, {target: 'running', actions: 'nextRun'}],
				...(meta.skippable
					? {
							'operator.skip': {
								target: probe ? 'checking' : target,
								actions: [recordStatus(id, 'skipped', 'event')],
							},
						}
					: {}),
			},
		};
		states.sshReminder = {
			meta: {view: 'info', lines: () => SSH_REMINDER},
			on: {
				'operator.continue': {target: 'running', actions: [{type: 'recordConfirmation', params: {key: 'ssh.reminded', value: 'Enter'}}, 'nextRun']},
			},
		};
		// Commands, or file changes the wizard makes itself: the same outcomes either way.
		const outcome = {
			onDone: [
				{guard: 'commandsSucceeded', target: afterCommands, actions: 'recordRun'},
				{target: 'failed', actions: ['recordRun', recordStatus(id, 'failed')]},
			],
			onError: {target: 'failed', actions: ['recordError', recordStatus(id, 'failed')]},
		};
		states.running = {
			meta: {view: 'running'},
			invoke: meta.changes
				? {
						id: `apply.${id}`,
						src: 'applyChanges',
						input: ({context}: {context: C}) => ({step: id, changes: meta.changes!(context)}),
						...outcome,
					}
				: {
						id: `run.${id}`,
						src: 'runCommands',
						input: ({context}: {context: C}) => ({step: id, commands: meta.commands!(context), run: runOf(context)}),
						...outcome,
					},
		};
		states.interrupted = {
			meta: {view: 'interrupted'},
			on: {
				'operator.continue': 'running',
				...(meta.skippable
					? {'operator.skip': {target: probe ? 'checking' : target, actions: [recordStatus(id, 'skipped', 'event')]}}
					: {}),
			},
		};
		states.failed = {
			meta: {view: 'failed'},
			on: {
				// A file change is previewed from what the probe read: look again first.
				'operator.retry': meta.changes && probe ? 'checking' : 'review',
				...(meta.skippable
					? {'operator.skip': {target: probe ? 'checking' : target, actions: [recordStatus(id, 'skipped', 'event')]}}
					: {}),
			},
		};
		if (afterCommands === 'done') {
			states.done = {
				meta: {view: 'done'},
				entry: [recordStatus(id, 'passed')],
				on: {'operator.continue': target},
			};
		}
	}

	if (probe) {
		if (!guard) throw new Error(`step ${id}: a probe needs a guard`);
		states.checking = {
			meta: {view: 'checking'},
			invoke: {
				id: `probe.${id}`,
				src: 'probe',
				input: ({context}: {context: C}) => ({probe, context}),
				onDone: {target: 'evaluate', actions: 'assignFacts'},
				onError: {target: 'probeFailed', actions: 'recordError'},
			},
		};
		states.evaluate = {
			always: [
				{guard, target: 'passed', actions: [recordStatus(id, 'passed')]},
				{target: 'blocked', actions: [recordStatus(id, 'failed')]},
			],
		};
		states.passed = {
			meta: {view: 'passed'},
			on: {'operator.continue': afterPassed ?? target},
		};
		states.blocked = {
			meta: {view: 'blocked'},
			on: {
				'operator.recheck': 'checking',
				...(meta.fix ? {'operator.fix': [{guard: 'sshReminderDue', target: 'sshReminderFix'}, {target: 'fixing', actions: 'nextRun'}]} : {}),
				...(meta.override
					? {
							'operator.override': {
								guard: {type: 'typedWord', params: {word: meta.override.word}},
								target: afterPassed ?? target,
								actions: [{type: 'recordOverride', params: {step: id}}, recordStatus(id, 'passed')],
							},
						}
					: {}),
			},
		};
		states.probeFailed = {
			meta: {view: 'failed'},
			on: {'operator.retry': 'checking'},
		};
		if (meta.fix) {
			states.fixing = {
				meta: {view: 'running'},
				invoke: {
					id: `fix.${id}`,
					src: 'runCommands',
					input: ({context}: {context: C}) => ({step: id, commands: meta.fix!(context), run: runOf(context)}),
					onDone: [
						{guard: 'commandsSucceeded', target: 'checking', actions: 'recordRun'},
						{target: 'fixFailed', actions: 'recordRun'},
					],
					onError: {target: 'fixFailed', actions: 'recordError'},
				},
			};
			states.fixFailed = {meta: {view: 'failed'}, on: {'operator.retry': 'blocked'}};
			states.sshReminderFix = {
				meta: {view: 'info', lines: () => SSH_REMINDER},
				on: {
					'operator.continue': {target: 'fixing', actions: [{type: 'recordConfirmation', params: {key: 'ssh.reminded', value: 'Enter'}}, 'nextRun']},
				},
			};
		}
	}

	Object.assign(states, extraStates ?? {});
	return {
		meta: {step: true, ...meta},
		initial: initial ?? (hasCommands ? 'review' : 'checking'),
		states,
	};
}

/** A screen of text with Enter to continue (an explanation, a reminder). */
export function infoStep<C>(spec: {
	id: string;
	next: string;
	title: string;
	phase: string;
	why: string;
	what?: string;
	source?: string;
	advice?: Advice[];
	lines?: (context: C) => string[];
}): AnyConfig {
	const {id, next, lines, ...meta} = spec;
	return {
		meta: {step: true, ...meta},
		initial: 'info',
		states: {
			info: {
				meta: {view: 'info', lines},
				on: {
					'operator.continue': {
						target: `#wizard.${next}`,
						actions: [recordStatus(id, 'passed')],
					},
				},
			},
		},
	};
}

/** A typed confirmation: the operator types `word` to say it was done. */
export function confirmScreen<C>(spec: {
	word: string;
	prompt: (context: C) => string;
	key: string;
	target: string;
	step: string;
}): AnyConfig {
	return {
		meta: {view: 'confirm', confirm: {word: spec.word, prompt: spec.prompt}},
		on: {
			'operator.confirm': {
				guard: {type: 'typedWord', params: {word: spec.word}},
				target: spec.target,
				actions: [
					{type: 'recordConfirmation', params: {key: spec.key}},
					recordStatus(spec.step, 'passed'),
				],
			},
		},
	};
}

/**
 * A free-text question: the value typed (or the default, for Enter on an
 * empty line) is kept in `choices[key]` and the machine goes to `target`.
 */
export function inputScreen<C>(spec: {
	key: string;
	prompt: (context: C) => string;
	default?: (context: C) => string;
	lines?: (context: C) => string[];
	target: string;
}): AnyConfig {
	return {
		meta: {view: 'input', input: {prompt: spec.prompt, ...(spec.default ? {default: spec.default} : {})}, ...(spec.lines ? {lines: spec.lines} : {})},
		on: {
			'operator.input': {
				guard: 'inputGiven',
				target: spec.target,
				actions: [{type: 'recordInput', params: {key: spec.key}}],
			},
		},
	};
}

/** Where the wizard runs: over SSH or not, inside tmux/screen or not, and the command that relaunches it in tmux. */
export type SessionFacts = {ssh: boolean; multiplexer: boolean; relaunch?: string};

/**
 * The first step of a path without a preconditions step of its own: over
 * SSH and not inside tmux or screen, the operator is offered the exact
 * command that starts the wizard again inside tmux (it resumes here), or
 * goes on at their own risk and is reminded once more before the first
 * command that changes the host. Anywhere else it passes without a screen.
 * The probe named `session` answers `{session: SessionFacts}`.
 */
export function sessionStep<C>(spec: {id: string; next: string; phase: string; why: string; fallbackRelaunch: string}): AnyConfig {
	const {id, next} = spec;
	const target = `#wizard.${next}`;
	return {
		meta: {
			step: true,
			title: 'Where the wizard runs',
			phase: spec.phase,
			why: spec.why,
			probeShows: ['SSH_CONNECTION, TMUX, STY'],
			// Counted where it shows a screen: over SSH without tmux or screen.
			counted: (c: C) => {
				const session = (c as {facts: {session?: SessionFacts}}).facts.session;
				return Boolean(session?.ssh && !session.multiplexer);
			},
		},
		initial: 'checking',
		states: {
			checking: {
				meta: {view: 'checking'},
				invoke: {
					id: `probe.${id}`,
					src: 'probe',
					input: ({context}: {context: C}) => ({probe: 'session', context}),
					onDone: {target: 'evaluate', actions: 'assignFacts'},
					onError: {target: 'probeFailed', actions: 'recordError'},
				},
			},
			evaluate: {
				always: [{guard: 'needsSessionWarning', target: 'sessionWarning'}, {target, actions: [recordStatus(id, 'passed')]}],
			},
			sessionWarning: {
				meta: {
					view: 'choose',
					lines: () => [
						'You are connected over SSH and not inside tmux or screen. If the connection',
						'drops while a command runs on the terminal, that command dies with it.',
					],
					options: (c: C) => [
						{
							value: 'tmux',
							label: 'Relaunch the wizard inside tmux (it resumes here)',
							hint: (c as {facts: {session?: SessionFacts}}).facts.session?.relaunch ?? spec.fallbackRelaunch,
						},
						{value: 'continue', label: 'Go on without tmux (I accept the risk)'},
					],
				},
				on: {
					'operator.choose': [
						{guard: 'relaunchChosen', target: 'relaunch'},
						{target, actions: [{type: 'recordChoice', params: {key: 'ssh'}}, recordStatus(id, 'passed')]},
					],
				},
			},
			relaunch: {
				meta: {view: 'info', lines: () => ['Relaunching inside tmux: the wizard will resume at this step.']},
				on: {'host.session': 'checking'},
			},
			probeFailed: {meta: {view: 'failed'}, on: {'operator.retry': 'checking'}},
		},
	};
}

/** Said once, before the first command that changes the host, to an operator who declined tmux. */
export const SSH_REMINDER = [
	'WARN: this is the first command that changes the host, and you are over',
	'SSH without tmux or screen. If the connection drops from here on, a',
	'running command goes on, but an interactive one (apt dist-upgrade) dies',
	'with your session. Leave (q) and start the wizard inside tmux to be safe:',
	'  tmux new-session -A -s upgrade-wizard',
	'Enter runs the command anyway; this is the last reminder.',
];

type Ctx = WizardContext<Record<string, unknown>>;
type Ev = OperatorEvent | {type: string; output?: unknown; error?: unknown; reason?: string; text?: string};

const typed = (event: Ev): string =>
	('text' in event && typeof event.text === 'string' ? event.text : '').trim().toLowerCase();

/**
 * Guards and actions every machine uses; each machine spreads these into its
 * `setup()` next to its own, product-specific ones.
 */
export const common = {
	guards: {
		/** The runtime reported every command of the step exited 0. */
		commandsSucceeded: ({event}: {event: Ev}) => {
			const output = (event as {output?: RunSummary}).output;
			return Boolean(output) && output!.failedIndex === null;
		},
		/** Over SSH, not inside tmux or screen, and the operator has not chosen to go on anyway. */
		needsSessionWarning: ({context}: {context: Ctx}) => {
			const session = (context.facts as {session?: SessionFacts}).session;
			return Boolean(session?.ssh) && !session?.multiplexer && context.choices.ssh !== 'continue';
		},
		/** The operator chose to start the wizard again inside tmux. */
		relaunchChosen: ({event}: {event: Ev}) => 'value' in event && event.value === 'tmux',
		/** The operator chose to go on over SSH without tmux and has not been reminded yet. */
		sshReminderDue: ({context}: {context: Ctx}) => context.choices.ssh === 'continue' && context.confirmations['ssh.reminded'] === undefined,
		/** An input screen got a value that is not only blanks. */
		inputGiven: ({event}: {event: Ev}) => 'value' in event && typeof event.value === 'string' && event.value.trim() !== '',
		/** The operator typed exactly the word the screen asked for. */
		typedWord: ({event}: {event: Ev}, params: {word: string}) => typed(event) === params.word.toLowerCase(),
	},
	actions: {
		recordStatus: assign(
			({context, event}: {context: Ctx; event: Ev}, params: {step: string; status: StepStatus; reasonFrom?: 'event'}) => {
				const reason = params.reasonFrom === 'event' && 'reason' in event ? event.reason : undefined;
				return {
					status: {...context.status, [params.step]: reason ? {status: params.status, reason} : {status: params.status}},
				};
			},
		),
		nextRun: assign(({context}: {context: Ctx}) => ({runs: (context.runs ?? 0) + 1})),
		recordRun: assign(({event}: {event: Ev}) => ({
			lastRun: ((event as {output?: RunSummary}).output ?? null) as RunSummary | null,
			error: null,
		})),
		recordError: assign(({event}: {event: Ev}) => {
			const error = (event as {error?: unknown}).error;
			return {error: error instanceof Error ? error.message : String(error)};
		}),
		assignFacts: assign(({context, event}: {context: Ctx; event: Ev}) => ({
			facts: {...context.facts, ...((event as {output?: Record<string, unknown>}).output ?? {})},
			error: null,
		})),
		/** What the operator typed, or `value` for a confirmation given by a key press. */
		recordConfirmation: assign(({context, event}: {context: Ctx; event: Ev}, params: {key: string; value?: string}) => ({
			confirmations: {...context.confirmations, [params.key]: params.value ?? typed(event)},
		})),
		recordOverride: assign(({context, event}: {context: Ctx; event: Ev}, params: {step: string}) => ({
			confirmations: {...context.confirmations, [`override.${params.step}`]: typed(event)},
		})),
		/** Typed text, kept exactly as typed: a directory may be called " my vmm; $(x) ". */
		recordInput: assign(({context, event}: {context: Ctx; event: Ev}, params: {key: string}) => ({
			choices: {...context.choices, [params.key]: 'value' in event && typeof event.value === 'string' ? event.value : ''},
		})),
		recordChoice: assign(({context, event}: {context: Ctx; event: Ev}, params: {key: string}) => ({
			choices: {
				...context.choices,
				[params.key]: 'value' in event && typeof event.value === 'string' ? event.value : '',
			},
		})),
	},
};
