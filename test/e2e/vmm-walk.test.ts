import {mkdtempSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {builtCli} from './built-cli.ts';
import {footer, handedOver, pastTimingRefusal, TmuxSession} from './tmux.ts';

/*
 * The built CLI in tmux at 80x24 on the simulated vmm host, as a new user
 * would walk it: Enter on each screen (the input screens take their
 * defaults), on the Linux console's terms (TERM=linux, NO_COLOR). Asserted
 * is what the operator sees and what happened to the simulated host.
 */

const {cli, dir: root} = builtCli('muw-e2e-vmm-');
const sessions: TmuxSession[] = [];

const open = (scenario: string, extra: Record<string, string> = {}) => {
	const state = mkdtempSync(path.join(root, `${scenario}-`));
	const session = new TmuxSession();
	sessions.push(session);
	session.start([process.execPath, cli, 'vmm', '--simulate', scenario, '--state-dir', state], {UPGRADE_WIZARD_SIM_SPEED: '0', TERM: 'linux', NO_COLOR: '1', LANG: 'C.UTF-8', HOME: state, ...extra});
	return {session, state};
};

/** The passwords typed at pg_dump's and psql's "Password:", in order. */
const passwords: string[] = [];
/** The screen after the mistyped password. */
const failedAfterWrongPassword: string[] = [];

/** Enter on every screen that offers it, until `until` holds. */
async function walk(session: TmuxSession, until: (screen: string) => boolean, seen: string[]): Promise<string> {
	let screen = await session.settle();
	for (let i = 0; i < 200; i++) {
		screen = await pastTimingRefusal(session, screen);
		const keys = footer(screen);
		// The terminal handed over to pg_dump or psql (-W): it asks for the password there.
		const onTerminal = handedOver(screen);
		if (!onTerminal) seen.push(screen);
		if (until(screen)) return screen;
		if (/^\[exit \d+\]$/m.test(screen)) throw new Error(`the wizard exited:\n${screen}`);
		if (/r check again/.test(keys) && !/Enter continue/.test(keys)) throw new Error(`blocked:\n${screen}`);
		if (keys === 'Password:') {
			// The first one mistyped: the command fails as pg_dump does, and r runs it again.
			const typed = passwords.length === 0 ? 'wrong-password' : 'vmm-training';
			passwords.push(typed);
			session.type(typed);
			session.send('Enter');
		} else if (keys === 'Press Enter to return to the wizard.') session.send('Enter');
		else if (passwords.length === 1 && /r try again/.test(keys)) {
			failedAfterWrongPassword.push(screen);
			session.send('r');
		}
		// A screen that runs something is read to its end before Enter is offered.
		else if (/PgDn\/Space \d+ more line/.test(keys)) session.send('NPage');
		else if (/Enter (run|apply|continue|choose|confirm)/.test(keys)) session.send('Enter');
		const before = screen;
		await session.waitFor(s => s !== before, 20_000);
		screen = await session.settle();
	}
	throw new Error(`no end after 200 screens:\n${screen}`);
}

afterAll(() => {
	for (const s of sessions) s.kill();
});

describe('vmm upgrade in a real terminal (tmux 80x24)', () => {
	it('walks vmm 0.5.2 to 0.6.x on the clean host with Enter alone, every screen within 80x24 and naming its keys', async () => {
		const {session, state} = open('clean');
		const seen: string[] = [];
		await session.waitFor(s => s.includes('vmm 0.5.2 -> 0.6.x'));
		const report = await walk(session, s => s.includes('Upgrade vmm: upgrade.sh') && s.includes('[PASS] Done.'), seen);
		expect(report).toContain('Please have a look at your configuration: /usr/local/etc/vmm.cfg');
		expect(footer(report)).toContain('PgDn/PgUp scroll');
		// The rest of upgrade.sh's report is a page down.
		session.send('NPage');
		const rest = await session.waitFor(s => s.includes('Removed option "gid_mail"'));
		expect(rest).toContain('M   misc.dovecot_version = 2.1.7');
		seen.push(rest);
		const end = await walk(session, s => s.includes('Upgrade finished'), seen);
		expect(end).toContain('[PASS] vmm 0.6.x is in place');
		for (const screen of seen) {
			expect(screen.split('\n')[0], screen).toMatch(/^ vmm 0\.5\.2 -> 0\.6\.x /);
			expect(footer(screen), screen).toMatch(/q leave|Ctrl-C leave|Enter/);
		}
		const all = seen.join('\n');
		expect(all).toContain('Enter on an empty line: /root/vmm-0.6.2');
		expect(all).toContain('update script: pgsql/update_tables_0.5.x-0.6-dovecot-1.2.x.pgsql');
		expect(all).toContain('$ /etc/init.d/postfix stop');
		expect(all).toMatch(/\$ pg_dump -h localhost -U vmm -W -f\s+\/root\/mailsys-0\.5\.2-/);
		expect(all).toContain('[PASS]   ends with "-- PostgreSQL database dump complete"');
		expect(all).toContain('/etc/postfix/pgsql-transport_maps.cf:5: postfix_transport');
		expect(all).not.toContain('Pf-2009-secret');
		const transcript = readFileSync(path.join(state, 'transcript.log'), 'utf8');
		// -W: each program asked for the password on the terminal; a wrong one failed the command.
		expect(passwords.length).toBeGreaterThan(3);
		expect(failedAfterWrongPassword[0]).toMatch(/\[exit 1\] +pg_dump -h localhost -U vmm -W/);
		expect(transcript).toContain('password authentication failed for user "vmm"');
		expect(transcript).not.toContain('vmm-training');
		expect(transcript).not.toContain('wrong-password');
		expect(transcript).toContain('run: ./upgrade.sh');
		expect(transcript).not.toContain('Pf-2009-secret');
	}, 120_000);

	it('on vmm 0.4-r41 says to upgrade to 0.5.2 first and offers only r and q', async () => {
		const {session} = open('old-0.4');
		await session.waitFor(s => s.includes('vmm 0.5.2 -> 0.6.x'));
		const seen: string[] = [];
		const screen = await walk(session, s => s.includes('upgrade to 0.5.2 first'), seen);
		expect(screen).toContain('Upgrade vmm to 0.5.2 first');
		expect(footer(screen)).toMatch(/^ r check again +\? why +q leave/);
	}, 60_000);
});
