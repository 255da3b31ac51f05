import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {TmuxSession} from './tmux.ts';

/*
 * CI=true (from a CI runner, or an automation shell an operator logged in
 * through) makes ink hold back every frame but the last. On a terminal the
 * wizard must draw anyway, or the operator sees a blank screen.
 */

const cli = path.resolve('dist/cli.js');
const home = mkdtempSync(path.join(os.tmpdir(), 'muw-ci-e2e-'));
const session = new TmuxSession();

afterAll(() => {
	session.kill();
	rmSync(home, {recursive: true, force: true});
});

describe('a CI variable in the environment', () => {
	it('still draws every screen on a terminal and answers keys', async () => {
		const env = {UPGRADE_WIZARD_SIM_SPEED: '0', TERM: 'linux', NO_COLOR: '1', HOME: home, CI: 'true', CONTINUOUS_INTEGRATION: '1'};
		session.start([process.execPath, cli, 'pmg', '--simulate', 'clean', '--state-dir', path.join(home, 'state')], env);
		const first = await session.waitFor(s => s.includes('Enter continue'));
		expect(first).toContain('running as root');

		session.send('q');
		const after = await session.waitFor(s => s.includes('[exit '));
		expect(after).toContain('[exit 0]');
	});
});
