import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {savedPlaceAtUpdateReview} from './saved-place.ts';
import {footer, TmuxSession} from './tmux.ts';

/*
 * The wizard (the built CLI, a real process in tmux) is killed with SIGKILL
 * while the second command of a step runs on the simulated host: `apt
 * update` has exited 0 (the transcript says so), `apt dist-upgrade` is half
 * way. Started again, it says per command what became of it and runs only
 * what did not finish: `apt update` is never run a second time.
 */

const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-resume-kill-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

async function until(what: string, check: () => boolean, timeoutMs = 20_000) {
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, 50));
	}
}

const flat = (screen: string) => screen.replaceAll(/\s+/g, ' ');

describe('kill -9 during the second command of a step (simulated host)', () => {
	it('lists apt update as finished and apt dist-upgrade as cut off, and Enter runs only apt dist-upgrade', async () => {
		const state = path.join(dir, 'state');
		savedPlaceAtUpdateReview(state);
		const transcriptFile = path.join(state, 'transcript.log');
		const transcript = () => readFileSync(transcriptFile, 'utf8');
		// Real durations: apt dist-upgrade takes seconds on the simulated host, long enough to be killed in.
		const env = {TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0', UPGRADE_WIZARD_SIM_SPEED: '1', HOME: dir};
		const argv = [process.execPath, path.resolve('dist/cli.js'), 'pmg', '--simulate', 'clean', '--state-dir', state];
		const first = new TmuxSession();
		const second = new TmuxSession();
		try {
			first.start(argv, env);
			await first.waitFor(s => footer(s).includes('Enter run'), 20_000);
			first.send('Enter');
			await until('apt dist-upgrade to start', () => / run: apt dist-upgrade$/m.test(transcript()));
			expect(transcript()).toMatch(/exit status 0 after [\d.]+ s: apt update$/m);
			process.kill(Number(readFileSync(path.join(state, 'lock'), 'utf8')), 'SIGKILL');
			await first.waitFor(s => s.includes('[exit 137]'));
			expect(transcript()).not.toMatch(/exit status \d+ after [\d.]+ s: apt dist-upgrade$/m);

			second.start(argv, env);
			await second.waitFor(s => s.includes('was taken over') && footer(s).includes('Enter continue'), 20_000);
			second.send('Enter');
			const back = await second.waitFor(s => footer(s).includes('Enter go on'), 20_000);
			expect(back).toMatch(/\[exit 0\] +apt update/);
			expect(back).toMatch(/\[cut off\] +apt dist-upgrade/);
			expect(flat(back)).toContain('Finished (exit status from the transcript): apt update. Not run again');
			expect(flat(back)).toContain('Enter runs only what did not finish: apt dist-upgrade.');
			// The simulated host keeps no runs/: the screen does not send the operator there.
			expect(back).not.toContain('runs/');
			expect(back).not.toContain('may still be running');

			second.send('Enter');
			// On the simulated host too apt asks on the terminal; the trainee answers.
			await second.waitFor(s => /\[Y\/n\]\s*$/.test(s.trimEnd()), 30_000);
			second.type('Y');
			second.send('Enter');
			await second.waitFor(s => /Press Enter to return to the wizard|pmg-api 8\.2\.7/.test(s), 30_000).then(s => {
				if (/Press Enter to return/.test(s)) second.send('Enter');
			});
			await until('apt dist-upgrade to end', () => /exit status 0 after [\d.]+ s: apt dist-upgrade$/m.test(transcript()), 30_000);
			const text = transcript();
			expect(text.match(/ run: apt update$/gm)).toHaveLength(1);
			expect(text.match(/ run: apt dist-upgrade$/gm)).toHaveLength(2);
			expect(text).toMatch(/exit status 0 \(finished before the wizard stopped, not run again\): apt update$/m);
			// The step goes on to its check, as after an uninterrupted run.
			await second.waitFor(s => s.includes('pmg-api 8.2.7') && footer(s).includes('Enter continue'), 20_000);
		} finally {
			first.kill();
			second.kill();
		}
	}, 120_000);
});
