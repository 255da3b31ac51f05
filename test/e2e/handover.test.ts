import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {footer, TmuxSession} from './tmux.ts';

/*
 * An interactive command (as apt dist-upgrade is) gets the real terminal:
 * the wizard's screen goes away, the command asks its question, what the
 * operator types reaches the command unchanged, and the wizard's screen
 * comes back with the result. On this machine, in tmux at 80x24.
 */

const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-handover-'));
const harness = path.join(dir, 'handover.js');
const answer = path.join(dir, 'answer.txt');
const session = new TmuxSession();

beforeAll(() => {
	execFileSync(process.execPath, ['source/build.mjs', 'test/e2e/fixtures/handover.tsx', harness]);
});

afterAll(() => {
	session.kill();
	rmSync(dir, {recursive: true, force: true});
});

describe('handing the terminal to an interactive command', () => {
	it('shows the command first, lets the command ask, passes the answer through, and draws the wizard again', async () => {
		session.start([process.execPath, harness, path.join(dir, 'state'), answer], {TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0'});
		const review = await session.waitFor(s => footer(s).includes('Enter run'));
		expect(review).toContain(`$ sh -c`);
		expect(review).toContain('(runs on the terminal: answer its questions there)');
		session.send('Enter');
		// dpkg's question itself, at the start of a line (the command shown above also holds the text).
		const asked = await session.waitFor(s => /^\*\*\* issue \(Y\/I\/N\/O\/D\/Z\) \[default=N\] \?\s*$/m.test(s));
		// The wizard's frame is gone while the command has the terminal.
		expect(asked).not.toContain('Enter run');
		session.type('N');
		session.send('Enter');
		// The command's last lines stay until the operator has read them.
		const after = await session.waitFor(s => s.includes('Press Enter to return to the wizard.'));
		expect(after).toContain('dpkg got: N');
		expect(after).toMatch(/^\[done\] sh -c/m);
		expect(readFileSync(answer, 'utf8')).toBe('N\n');
		session.send('Enter');
		const back = await session.waitFor(s => footer(s).includes('Enter continue'));
		// Drawn from the top of a cleared screen.
		expect(back.split('\n')[0]).toMatch(/^ Handover test /);
		expect(back).toContain('[PASS] Done.');
		expect(back).toContain('(ran on the terminal; exit status 0)');
		// Keys work again after the handover.
		session.send('Enter');
		await session.waitFor(s => s.includes('The terminal came back.'));
		session.send('q');
		await session.waitFor(s => s.includes('[exit 0]'));
		const transcript = readFileSync(path.join(dir, 'state', 'transcript.log'), 'utf8');
		expect(transcript).toMatch(/exit status 0 after [\d.]+ s: sh -c/);
	}, 60_000);

	it('survives Ctrl-C while the command has the terminal: the command gets it, the wizard shows the failure', async () => {
		const other = new TmuxSession();
		try {
			other.start([process.execPath, harness, path.join(dir, 'state-2'), `${answer}.2`], {TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0'});
			await other.waitFor(s => footer(s).includes('Enter run'));
			other.send('Enter');
			await other.waitFor(s => /^\*\*\* issue \(Y\/I\/N\/O\/D\/Z\) \[default=N\] \?\s*$/m.test(s));
			other.send('C-c');
			const after = await other.waitFor(s => s.includes('Press Enter to return to the wizard.'));
			expect(after).toMatch(/^\[exit 130\] sh -c/m);
			other.send('Enter');
			const failed = await other.waitFor(s => footer(s).includes('r try again'));
			expect(failed).toContain('[FAIL] This step did not finish.');
			expect(failed).not.toContain('[exit 0]');
		} finally {
			other.kill();
		}
	}, 60_000);
});
