import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {waitFor} from 'xstate';
import {LocalHost} from '../../source/host/local-host.ts';
import type {StepCommand} from '../../machines/kit.ts';
import {position, Wizard} from '../../source/runtime/runtime.ts';
import {StateStore} from '../../source/runtime/store.ts';
import {Transcript} from '../../source/runtime/transcript.ts';
import {freshUi, screenModel} from '../../source/ui/screen.ts';
import {lineText} from '../../source/ui/text.ts';
import {oneStepMachine} from '../fixtures/one-step.ts';

/*
 * A command's output on this machine (LocalHost), read in chunks of many
 * lines: what the operator sees while it runs and after it failed, and what
 * the transcript keeps, line by line.
 */

const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-streaming-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

let runs = 0;
async function runStep(command: StepCommand) {
	const state = path.join(dir, `state-${++runs}`);
	const machine = oneStepMachine({product: 'stream', title: 'Streaming', stepTitle: 'Print', why: 'w', commands: [command], done: 'd'});
	const store = new StateStore(state, 'stream', 1);
	await store.prepare();
	const transcript = await Transcript.open(path.join(state, 'transcript.log'));
	const wizard = new Wizard({machine: machine as never, host: new LocalHost(process.env, {runDir: path.join(state, 'runs')}), store, transcript, probes: {}});
	// The last snapshot of the running screen: the screen the operator had before the step ended.
	let running: unknown = null;
	wizard.actor.subscribe(s => {
		if (position(s.value).screen === 'running') running = s;
	});
	await wizard.start();
	wizard.send({type: 'operator.continue'});
	await waitFor(wizard.actor, s => !['review', 'running'].includes(position(s.value).screen ?? ''), {timeout: 20_000});
	await wizard.flushed();
	await transcript.close();
	const screen = (snapshot: unknown) =>
		screenModel({machine: machine as never, snapshot: snapshot as never, ui: freshUi(''), output: wizard.output.snapshot(), hostLabel: ''}).body.map(lineText);
	return {
		wizard,
		where: position(wizard.actor.getSnapshot().value),
		runningScreen: screen(running),
		endScreen: screen(wizard.actor.getSnapshot()),
		transcript: readFileSync(path.join(state, 'transcript.log'), 'utf8').split('\n'),
	};
}

describe('streamed output', () => {
	it('keeps every line in the transcript with its prefix and in order, counts them all, and ends the screen on the last', async () => {
		const script = [
			'seq 1 20000',
			// A line cut across two reads of the output file (the first read has nothing else).
			"sleep 0.2; printf 'split '; sleep 0.3; printf 'line\\n'",
			"printf 'crlf one\\r\\ncrlf two\\r\\n'",
			"echo 'W: to stderr' >&2; sleep 0.3",
			"printf 'Paramètres\\n\\n'",
			"printf 'no newline at the end'",
		].join('; ');
		const run = await runStep({argv: ['sh', '-c', script], bulk: true});
		expect(run.where.screen).toBe('done');
		const stdout = run.transcript.filter(l => l.startsWith('| ')).map(l => l.slice(2));
		expect(stdout).toEqual([...Array.from({length: 20000}, (_, i) => String(i + 1)), 'split line', 'crlf one', 'crlf two', 'Paramètres', '', 'no newline at the end']);
		expect(run.transcript.filter(l => l.startsWith('! '))).toEqual(['! W: to stderr']);
		// The output sits between the run note and the exit note.
		const runAt = run.transcript.findIndex(l => l.includes(' run: sh -c'));
		const exitAt = run.transcript.findIndex(l => l.includes(' exit status 0 after'));
		expect(run.transcript.slice(runAt + 1, exitAt).every(l => l.startsWith('| ') || l.startsWith('! '))).toBe(true);
		expect(exitAt - runAt - 1).toBe(20000 + 6 + 1);

		const view = run.wizard.output.snapshot();
		expect(view.total).toBe(20000 + 6 + 1);
		expect(view.lines.at(-1)).toBe('no newline at the end');
		expect(run.runningScreen).toContainEqual(expect.stringContaining('Output (last lines of 20,007)'));
		expect(run.runningScreen.at(-1)).toBe('  no newline at the end');
		expect(run.runningScreen.at(-3)).toBe('  Paramètres');
	}, 30_000);

	it('a failed command shows its last 8 lines, from the last of many chunks', async () => {
		const run = await runStep({argv: ['sh', '-c', 'seq 1 30000; sleep 0.2; echo "E: Sub-process /usr/bin/dpkg returned an error code (1)" >&2; sleep 0.2; echo "last words"; exit 2'], bulk: true});
		expect(run.where.screen).toBe('failed');
		const tail = (run.wizard.actor.getSnapshot().context as {lastRun: {tail: string[]}}).lastRun.tail;
		expect(tail).toEqual(['29995', '29996', '29997', '29998', '29999', '30000', 'E: Sub-process /usr/bin/dpkg returned an error code (1)', 'last words']);
		const shown = run.endScreen.join('\n');
		expect(shown).toContain(' Last lines of output:\n  29995\n');
		expect(shown).toContain('\n  last words');
		expect(run.transcript).toContain('! E: Sub-process /usr/bin/dpkg returned an error code (1)');
	}, 30_000);
});
