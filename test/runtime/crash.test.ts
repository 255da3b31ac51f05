import {execFileSync, spawn} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {AnyStateMachine} from 'xstate';
import {pmgUpgradeMachine} from '../../machines/pmg-8-to-9.ts';
import {vmmUpgradeMachine} from '../../machines/vmm-0.5-to-0.6.ts';
import {interruptedSnapshot, position} from '../../source/runtime/runtime.ts';

/*
 * Crash anywhere: a wizard walking the clean PMG scenario is killed with
 * SIGKILL right after its N-th saved transition, for every N along the way
 * to the reboot, and started again. It must come back at the saved step with
 * the facts it had, and, touching no key, run nothing that changes the host.
 */

const root = mkdtempSync(path.join(os.tmpdir(), 'muw-crash-'));
const harness = path.join(root, 'crash-walk.js');

beforeAll(() => {
	execFileSync(process.execPath, ['source/build.mjs', 'test/runtime/fixtures/crash-walk.ts', harness]);
});
afterAll(() => rmSync(root, {recursive: true, force: true}));

type Outcome = {code: number | null; signal: NodeJS.Signals | null; stdout: string};
const run = (product: 'pmg' | 'vmm', ...args: string[]) =>
	new Promise<Outcome>(resolve => {
		const child = spawn(process.execPath, [harness, ...args], {stdio: ['ignore', 'pipe', 'inherit'], env: {...process.env, CRASH_PRODUCT: product}});
		let stdout = '';
		child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
		child.once('exit', (code, signal) => resolve({code, signal, stdout}));
	});

const report = (outcome: Outcome) => JSON.parse(outcome.stdout.trim().split('\n').at(-1)!) as {at: string; saves: number; facts: Record<string, unknown>};

/** Where a saved snapshot should resume: a running command comes back as interrupted. */
const expectedResume = (machine: AnyStateMachine, saved: {value: unknown}) => {
	const {step, screen} = position(interruptedSnapshot(machine, saved).value);
	// Killed while waiting for the reboot, which the simulated host did: it starts after the reboot.
	if (step === 'reboot' && screen === 'waiting') return {step: 'verifyVersion', screen: null};
	return {step, screen};
};

const VMM_SOURCE = {'sourceDir.ask': '/root/vmm-0.6.2'};
/** Product, scenario, answers, where the full walk ends. */
const scenarios: Array<['pmg' | 'vmm', string, Record<string, string>, string]> = [
	['pmg', 'clean', {}, 'reboot.waiting'],
	// Over SSH without tmux (declined), a missing locale cleaned for pg_upgradecluster.
	['pmg', 'bad-locale', {'preconditions.sessionWarning': 'continue', 'postgresCheck.blocked': 'clean'}, 'reboot.waiting'],
	// A blocked step fixed with f.
	['pmg', 'kernel-meta', {'kernelPackages.blocked': 'fix'}, 'reboot.waiting'],
	// A cluster: the daemons stopped here and a typed confirmation for the other nodes.
	['pmg', 'cluster-master', {}, 'reboot.waiting'],
	// vmm 0.5.2 -> 0.6: the whole path, with its typed answers, dump, restore and database update.
	['vmm', 'clean', VMM_SOURCE, 'finished.'],
];

describe('killed with SIGKILL after any transition', () => {
	it.each(scenarios)('%s %s: comes back at the saved step with its facts and runs no command by itself', async (product, name, answers, end) => {
		const machine = (product === 'vmm' ? vmmUpgradeMachine : pmgUpgradeMachine) as unknown as AnyStateMachine;
		const scenario = path.resolve(`scenarios/${product}/${name}.yaml`);
		const answersArg = JSON.stringify(answers);
		const full = await run(product, 'walk', path.join(root, product, name, 'full'), scenario, '0', answersArg);
		expect(full.code).toBe(0);
		const {at, saves} = report(full);
		expect(at).toBe(end);
		expect(saves).toBeGreaterThan(product === 'vmm' ? 40 : 50);

		const failures: string[] = [];
		const check = async (n: number) => {
			const dir = path.join(root, product, name, `kill-${n}`);
			const killed = await run(product, 'walk', dir, scenario, String(n), answersArg);
			if (killed.signal !== 'SIGKILL') return failures.push(`${n}: not killed (${killed.code})`);
			const saved = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as {snapshot: {value: unknown; context: {facts: Record<string, unknown>}}};
			const before = readFileSync(path.join(dir, 'transcript.log'), 'utf8');

			const resumed = await run(product, 'resume', dir, scenario);
			if (resumed.code !== 0) return failures.push(`${n}: resume exited ${resumed.code}`);
			const back = report(resumed);
			const expected = expectedResume(machine, saved.snapshot);
			const [step, screen] = back.at.split('.');
			// The same step; a screen that was probing may have moved on by itself after the probe.
			if (step !== expected.step) failures.push(`${n}: saved at ${JSON.stringify(saved.snapshot.value)}, resumed at ${back.at}`);
			if (expected.screen === 'interrupted' && screen !== 'interrupted') failures.push(`${n}: a running command resumed at ${back.at}`);
			for (const key of Object.keys(saved.snapshot.context.facts)) {
				if (!(key in back.facts)) failures.push(`${n}: lost the fact ${key}`);
			}
			const after = readFileSync(path.join(dir, 'transcript.log'), 'utf8').slice(before.length);
			for (const line of after.split('\n')) {
				if (/ (run: |write |remove )/.test(line)) failures.push(`${n}: ran by itself after the restart: ${line}`);
			}
			return undefined;
		};
		const all = Array.from({length: saves}, (_, i) => i + 1);
		for (let i = 0; i < all.length; i += 4) await Promise.all(all.slice(i, i + 4).map(check));
		expect(failures).toEqual([]);
	}, 600_000);
});
