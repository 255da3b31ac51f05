import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {TmuxSession} from './tmux.ts';

/*
 * Two wizards on the same saved place, each in its own terminal: the second
 * refuses and names the first one's pid; once the first has left, the second
 * starts where the first left off.
 */

const cli = path.resolve('dist/cli.js');
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'muw-lock-e2e-'));
const first = new TmuxSession();
const second = new TmuxSession();
const env = {UPGRADE_WIZARD_SIM_SPEED: '0', TERM: 'linux', NO_COLOR: '1', HOME: stateDir};
const argv = [process.execPath, cli, 'pmg', '--simulate', 'clean', '--state-dir', path.join(stateDir, 'state')];

afterAll(() => {
	first.kill();
	second.kill();
	rmSync(stateDir, {recursive: true, force: true});
});

describe('one wizard at a time (two terminals)', () => {
	it('refuses a second wizard on the same saved place with the pid of the first, exit 8', async () => {
		first.start(argv, env);
		await first.waitFor(s => s.includes('running as root') && s.includes('Enter continue'));

		second.start(argv, env);
		const refused = await second.waitFor(s => s.includes('[exit '));
		expect(refused).toMatch(/another wizard \(pid \d+\) is running with this saved place/);
		expect(refused).toContain('[exit 8]');

		// The first one leaves; the second now starts, at the same step.
		first.send('q');
		await first.waitFor(s => s.includes('[exit 0]'));
		second.kill();
		const again = new TmuxSession();
		try {
			again.start(argv, env);
			// The simulated host's session goes on: its first screen says so.
			await again.waitFor(s => s.includes('Resuming the session of') && s.includes('Enter continue'));
			await again.settle();
			again.send('Enter');
			const screen = await again.waitFor(s => s.includes('running as root') && s.includes('Enter continue'));
			expect(screen).not.toContain('another wizard');
		} finally {
			again.kill();
		}
	}, 60_000);
});
