import {cpSync, mkdirSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {builtCli} from './built-cli.ts';
import {TmuxSession} from './tmux.ts';

/*
 * A simulated session belongs to its scenario file: two copies of the
 * project (two folders with the same scenario) keep separate simulated
 * hosts, and the first screen says when a session is resumed, and from when.
 */

const {cli, dir} = builtCli('muw-sim-session-');
const sessions: TmuxSession[] = [];

beforeAll(() => {
	for (const copy of ['first', 'second']) {
		mkdirSync(path.join(dir, copy));
		cpSync(path.resolve('scenarios/vmm'), path.join(dir, copy, 'vmm'), {recursive: true});
	}
});

afterAll(() => {
	for (const s of sessions) s.kill();
});

async function startAndLeave(scenario: string): Promise<string> {
	const s = new TmuxSession();
	sessions.push(s);
	s.start([process.execPath, cli, 'vmm', '--simulate', scenario], {UPGRADE_WIZARD_SIM_SPEED: '0', UPGRADE_WIZARD_SETTLE_MS: '0', TERM: 'linux', NO_COLOR: '1', LANG: 'C.UTF-8', HOME: dir, XDG_STATE_HOME: path.join(dir, 'state')});
	const first = await s.waitFor(x => x.includes('vmm 0.5.2 -> 0.6.x') && /Enter|q leave/.test(x));
	await s.settle();
	s.send('q');
	await s.waitFor(x => /^\[exit \d+\]$/m.test(x));
	s.kill();
	return first;
}

describe('a simulated session is keyed by the scenario file', () => {
	it('keeps two copies of the project apart and says when it resumes a session', async () => {
		const first = path.join(dir, 'first', 'vmm', 'clean.yaml');
		const second = path.join(dir, 'second', 'vmm', 'clean.yaml');
		expect(await startAndLeave(first)).not.toContain('Resuming the session of');
		// The same file again: its session, said so on the first screen.
		expect((await startAndLeave(first)).replaceAll('\n', ' ')).toMatch(/Resuming the session of \d{4}-\d\d-\d\d \d\d:\d\d UTC on this simulated host/);
		// The same scenario in another folder: a session of its own.
		expect(await startAndLeave(second)).not.toContain('Resuming the session of');
		expect(readdirSync(path.join(dir, 'state', 'upgrade-wizard', 'simulated')).filter(n => n.startsWith('vmm-clean-'))).toHaveLength(2);
	}, 90_000);
});
