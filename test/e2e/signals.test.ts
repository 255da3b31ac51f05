import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {TmuxSession} from './tmux.ts';

/*
 * SIGTERM (a shutdown) and SIGHUP (the SSH session dropped) to the wizard:
 * it saves its place, says where it stopped, and exits with 128 + the
 * signal's number; started again it is at the same step.
 */

const cli = path.resolve('dist/cli.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-signals-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

describe('signals to the wizard', () => {
	for (const [signal, status] of [
		['SIGTERM', 143],
		['SIGHUP', 129],
	] as const) {
		it(`${signal}: saves its place and exits ${status}; the next start resumes there`, async () => {
			const state = path.join(dir, signal);
			const argv = [process.execPath, cli, 'pmg', '--simulate', 'clean', '--state-dir', state];
			const env = {UPGRADE_WIZARD_SIM_SPEED: '0', TERM: 'linux', NO_COLOR: '1', HOME: dir, UPGRADE_WIZARD_SETTLE_MS: '0'};
			const session = new TmuxSession();
			try {
				session.start(argv, env);
				await session.waitFor(s => s.includes('running as root') && s.includes('Enter continue'));
				session.send('Enter');
				await session.waitFor(s => s.includes('Bring PMG 8.2 up to date') && s.includes('Enter run'));
				const pid = Number(readFileSync(path.join(state, 'lock'), 'utf8'));
				process.kill(pid, signal);
				const gone = await session.waitFor(s => s.includes('[exit '));
				expect(gone).toContain(`[exit ${status}]`);
				expect(gone).toContain('Progress kept at step "updateCurrent"');
				const transcript = readFileSync(path.join(state, 'transcript.log'), 'utf8');
				expect(transcript).toContain('wizard left at updateCurrent');
			} finally {
				session.kill();
			}
			const again = new TmuxSession();
			try {
				again.start(argv, env);
				// The simulated host's session goes on: its first screen says so.
				await again.waitFor(s => s.includes('Resuming the session of') && s.includes('Enter continue'));
				await again.settle();
				again.send('Enter');
				const screen = await again.waitFor(s => s.includes('Enter run'));
				expect(screen).toContain('Bring PMG 8.2 up to date');
			} finally {
				again.kill();
			}
		}, 60_000);
	}
});
