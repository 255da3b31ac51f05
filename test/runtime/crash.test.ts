import {execFileSync, spawn} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {AnyStateMachine} from 'xstate';
import {pmgUpgradeMachine} from '../../machines/pmg-8-to-9.ts';
import {pmUpgradeMachine} from '../../machines/puremessage-5.6-to-6.ts';
import {vmmUpgradeMachine} from '../../machines/vmm-0.5-to-0.6.ts';
import {interruptedSnapshot, position} from '../../source/runtime/runtime.ts';

/*
 * Crash anywhere: a wizard walking a scenario (PMG's to the reboot, vmm's
 * and PureMessage's to the end) is killed with SIGKILL right after its N-th
 * saved transition, for every N along the way, and started again. It must come back at the saved step with
 * the facts it had, and, touching no key, run nothing that changes the host.
 */

const root = mkdtempSync(path.join(os.tmpdir(), 'muw-crash-'));
const harness = path.join(root, 'crash-walk.js');

beforeAll(() => {
	execFileSync(process.execPath, ['source/build.mjs', 'test/runtime/fixtures/crash-walk.ts', harness]);
});
afterAll(() => rmSync(root, {recursive: true, force: true}));

type Outcome = {code: number | null; signal: NodeJS.Signals | null; stdout: string};
const run = (...args: string[]) =>
	new Promise<Outcome>(resolve => {
		const child = spawn(process.execPath, [harness, ...args], {stdio: ['ignore', 'pipe', 'inherit']});
		let stdout = '';
		child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
		child.once('exit', (code, signal) => resolve({code, signal, stdout}));
	});

const report = (outcome: Outcome) => JSON.parse(outcome.stdout.trim().split('\n').at(-1)!) as {at: string; saves: number; facts: Record<string, unknown>};

/** Where a saved snapshot should resume: a running command comes back as interrupted. */
const expectedResume = (saved: {value: unknown}, machine: AnyStateMachine = pmgUpgradeMachine() as never) => {
	const {step, screen} = position(interruptedSnapshot(machine, saved).value);
	// Killed while waiting for the reboot, which the simulated host did: it starts after the reboot.
	if (step === 'reboot' && screen === 'waiting') return {step: 'verifyVersion', screen: null};
	return {step, screen};
};

const scenarios: Array<[string, Record<string, string>]> = [
	['clean', {}],
	// Over SSH without tmux (declined), a missing locale cleaned for pg_upgradecluster.
	['bad-locale', {'preconditions.sessionWarning': 'continue', 'postgresCheck.blocked': 'clean'}],
	// A blocked step fixed with f.
	['kernel-meta', {'kernelPackages.blocked': 'fix'}],
	// A cluster: the daemons stopped here and a typed confirmation for the other nodes.
	['cluster-master', {}],
];

/** Where vmm's and PureMessage's session check leads when it has nothing to say. */
const FIRST_AFTER_SESSION: Record<string, string> = {vmm: 'version', puremessage: 'inventory'};

type Walk = {product: 'pmg' | 'vmm' | 'puremessage'; name: string; answers: Record<string, string>; end: string; minSaves: number; every: number};

/** Kill the walk after each N-th saved transition (every `every`-th N), start it again, check it came back as it was. */
async function crashAnywhere({product, name, answers, end, minSaves, every}: Walk) {
	const machine = (product === 'pmg' ? pmgUpgradeMachine() : product === 'vmm' ? vmmUpgradeMachine() : pmUpgradeMachine()) as never as AnyStateMachine;
	const scenario = path.resolve(`scenarios/${product}/${name}.yaml`);
	const answersArg = JSON.stringify(answers);
	const full = await run('walk', path.join(root, product, name, 'full'), scenario, '0', answersArg);
	expect(full.code).toBe(0);
	const {at, saves} = report(full);
	expect(at).toBe(end);
	expect(saves).toBeGreaterThan(minSaves);

	const failures: string[] = [];
	const check = async (n: number) => {
		const dir = path.join(root, product, name, `kill-${n}`);
		const killed = await run('walk', dir, scenario, String(n), answersArg);
		if (killed.signal !== 'SIGKILL') return failures.push(`${n}: not killed (${killed.code})`);
		const saved = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as {snapshot: {value: unknown; context: {facts: Record<string, unknown>}}};
		const before = readFileSync(path.join(dir, 'transcript.log'), 'utf8');

		const resumed = await run('resume', dir, scenario);
		if (resumed.code !== 0) return failures.push(`${n}: resume exited ${resumed.code}`);
		const back = report(resumed);
		const expected = expectedResume(saved.snapshot, machine);
		const [step, screen] = back.at.split('.');
		// The same step; a screen that was probing may have moved on by itself after the probe.
		// The session check has no screen of its own off SSH: it goes on to the first step of the path.
		// So has the cluster gate before the dist-upgrade on a single node: it goes on to the dist-upgrade.
		const passedOn =
			(expected.step === 'session' && expected.screen === 'checking' && step === FIRST_AFTER_SESSION[product]) ||
			(expected.step === 'clusterGate' && expected.screen === 'checking' && step === 'distUpgrade');
		if (step !== expected.step && !passedOn) failures.push(`${n}: saved at ${JSON.stringify(saved.snapshot.value)}, resumed at ${back.at}`);
		if (expected.screen === 'interrupted' && screen !== 'interrupted') failures.push(`${n}: a running command resumed at ${back.at}`);
		for (const key of Object.keys(saved.snapshot.context.facts)) {
			if (!(key in back.facts)) failures.push(`${n}: lost the fact ${key}`);
		}
		const after = readFileSync(path.join(dir, 'transcript.log'), 'utf8').slice(before.length);
		for (const line of after.split('\n')) {
			// "run: cmd", or "run on SERVER (its host): cmd" for a server of a deployment.
			if (/ (run( on [^:]*)?: |write |remove )/.test(line)) failures.push(`${n}: ran by itself after the restart: ${line}`);
		}
		return undefined;
	};
	const all = Array.from({length: saves}, (_, i) => i + 1).filter(n => n % every === 0 || n === saves);
	for (let i = 0; i < all.length; i += 4) await Promise.all(all.slice(i, i + 4).map(check));
	expect(failures).toEqual([]);
}

describe('killed with SIGKILL after any transition', () => {
	it.each(scenarios)('%s: comes back at the saved step with its facts and runs no command by itself', async (name, answers) => {
		await crashAnywhere({product: 'pmg', name, answers, end: 'reboot.waiting', minSaves: 50, every: 1});
	}, 600_000);

	// The three-server deployment, each server its own simulated host: every transition, about a minute.
	it('puremessage three-servers: comes back at the saved step with its facts and runs no command by itself', async () => {
		await crashAnywhere({product: 'puremessage', name: 'three-servers', answers: {'migration.choose': 'database-quarantine'}, end: 'finished.', minSaves: 40, every: 1});
	}, 600_000);

	// vmm 0.5.2 -> 0.6: the whole path, with its typed answers, dump, restore and database update.
	it('vmm clean: comes back at the saved step with its facts and runs no command by itself', async () => {
		await crashAnywhere({product: 'vmm', name: 'clean', answers: {'sourceDir.ask': '/root/vmm-0.6.2'}, end: 'finished.', minSaves: 40, every: 1});
	}, 600_000);
});
