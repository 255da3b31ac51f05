import {render} from 'ink-testing-library';
import React from 'react';
import {afterEach, describe, expect, it} from 'vitest';
import {createActor, fromPromise, type AnyStateMachine} from 'xstate';
import type {OperatorEvent, RunSummary} from '../../machines/kit.ts';
import {vmmUpgradeMachine, type VmmFacts} from '../../machines/vmm-0.5-to-0.6.ts';
import {OutputBuffer} from '../../source/runtime/output.ts';
import {position} from '../../source/runtime/runtime.ts';
import {App} from '../../source/ui/App.tsx';
import {makeTheme} from '../../source/ui/theme.ts';

/*
 * The free-text screen (the vmm source directory, the database connection)
 * under ink-testing-library: keys typed through stdin, what the operator sees,
 * and the event the machine gets.
 */

const ENTER = '\r';
const BACKSPACE = '\u007f';
const ESC = '\u001B';
const ticks = async (n = 2) => {
	for (let i = 0; i < n; i++) await new Promise(resolve => setTimeout(resolve, 0));
};

const facts: Record<string, Partial<VmmFacts>> = {
	vmmVersion: {vmm: {version: '0.5.2', raw: 'vmm, version 0.5.2'}},
};

function setup() {
	const sent: OperatorEvent[] = [];
	const machine = vmmUpgradeMachine().provide({
		actors: {
			probe: fromPromise(async ({input}: {input: {probe: string}}) => facts[input.probe] ?? {}),
			runCommands: fromPromise(async (): Promise<RunSummary> => ({step: 'x', commands: [], failedIndex: null, tail: []})),
		} as never,
	});
	const actor = createActor(machine as never as AnyStateMachine, {input: {startedAt: Date.UTC(2026, 11, 2)}});
	actor.start();
	const view = render(
		<App
			machine={vmmUpgradeMachine() as never}
			actor={actor as never}
			output={new OutputBuffer()}
			hostLabel="mail.example.org (simulated)"
			send={event => {
				sent.push(event);
				actor.send(event as never);
			}}
			onLeave={() => sent.push({type: 'left'} as never)}
			settleMs={0}
			theme={makeTheme({NO_COLOR: '1', TERM: 'linux'})}
			now={() => 0}
		/>,
	);
	return {actor, view, sent};
}

/** Enter through the version and the route: the source directory is asked. */
async function atSourceDir() {
	const s = setup();
	await ticks(4);
	s.view.stdin.write(ENTER);
	await ticks(4);
	s.view.stdin.write(ENTER);
	await ticks(4);
	expect(position(s.actor.getSnapshot().value)).toEqual({step: 'sourceDir', screen: 'ask'});
	return s;
}

let cleanup: (() => void) | null = null;
afterEach(() => {
	cleanup?.();
	cleanup = null;
});

describe('the input screen', () => {
	it('asks, shows what is typed and names its keys', async () => {
		const {view} = await atSourceDir();
		cleanup = view.unmount;
		const frame = view.lastFrame()!;
		expect(frame).toContain('Directory of the unpacked vmm 0.6.x source:');
		expect(frame).toContain('> _');
		expect(frame).toContain('Enter confirm');
		expect(frame).toContain('Esc clear');
		expect(frame).toContain('Ctrl-C leave');
		for (const l of frame.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
	});

	it('sends a path with blanks, quotes, ; and $() exactly as typed; letters like q and s are text', async () => {
		const {view, sent, actor} = await atSourceDir();
		cleanup = view.unmount;
		const typed = `/srv/my vmm 'q'; $(rm -rf /) "s"x`;
		for (const char of typed) view.stdin.write(char);
		view.stdin.write(BACKSPACE);
		await ticks();
		expect(view.lastFrame()).toContain(`> ${typed.slice(0, -1)}_`);
		view.stdin.write(ENTER);
		await ticks(4);
		expect(sent).toContainEqual({type: 'operator.input', value: typed.slice(0, -1)});
		expect(sent).not.toContainEqual({type: 'left'});
		expect(actor.getSnapshot().context.choices.sourceDir).toBe(typed.slice(0, -1));
	});

	it('Esc clears the line; Enter on an empty line without a default asks for a value', async () => {
		const {view, sent} = await atSourceDir();
		cleanup = view.unmount;
		for (const char of 'abc') view.stdin.write(char);
		view.stdin.write(ESC);
		await ticks(4);
		expect(view.lastFrame()).toContain('> _');
		view.stdin.write(ENTER);
		await ticks();
		expect(view.lastFrame()).toContain('Type a value, then Enter.');
		expect(sent.filter(e => e.type === 'operator.input')).toHaveLength(0);
	});

	it('Enter on an empty line takes the default the screen shows', async () => {
		const {view, sent, actor} = setup();
		cleanup = view.unmount;
		// Straight to the database questions, as after the earlier steps.
		const at = vmmUpgradeMachine().resolveState({value: {database: 'host'}, context: actor.getSnapshot().context as never});
		const moved = createActor(vmmUpgradeMachine() as never as AnyStateMachine, {snapshot: at as never, input: {startedAt: 0}});
		moved.start();
		view.rerender(
			<App
				machine={vmmUpgradeMachine() as never}
				actor={moved as never}
				output={new OutputBuffer()}
				hostLabel="mail.example.org (simulated)"
				send={event => {
					sent.push(event);
					moved.send(event as never);
				}}
				onLeave={() => undefined}
				settleMs={0}
				theme={makeTheme({NO_COLOR: '1', TERM: 'linux'})}
				now={() => 0}
			/>,
		);
		await ticks(4);
		expect(view.lastFrame()).toContain('Enter on an empty line: localhost');
		view.stdin.write(ENTER);
		await ticks(4);
		expect(sent).toContainEqual({type: 'operator.input', value: 'localhost'});
		expect(view.lastFrame()).toContain('Database user vmm connects as:');
	});

	it('? on an empty line explains the step; Ctrl-C leaves', async () => {
		const {view, sent} = await atSourceDir();
		cleanup = view.unmount;
		view.stdin.write('?');
		await ticks();
		expect(view.lastFrame()).toContain('never read by a shell');
		expect(view.lastFrame()).toContain('Esc/? back');
		view.stdin.write(ESC);
		await ticks(4);
		view.stdin.write('\u0003');
		await ticks();
		expect(sent).toContainEqual({type: 'left'});
	});
});
