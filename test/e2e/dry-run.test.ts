import {readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {builtCli} from './built-cli.ts';
import {TmuxSession} from './tmux.ts';

/*
 * A dry run never leaves a place that a real run resumes: on the built CLI
 * in tmux (80x24), a real run stops at step 2 before running it, a dry run
 * on the same state directory goes through step 2 and leaves, and the real
 * run started again is still at step 2 and runs its commands.
 */

const {cli, dir} = builtCli('muw-dry-run-');
let session: TmuxSession | null = null;

const env = () => ({UPGRADE_WIZARD_SIM_SPEED: '0', TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0', LANG: 'C.UTF-8', HOME: dir});
const start = (...extra: string[]) => {
	session?.kill();
	session = new TmuxSession();
	session.start([process.execPath, cli, 'pmg', '--simulate', 'clean', '--state-dir', path.join(dir, 'D'), ...extra], env());
	return session;
};
const read = (...parts: string[]) => readFileSync(path.join(dir, 'D', ...parts), 'utf8');

afterAll(() => {
	session?.kill();
});

describe('a dry run next to a real run on the same state directory', () => {
	it('keeps its own place: the real run resumes where it stood and runs the commands the dry run did not', async () => {
		// The real run: step 1 passes, step 2 is shown, then the operator leaves.
		let s = start();
		await s.waitFor(screen => screen.includes('step 1/32') && screen.includes('Enter continue'));
		s.send('Enter');
		await s.waitFor(screen => screen.includes('step 2/32') && screen.includes('$ apt update') && screen.includes('Enter run'));
		s.send('q');
		await s.waitFor(screen => screen.includes('[exit 0]'));
		const realState = read('state.json');
		const realHost = read('host.json');
		const realTranscript = read('transcript.log');

		// The dry run starts at its own first step, goes through step 2 and leaves at step 3.
		s = start('--dry-run');
		await s.waitFor(screen => screen.includes('(dry run)') && screen.includes('step 1/32') && screen.includes('Enter continue'));
		s.send('Enter');
		await s.waitFor(screen => screen.includes('step 2/32') && screen.includes('Enter run'));
		s.send('Enter');
		await s.waitFor(screen => screen.includes('[PASS]   pmg-api') && screen.includes('Enter continue'));
		s.send('Enter');
		await s.waitFor(screen => screen.includes('step 3/32') && screen.includes('Enter choose'));
		s.send('q');
		const left = await s.waitFor(screen => screen.includes('[exit 0]'));
		// The line to go on starts a dry run again, not a real one.
		const again = left.slice(left.indexOf('To continue, run:')).replaceAll('\n', '');
		expect(again).toContain('--dry-run');

		// Nothing of the real run's place was touched.
		expect(read('state.json')).toBe(realState);
		expect(read('host.json')).toBe(realHost);
		expect(read('transcript.log')).toBe(realTranscript);
		// The dry run's own record: its commands were not run, and no exit status is claimed for them.
		const dryTranscript = read('dry-run', 'transcript.log');
		expect(dryTranscript).toContain('run (dry run, not executed): apt update');
		expect(dryTranscript).not.toMatch(/exit status/);

		// The real run again: still at step 2, and Enter really runs apt update.
		s = start();
		// Its first screen says that it resumes the simulated host's session, and from when.
		const notice = await s.waitFor(screen => screen.includes('Resuming the session of') && screen.includes('Enter continue'));
		expect(notice).toMatch(/Resuming the session of \d{4}-\d\d-\d\d \d\d:\d\d UTC on this simulated host/);
		await s.settle();
		s.send('Enter');
		const resumed = await s.waitFor(screen => screen.includes('PMG 8 -> 9') && screen.includes('Enter run'));
		expect(resumed).toContain('step 2/32');
		expect(resumed).not.toContain('(dry run)');
		s.send('Enter');
		// apt dist-upgrade asks on the terminal: answered Y, then Enter goes back to the wizard.
		await s.waitFor(screen => /Do you want to continue\? \[Y\/n\]\s*$/.test(screen), 30_000);
		s.type('Y');
		s.send('Enter');
		await s.waitFor(screen => screen.includes('Press Enter to return to the wizard.'));
		s.send('Enter');
		await s.waitFor(screen => screen.includes('[PASS]   pmg-api') && screen.includes('Enter continue'), 30_000);
		const transcript = read('transcript.log');
		expect(transcript).toMatch(/run: apt update\n/);
		expect(transcript).toMatch(/exit status 0 after [\d.]+ s: apt update/);
		expect(transcript).toMatch(/\| Hit:1 /);
		// The simulated host's saved state is under the state directory too: the operator's alone.
		for (const file of [['host.json'], ['dry-run', 'host.json']]) expect((statSync(path.join(dir, 'D', ...file)).mode & 0o777).toString(8)).toBe('600');
	}, 120_000);

});
