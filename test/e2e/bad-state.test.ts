import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {pmgUpgradeMachine} from '../../machines/pmg-8-to-9.ts';
import {footer, TmuxSession} from './tmux.ts';

/*
 * What the operator sees when the saved place cannot be used, when the
 * state directory cannot be written, and when the terminal is too small.
 */

const cli = path.resolve('dist/cli.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-bad-state-'));
const env = {UPGRADE_WIZARD_SIM_SPEED: '0', TERM: 'linux', NO_COLOR: '1', HOME: dir};
afterAll(() => rmSync(dir, {recursive: true, force: true}));

async function waitForFile(file: string, timeoutMs = 10_000) {
	const deadline = Date.now() + timeoutMs;
	while (!existsSync(file)) {
		if (Date.now() > deadline) throw new Error(`${file} was not written within ${timeoutMs} ms`);
		await new Promise(resolve => setTimeout(resolve, 50));
	}
}

const pmgVersion = (pmgUpgradeMachine().root.meta as {version: number}).version;

const wizard = (state: string) => [process.execPath, cli, 'pmg', '--simulate', 'clean', '--state-dir', state];

describe('a saved place that cannot be used', () => {
	it.each([
		['damaged', '{"format": 1, "product": "pmg", "snap', /not valid JSON/],
		['of another product', JSON.stringify({format: 1, product: 'vmm', machineVersion: 1, savedAt: '', snapshot: {value: 'x'}}), /belongs to the vmm upgrade, not pmg/],
		['of an older version of the steps', JSON.stringify({format: 1, product: 'pmg', machineVersion: 0, savedAt: '', snapshot: {value: 'x'}}), /saved by version 0 of the pmg steps; this wizard has version \d+\./],
		// Valid JSON of the right version whose place is no step of the machine: it crashed every start.
		['naming a step that does not exist', JSON.stringify({format: 1, product: 'pmg', machineVersion: pmgVersion, savedAt: '', snapshot: {value: {noSuchStep: 'passed'}, context: {}}}), /names the step "noSuchStep", which these steps do not have/],
		['naming a screen its step does not have', JSON.stringify({format: 1, product: 'pmg', machineVersion: pmgVersion, savedAt: '', snapshot: {value: {updateCurrent: 'nowhere'}, context: {}}}), /names the screen "nowhere" of step "updateCurrent"/],
	])('%s: kept aside, explained, and the operator chooses to start over', async (_what, content, reason) => {
		// Short enough that the kept-aside path fits on a line of its own.
		const state = path.join(dir, Math.random().toString(36).slice(2, 5));
		mkdirSync(state, {recursive: true});
		writeFileSync(path.join(state, 'state.json'), content);
		const session = new TmuxSession();
		try {
			session.start(wizard(state), env);
			const screen = await session.waitFor(s => s.includes('could not be used'));
			expect(screen.replaceAll('\n', ' ').replaceAll(/\s+/g, ' ')).toMatch(reason);
			expect(screen).toContain('It was kept as');
			expect(screen).not.toContain('…');
			expect(footer(screen)).toContain('Enter continue');
			const kept = readdirSync(state).filter(f => f.startsWith('state.json.unusable-'));
			expect(kept).toHaveLength(1);
			// The path whole, on a line of its own: it can be copied.
			expect(screen.split('\n').map(l => l.trim())).toContain(path.join(state, kept[0]!));
			expect(readFileSync(path.join(state, kept[0]!), 'utf8')).toBe(content);
			session.send('Enter');
			await session.waitFor(s => s.includes('running as root'));
		} finally {
			session.kill();
		}
	}, 30_000);
});

describe('--reset', () => {
	it('keeps the old place (and the simulated host) aside under a name it shows whole, as --help says, and starts at the first step', async () => {
		const state = path.join(dir, 'rst');
		const first = new TmuxSession();
		try {
			first.start(wizard(state), env);
			await first.waitFor(s => s.includes('running as root'));
			await waitForFile(path.join(state, 'state.json'));
			await waitForFile(path.join(state, 'host.json'));
		} finally {
			first.kill();
		}
		const place = readFileSync(path.join(state, 'state.json'), 'utf8');
		const host = readFileSync(path.join(state, 'host.json'), 'utf8');
		const session = new TmuxSession();
		try {
			session.start([...wizard(state), '--reset'], env);
			const screen = await session.waitFor(s => s.includes('--reset') && footer(s).includes('Enter continue'));
			expect(screen).toContain('put aside, not deleted');
			const keptPlace = readdirSync(state).filter(f => f.startsWith('state.json.reset-'));
			const keptHost = readdirSync(state).filter(f => f.startsWith('host.json.reset-'));
			expect(keptPlace).toHaveLength(1);
			expect(keptHost).toHaveLength(1);
			expect(readFileSync(path.join(state, keptPlace[0]!), 'utf8')).toBe(place);
			expect(readFileSync(path.join(state, keptHost[0]!), 'utf8')).toBe(host);
			const lines = screen.split('\n').map(l => l.trim());
			expect(lines).toContain(path.join(state, keptPlace[0]!));
			expect(lines).toContain(path.join(state, keptHost[0]!));
			session.send('Enter');
			await session.waitFor(s => s.includes('running as root'));
		} finally {
			session.kill();
		}
	}, 30_000);
});

describe('a state directory that cannot be used', () => {
	it('says which directory and what to do, exit 4', async () => {
		const notADirectory = path.join(dir, 'a-file');
		writeFileSync(notADirectory, 'x');
		const session = new TmuxSession();
		try {
			session.start(wizard(path.join(notADirectory, 'state')), env);
			const screen = await session.waitFor(s => s.includes('[exit '));
			const text = screen.replaceAll('\n', '');
			expect(screen).toContain('[exit 4]');
			expect(text).toContain(`cannot use ${path.join(notADirectory, 'state')}`);
			expect(text).toContain('choose another with --state-dir');
		} finally {
			session.kill();
		}
	});
});

describe('a terminal smaller than 80x24', () => {
	it('says so, and draws the wizard once the terminal is large enough', async () => {
		const session = new TmuxSession();
		try {
			session.start(wizard(path.join(dir, 'small')), env, {columns: 70, rows: 20});
			const small = await session.waitFor(s => s.includes('the wizard needs at least 80x24'));
			expect(small).toContain('This terminal is 70x20');
			session.resize(80, 24);
			const big = await session.waitFor(s => s.includes('Enter continue'));
			expect(big.split('\n')[0]).toMatch(/^ PMG 8 -> 9 /);
			// The place is saved after the transition that drew this screen
			// (temp file, fsync, rename): on a busy machine a moment later.
			await waitForFile(path.join(dir, 'small', 'state.json'));
		} finally {
			session.kill();
		}
	});
});
