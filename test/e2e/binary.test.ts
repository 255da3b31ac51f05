import {execFileSync, spawnSync} from 'node:child_process';
import {copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {footer, TmuxSession} from './tmux.ts';

/*
 * The single executable (npm run build:binary) on a machine without Node:
 * its PATH holds a shell and a few tools, no node. In tmux at 80x24 it
 * shows the simulated host's first screen, runs a step's commands, and
 * reads scenario files: the ones it carries and one from the disk.
 */

const binary = path.resolve('dist/upgrade-wizard-linux-x64');
const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-binary-'));
const bin = path.join(dir, 'bin');
const sessions: TmuxSession[] = [];

const env = (home: string) => ({PATH: bin, HOME: home, TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0', LANG: 'C.UTF-8', UPGRADE_WIZARD_SIM_SPEED: '0'});
const unset = ['NODE_OPTIONS', 'NODE_PATH', 'NODE_EXTRA_CA_CERTS', 'XDG_STATE_HOME'];

function start(args: string[], home: string): TmuxSession {
	const session = new TmuxSession();
	sessions.push(session);
	session.start([binary, ...args], env(home), {columns: 80, rows: 24}, unset);
	return session;
}

/** Temporary directories the executable made for its scenarios. */
const unpacked = () => readdirSync(os.tmpdir()).filter(name => /^upgrade-wizard-[A-Za-z0-9]{6}$/.test(name));

afterAll(() => {
	for (const session of sessions) session.kill();
	rmSync(dir, {recursive: true, force: true});
});

describe.runIf(process.platform === 'linux' && process.arch === 'x64')('the single executable, with no node on the PATH', () => {
	beforeAll(() => {
		execFileSync(process.execPath, ['source/build-binary.mjs'], {stdio: 'pipe'});
		// What the executable may use on a host: a shell and the tools it calls, no node.
		mkdirSync(bin);
		for (const tool of ['sh', 'bash', 'env', 'cat', 'sleep']) {
			const where = execFileSync('sh', ['-c', `command -v ${tool}`], {encoding: 'utf8'}).trim();
			symlinkSync(where, path.join(bin, tool));
		}
	}, 180_000);

	it('carries a code cache that fits its bundle and the Node it is a copy of', () => {
		// Checked as the launcher's compile sees it, by this Node, which the build copied into the executable.
		const probe = path.join(dir, 'code-cache-probe.js');
		execFileSync(process.execPath, ['source/build.mjs', 'test/fixtures/code-cache-probe.ts', probe]);
		const asset = JSON.parse(readFileSync('dist/sea/sea-config.json', 'utf8')) as {assets: Record<string, string>};
		expect(Object.keys(asset.assets)).toEqual(expect.arrayContaining(['wizard.cjs', 'wizard.cjs.cache']));
		expect(execFileSync(process.execPath, [probe, asset.assets['wizard.cjs']!, asset.assets['wizard.cjs.cache']!], {encoding: 'utf8'}).trim()).toBe('used');
	});

	it('is one executable file, and the PATH it gets has no node', () => {
		expect(statSync(binary).mode & 0o111).not.toBe(0);
		const probe = spawnSync('sh', ['-c', 'command -v node'], {env: {PATH: bin}, encoding: 'utf8'});
		expect(probe.status).not.toBe(0);
		expect(probe.stdout).toBe('');
	});

	it('shows the simulated host, runs a step, keeps a transcript, and says how to continue', async () => {
		const home = mkdtempSync(path.join(dir, 'home-'));
		const state = path.join(home, 'state');
		const before = unpacked();
		const session = start(['pmg', '--state-dir', state], home);

		const first = await session.waitFor(s => footer(s).includes('Enter continue'));
		expect(first).toContain('pmg1.example.lan (simulated)');
		expect(first).toContain('This machine is not a Proxmox Mail Gateway host');
		expect(first).toContain('bundled simulated host (scenario "clean")');

		session.send('Enter');
		await session.waitFor(s => s.includes('[PASS]   running as root on pmg1.example.lan'));
		session.send('Enter');
		const review = await session.waitFor(s => footer(s).includes('Enter run'));
		expect(review).toContain('Bring PMG 8.2 up to date');
		expect(review).toContain('$ apt update');
		session.send('Enter');
		// apt dist-upgrade asks on the terminal (the executable runs its simulated terminal itself): Y, then back.
		await session.waitFor(s => /Do you want to continue\? \[Y\/n\]\s*$/.test(s), 30_000);
		session.type('Y');
		session.send('Enter');
		await session.waitFor(s => s.includes('Press Enter to return to the wizard.'));
		session.send('Enter');
		const checked = await session.waitFor(s => s.includes('[PASS]   pmg-api 8.2.7'));
		expect(footer(checked)).toContain('Enter continue');

		session.send('q');
		const left = await session.waitFor(s => s.includes('[exit 0]'));
		// To continue: the executable itself, no node.
		expect(left.replaceAll('\n', '')).toContain(`${binary} pmg --state-dir ${state}`);
		expect(left).not.toMatch(/\bnode /);

		// The simulated commands ran, with their output, into the transcript.
		const transcript = readFileSync(path.join(state, 'transcript.log'), 'utf8');
		expect(transcript).toMatch(/run: apt update\n/);
		expect(transcript).toMatch(/exit status 0 after .*: apt update\n/);
		expect(transcript).toMatch(/exit status 0 after .*: apt dist-upgrade\n/);
		expect(transcript.split('\n').filter(line => line.startsWith('| ')).length).toBeGreaterThan(3);
		// The scenarios it unpacked for itself are gone again.
		expect(unpacked().filter(name => !before.includes(name))).toEqual([]);
	}, 60_000);

	it('reads a scenario it carries by name, and a scenario file from the disk', async () => {
		const home = mkdtempSync(path.join(dir, 'home-'));
		const carried = start(['pmg', '--simulate', 'low-disk', '--state-dir', path.join(home, 'low-disk')], home);
		// A scenario named on the command line: no notice, its first step at once.
		const checks = await carried.waitFor(s => footer(s).includes('Enter continue'));
		expect(checks).toContain('[PASS]   running as root on pmg1.example.lan');
		// low-disk extends clean: both came out of the executable.
		expect(readFileSync(path.join(home, 'low-disk', 'host.json'), 'utf8')).toContain('PMG 8.2 host with 9.5 GiB free on /');

		const scenarios = path.join(home, 'scenarios');
		mkdirSync(scenarios);
		copyFileSync('scenarios/pmg/clean.yaml', path.join(scenarios, 'clean.yaml'));
		writeFileSync(path.join(scenarios, 'mine.yaml'), 'extends: clean.yaml\ntitle: A host of my own\nhost:\n  hostname: mx-test.example.lan\n');
		const mine = start(['pmg', '--simulate', path.join(scenarios, 'mine.yaml'), '--state-dir', path.join(home, 'mine')], home);
		const screen = await mine.waitFor(s => footer(s).includes('Enter continue'));
		expect(screen).toContain('mx-test.example.lan (simulated)');

		// A broken one is named with its line, as by node dist/cli.js.
		writeFileSync(path.join(scenarios, 'broken.yaml'), 'extends: clean.yaml\nhost: [\n');
		const broken = spawnSync(binary, ['pmg', '--simulate', path.join(scenarios, 'broken.yaml')], {env: env(home), encoding: 'utf8'});
		expect(broken.status).toBe(2);
		expect(broken.stderr).toMatch(/broken\.yaml:\d+: YAML syntax error/);
	}, 60_000);
});
