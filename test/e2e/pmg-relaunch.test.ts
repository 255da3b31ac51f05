import {execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {TmuxSession} from './tmux.ts';

/*
 * Over SSH and outside tmux, the wizard offers to start itself again inside
 * tmux and resume there. The wizard's own tmux runs on a server of its own
 * (TMUX_TMPDIR), so the test never touches anyone's sessions.
 */

const cli = path.resolve('dist/cli.js');
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'muw-relaunch-'));
const session = new TmuxSession();

afterAll(() => {
	session.kill();
	try {
		execFileSync('tmux', ['kill-server'], {env: {...process.env, TMUX_TMPDIR: stateDir}, stdio: 'ignore'});
	} catch {
		// No server was left.
	}
	rmSync(stateDir, {recursive: true, force: true});
});

describe('relaunch inside tmux (80x24 console, SSH without tmux)', () => {
	it('shows the exact command, runs it, and resumes at the same step inside tmux with its status line', async () => {
		session.start(
			[process.execPath, cli, 'pmg', '--simulate', 'bad-locale', '--state-dir', path.join(stateDir, 'state')],
			{UPGRADE_WIZARD_SIM_SPEED: '0', TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0', LANG: 'C.UTF-8', TMUX_TMPDIR: stateDir},
			{columns: 80, rows: 24},
			['TMUX', 'TMUX_PANE', 'STY'],
		);
		await session.waitFor(s => s.includes('Enter continue'));
		session.send('Enter');
		const offer = await session.waitFor(s => s.includes('Relaunch the wizard inside tmux'));
		// The whole command, wrapped but never cut.
		const command = offer
			.split('\n')
			.filter(l => /^ {6,8}\S/.test(l))
			.map(l => l.trim())
			.join(' ');
		expect(command).toContain(`tmux new-session -A -s upgrade-wizard -- ${process.execPath} ${cli} pmg --simulate bad-locale`);
		expect(offer).not.toMatch(/~\s*$/m);
		session.send('Enter');
		// Inside tmux: 23 rows left under its status line, and the wizard fits.
		const inside = await session.waitFor(s => s.includes('over SSH, inside tmux or screen'));
		const rows = inside.split('\n');
		expect(rows[0]).toMatch(/^ PMG 8 -> 9 /);
		expect(inside).toContain('Preconditions');
		expect(inside).toContain('Enter continue');
		expect(rows.at(-1)).toMatch(/upgrade-w/);
	}, 60_000);
});
