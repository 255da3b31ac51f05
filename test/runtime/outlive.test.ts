import {execFileSync, spawn} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

/*
 * A command started by the wizard outlives it: the wizard's process is
 * killed with SIGKILL while the command runs (and writes output), and the
 * command still finishes, its output and exit status in the run directory.
 * With a pipe, its next write after the wizard's death would have killed it.
 */

const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-outlive-'));
const harness = path.join(dir, 'run-command.js');
beforeAll(() => {
	execFileSync(process.execPath, ['source/build.mjs', 'test/runtime/fixtures/run-command.ts', harness]);
});
afterAll(() => rmSync(dir, {recursive: true, force: true}));

const waitUntil = async (predicate: () => boolean, ms: number) => {
	const deadline = Date.now() + ms;
	while (!predicate()) {
		if (Date.now() > deadline) throw new Error('timed out');
		await new Promise(resolve => setTimeout(resolve, 50));
	}
};

describe('a command outlives the wizard', () => {
	it('finishes after the wizard is killed, writing output all along, and records its exit status', async () => {
		const runDir = path.join(dir, 'runs');
		const marker = path.join(dir, 'finished');
		// Writes a line every 100 ms for a second, then the marker, then exits 3.
		const script = `for i in 1 2 3 4 5 6 7 8 9 10; do echo "line $i"; sleep 0.1; done; echo done > '${marker}'; exit 3`;
		const wizard = spawn(process.execPath, [harness, runDir, JSON.stringify(['sh', '-c', script])], {stdio: ['ignore', 'pipe', 'inherit']});
		let seen = '';
		wizard.stdout!.on('data', (data: Buffer) => (seen += data.toString()));
		await waitUntil(() => seen.includes('stdout: line 2'), 10_000);
		wizard.kill('SIGKILL');
		await new Promise(resolve => wizard.once('exit', resolve));
		expect(existsSync(marker)).toBe(false);

		// The command goes on without the wizard.
		await waitUntil(() => existsSync(marker), 10_000);
		const [run] = readdirSync(runDir);
		await waitUntil(() => existsSync(path.join(runDir, run!, 'status')), 5_000);
		expect(readFileSync(path.join(runDir, run!, 'status'), 'utf8').trim()).toBe('3');
		expect(readFileSync(path.join(runDir, run!, 'stdout'), 'utf8')).toContain('line 10');
		expect(JSON.parse(readFileSync(path.join(runDir, run!, 'command'), 'utf8'))).toMatchObject({argv: ['sh', '-c', script]});
	}, 30_000);

	it('a command that ends while the wizard lives: its lines stream, its status is returned, its files are removed', async () => {
		const runDir = path.join(dir, 'runs-2');
		const out = execFileSync(process.execPath, [harness, runDir, JSON.stringify(['sh', '-c', 'echo out; echo err >&2; exit 4'])], {encoding: 'utf8'});
		expect(out).toContain('stdout: out');
		expect(out).toContain('stderr: err');
		expect(out).toContain('exit 4');
		expect(readdirSync(runDir)).toEqual([]);
	});

	it('a wizard started again follows a keyed command that still runs, and never starts it a second time', async () => {
		const runDir = path.join(dir, 'runs-3');
		const counter = path.join(dir, 'started');
		const script = `echo x >> '${counter}'; for i in 1 2 3 4 5 6 7 8 9 10; do echo "line $i"; sleep 0.1; done; exit 3`;
		const argv = JSON.stringify(['sh', '-c', script]);
		const first = spawn(process.execPath, [harness, runDir, argv, 'step.1.0'], {stdio: ['ignore', 'pipe', 'inherit']});
		let seen = '';
		first.stdout!.on('data', (data: Buffer) => (seen += data.toString()));
		await waitUntil(() => seen.includes('stdout: line 2'), 10_000);
		first.kill('SIGKILL');
		await new Promise(resolve => first.once('exit', resolve));

		// Started again while the command still runs: it follows it to its end.
		const second = execFileSync(process.execPath, [harness, runDir, argv, 'step.1.0'], {encoding: 'utf8'});
		expect(second).toContain('stdout: line 1');
		expect(second).toContain('stdout: line 10');
		expect(second).toContain('exit 3');
		// And once more after it ended: its recorded result, not a new run.
		const third = execFileSync(process.execPath, [harness, runDir, argv, 'step.1.0'], {encoding: 'utf8'});
		expect(third).toContain('exit 3');
		expect(readFileSync(counter, 'utf8')).toBe('x\n');
		// Another key (the operator started the step again): a new run.
		execFileSync(process.execPath, [harness, runDir, argv, 'step.2.0'], {encoding: 'utf8'});
		expect(readFileSync(counter, 'utf8')).toBe('x\nx\n');
	}, 30_000);
});
