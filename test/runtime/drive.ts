/**
 * A headless operator for tests: drives a Wizard (real runtime, real probes,
 * a simulated host) screen by screen, answering as the screen asks, and
 * records every screen it saw.
 */
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {AnyStateMachine} from 'xstate';
import {SimulatedHost} from '../../source/host/simulated-host.ts';
import {serverHosts} from '../../source/host/servers.ts';
import {position, Wizard, type ProbeFn} from '../../source/runtime/runtime.ts';
import {StateStore} from '../../source/runtime/store.ts';
import {Transcript} from '../../source/runtime/transcript.ts';
import {screenModel, freshUi} from '../../source/ui/screen.ts';

export type Answers = Record<string, string>;

export type Run = {
	wizard: Wizard;
	host: SimulatedHost;
	dir: string;
	store: StateStore;
	transcript: Transcript;
};

/** Temporary state directories made here; a test file removes them with removeRuns() in afterAll. */
const made: string[] = [];
export function removeRuns() {
	for (const dir of made.splice(0)) rmSync(dir, {recursive: true, force: true});
}

export async function openRun(machine: AnyStateMachine, probes: Record<string, ProbeFn>, scenario: string, dir?: string, options: {dryRun?: boolean; processEnv?: NodeJS.ProcessEnv} = {}): Promise<Run> {
	const where = dir ?? mkdtempSync(path.join(os.tmpdir(), 'muw-drive-'));
	if (!dir) made.push(where);
	const store = new StateStore(where, 'pmg', (machine.root.meta as {version: number}).version);
	await store.prepare();
	const loaded = await store.load();
	const transcript = await Transcript.open(path.join(where, 'transcript.log'));
	const host = await SimulatedHost.open(scenario, {stateFile: path.join(where, 'host.json'), speed: 0});
	const wizard = new Wizard({
		// The other servers of a multi-server scenario (PureMessage), each a simulated host of its own.
		hostFor: serverHosts(host, host.scenario, where, {speed: 0}),
		machine,
		host,
		store,
		transcript,
		probes,
		processEnv: options.processEnv ?? {},
		...(options.dryRun ? {dryRun: true} : {}),
		...(loaded.kind === 'ok' ? {snapshot: loaded.saved.snapshot} : {}),
	});
	await wizard.start();
	return {wizard, host, dir: where, store, transcript};
}

/** Wait until no actor is running (the screen waits for the operator). */
export async function settled(wizard: Wizard, timeoutMs = 20_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const snapshot = wizard.actor.getSnapshot();
		const view = screenModel({
			machine: wizard.actor.logic as AnyStateMachine,
			snapshot: snapshot as never,
			ui: freshUi(''),
			output: wizard.output.snapshot(),
			hostLabel: '',
		}).view;
		if (snapshot.status === 'done' || (view !== 'checking' && view !== 'running')) return;
		if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(snapshot.value)} after ${timeoutMs} ms`);
		await new Promise(resolve => setTimeout(resolve, 5));
	}
}

/**
 * Answer screens until `stop` says so. `answers` picks an option value, a
 * typed word or an input's text by "step.screen"; otherwise the first
 * option, the asked word, the input's default, or Enter.
 */
/**
 * Screens a careful operator answers the same way every time: modernize-sources
 * is answered n first (the scenarios' scripted answer: a preview, nothing
 * changed, so the step is not passed), then run again (f) and answered Y.
 */
const AS_THE_VENDOR_SAYS: Answers = {'modernizeSources.blocked': 'fix'};

export async function drive(
	run: Run,
	stop: (where: string, view: string) => boolean,
	answers: Answers = {},
	seen: string[] = [],
): Promise<string> {
	const {wizard} = run;
	for (let i = 0; i < 300; i++) {
		await settled(wizard);
		await wizard.flushed();
		const snapshot = wizard.actor.getSnapshot();
		const {step, screen} = position(snapshot.value);
		const where = `${step}.${screen ?? ''}`;
		const model = screenModel({
			machine: wizard.actor.logic as AnyStateMachine,
			snapshot: snapshot as never,
			ui: freshUi(where),
			output: wizard.output.snapshot(),
			hostLabel: '',
		});
		seen.push(where);
		if (stop(where, model.view) || snapshot.status === 'done') return where;
		const answer = answers[where] ?? AS_THE_VENDOR_SAYS[where];
		switch (model.view) {
			case 'choose':
				wizard.send({type: 'operator.choose', value: answer ?? model.options[0]!.value});
				break;
			case 'confirm':
				wizard.send({type: 'operator.confirm', text: answer ?? model.screenMeta.confirm!.word});
				break;
			case 'input':
				// An answer is typed literally; without one, Enter takes the default.
				wizard.send({type: 'operator.input', value: answer ?? model.inputDefault ?? model.screenMeta.input?.example ?? ''});
				break;
			case 'blocked':
				if (answer === 'fix') wizard.send({type: 'operator.fix'});
				else if (answer === 'clean') wizard.send({type: 'operator.choose', value: 'yes'});
				else if (answer) wizard.send({type: 'operator.override', text: answer});
				else return where;
				break;
			case 'failed':
				return where;
			default:
				if (!model.accepts.has('operator.continue')) return where;
				wizard.send({type: 'operator.continue'});
		}
	}
	throw new Error('no end after 300 screens');
}
