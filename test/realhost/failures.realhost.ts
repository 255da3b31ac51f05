import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {footer, type TmuxSession} from '../e2e/tmux.ts';
import {pmg8Host, type Pmg8Host} from './pmg-host.ts';
import {consoleEnv, startWizard, walk, type WalkLog} from './walk.ts';

/*
 * Issue 14 section 4 and issue 20 item 1: what goes wrong on real hosts,
 * reproduced on a real one. Each case ends with the wizard stopped at a
 * screen that names the cause and the fix, and nothing half-done: the
 * transcript shows the command that would have done harm never ran.
 *
 * One container, one wizard session, the cases in the order an admin meets
 * them: a repository configured twice (before the first apt update), the
 * Proxmox repository unreachable (the first apt update), and a
 * dist-upgrade that would remove PMG (this host's PMG 9 repository lacks a
 * package pmg-api 9 needs: make-repo.sh's removes-pmg variant).
 */

const PMG_LIST = '/etc/apt/sources.list.d/pmg-no-subscription.list';
const TWIN = '/etc/apt/sources.list.d/proxmox.sources';
let host: Pmg8Host;
let session: TmuxSession;
const log: WalkLog = {screens: [], answers: []};
const transcript = () => host.container.exec(['cat', '/var/log/upgrade-wizard/pmg.log']);
const commandsRun = () => [...transcript().matchAll(/^# \S+ run: (.+)$/gm)].map(m => m[1]!);
const proxyConf = () => path.join(host.root, 'etc/apt/apt.conf.d/00realhost-proxy');
const proxyLines = (port: number) =>
	`Acquire::http::Proxy::download.proxmox.com "http://127.0.0.1:${port}/";\nAcquire::https::Proxy::enterprise.proxmox.com "http://127.0.0.1:${host.port}/";\n`;

beforeAll(async () => {
	host = await pmg8Host(`fail${process.pid}`, {variant: 'removes-pmg'});
}, 15 * 60_000);

afterAll(async () => {
	session?.kill();
	await host?.stop();
});

describe('failures real admins hit, on a real bookworm host', () => {
	it('a repository in a .list and a .sources with different Signed-By: found before apt update, both files named', async () => {
		const c = host.container;
		// The old .list names its keyring; a deb822 file for the same suite, written
		// early from a guide, names the archive keyring.
		c.exec(['sh', '-c', `echo 'deb [signed-by=/etc/apt/trusted.gpg.d/proxmox-release-bookworm.gpg] http://download.proxmox.com/debian/pmg bookworm pmg-no-subscription' > ${PMG_LIST}`]);
		c.exec(['sh', '-c', `printf 'Types: deb\\nURIs: http://download.proxmox.com/debian/pmg\\nSuites: bookworm\\nComponents: pmg-no-subscription\\nSigned-By: /usr/share/keyrings/proxmox-archive-keyring.gpg\\n' > ${TWIN}`]);
		// Real apt refuses it: the case is real, not the wizard's idea.
		const apt = c.run(['apt-get', 'update']);
		expect(apt.status).toBe(100);
		expect(apt.stderr).toMatch(/Conflicting values set for option Signed-By/);

		session = startWizard(c, ['pmg'], consoleEnv());
		const blocked = await session.waitFor(s => /r check again/.test(footer(s)), 60_000);
		expect(blocked).toMatch(/\[FAIL\]/);
		expect(blocked).toContain('pmg-no-subscription.list');
		expect(blocked).toContain('proxmox.sources');
		expect(blocked).toMatch(/Signed-By/);
		expect(commandsRun()).not.toContain('apt update');

		// The fix the screen gives: remove one of them; r checks again.
		c.exec(['rm', TWIN]);
		// A key counts only on a screen that has been on the terminal a moment (the key gate).
		await session.settle(300);
		session.send('r');
		const next = await session.waitFor(s => !/r check again/.test(footer(s)) && /Enter continue/.test(footer(s)), 60_000);
		expect(next).toContain('[PASS]   running as root');
	});

	it('the Proxmox repository unreachable: apt update warns and exits 0, the step does not pass', async () => {
		// download.proxmox.com behind a closed port: apt's "Could not connect".
		writeFileSync(proxyConf(), proxyLines(9));
		try {
			await session.settle(300);
			session.send('Enter');
			await session.waitFor(s => /Enter run/.test(footer(s)) && s.includes('$ apt update'), 30_000);
			await session.settle(300);
			session.send('Enter');
			const failed = await session.waitFor(s => /could not read/.test(s) && /\b(r|f) /.test(footer(s)), 5 * 60_000);
			expect(failed).toContain('download.proxmox.com');
			expect(failed).not.toMatch(/\[PASS\]\s+pmg-api/);
			// apt update ran and exited 0; the dist-upgrade after it did not run.
			expect(transcript()).toMatch(/exit status 0 after [\d.]+ s: apt update/);
			expect(commandsRun()).not.toContain('apt dist-upgrade');
			log.screens.push(failed);
		} finally {
			// The repository back (also when an assertion failed): the next case goes on from here.
			writeFileSync(proxyConf(), proxyLines(host.port));
		}
	});

	it('a dist-upgrade that would remove proxmox-mailgateway is refused before it runs, with apt\'s reason', async () => {
		const pick = (screen: string) => {
			const row = /^ [ >] (\d)\. No-subscription repository/m.exec(screen);
			return row ? Number(row[1]) : undefined;
		};
		const current = await session.settle(300);
		// The failed step's own way on: r runs it again (or f, whichever the footer offers).
		const keys = footer(current);
		session.send(/\bf fix/.test(keys) ? 'f' : /\br /.test(keys) ? 'r' : 'Enter');
		const refused = await walk(session, {until: s => /would REMOVE/.test(s), pick}, log);
		expect(refused).toMatch(/would REMOVE (proxmox-mailgateway|pmg-api)/);
		// apt's own reason names the package that is missing.
		expect(refused).toContain('libpmg-realhost-missing-perl');
		expect(footer(refused)).toMatch(/r check again/);
		expect(footer(refused)).not.toMatch(/Enter/);
		// Nothing half-done: no dist-upgrade on trixie ran, PMG 8 is whole.
		const runs = commandsRun();
		expect(runs.filter(r => r === 'apt dist-upgrade')).toHaveLength(1);
		const installed = (pkg: string) => host.container.exec(['dpkg-query', '-W', '-f=${Version} ${db:Status-Abbrev}', pkg]).trim();
		expect(installed('proxmox-mailgateway')).toBe('8.2.0 ii');
		expect(installed('pmg-api')).toBe('8.2.7 ii');
		expect(host.container.exec(['cat', '/etc/debian_version'])).toMatch(/^12\./);
	});
});
