import {render} from 'ink-testing-library';
import React from 'react';
import {afterEach, describe, expect, it} from 'vitest';
import {createActor, fromPromise, type AnyStateMachine} from 'xstate';
import type {OperatorEvent, RunSummary} from '../../machines/kit.ts';
import {pmgUpgradeMachine, type PmgFacts} from '../../machines/pmg-8-to-9.ts';
import {OutputBuffer} from '../../source/runtime/output.ts';
import {App} from '../../source/ui/App.tsx';
import {makeTheme} from '../../source/ui/theme.ts';

/*
 * Every key is bound to the screen that was on the terminal when it
 * arrived: a key pressed while a step was checking never acts on the result
 * that replaced it, a burst never runs a screen nobody saw, and a screen
 * that runs commands takes Enter only after it has been shown a moment.
 */

const ENTER = '\r';
const ticks = async (n = 2) => {
	for (let i = 0; i < n; i++) await new Promise(resolve => setTimeout(resolve, 0));
};
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
async function until(frame: () => string | undefined, text: string) {
	for (let i = 0; i < 200 && !(frame() ?? '').includes(text); i++) await sleep(10);
	expect(frame()).toContain(text);
}

const facts: Record<string, Partial<PmgFacts>> = {
	preconditions: {identity: {uid: 0, user: 'root', hostname: 'pmg1'}, session: {ssh: false, multiplexer: false}},
	pmgversion: {pmgApi: '8.2.7'},
};

/** The PMG wizard whose probes answer when the test lets them (`release`). */
function setup(settleMs: number) {
	const sent: OperatorEvent[] = [];
	const ran: string[] = [];
	let release: (() => void) | null = null;
	const machine = pmgUpgradeMachine().provide({
		actors: {
			probe: fromPromise(async ({input}: {input: {probe: string}}) => {
				await new Promise<void>(resolve => {
					release = resolve;
				});
				return facts[input.probe] ?? {};
			}),
			runCommands: fromPromise(async ({input}: {input: {step: string}}): Promise<RunSummary> => {
				ran.push(input.step);
				return {step: input.step, commands: [], failedIndex: null, tail: []};
			}),
		} as never,
	});
	const actor = createActor(machine as never as AnyStateMachine, {input: {startedAt: Date.UTC(2026, 10, 22)}});
	actor.start();
	const view = render(
		<App
			machine={pmgUpgradeMachine() as never}
			actor={actor as never}
			output={new OutputBuffer()}
			hostLabel="pmg1.example.lan (simulated)"
			send={event => {
				sent.push(event);
				actor.send(event as never);
			}}
			onLeave={() => undefined}
			theme={makeTheme({NO_COLOR: '1', TERM: 'linux'})}
			now={() => 0}
			settleMs={settleMs}
		/>,
	);
	return {actor, view, sent, ran, release: () => release?.()};
}

const at = (actor: {getSnapshot(): {value: unknown}}) => JSON.stringify(actor.getSnapshot().value);
const footerOf = (frame: string) => frame.split('\n').filter(l => l.trim() !== '').at(-1) ?? '';

let cleanup: (() => void) | null = null;
afterEach(() => {
	cleanup?.();
	cleanup = null;
});

describe('keys and the screen on the terminal', () => {
	it('drops an Enter pressed while "Checking ..." was shown, though the result came before the key', async () => {
		const {view, actor, sent, release} = setup(0);
		cleanup = view.unmount;
		await ticks(4);
		expect(view.lastFrame()).toContain('Checking ...');
		// The result arrives; before it is drawn, the Enter meant for "Checking ..." comes in.
		const sub = actor.subscribe(snapshot => {
			if (JSON.stringify(snapshot.value).includes('passed')) {
				sub.unsubscribe();
				view.stdin.write(ENTER);
			}
		});
		release();
		await ticks(6);
		expect(sent).toEqual([]);
		expect(at(actor)).toContain('passed');
		const frame = view.lastFrame()!;
		expect(frame).toContain('running as root on pmg1');
		expect(footerOf(frame)).toContain('key ignored: the screen changed; read it first');
	});

	it('says "wait for the result" to a key pressed on "Checking ...", and lets it act once the result is shown', async () => {
		const {view, actor, sent, release} = setup(0);
		cleanup = view.unmount;
		await ticks(4);
		view.stdin.write(ENTER);
		await ticks();
		expect(footerOf(view.lastFrame()!)).toContain('key ignored: wait for the result');
		release();
		await ticks(6);
		expect(at(actor)).toContain('passed');
		expect(sent).toEqual([]);
		view.stdin.write(ENTER);
		await ticks(6);
		expect(sent).toEqual([{type: 'operator.continue'}]);
	});

	it('never lets a burst run a screen that was not drawn: Enter Enter on a result screen stops at the commands', async () => {
		const {view, actor, sent, ran, release} = setup(0);
		cleanup = view.unmount;
		await ticks(4);
		release();
		await ticks(6);
		view.stdin.write(`${ENTER}${ENTER}${ENTER}`);
		await ticks(6);
		expect(sent).toEqual([{type: 'operator.continue'}]);
		expect(ran).toEqual([]);
		expect(at(actor)).toContain('updateCurrent');
		expect(view.lastFrame()).toContain('$ apt update');
	});

	it('takes Enter on a screen that runs commands only after it has been shown for the settle time', async () => {
		const {view, actor, sent, ran, release} = setup(400);
		cleanup = view.unmount;
		await ticks(4);
		release();
		await until(view.lastFrame, 'Enter continue');
		await sleep(200);
		view.stdin.write(ENTER);
		await until(view.lastFrame, '$ apt update');
		// At once: too soon to have read the commands.
		view.stdin.write(ENTER);
		await ticks();
		expect(footerOf(view.lastFrame()!)).toContain('key ignored: read the screen first');
		expect(ran).toEqual([]);
		await sleep(450);
		view.stdin.write(ENTER);
		await ticks(6);
		expect(ran).toEqual(['updateCurrent']);
		expect(sent.filter(e => e.type === 'operator.continue')).toHaveLength(2);
		expect(at(actor)).not.toContain('review');
	});
});
