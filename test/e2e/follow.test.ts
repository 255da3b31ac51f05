import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {footer, TmuxSession} from './tmux.ts';

/*
 * The wizard is killed (SIGKILL) while a long command runs on this machine.
 * Started again, it says the command is still running, and on Enter follows
 * it to its end instead of starting it a second time.
 */

const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-follow-'));
const harness = path.join(dir, 'long-command.js');
const counter = path.join(dir, 'started');
const state = path.join(dir, 'state');

beforeAll(() => {
	execFileSync(process.execPath, ['source/build.mjs', 'test/e2e/fixtures/long-command.tsx', harness]);
});
afterAll(() => rmSync(dir, {recursive: true, force: true}));

describe('a long command survives the wizard and is followed on the next start', () => {
	it('shows it as running, follows it on Enter, and never starts it twice', async () => {
		const first = new TmuxSession();
		const second = new TmuxSession();
		try {
			first.start([process.execPath, harness, state, counter], {TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0'});
			await first.waitFor(s => footer(s).includes('Enter run'));
			first.send('Enter');
			await first.waitFor(s => s.includes('copying part 2'));
			process.kill(Number(readFileSync(path.join(state, 'wizard.pid'), 'utf8')), 'SIGKILL');
			await first.waitFor(s => s.includes('[exit 137]'));

			second.start([process.execPath, harness, state, counter], {TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0'});
			const back = await second.waitFor(s => footer(s).includes('Enter go on'));
			expect(back).toContain('[WARN] The wizard stopped while this step ran.');
			expect(back).toMatch(/\[running\] +sh -c/);
			second.send('Enter');
			const done = await second.waitFor(s => footer(s).includes('Enter continue'), 20_000);
			expect(done).toContain('[PASS] Done.');
			expect(done).toContain('copying part 20');
			expect(readFileSync(counter, 'utf8')).toBe('started\n');
		} finally {
			first.kill();
			second.kill();
		}
	}, 60_000);

	for (const [signal, status] of [
		['SIGTERM', 143],
		['SIGHUP', 129],
	] as const) {
		it(`${signal} while it runs: the wizard saves and exits ${status}, the command goes on, and the next start follows it`, async () => {
			const where = path.join(dir, `state-${signal}`);
			const started = path.join(dir, `started-${signal}`);
			const first = new TmuxSession();
			const second = new TmuxSession();
			try {
				first.start([process.execPath, harness, where, started], {TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0'});
				await first.waitFor(s => footer(s).includes('Enter run'));
				first.send('Enter');
				await first.waitFor(s => s.includes('copying part 2'));
				process.kill(Number(readFileSync(path.join(where, 'wizard.pid'), 'utf8')), signal);
				const gone = await first.waitFor(s => s.includes('[exit '));
				// Left through the wizard's handler, which saved its place, not killed by the signal.
				expect(gone).toContain(`left with ${status}\n[exit ${status}]`);

				// The command was not killed with the wizard: it still writes.
				const log = () => readFileSync(path.join(where, 'transcript.log'), 'utf8');
				second.start([process.execPath, harness, where, started], {TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0'});
				const back = await second.waitFor(s => footer(s).includes('Enter go on'));
				expect(back).toMatch(/\[running\] +sh -c/);
				second.send('Enter');
				const done = await second.waitFor(s => footer(s).includes('Enter continue'), 20_000);
				expect(done).toContain('[PASS] Done.');
				expect(done).toContain('copying part 20');
				expect(readFileSync(started, 'utf8')).toBe('started\n');
				expect(log()).toContain('copying part 20');
			} finally {
				first.kill();
				second.kill();
			}
		}, 60_000);
	}
});
