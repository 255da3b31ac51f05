import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {footer, TmuxSession} from './tmux.ts';

/*
 * While apt dist-upgrade has the terminal, dpkg asks about a changed
 * configuration file: the vendor's advice for that file is on screen right
 * then, dpkg's question follows it again, and what the operator types
 * reaches dpkg unchanged. In tmux at 80x24, on this machine (script(1)).
 */

const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-conffile-'));
const harness = path.join(dir, 'conffile-advice.js');
const answers = path.join(dir, 'answers.txt');
const state = path.join(dir, 'state');
const session = new TmuxSession();

beforeAll(() => {
	execFileSync(process.execPath, ['source/build.mjs', 'test/e2e/fixtures/conffile-advice.tsx', harness]);
});

afterAll(() => {
	session.kill();
	rmSync(dir, {recursive: true, force: true});
});

describe('dpkg\'s questions about configuration files, advised live', () => {
	it('shows the advice for the exact file when dpkg asks, again after D, and passes each answer through', async () => {
		session.start([process.execPath, harness, state, answers], {TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0'});
		// The command is longer than the screen: it is read to its end before Enter runs it.
		await session.waitFor(s => /PgDn\/Space \d+ more line/.test(footer(s)));
		session.send('NPage');
		await session.waitFor(s => footer(s).includes('Enter run'));
		session.send('Enter');

		// The advice for sshd_config under dpkg's question, and the question again at the bottom.
		const lastLine = (s: string) => s.split('\n').filter(l => l.trim() !== '').at(-1) ?? '';
		const first = await session.waitFor(s => s.includes('[upgrade-wizard]') && /^\*\*\* sshd_config \(Y\/I\/N\/O\/D\/Z\) \[default=N\] \?\s*$/.test(lastLine(s)));
		expect(first).toContain('[upgrade-wizard] /etc/ssh/sshd_config: Y (maintainer) if you never changed it');
		expect(first).toContain('ChallengeResponseAuthentication');
		expect(first.indexOf("Configuration file '/etc/ssh/sshd_config'")).toBeLessThan(first.indexOf('[upgrade-wizard] /etc/ssh/sshd_config'));

		// D: dpkg shows the difference and asks again; the advice comes again.
		session.type('D');
		session.send('Enter');
		const again = await session.waitFor(s => s.includes('+new') && s.split('[upgrade-wizard] /etc/ssh/sshd_config').length === 3);
		expect(lastLine(again)).toMatch(/^\*\*\* sshd_config \(Y\/I\/N\/O\/D\/Z\) \[default=N\] \?\s*$/);
		session.type('Y');
		session.send('Enter');

		// A file the vendor does not name: how to decide.
		const unknown = await session.waitFor(s => s.includes('[upgrade-wizard] /etc/sysctl.conf'));
		expect(unknown).toContain("[upgrade-wizard] /etc/sysctl.conf: D, then decide (not in the vendor's list)");
		session.type('N');
		session.send('Enter');

		// apt's own question: what Enter does and what to read first, the question again last.
		const apt = await session.waitFor(s => s.includes('[upgrade-wizard] apt warned above') && /Continue anyway\? \[y\/N\]\s*$/.test(lastLine(s)));
		expect(apt).toContain('Enter is N and stops');
		session.type('y');
		session.send('Enter');

		await session.waitFor(s => s.includes('Press Enter to return to the wizard.'));
		expect(readFileSync(answers, 'utf8')).toBe('/etc/ssh/sshd_config Y\n/etc/sysctl.conf N\napt y\n');
		session.send('Enter');
		const back = await session.waitFor(s => footer(s).includes('Enter continue'));
		expect(back).toContain('[PASS] Done.');
		// script's copy of the terminal is gone once the command ended.
		const runs = path.join(state, 'runs');
		expect(existsSync(runs) ? readdirSync(runs).filter(n => n.startsWith('advised-')) : []).toEqual([]);
	}, 60_000);
});
