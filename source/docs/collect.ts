/**
 * What the probes answer on the simulated host: the wizard (real runtime,
 * real probes) is driven headless through scenario files, and every probe
 * result and every run of commands is recorded. The documentation explores
 * the machine with these answers, so its screens show what a host says,
 * not made-up facts.
 */
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {AnyStateMachine} from 'xstate';
import type {RunSummary, WizardContext} from '../../machines/kit.ts';
import {serverHosts} from '../host/servers.ts';
import {SimulatedHost} from '../host/simulated-host.ts';
import type {OutputView} from '../runtime/output.ts';
import {position, Wizard, type ProbeFn} from '../runtime/runtime.ts';
import {StateStore} from '../runtime/store.ts';
import {Transcript} from '../runtime/transcript.ts';
import {freshUi, screenModel} from '../ui/screen.ts';

/** One headless walk: a scenario, the operator's answers, where it ends. */
export type ScenarioWalk = {
	/** A scenario file. */
	scenario: string;
	/**
	 * Answers by "step.screen": an option value or typed word, or a number
	 * for the option at that place in the list (0 = the first). Without an
	 * answer: the first option, the asked word, Enter.
	 */
	answers?: Record<string, string | number>;
};

/** Everything the walks saw: probe results and runs of commands, in the order first seen. */
export type Recorded = {
	probes: Record<string, Array<Record<string, unknown>>>;
	/** Runs of commands by step: the first that succeeded and the first that failed. */
	runs: Record<string, {ok?: RunSummary; failed?: RunSummary}>;
	/** Where each walk stopped ("step.screen"), in the order of the walks. */
	ends: string[];
	/** The first walk's host, as the header names it. */
	hostLabel?: string;
	/**
	 * Live output by step, from the first walk that ran it: `first` as the
	 * first command ended (the running screen), `last` as the step's commands
	 * ended (the done screen).
	 */
	outputs: Record<string, {first: OutputView; last: OutputView}>;
};

export type CollectOptions = {
	machine: AnyStateMachine;
	probes: Record<string, ProbeFn>;
	walks: ScenarioWalk[];
	/** The simulated clock at the start of every walk (no real time in the docs). */
	clockMs: number;
	/** The relaunch command the preconditions probe reports (no machine paths). */
	relaunch: string[];
};

const MAX_SCREENS = 400;

export async function collect(options: CollectOptions): Promise<Recorded> {
	const recorded: Recorded = {probes: {}, runs: {}, ends: [], outputs: {}};
	const seen = new Map<string, Set<string>>();
	const record = (name: string, output: Record<string, unknown>) => {
		const key = JSON.stringify(output);
		const known = seen.get(name) ?? new Set<string>();
		seen.set(name, known);
		if (known.has(key)) return;
		known.add(key);
		(recorded.probes[name] ??= []).push(output);
	};
	const probes: Record<string, ProbeFn> = Object.fromEntries(
		Object.entries(options.probes).map(([name, probe]) => [
			name,
			async (host, context, env) => {
				const output = await probe(host, context, env);
				record(name, output);
				return output;
			},
		]),
	);
	for (const walk of options.walks) recorded.ends.push(await walkScenario(options, probes, walk, recorded));
	return recorded;
}

async function walkScenario(options: CollectOptions, probes: Record<string, ProbeFn>, walk: ScenarioWalk, recorded: Recorded): Promise<string> {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'upgrade-wizard-docs-'));
	try {
		const {machine} = options;
		const store = new StateStore(dir, 'docs', (machine.root.meta as {version: number}).version);
		await store.prepare();
		const transcript = await Transcript.open(path.join(dir, 'transcript.log'));
		const host = await SimulatedHost.open(walk.scenario, {
			stateFile: path.join(dir, 'host.json'),
			speed: 0,
			processEnv: {},
			fixedStart: {clockMs: options.clockMs, bootId: 'boot-1'},
		});
		recorded.hostLabel ??= host.label;
		// The other servers of a multi-server scenario, on the same fixed clock.
		const hostFor = serverHosts(host, host.scenario, dir, {speed: 0, fixedStart: {clockMs: options.clockMs, bootId: 'boot-1'}});
		const wizard = new Wizard({machine, host, store, transcript, probes, processEnv: {}, relaunch: options.relaunch, hostFor});
		let lastRun: RunSummary | null = null;
		wizard.actor.subscribe(state => {
			const run = (state.context as WizardContext<unknown>).lastRun;
			if (!run || run === lastRun) return;
			lastRun = run;
			const slot = (recorded.runs[run.step] ??= {});
			if (run.failedIndex === null) slot.ok ??= run;
			else slot.failed ??= run;
		});
		// The output of each step's commands, from the walk that ran them first.
		const known = new Set(Object.keys(recorded.outputs));
		wizard.output.subscribe(() => {
			const view = wizard.output.snapshot();
			const {step, screen} = position(wizard.actor.getSnapshot().value);
			if (screen !== 'running' || view.command === null || known.has(step)) return;
			const copy = {...view, lines: [...view.lines]};
			const slot = recorded.outputs[step];
			if (!slot) recorded.outputs[step] = {first: copy, last: copy};
			else if (slot.first.command === view.command && slot.last === slot.first) slot.first = slot.last = copy;
			else slot.last = copy;
		});
		await wizard.start();
		try {
			return await answerScreens(wizard, walk.answers ?? {});
		} finally {
			await wizard.flushed();
			await transcript.close();
		}
	} finally {
		await rm(dir, {recursive: true, force: true});
	}
}

/** Wait until no actor runs: the screen waits for the operator. */
async function settled(wizard: Wizard): Promise<void> {
	for (let i = 0; i < 10_000; i++) {
		const snapshot = wizard.actor.getSnapshot();
		const view = modelOf(wizard).view;
		if (snapshot.status !== 'active' || (view !== 'checking' && view !== 'running')) return;
		await new Promise(resolve => setTimeout(resolve, 2));
	}
	throw new Error(`the walk did not settle at ${JSON.stringify(wizard.actor.getSnapshot().value)}`);
}

const modelOf = (wizard: Wizard) => {
	const snapshot = wizard.actor.getSnapshot();
	const {step, screen} = position(snapshot.value);
	return screenModel({
		machine: wizard.actor.logic as AnyStateMachine,
		snapshot: snapshot as never,
		ui: freshUi(`${step}.${screen ?? ''}`),
		output: wizard.output.snapshot(),
		hostLabel: '',
	});
};

/** A careful operator: answers as the screen asks; stops where only a fix by hand helps. */
async function answerScreens(wizard: Wizard, answers: Record<string, string | number>): Promise<string> {
	for (let i = 0; i < MAX_SCREENS; i++) {
		await settled(wizard);
		const snapshot = wizard.actor.getSnapshot();
		const {step, screen} = position(snapshot.value);
		const where = `${step}.${screen ?? ''}`;
		if (snapshot.status !== 'active') return where;
		const model = modelOf(wizard);
		const answer = answers[where];
		if (step === 'reboot' && screen === 'waiting') {
			wizard.send({type: 'host.booted', bootId: await wizard.host.bootId()});
			continue;
		}
		switch (model.view) {
			case 'choose': {
				const value = typeof answer === 'number' ? model.options[answer]?.value : (answer ?? model.options[0]?.value);
				if (value === undefined) throw new Error(`${where}: no option ${String(answer)}`);
				wizard.send({type: 'operator.choose', value});
				break;
			}
			case 'confirm':
				wizard.send({type: 'operator.confirm', text: String(answer ?? model.screenMeta.confirm?.word ?? '')});
				break;
			case 'input':
				wizard.send({type: 'operator.input', value: String(answer ?? model.inputDefault ?? model.screenMeta.input?.example ?? '')});
				break;
			case 'blocked':
				if (answer === 'fix') wizard.send({type: 'operator.fix'});
				else if (answer === 'clean') wizard.send({type: 'operator.choose', value: 'yes'});
				else if (typeof answer === 'string') wizard.send({type: 'operator.override', text: answer});
				else return where;
				break;
			case 'failed':
				if (answer === 'retry') wizard.send({type: 'operator.retry'});
				else return where;
				break;
			default:
				if (!model.accepts.has('operator.continue')) return where;
				wizard.send({type: 'operator.continue'});
		}
	}
	throw new Error(`the walk did not end after ${MAX_SCREENS} screens`);
}
