/**
 * For the benchmark: a one-step wizard on this machine (LocalHost) whose
 * command prints LINES lines, drawn by the real session (Ink, maxFps, the
 * bounded tail). The bench presses Enter in tmux; this process measures
 * what only it can see and writes it to RESULT_FILE as JSON:
 * - ms: from the command's start to the step's end (all output read, the
 *   transcript written);
 * - bytes: what the wizard wrote to the terminal meanwhile;
 * - maxRssKb: the peak resident memory of this process over its whole life.
 * Usage: node stream.mjs STATE_DIR RESULT_FILE LINES [PER_SECOND]
 * PER_SECOND: the command prints that many lines a second (a sleep after
 * each), as apt does for minutes, instead of all at once.
 */
import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {LocalHost} from '../../source/host/local-host.ts';
import {position, Wizard} from '../../source/runtime/runtime.ts';
import {StateStore} from '../../source/runtime/store.ts';
import {Transcript} from '../../source/runtime/transcript.ts';
import {attachTerminal} from '../../source/ui/session.tsx';
import {oneStepMachine} from '../fixtures/one-step.ts';

const [stateDir, resultFile, lines, perSecond] = process.argv.slice(2) as [string, string, string, string | undefined];

// Lines about as long as apt's ("Unpacking libfoo (1.2-3) over (1.2-2) ..."), from a standard tool;
// paced: the same lines from a shell loop that sleeps after each (the sleep's own start makes it a little slower).
const producer = perSecond
	? ['sh', '-c', 'i=1; while [ $i -le "$1" ]; do echo "Unpacking package-$i (9.0-1) over (8.0-1) ..."; i=$((i+1)); sleep "$2"; done', 'sh', lines, String(1 / Number(perSecond))]
	: ['seq', '-f', 'Unpacking package-%.0f (9.0-1) over (8.0-1) ...', '1', lines];

let written = 0;
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
	written += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
	return write(chunk, ...rest);
}) as typeof process.stdout.write;

const machine = oneStepMachine({
	product: 'bench',
	title: 'Streaming benchmark',
	stepTitle: `Print ${lines} lines`,
	why: 'A command with as much output as apt dist-upgrade has.',
	commands: [{argv: producer, bulk: true}],
	done: 'All lines printed.',
});

const store = new StateStore(stateDir, 'bench', 1);
await store.prepare();
const transcript = await Transcript.open(path.join(stateDir, 'transcript.log'));
const wizard = new Wizard({
	machine: machine as never,
	host: new LocalHost(process.env, {runDir: path.join(stateDir, 'runs')}),
	store,
	transcript,
	probes: {},
});
let leave = () => {};
const left = new Promise<void>(resolve => {
	leave = resolve;
});

let startedAt = 0;
let bytesAtStart = 0;
wizard.actor.subscribe(state => {
	const {screen} = position(state.value);
	if (screen === 'running' && startedAt === 0) {
		startedAt = performance.now();
		bytesAtStart = written;
	} else if (screen !== 'running' && startedAt > 0) {
		const ms = performance.now() - startedAt;
		const bytes = written - bytesAtStart;
		// The done frame is drawn after this; let it reach the screen first.
		setTimeout(() => {
			writeFileSync(resultFile, `${JSON.stringify({ms, bytes, maxRssKb: process.resourceUsage().maxRSS, screen})}\n`);
			leave();
		}, 500);
		startedAt = -1;
	}
});

const session = attachTerminal({machine: machine as never, wizard, hostLabel: 'this machine', onLeave: () => leave()});
await wizard.start();
await left;
session.close();
await wizard.flushed();
await transcript.close();
process.exit(0);
