import {readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {builtCli} from './built-cli.ts';
import {footer, handedOver, pastTimingRefusal, TmuxSession} from './tmux.ts';

/*
 * The built CLI in tmux at 80x24 on the default simulated host: walk to the
 * reboot, start it again, walk to the end. What is asserted is what the
 * operator sees on the captured screens, and what happened to the
 * (simulated) host.
 */

const {cli, dir: stateDir} = builtCli('muw-e2e-');
let session: TmuxSession;

const env = () => ({UPGRADE_WIZARD_SIM_SPEED: '0', TERM: 'linux', NO_COLOR: '1', LANG: 'C.UTF-8', HOME: stateDir});
const start = () => {
	session = new TmuxSession();
	session.start([process.execPath, cli, 'pmg', '--simulate', 'clean', '--state-dir', stateDir], env());
};

/** What the trainee typed on the terminal, in order. */
const answers: string[] = [];
let modernizePreviewed = false;

/**
 * The answer a careful trainee types when apt or dpkg asks on the terminal,
 * or null when nothing asks: apt's [Y/n] after reading its lists (Y; for
 * modernize-sources n first, the preview, then Y), dpkg's conffile question
 * as the wizard's advice under it says (sshd_config: D first, to see the
 * difference), and Enter to go back to the wizard.
 */
function terminalAnswer(screen: string): string | null {
	const last = footer(screen).trim();
	if (last === 'Press Enter to return to the wizard.') return '';
	if (/\[Y\/n\]$/.test(last)) {
		if (last.startsWith('Rewrite')) return modernizePreviewed ? 'Y' : 'n';
		return 'Y';
	}
	const dpkg = /^\*\*\* (\S+) \(Y\/I\/N\/O\/D\/Z\) \[default=N\] \?$/.exec(last);
	if (dpkg) {
		const advice = /\[upgrade-wizard\] (\S+): (\S)/.exec(screen);
		if (!advice) throw new Error(`dpkg asks without the wizard's advice:\n${screen}`);
		if (advice[2] === 'Y' && !screen.includes('+++ ')) return 'D';
		return advice[2]!;
	}
	return null;
}

/** Answer each screen as a careful operator of the clean scenario would. */
async function walk(until: (screen: string) => boolean, seen: string[]): Promise<string> {
	let screen = await session.settle();
	for (let i = 0; i < 200; i++) {
		screen = await pastTimingRefusal(session, screen);
		// Not the wizard's frames: the terminal handed over to a command (its first line "$ apt ...", its questions).
		if (!handedOver(screen)) seen.push(screen);
		if (until(screen)) return screen;
		const keys = footer(screen);
		if (/^\[exit \d+\]$/m.test(screen)) throw new Error(`the wizard exited:\n${screen}`);
		// The terminal handed over to apt (dpkg): the trainee reads and answers as on a real host.
		const answer = terminalAnswer(screen);
		if (answer !== null) {
			answers.push(answer);
			if (footer(screen).startsWith('Rewrite') && answer === 'n') modernizePreviewed = true;
			session.type(answer);
			session.send('Enter');
			const before = screen;
			await session.waitFor(s => s !== before, 20_000);
			screen = await session.settle();
			continue;
		}
		// Answered n, modernize-sources changed nothing: run it again (and answer Y).
		if (screen.includes('modernize the apt sources') && /f fix/.test(keys)) {
			session.send('f');
			const before = screen;
			await session.waitFor(s => s !== before, 20_000);
			screen = await session.settle();
			continue;
		}
		if (/r check again/.test(keys) && !/Enter continue/.test(keys)) throw new Error(`blocked:\n${screen}`);
		const word = /type "([^"]+)"/.exec(keys);
		// A screen that runs something is read to its end before Enter is offered.
		if (/PgDn\/Space \d+ more line/.test(keys)) {
			session.send('NPage');
		} else if (word) {
			session.type(word[1]!);
			session.send('Enter');
		} else if (/Enter (run|apply|continue|choose)/.test(keys)) {
			session.send('Enter');
		} else {
			// Checking or running: wait for the next screen.
		}
		const before = screen;
		await session.waitFor(s => s !== before, 20_000);
		screen = await session.settle();
	}
	throw new Error(`no end after 200 screens:\n${screen}`);
}

afterAll(() => {
	session?.kill();
});

describe('pmg upgrade in a real terminal (tmux 80x24)', () => {
	it('walks the clean host to the reboot, resumes after it, and finishes', async () => {
		const seen: string[] = [];
		start();
		const first = await session.waitFor(s => s.includes('not a Proxmox Mail Gateway host') || s.includes('PMG 8 -> 9'));
		expect(first).toContain('PMG 8 -> 9');

		await walk(s => s.includes('The host is rebooting'), seen);
		// The wizard's own screen says so first; then it leaves and prints the command to go on.
		const rebooting = await session.waitFor(s => s.includes('[exit 0]'));
		void rebooting;
		expect(session.capture(true)).toContain('continue with the steps after the reboot');
		session.kill();

		// Every screen fitted 80x24: a taller frame, or a line wider than 80
		// that the terminal wraps, would push the header off the top row.
		for (const screen of seen.filter(s => !s.includes('[exit '))) {
			expect(screen.split('\n')[0], screen).toMatch(/^ PMG 8 -> 9 /);
			expect(footer(screen), screen).toMatch(/q leave|Enter/);
		}
		const all = seen.join('\n');
		expect(all).toContain('$ pmgbackup backup');
		expect(all).toContain('$ apt dist-upgrade');
		expect(all).toContain('$ pg_upgradecluster -v 17 15 main');
		expect(all).toContain('/etc/apt/sources.list');
		expect(all).toMatch(/\[PASS\] .*GiB available on \//);

		// Started again after the (simulated) reboot: it continues after it.
		start();
		const after = await session.waitFor(s => s.includes('After the reboot') || s.includes('PMG 9'));
		expect(after).toContain('After reboot');
		const end = await walk(s => s.includes('Upgrade finished'), seen);
		expect(end).toContain('[PASS] Proxmox Mail Gateway 9 runs on Debian trixie');

		// What happened to the simulated host.
		const host = JSON.parse(readFileSync(path.join(stateDir, 'host.json'), 'utf8')) as unknown;
		expect(JSON.stringify(host)).toContain('trixie');
		const transcript = readFileSync(path.join(stateDir, 'transcript.log'), 'utf8');
		// dpkg asked the trainee, with the advice; the answers had their effect on the host.
		expect(answers).toEqual(expect.arrayContaining(['N', 'D', 'Y', 'n']));
		expect(transcript).toContain('| *** issue (Y/I/N/O/D/Z) [default=N] ? N');
		expect(transcript).toContain('| *** sshd_config (Y/I/N/O/D/Z) [default=N] ? D');
		expect(transcript).toContain('| *** sshd_config (Y/I/N/O/D/Z) [default=N] ? Y');
		expect(transcript).toContain('| Rewrite 1 sources? [Y/n] n');
		expect(transcript).toContain('| Rewrite 1 sources? [Y/n] Y');
		const files = (host as {files: Record<string, {content: string} | null>}).files;
		expect(files['/etc/issue.dpkg-dist']?.content).toContain('Debian GNU/Linux 13');
		expect(files['/etc/issue']).toBeUndefined();
		expect(files['/etc/ssh/sshd_config']?.content).toContain('KbdInteractiveAuthentication');
		expect(files['/etc/ssh/sshd_config.dpkg-old']?.content).toContain('ChallengeResponseAuthentication');
		expect(files['/etc/apt/sources.list']).toBeNull();
		expect(transcript).toContain('run: pg_upgradecluster -v 17 15 main');
		expect(transcript).toMatch(/exit status 0 after [\d.]+ s: apt dist-upgrade/);
		expect(statSync(path.join(stateDir, 'transcript.log')).mode & 0o777).toBe(0o600);
	}, 240_000);
});
