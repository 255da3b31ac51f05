import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
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

const wizard = (state: string) => [process.execPath, cli, 'pmg', '--simulate', 'clean', '--state-dir', state];

describe('a saved place that cannot be used', () => {
	it.each([
		['damaged', '{"format": 1, "product": "pmg", "snap', /not valid JSON/],
		['of another product', JSON.stringify({format: 1, product: 'vmm', machineVersion: 1, savedAt: '', snapshot: {value: 'x'}}), /belongs to the vmm upgrade, not pmg/],
		['of an older version of the steps', JSON.stringify({format: 1, product: 'pmg', machineVersion: 0, savedAt: '', snapshot: {value: 'x'}}), /saved by version 0 of the pmg steps/],
	])('%s: kept aside, explained, and the operator chooses to start over', async (_what, content, reason) => {
		const state = path.join(dir, `state-${Math.random().toString(36).slice(2)}`);
		mkdirSync(state, {recursive: true});
		writeFileSync(path.join(state, 'state.json'), content);
		const session = new TmuxSession();
		try {
			session.start(wizard(state), env);
			const screen = await session.waitFor(s => s.includes('could not be used'));
			expect(screen.replaceAll('\n', ' ').replaceAll(/\s+/g, ' ')).toMatch(reason);
			expect(screen).toContain('It was kept as');
			expect(footer(screen)).toContain('Enter continue');
			const kept = readdirSync(state).filter(f => f.startsWith('state.json.unusable-'));
			expect(kept).toHaveLength(1);
			expect(readFileSync(path.join(state, kept[0]!), 'utf8')).toBe(content);
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
