import {execFileSync} from 'node:child_process';
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {canUseNamespace, inNamespace, PMGVERSION_8_2} from './real-host-namespace.ts';
import {savedPlaceAtUpdateReview} from './saved-place.ts';
import {footer, TmuxSession} from './tmux.ts';

/*
 * Real-host mode (a stand-in /usr/bin/pmgversion), in a private mount
 * namespace: /usr/bin is an overlay with stand-ins for apt and pmgversion,
 * nothing outside the namespace is touched. The wizard is killed (SIGKILL)
 * while `apt dist-upgrade` runs on the terminal; started again, it shows the
 * command as running, follows it, and exactly one dist-upgrade ever ran.
 */

const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-real-host-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

const pids = path.join(dir, 'apt-pids');
const state = path.join(dir, 'state');

const apt = `#!/bin/sh\necho "$$ $*" >>${pids}\nif [ "$1" = dist-upgrade ]; then for i in $(seq 1 12); do echo "Unpacking part $i"; sleep 1; done; else echo "Hit:1 http://deb.example bookworm InRelease"; fi\n`;
const wizardArgv = () => inNamespace(dir, {pmgversion: PMGVERSION_8_2, apt}, ['pmg', '--state-dir', state]);

describe.skipIf(!canUseNamespace)('real-host mode: apt dist-upgrade on the terminal outlives a kill -9', () => {
	it('is shown as running after the restart, followed to its end, and never started a second time', async () => {
		execFileSync(process.execPath, ['source/build.mjs']);
		savedPlaceAtUpdateReview(state);
		const first = new TmuxSession();
		const second = new TmuxSession();
		try {
			first.start(wizardArgv(), {TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0'});
			await first.waitFor(s => footer(s).includes('Enter run'), 20_000);
			first.send('Enter');
			await first.waitFor(s => s.includes('Unpacking part 2'), 20_000);
			process.kill(Number(readFileSync(path.join(state, 'lock'), 'utf8')), 'SIGKILL');
			await first.waitFor(s => s.includes('[exit 137]'));

			second.start(wizardArgv(), {TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0'});
			// First the notice that the dead wizard's lock was taken over.
			await second.waitFor(s => s.includes('was taken over') && footer(s).includes('Enter continue'), 20_000);
			second.send('Enter');
			const back = await second.waitFor(s => footer(s).includes('Enter go on'), 20_000);
			expect(back).toMatch(/\[exit 0\] +apt update/);
			expect(back).toMatch(/\[running\] +apt dist-upgrade/);
			second.send('Enter');
			const following = await second.waitFor(s => s.replaceAll('\n', '').includes('it still runs'), 20_000);
			expect(following).toContain('$ apt dist-upgrade');
			await second.waitFor(s => s.includes('Press Enter to return to the wizard.'), 30_000);
			const runs = readFileSync(pids, 'utf8').trim().split('\n');
			expect(runs.filter(l => l.endsWith(' dist-upgrade'))).toHaveLength(1);
			expect(runs.filter(l => l.endsWith(' update'))).toHaveLength(1);

			second.send('Enter');
			await second.waitFor(() => /exit status \d+ after [\d.]+ s: apt dist-upgrade/.test(readFileSync(path.join(state, 'transcript.log'), 'utf8')), 20_000);
			const transcript = readFileSync(path.join(state, 'transcript.log'), 'utf8');
			// One run: one run line, every line of its output once, the duration from its real start.
			expect(transcript.match(/ run: apt dist-upgrade$/gm)).toHaveLength(1);
			for (let i = 1; i <= 12; i++) expect(transcript.match(new RegExp(`^\\| Unpacking part ${i}$`, 'gm')), `part ${i}`).toHaveLength(1);
			const seconds = Number(/exit status 0 after ([\d.]+) s: apt dist-upgrade/.exec(transcript)?.[1]);
			expect(seconds).toBeGreaterThanOrEqual(11);
			const modes = execFileSync('find', [state, '-printf', '%m %y %p\\n'], {encoding: 'utf8'}).trim().split('\n');
			for (const m of modes) expect(m).toMatch(/^(600 f|700 d) /);
		} finally {
			first.kill();
			second.kill();
		}
	}, 120_000);
});

describe.skipIf(!canUseNamespace)('real-host mode: a kill -9 that takes apt dist-upgrade with it', () => {
	it('shows apt update finished and apt dist-upgrade cut off, and Enter runs only apt dist-upgrade again', async () => {
		execFileSync(process.execPath, ['source/build.mjs']);
		rmSync(state, {recursive: true, force: true});
		rmSync(pids, {force: true});
		savedPlaceAtUpdateReview(state);
		const first = new TmuxSession();
		const second = new TmuxSession();
		try {
			first.start(wizardArgv(), {TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0'});
			await first.waitFor(s => footer(s).includes('Enter run'), 20_000);
			first.send('Enter');
			await first.waitFor(s => s.includes('Unpacking part 2'), 20_000);
			// The wizard, then the run's own process group (the shell that would write its exit
			// status, script(1)) and apt's (script(1) gave it a session of its own): no status is written.
			process.kill(Number(readFileSync(path.join(state, 'lock'), 'utf8')), 'SIGKILL');
			await first.waitFor(s => s.includes('[exit 137]'));
			const record = readdirSync(path.join(state, 'runs')).find(name => name.startsWith('run-updateCurrent.') && name.endsWith('.1'))!;
			const recorder = Number(readFileSync(path.join(state, 'runs', record, 'status.pid'), 'utf8').trim().split(' ')[1]);
			const distUpgrade = readFileSync(pids, 'utf8').trim().split('\n').find(l => l.endsWith(' dist-upgrade'))!;
			const aptGroup = Number(execFileSync('ps', ['-o', 'pgid=', '-p', distUpgrade.split(' ')[0]!], {encoding: 'utf8'}).trim());
			process.kill(-recorder, 'SIGKILL');
			process.kill(-aptGroup, 'SIGKILL');

			second.start(wizardArgv(), {TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0'});
			await second.waitFor(s => s.includes('was taken over') && footer(s).includes('Enter continue'), 20_000);
			second.send('Enter');
			const back = await second.waitFor(s => footer(s).includes('Enter go on'), 20_000);
			expect(back).toMatch(/\[exit 0\] +apt update/);
			expect(back).toMatch(/\[cut off\] +apt dist-upgrade/);
			const flat = back.replaceAll(/\s+/g, ' ');
			expect(flat).toContain('Finished (exit status from its run record in runs/ next to the saved place): apt update.');
			expect(flat).toContain('Enter runs only what did not finish: apt dist-upgrade.');
			second.send('Enter');
			await second.waitFor(s => s.includes('Press Enter to return to the wizard.'), 40_000);
			const runs = readFileSync(pids, 'utf8').trim().split('\n');
			expect(runs.filter(l => l.endsWith(' update'))).toHaveLength(1);
			expect(runs.filter(l => l.endsWith(' dist-upgrade'))).toHaveLength(2);
		} finally {
			first.kill();
			second.kill();
		}
	}, 120_000);
});
