import {existsSync, mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {TmuxSession} from './tmux.ts';

/*
 * When the wizard leaves, the command that continues is printed on a line
 * of its own, nothing else on it: copied from the terminal (tmux joins the
 * rows it wrapped), it is the whole command, also with a state directory
 * whose path is longer than the terminal is wide.
 */

const cli = path.resolve('dist/cli.js');
let dir = '';
let session: TmuxSession | null = null;

beforeAll(() => {
	if (!existsSync(cli)) throw new Error('dist/cli.js is missing: npm test builds it first (npm run build)');
	dir = mkdtempSync(path.join(os.tmpdir(), 'muw-final-lines-'));
});

afterAll(() => {
	session?.kill();
	rmSync(dir, {recursive: true, force: true});
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
