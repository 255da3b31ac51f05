import {afterAll, describe, expect, it} from 'vitest';
import type {AnyStateMachine} from 'xstate';
import {trainings, type Training} from '../../source/commands/train.ts';
import {PRODUCTS} from '../../source/products.ts';
import {position} from '../../source/runtime/runtime.ts';
import {handleKey, type Key} from '../../source/ui/keys.ts';
import {freshUi, screenModel, type ScreenModel, type UiState} from '../../source/ui/screen.ts';
import {openRun, removeRuns, settled, type Run} from '../runtime/drive.ts';

/*
 * Every bundled training scenario (what `upgrade-wizard train` lists) can be
 * walked to its designed end with the keys its screens offer: each key
 * pressed here is one the footer shows, applied through the wizard's own
 * key handling. A trainee's choices are the careful ones: the highlighted
 * option, the word the screen asks for, the input's default, f where a fix
 * is offered, ! (the simulated host's command line, where the scenario's
 * solution is typed) where a step is stopped, r once after a failure. The
 * designed end is "finished", or the stop the scenario's description names.
 */

afterAll(() => removeRuns());

/** Where each scenario is designed to end: finished, or the stop its description names. */
const DESIGNED_END: Record<string, string> = {
	'pmg/not-root': 'preconditions.blocked',
	// Left as it is, avast's bookworm entry: the check before the dist-upgrade refuses.
	'pmg/avast': 'aptPolicy.blocked',
	// The third-party bookworm entries block until dealt with (with their vendor).
	'pmg/bookworm-leftovers': 'aptPolicy.blocked',
	'vmm/truncated-dump': 'backup.blocked',
	'vmm/postfix-running': 'stopServices.blocked',
	'puremessage/filter-low-disk': 'diskSpace.blocked',
	// mta1 was renamed: the wizard refuses to upgrade it until its name is put back.
	'puremessage/hostname-changed': 'identity.blocked',
	'pmg/old-version': 'updateCurrent.blocked',
	'pmg/unreachable-repository': 'updateCurrent.failed',
	// Another node is mid-upgrade: the gate before the dist-upgrade refuses, naming it.
	'pmg/cluster-other-node-upgrading': 'clusterGate.blocked',
	// apt refuses every update while the PMG repository names two keyrings: the first step stops.
	'pmg/signed-by-twice': 'preconditions.blocked',
	'vmm/old-0.4': 'tooOld.info',
};

/**
 * Scenarios of a host after (or in the middle of) an upgrade, for
 * `upgrade-wizard check pmg` (their descriptions say so; test/check walks
 * them): the wizard's walk from the first step is not what they are for.
 */
const FOR_CHECK = new Set(['pmg/upgraded', 'pmg/upgrade-half-way', 'pmg/upgraded-postfix-down']);

/** Typed into an input screen instead of its default, by scenario and screen. */
const INPUTS: Record<string, Record<string, string>> = {};

/** PureMessage's size-check figure as the screen shows it (the simulated deployment plays the check). */
function shownFigure(model: ScreenModel): string | undefined {
	const text = model.body.map(l => l.map(s => s.text).join('')).join('\n');
	return /the size check on \S+ reports (\S+) required/.exec(text)?.[1];
}

type Walk = {end: string; keys: string[]; screens: string[]};

async function walk(training: Training): Promise<Walk> {
	const id = `${training.product}/${training.name}`;
	const product = PRODUCTS[training.product];
	const machine = product.machine() as AnyStateMachine;
	let env: NodeJS.ProcessEnv = {};
	let run: Run = await openRun(machine, product.probes, training.file);
	const pressed: string[] = [];
	const screens: string[] = [];
	let retried = '';
	let ui: UiState = freshUi('');
	let model: ScreenModel | null = null;
	const press = (key: Key, label: string) => {
		if (!model) throw new Error('no screen');
		const shown = model.keys.map(k => k.key);
		// Only what the footer offers (a typed word's letters go into the field the footer names).
		const offered = shown.includes(label) || (label === 'text' && (shown.includes('type') || model!.view === 'input'));
		if (!offered) throw new Error(`${id}: "${label}" is not in the footer (${shown.join(', ')}) at ${ui.at}`);
		pressed.push(label);
		ui = handleKey(key, model, ui, {send: event => run.wizard.send(event), leave: () => undefined});
	};
	const type = (text: string) => {
		for (const char of text) press({name: 'char', char}, 'text');
	};
	for (let i = 0; i < 400; i++) {
		await settled(run.wizard);
		await run.wizard.shelling;
		await settled(run.wizard);
		await run.wizard.flushed();
		const snapshot = run.wizard.actor.getSnapshot();
		if (snapshot.status === 'done') return {end: 'finished', keys: pressed, screens};
		const {step, screen} = position(snapshot.value);
		const where = `${step}.${screen ?? ''}`;
		if (ui.at !== where) ui = freshUi(where);
		model = screenModel({machine, snapshot: snapshot as never, ui, output: run.wizard.output.snapshot(), hostLabel: run.host.label, training: true, shell: true});
		if (screens.at(-1) !== where) screens.push(where);
		if (DESIGNED_END[id] === where) return {end: where, keys: pressed, screens};
		// The simulated reboot: the wizard has left; started again, it goes on after it.
		if (where === 'reboot.waiting') {
			await run.wizard.flushed();
			await run.transcript.close();
			run = await openRun(machine, product.probes, training.file, run.dir, {processEnv: env});
			continue;
		}
		// Relaunched inside tmux (the CLI does it): the wizard started there goes on at this step.
		if (screen === 'relaunch') {
			await run.wizard.flushed();
			await run.transcript.close();
			env = {TMUX: '/tmp/tmux-0/default,1,0'};
			run = await openRun(machine, product.probes, training.file, run.dir, {processEnv: env});
			continue;
		}
		const keys = model.keys.map(k => k.key);
		const has = (k: string) => keys.includes(k);
		const word = model.keys.find(k => k.key === 'type' && /^"[^"]+"$/.test(k.label))?.label.slice(1, -1);
		if (has('PgDn/Space')) press({name: 'pagedown'}, 'PgDn/Space');
		else if (model.view === 'input') {
			const text = INPUTS[id]?.[where] ?? (where === 'diskSpace.ask' ? shownFigure(model) : undefined);
			if (where === 'diskSpace.ask' && text === undefined) throw new Error(`${id}: the screen asks for the size check's figure and shows none`);
			if (text !== undefined) type(text);
			press({name: 'enter'}, 'Enter');
		} else if (word) {
			type(word);
			press({name: 'enter'}, 'Enter');
		} else if (model.view === 'blocked') {
			if (has('f') && retried !== `${where}f`) {
				retried = `${where}f`;
				press({name: 'char', char: 'f'}, 'f');
			}
			else if (has('c')) press({name: 'char', char: 'c'}, 'c');
			else if (has('!') && run.host.scenario.solution.length > 0 && retried !== `${where}!`) {
				retried = `${where}!`;
				press({name: 'char', char: '!'}, '!');
				await run.wizard.shelling;
				press({name: 'char', char: 'r'}, 'r');
			} else return {end: where, keys: pressed, screens};
		} else if (model.view === 'failed') {
			if (has('r') && retried !== where) {
				retried = where;
				press({name: 'char', char: 'r'}, 'r');
			} else return {end: where, keys: pressed, screens};
		} else if (model.view === 'choose' && has('Enter')) {
			// A list is Ink's (ink-select-input): Enter takes the highlighted entry, the first.
			pressed.push('Enter');
			run.wizard.send({type: 'operator.choose', value: model.options[0]!.value});
		} else if (has('Enter')) press({name: 'enter'}, 'Enter');
		else return {end: where, keys: pressed, screens};
	}
	throw new Error(`${id}: no end after 400 screens: ${screens.slice(-8).join(" -> ")}; keys ${pressed.slice(-12).join(" ")}; footer ${model?.keys.map(k => `${k.key} ${k.label}`).join(", ")}`);
}

const all = await trainings();

describe('every bundled training scenario reaches its designed end with the keys its footers show', () => {
	it('lists them all', () => {
		expect(all.length).toBeGreaterThanOrEqual(30);
	});
	it('leaves out only the scenarios made for check, whose descriptions say so', () => {
		for (const t of all.filter(t => FOR_CHECK.has(`${t.product}/${t.name}`))) expect(t.scenario.description).toMatch(/upgrade-wizard\s+check\s+pmg/);
	});
	for (const training of all.filter(t => !FOR_CHECK.has(`${t.product}/${t.name}`))) {
		const id = `${training.product}/${training.name}`;
		it(`${id}: ${DESIGNED_END[id] ?? 'finished'}`, async () => {
			const result = await walk(training);
			expect(result.end, `${id} stopped at ${result.end} after ${result.screens.slice(-6).join(' -> ')}`).toBe(DESIGNED_END[id] ?? 'finished');
		}, 60_000);
	}
});
