import {render} from 'ink-testing-library';
import React from 'react';
import {afterEach, describe, expect, it} from 'vitest';
import {createActor, fromPromise, type AnyStateMachine} from 'xstate';
import type {OperatorEvent, RunSummary} from '../../machines/kit.ts';
import {pmUpgradeMachine, type PmContext, type PmFacts} from '../../machines/puremessage-5.6-to-6.ts';
import type {Deployment} from '../../source/probes/pm-deployment.ts';
import {OutputBuffer} from '../../source/runtime/output.ts';
import {App} from '../../source/ui/App.tsx';
import {makeTheme} from '../../source/ui/theme.ts';
import {FIVE, THREE} from '../fixtures/pm-deployments.ts';

const GiB = 1024 ** 3;
const DOWN = '\u001B[B';
const ENTER = '\r';

const ticks = async (n = 3) => {
	for (let i = 0; i < n; i++) await new Promise(resolve => setTimeout(resolve, 0));
};

/** The probes of a healthy deployment: every server answers as root, with the identity it was recorded with. */
function facts(deployment: Deployment) {
	return (probe: string, context: PmContext): Partial<PmFacts> => {
		const current = context.plan.find(i => i.id === context.current)?.server ?? deployment.servers.find(s => !context.diskPassed.includes(s.name))?.name ?? '';
		const server = deployment.servers.find(s => s.name === current);
		switch (probe) {
			case 'inventory':
				return {deployment, deploymentFile: deployment.file, deploymentProblems: []};
			case 'preconditions':
				return {identities: Object.fromEntries(deployment.servers.map(s => [s.name, {uid: 0, user: 'root', hostname: s.hostname, addresses: s.addresses}]))};
			case 'identity':
				return {identityNow: {server: current, hostname: server!.hostname, addresses: server!.addresses}};
			case 'disk':
				return {disk: {server: current, availableBytes: 20 * GiB}};
			case 'installed':
				return {installed: {server: current, pmx6: true, pmx: true}};
			default:
				return {};
		}
	};
}

function setup(deployment: Deployment) {
	const sent: OperatorEvent[] = [];
	const answer = facts(deployment);
	const machine = pmUpgradeMachine().provide({
		actors: {
			probe: fromPromise(async ({input}: {input: {probe: string; context: PmContext}}) => answer(input.probe, input.context)),
			runCommands: fromPromise(async (): Promise<RunSummary> => ({step: 'x', commands: [], failedIndex: null, tail: []})),
		} as never,
	});
	const actor = createActor(machine as never as AnyStateMachine, {input: {startedAt: 0}});
	actor.start();
	const view = render(
		<App
			machine={pmUpgradeMachine() as never}
			actor={actor as never}
			output={new OutputBuffer()}
			hostLabel="db1.example.lan (simulated)"
			send={event => {
				sent.push(event);
				actor.send(event as never);
			}}
			onLeave={() => undefined}
			settleMs={0}
			theme={makeTheme({NO_COLOR: '1', TERM: 'linux'})}
			now={() => 0}
		/>,
	);
	return {actor, view, sent};
}

let cleanup: (() => void) | null = null;
afterEach(() => {
	cleanup?.();
	cleanup = null;
});

/** Press on through the preparation as an operator would, to the plan screen. */
async function toPlan(ui: ReturnType<typeof setup>, deployment: Deployment) {
	const type = async (text: string) => {
		ui.view.stdin.write(text);
		await ticks();
		ui.view.stdin.write(ENTER);
		await ticks();
	};
	const press = async (key = ENTER) => {
		ui.view.stdin.write(key);
		await ticks();
	};
	await ticks(6);
	await press(); // inventory passed
	await press(); // root everywhere
	if (deployment.servers.some(s => s.access === 'manual')) await type('root');
	for (const s of deployment.servers) {
		await type('12G');
		if (s.access === 'manual') await type('enough');
		else await press();
	}
	await press(); // the notice text
	await type('sent');
	await press(DOWN);
	await press(); // Database & Quarantine
}

const frame = (ui: ReturnType<typeof setup>) => ui.view.lastFrame() ?? '';

describe('the PureMessage plan screen', () => {
	it('shows every server of five in the required order, with its state, in 80x24', async () => {
		const ui = setup(FIVE);
		cleanup = ui.view.unmount;
		await toPlan(ui, FIVE);
		const text = frame(ui);
		const rows = text.split('\n');
		expect(rows.length).toBeLessThanOrEqual(24);
		for (const row of rows) expect(row.length).toBeLessThanOrEqual(80);
		const order = ['db1 (here): Database Server, CSM', 'start PureMessage on db1 (CSM)', 'mta1 (ssh)', 'mta2 (ssh)', 'euwi1 (ssh): End User Web Interface', 'gwi1 (ssh): Groups Web Interface'];
		const at = order.map(s => text.indexOf(s));
		expect(at.every(i => i >= 0), text).toBe(true);
		expect([...at].sort((a, b) => a - b)).toEqual(at);
		expect(text).toContain('1. [next    ] db1');
		expect(text).toContain('Migration: Database & Quarantine');
		expect(text).toContain('> 1. Next: Upgrade db1 (db1.example.lan)');
		expect(rows[rows.length - 1]).toContain('Enter choose');
		expect(rows[rows.length - 1]).toContain('q leave');
	});

	it('refuses the web interface picked before the filters, and marks each item done as it is', async () => {
		const ui = setup(THREE);
		cleanup = ui.view.unmount;
		await toPlan(ui, THREE);
		ui.view.stdin.write('4');
		await ticks();
		expect(frame(ui)).toContain('REFUSED: Upgrade euwi1 (euwi1.example.lan) is out of order.');
		expect(frame(ui)).toContain('Next in the required order: Upgrade db1 (db1.example.lan).');
		expect(ui.sent).toContainEqual({type: 'operator.choose', value: 'upgrade:euwi1'});
		ui.view.stdin.write(ENTER);
		await ticks();
		expect(frame(ui)).toContain('> 1. Next: Upgrade db1');
		// db1 in order: picked, its identity, the database note, pmx-setup, its check; then the migration.
		for (const key of [ENTER, ENTER, ENTER, ENTER, ENTER]) {
			ui.view.stdin.write(key);
			await ticks(4);
		}
		ui.view.stdin.write('1');
		await ticks(4);
		ui.view.stdin.write('migrated');
		await ticks();
		ui.view.stdin.write(ENTER);
		await ticks(4);
		const text = frame(ui);
		expect(text).toContain('1. [done    ] db1 (here)');
		expect(text).toContain('2. [next    ] start PureMessage on db1 (CSM)');
		expect(text).toContain('4. [to do   ] euwi1 (by hand)');
	});
});
