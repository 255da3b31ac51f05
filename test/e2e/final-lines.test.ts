import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {builtCli} from './built-cli.ts';
import {TmuxSession} from './tmux.ts';

/*
 * When the wizard leaves, the command that continues is printed on a line
 * of its own, nothing else on it: copied from the terminal (tmux joins the
 * rows it wrapped), it is the whole command, also with a state directory
 * whose path is longer than the terminal is wide.
 */

const {cli, dir} = builtCli('muw-final-lines-');
let session: TmuxSession | null = null;

afterAll(() => {
	session?.kill();
});

describe('the lines the wizard leaves on the terminal', () => {
	it('prints the command to continue on a line of its own, whole when copied', async () => {
		const state = path.join(dir, 'a-state-directory-with-a-rather-long-name-for-this-test', 'pmg-training-of-today');
		const s = new TmuxSession();
		session = s;
		s.start([process.execPath, cli, 'pmg', '--simulate', 'clean', '--state-dir', state], {UPGRADE_WIZARD_SIM_SPEED: '0', UPGRADE_WIZARD_SETTLE_MS: '0', TERM: 'linux', NO_COLOR: '1', LANG: 'C.UTF-8', HOME: dir});
		await s.waitFor(x => x.includes('Enter continue'));
		await s.settle();
		s.send('q');
		await s.waitFor(x => /^\[exit 0\]$/m.test(x));
		const lines = s.capture(true).split('\n');
		const at = lines.findIndex(l => l.endsWith('To continue, run:'));
		expect(at, lines.join('\n')).toBeGreaterThanOrEqual(0);
		// The command as the wizard writes it (relative to the current folder), whole.
		expect(lines[at + 1]).toMatch(/^node \S*dist\/cli\.js pmg --simulate clean --state-dir /);
		expect(lines[at + 1]!.endsWith(` --state-dir ${state}`)).toBe(true);
	}, 60_000);
});
