/**
 * Every screen of a path, found from the machine itself with xstate/graph.
 * Probes and commands are invoked actors; their results arrive here as the
 * done/error events the runtime would send, with the answers recorded on
 * the simulated host (collect.ts), so the exploration reaches the blocked
 * screens, the retries and the overrides too. Each screen keeps the
 * shortest way to it, preferring ways without skips, failures and overrides.
 */
import type {AnyStateMachine, AnyStateNode} from 'xstate';
import {getShortestPaths} from 'xstate/graph';
import {wizardBackupPath, type RunSummary, type ScreenMeta, type StepCommand, type FileChange, type WizardContext} from '../../machines/kit.ts';
import {displayCommand} from '../host/types.ts';
import {position} from '../runtime/runtime.ts';
import type {Recorded} from './collect.ts';

export type Snapshot = ReturnType<AnyStateMachine['resolveState']>;
export type Event = {type: string} & Record<string, unknown>;

/** One screen of the path, with a snapshot that shows it. */
export type Screen = {
	step: string;
	/** The substate, or null for a step without substates (the end). */
	screen: string | null;
	id: string;
	snapshot: Snapshot;
	/** The events from the start to this screen. */
	events: Event[];
	/**
	 * How the screen is reached: 'path' by events; 'restart' when the wizard
	 * is started again after it stopped during the step; 'none' when no
	 * event reaches it (shown with the facts of the step's first screen).
	 */
	reached: 'path' | 'restart' | 'none';
	/** Events since the way entered this step: orders the screens of a step as a walk meets them. */
	depth: number;
};

export type ExploreOptions = {
	machine: AnyStateMachine;
	input: unknown;
	recorded: Recorded;
	/**
	 * What of a context decides what the machine does next (beyond the
	 * screen): snapshots with the same key count as one state.
	 */
	contextKey: (context: WizardContext<any>) => unknown;
	/** The reason given for a skip on the screens. */
	skipReason: string;
	/** Typed on an input screen ("step.screen"), besides its default. */
	inputs?: Record<string, string | string[]>;
};

type Path = {state: Snapshot; steps: Array<{state: Snapshot; event: Event}>};

export const screenId = (step: string, screen: string | null) => (screen ? `${step}.${screen}` : step);

/** Substates that are screens (they have a view), in declaration order; steps without substates are screens themselves. */
export function screensOf(machine: AnyStateMachine): Array<{step: string; screen: string | null}> {
	const list: Array<{step: string; screen: string | null}> = [];
	for (const [step, node] of Object.entries(machine.root.states)) {
		const children = Object.entries(node.states);
		if (children.length === 0) {
			// A state that only passes on (no view) is no screen.
			if ((node.meta as {view?: string} | undefined)?.view || node.type === 'final') list.push({step, screen: null});
			continue;
		}
		for (const [screen, child] of children) if ((child.meta as ScreenMeta<unknown> | undefined)?.view) list.push({step, screen});
	}
	return list;
}

function nodeAt(machine: AnyStateMachine, value: unknown): AnyStateNode {
	const {step, screen} = position(value);
	const stepNode = machine.root.states[step]!;
	return screen ? stepNode.states[screen]! : stepNode;
}

/** The words the guards of these transitions ask the operator to type. */
function typedWords(transitions: Array<{guard?: unknown}>): string[] {
	const words = new Set<string>();
	const visit = (guard: unknown) => {
		if (!guard) return;
		if (typeof guard === 'object' && (guard as {type?: string}).type === 'typedWord') {
			words.add((guard as {params: {word: string}}).params.word);
		}
		for (const inner of (guard as {guards?: unknown[]}).guards ?? []) visit(inner);
	};
	for (const t of transitions) visit(t.guard);
	return [...words];
}

const SLOW_EVENTS = /^(operator\.(skip|override|retry)|xstate\.error\.)/;

function summaryFor(product: string, step: string, input: {commands?: StepCommand[]; changes?: FileChange[]}, failed: boolean): RunSummary {
	const displays = input.commands
		? input.commands.map(c => displayCommand(c))
		: (input.changes ?? []).map(c => {
				const backup = wizardBackupPath(product, step, c.path);
				return c.after === null ? `remove ${c.path} (kept as ${backup})` : `write ${c.path}${c.before === null ? '' : ` (old one kept as ${backup})`}`;
			});
	const count = failed ? 1 : displays.length;
	return {
		step,
		commands: displays.slice(0, count).map((display, index) => ({display, exitCode: failed && index === count - 1 ? 1 : 0, durationMs: 0, dryRun: false})),
		failedIndex: failed ? 0 : null,
		tail: failed ? ['(the last lines of its output)'] : [],
	};
}

/** A recorded run, its durations set to zero: they are the real time of the walk. */
const steady = (run: RunSummary): RunSummary => ({...run, commands: run.commands.map(c => ({...c, durationMs: 0}))});

export function explore(options: ExploreOptions): Screen[] {
	const {machine, recorded} = options;
	const product = (machine.root.meta as {product?: string} | undefined)?.product ?? 'wizard';

	const eventsFor = (careful: boolean) => (snapshot: Snapshot): Event[] => {
		const node = nodeAt(machine, snapshot.value);
		const events: Event[] = [];
		for (const invoke of node.invoke) {
			const args = {context: snapshot.context, event: {type: ''}, self: undefined};
			const input = typeof invoke.input === 'function' ? (invoke.input as (a: unknown) => Record<string, unknown>)(args) : ((invoke.input ?? {}) as Record<string, unknown>);
			if (invoke.src === 'probe') {
				const probe = String(input.probe);
				// Answers that leave every guard as another answer left it lead to the same states: the first one stands for them.
				const keys = new Set<string>();
				for (const output of recorded.probes[probe] ?? []) {
					const context = snapshot.context as WizardContext<Record<string, unknown>>;
					const key = JSON.stringify(options.contextKey({...context, facts: {...context.facts, ...output}}));
					if (keys.has(key)) continue;
					keys.add(key);
					events.push({type: `xstate.done.actor.${invoke.id}`, output});
				}
				events.push({type: `xstate.error.actor.${invoke.id}`, error: new Error(`the check "${probe}" got no answer from the host`)});
			} else {
				const step = String(input.step);
				const runs = recorded.runs[step] ?? {};
				const ok = runs.ok ? steady(runs.ok) : summaryFor(product, step, input, false);
				const failed = runs.failed ? steady(runs.failed) : summaryFor(product, step, input, true);
				events.push({type: `xstate.done.actor.${invoke.id}`, output: ok}, {type: `xstate.done.actor.${invoke.id}`, output: failed});
			}
		}
		const meta = node.meta as ScreenMeta<WizardContext<unknown>> | undefined;
		for (const type of Object.keys(node.on)) {
			switch (type) {
				case 'operator.skip':
					events.push({type, reason: options.skipReason});
					break;
				case 'operator.choose': {
					const list = meta?.options?.(snapshot.context as WizardContext<unknown>) ?? [{value: 'yes'}];
					for (const option of list) events.push({type, value: option.value});
					break;
				}
				case 'operator.confirm':
					events.push({type, text: meta?.confirm?.wordFor?.(snapshot.context as WizardContext<unknown>) ?? meta?.confirm?.word ?? ''});
					break;
				case 'operator.input': {
					const {step, screen} = position(snapshot.value);
					// Given answers (a valid figure and one that is not) and the screen's default.
					const given = options.inputs?.[screenId(step, screen)];
					const values = new Set([...(Array.isArray(given) ? given : [given]), meta?.input?.default?.(snapshot.context as WizardContext<unknown>), meta?.input?.example]);
					for (const value of values) if (value) events.push({type, value});
					break;
				}
				case 'operator.override':
					for (const word of typedWords(node.on[type] as Array<{guard?: unknown}>)) events.push({type, text: word});
					break;
				case 'host.booted':
					events.push({type, bootId: 'boot-2'}, {type, bootId: 'boot-1'});
					break;
				default:
					if (type.startsWith('xstate.')) break;
					events.push({type});
			}
		}
		return careful ? events.filter(e => !SLOW_EVENTS.test(e.type) && !isFailedRun(e)) : events;
	};

	const serializeState = (snapshot: Snapshot) => JSON.stringify([snapshot.value, options.contextKey(snapshot.context as WizardContext<any>)]);
	const traverse = (careful: boolean) =>
		getShortestPaths(machine as never, {events: eventsFor(careful) as never, input: options.input, serializeState} as never) as unknown as Path[];

	// Careful ways first: a screen reached without a skip, failure or override is shown so.
	const best = new Map<string, Path>();
	for (const careful of [true, false]) {
		for (const path of traverse(careful)) {
			const {step, screen} = position(path.state.value);
			const id = screenId(step, screen);
			const known = best.get(id);
			if (!known || (careful && path.steps.length < known.steps.length)) best.set(id, path);
		}
	}

	const screens: Screen[] = [];
	for (const {step, screen} of screensOf(machine)) {
		const id = screenId(step, screen);
		const path = best.get(id);
		if (path) {
			let depth = 0;
			while (depth < path.steps.length && position(path.steps[path.steps.length - 1 - depth]!.state.value).step === step) depth++;
			screens.push({step, screen, id, snapshot: path.state, events: path.steps.map(s => s.event).filter(e => e.type !== 'xstate.init'), reached: 'path', depth});
			continue;
		}
		// A step that was running when the wizard stopped: the runtime starts it again on this screen.
		const running = best.get(screenId(step, 'running'));
		if (screen === 'interrupted' && running) {
			screens.push({step, screen, id, snapshot: machine.resolveState({value: {[step]: 'interrupted'}, context: running.state.context}), events: [], reached: 'restart', depth: Number.MAX_SAFE_INTEGER});
			continue;
		}
		const sibling = [...best.entries()].find(([other]) => other.startsWith(`${step}.`))?.[1];
		if (!sibling || !screen) throw new Error(`no way to show ${id}: no screen of the step is reached`);
		screens.push({step, screen, id, snapshot: machine.resolveState({value: {[step]: screen}, context: sibling.state.context}), events: [], reached: 'none', depth: Number.MAX_SAFE_INTEGER});
	}
	return screens;
}

function isFailedRun(event: Event): boolean {
	const output = event.output as RunSummary | undefined;
	return event.type.startsWith('xstate.done.actor.') && output !== undefined && 'failedIndex' in output && output.failedIndex !== null;
}
