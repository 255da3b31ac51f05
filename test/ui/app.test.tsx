import {render} from 'ink-testing-library';
import React from 'react';
import {afterEach, describe, expect, it} from 'vitest';
import {createActor, fromPromise, type AnyStateMachine} from 'xstate';
import type {OperatorEvent, RunSummary} from '../../machines/kit.ts';
import {pmgUpgradeMachine, type PmgFacts} from '../../machines/pmg-8-to-9.ts';
import {OutputBuffer} from '../../source/runtime/output.ts';
import {App} from '../../source/ui/App.tsx';
import {makeTheme} from '../../source/ui/theme.ts';
import {feedKeys} from './key-feed.ts';

const GiB = 1024 ** 3;
const DOWN = '\u001B[B';
const UP = '\u001B[A';
const ENTER = '\r';

/** Wait (up to 2 s) until `ok` holds. */
async function until(ok: () => boolean | undefined) {
	for (let i = 0; i < 200 && !ok(); i++) await new Promise(resolve => setTimeout(resolve, 10));
	expect(ok()).toBe(true);
}

/** Two timer ticks: Ink handles input and re-renders on the next turns. */
const ticks = async (n = 2) => {
	for (let i = 0; i < n; i++) await new Promise(resolve => setTimeout(resolve, 0));
};

const good: Record<string, Partial<PmgFacts>> = {
	preconditions: {identity: {uid: 0, user: 'root', hostname: 'pmg1'}, session: {ssh: false, multiplexer: false}},
	pmgversion: {pmgApi: '8.2.7'},
	backupCandidates: {backupCandidates: [{path: '/var/lib/pmg/backup/pmg-backup_2026_01_10_6781A2B0.tgz', size: 9000, mtimeMs: Date.UTC(2026, 0, 10)}]},
	backup: {backup: {path: '/var/lib/pmg/backup/pmg-backup_2026_11_22_6781A2B0.tgz', exists: true, size: 9000, mtimeMs: Date.UTC(2026, 10, 22, 1), missing: [], recent: true}},
	disk: {disk: {availableBytes: 9.5 * GiB, totalBytes: 32 * GiB}},
};

function setup(facts: Record<string, Partial<PmgFacts>> = good, settleMs = 0) {
	const sent: OperatorEvent[] = [];
	const output = new OutputBuffer();
	const machine = pmgUpgradeMachine().provide({
		actors: {
			probe: fromPromise(async ({input}: {input: {probe: string}}) => facts[input.probe] ?? {}),
			runCommands: fromPromise(async (): Promise<RunSummary> => ({step: 'x', commands: [], failedIndex: null, tail: []})),
		} as never,
	});
	const actor = createActor(machine as never as AnyStateMachine, {input: {startedAt: Date.UTC(2026, 10, 22)}});
	actor.start();
	const view = render(
		<App
			machine={pmgUpgradeMachine() as never}
			actor={actor as never}
			output={output}
			hostLabel="pmg1.example.lan (simulated)"
			send={event => {
				sent.push(event);
				actor.send(event as never);
			}}
			onLeave={() => undefined}
			settleMs={settleMs}
			theme={makeTheme({NO_COLOR: '1', TERM: 'linux'})}
			now={() => 0}
		/>,
	);
	return {actor, view, sent, output};
}

let cleanup: (() => void) | null = null;
afterEach(() => {
	cleanup?.();
	cleanup = null;
});

describe('the wizard screen', () => {
	it('shows where the operator is, the findings as words, and the keys', async () => {
		const {view} = setup();
		cleanup = view.unmount;
		await ticks(4);
		const frame = view.lastFrame()!;
		expect(frame).toContain('PMG 8 -> 9');
		expect(frame).toContain('step 1/');
		expect(frame).toContain('Preconditions');
		expect(frame).toContain('[PASS]');
		expect(frame).toContain('running as root on pmg1');
		expect(frame).toContain('Enter continue');
		expect(frame).toContain('q leave');
	});

	it('never draws more than 23 lines, and none wider than 80 columns', async () => {
		const {view} = setup();
		cleanup = view.unmount;
		await ticks(4);
		for (const frame of view.frames.filter(Boolean)) {
			const lines = frame.split('\n');
			expect(lines.length).toBeLessThanOrEqual(23);
			for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
		}
	});

	it('shows the commands before running them, and runs them on Enter', async () => {
		const {view, actor} = setup();
		cleanup = view.unmount;
		await ticks(4);
		view.stdin.write(ENTER);
		await ticks();
		expect(view.lastFrame()).toContain('$ apt update');
		expect(view.lastFrame()).toContain('$ apt dist-upgrade');
		expect(view.lastFrame()).toContain('runs on the terminal');
		view.stdin.write(ENTER);
		await ticks(6);
		expect(JSON.stringify(actor.getSnapshot().value)).toContain('updateCurrent');
		expect(view.lastFrame()).toContain('pmg-api 8.2.7');
	});

	it('asks why before skipping, and logs the reason with the event', async () => {
		const {view, sent} = setup();
		cleanup = view.unmount;
		await ticks(4);
		view.stdin.write(ENTER);
		await ticks();
		view.stdin.write('s');
		await ticks();
		expect(view.lastFrame()).toContain('Why do you skip this step?');
		view.stdin.write(ENTER);
		await ticks();
		expect(view.lastFrame()).toContain('A skip needs a reason');
		for (const char of 'updated yesterday') view.stdin.write(char);
		await ticks();
		view.stdin.write(ENTER);
		await ticks(6);
		expect(sent).toContainEqual({type: 'operator.skip', reason: 'updated yesterday'});
		// A skip of the commands never skips the version check.
		expect(view.lastFrame()).toContain('pmg-api 8.2.7 (8.2.5 or newer)');
	});

	it('counts every key of a burst: Down Down Enter in one write choose the third entry of the list', async () => {
		const older = {path: '/var/lib/pmg/backup/pmg-backup_2025_12_01_6781A2B0.tgz', size: 8000, mtimeMs: Date.UTC(2025, 11, 1)};
		const {view, sent} = setup({...good, backupCandidates: {backupCandidates: [...good.backupCandidates!.backupCandidates!, older]}});
		cleanup = view.unmount;
		// The terminal's side as in the wizard: one key per write (KeyStream).
		const type = feedKeys(view.stdin);
		await ticks(4);
		// Preconditions -> update (skip commands by running them) -> backup choice.
		type(ENTER);
		await ticks();
		type(ENTER);
		await ticks(6);
		type(ENTER);
		await ticks(6);
		const list = view.lastFrame()!;
		expect(list).toContain(' > 1. Create a new backup now');
		expect(list).toContain('   2. Use pmg-backup_2026_01_10_6781A2B0.tgz');
		expect(list).toContain('   3. Use pmg-backup_2025_12_01_6781A2B0.tgz');
		type(`${DOWN}${DOWN}${ENTER}`);
		await until(() => sent.some(e => e.type === 'operator.choose'));
		expect(sent.filter(e => e.type === 'operator.choose')).toEqual([{type: 'operator.choose', value: older.path}]);
	});

	it('moves the highlight through the list (wrapping at the ends) and keeps it on the screen; a digit picks', async () => {
		const {view, sent, actor} = setup();
		cleanup = view.unmount;
		const type = feedKeys(view.stdin);
		const highlighted = () => (view.lastFrame() ?? '').split('\n').find(l => l.startsWith(' > '))?.trim();
		await ticks(4);
		for (const key of [ENTER, ENTER, ENTER]) {
			type(key);
			await ticks(6);
		}
		expect(highlighted()).toBe('> 1. Create a new backup now');
		type(DOWN);
		await until(() => highlighted()?.startsWith('> 2. Use pmg-backup_2026_01_10'));
		type(UP);
		await until(() => highlighted() === '> 1. Create a new backup now');
		// Up from the first entry goes to the last; j and k move as Down and Up do.
		type(UP);
		await until(() => highlighted()?.startsWith('> 2. Use pmg-backup_2026_01_10'));
		type('k');
		await until(() => highlighted() === '> 1. Create a new backup now');
		expect(sent.filter(e => e.type === 'operator.choose')).toEqual([]);
		type('2');
		await until(() => sent.some(e => e.type === 'operator.choose'));
		expect(sent.filter(e => e.type === 'operator.choose')).toEqual([{type: 'operator.choose', value: '/var/lib/pmg/backup/pmg-backup_2026_01_10_6781A2B0.tgz'}]);
		expect(JSON.stringify(actor.getSnapshot().value)).not.toContain('"choose"');
	});

	it('holds the key gate on a list: a pick the moment the list appears is dropped and said so, a later one counts', async () => {
		const {view, sent, actor} = setup(good, 700);
		cleanup = view.unmount;
		const type = feedKeys(view.stdin);
		const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
		await ticks(4);
		// Preconditions (continue), the update (runs: after the settle time), then the backup list.
		await sleep(200);
		type(ENTER);
		await until(() => view.lastFrame()?.includes('Enter run'));
		await sleep(800);
		type(ENTER);
		await until(() => view.lastFrame()?.includes('Enter continue') && !view.lastFrame()?.includes('Preconditions'));
		await sleep(200);
		// Enter here moves to the list: the rest of that burst was meant for
		// the screen before and is dropped; an Enter of the next write lands on
		// a list drawn a moment ago and is dropped too.
		const highlighted = () => (view.lastFrame() ?? '').split('\n').find(l => l.startsWith(' > '))?.trim();
		type(`${ENTER}${DOWN}${ENTER}`);
		type(ENTER);
		await until(() => view.lastFrame()?.includes('key ignored: the screen'));
		await sleep(300);
		expect(sent.filter(e => e.type === 'operator.choose')).toEqual([]);
		expect(JSON.stringify(actor.getSnapshot().value)).toContain('choose');
		expect(highlighted()).toBe('> 1. Create a new backup now');
		type(DOWN);
		await until(() => highlighted()?.startsWith('> 2. Use pmg-backup_2026_01_10'));
		type(ENTER);
		await until(() => sent.some(e => e.type === 'operator.choose'));
		expect(sent.filter(e => e.type === 'operator.choose')).toEqual([{type: 'operator.choose', value: '/var/lib/pmg/backup/pmg-backup_2026_01_10_6781A2B0.tgz'}]);
	});

	it('blocks on a failed guard with what was found, what to do, and r', async () => {
		const {view, sent} = setup();
		cleanup = view.unmount;
		await ticks(4);
		// Preconditions, the update (run), the backup: create, run, passed, off-host confirmation.
		for (const key of [ENTER, ENTER, ENTER, ENTER, ENTER, ENTER, ENTER]) {
			view.stdin.write(key);
			await ticks(6);
		}
		expect(view.lastFrame()).toContain('Type exactly "stored"');
		for (const char of 'stored') view.stdin.write(char);
		await ticks();
		view.stdin.write(ENTER);
		await ticks(8);
		const frame = view.lastFrame()!;
		expect(sent).toContainEqual({type: 'operator.confirm', text: 'stored'});
		expect(frame).toContain('Free space on /');
		expect(frame).toContain('[FAIL]');
		expect(frame).toContain('9.5 GiB available on /');
		expect(frame).toContain('What to do:');
		expect(frame).toContain('r check again');
		// r checks again: the probe runs again and still finds too little space.
		const before = sent.length;
		view.stdin.write('r');
		await ticks(8);
		expect(sent.slice(before)).toEqual([{type: 'operator.recheck'}]);
		expect(view.lastFrame()).toContain('9.5 GiB available on /');
	});
});
