import {spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {exitStatus, type Finding} from '../../source/check/findings.ts';
import {decidePhase, leftovers, pmgCheck, pmgChecks, READ_ONLY_COMMANDS, type PhaseInput} from '../../source/check/pmg.ts';
import {parseDebianRelease} from '../../source/probes/debian-version.ts';
import {parsePgLsclusters} from '../../source/probes/pg-lsclusters.ts';
import {SimulatedHost} from '../../source/host/simulated-host.ts';
import {EXIT, resolveScenario} from '../../source/products.ts';
import {recording} from './recording.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-check-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

async function checkOn(scenario: string) {
	const file = scenario.includes('/') ? scenario : resolveScenario('pmg', scenario);
	const simulated = await SimulatedHost.open(file, {speed: 0});
	const {host, calls} = recording(simulated);
	const findings = await pmgChecks(host);
	return {findings, calls, simulated};
}

const byKey = (findings: Finding[]) => Object.fromEntries(findings.map(f => [f.key, f]));

/** A scenario of the test's own: clean (or another bundled one), and whatever it changes. */
function scenarioFile(name: string, yaml: string, base = 'clean'): string {
	const file = path.join(dir, `${name}.yaml`);
	writeFileSync(file, `extends: ${resolveScenario('pmg', base)}\ntitle: ${name}\n${yaml}`);
	return file;
}

describe('check pmg changes nothing', () => {
	it('writes no file, runs nothing interactive, and runs only reading commands, on every bundled scenario', async () => {
		for (const scenario of ['clean', 'low-disk', 'old-version', 'bad-locale', 'bookworm-leftovers', 'kernel-meta', 'cluster-master', 'systemd-boot', 'custom-templates', 'avast', 'cluster-daemons-running', 'not-root']) {
			const {calls, simulated} = await checkOn(scenario);
			const methods = new Set(calls.map(c => c.method));
			for (const changing of ['writeFile', 'removeFile', 'runInteractive', 'clearRuns']) expect(methods.has(changing), `${scenario}: ${changing}`).toBe(false);
			const commands = calls.filter(c => c.method === 'run').map(c => (c.args[0] as {argv: string[]}).argv.join(' '));
			expect(commands.length).toBeGreaterThan(10);
			for (const command of commands) {
				expect(READ_ONLY_COMMANDS.some(prefix => command === prefix || command.startsWith(`${prefix} `)), `${scenario}: ${command}`).toBe(true);
			}
			// No keyed run: nothing a later wizard could mistake for a step it ran.
			for (const call of calls.filter(c => c.method === 'run')) expect((call.args[1] as {key?: string} | undefined)?.key).toBeUndefined();
			// The simulated host says the same: every service as it was, no file changed.
			expect(await simulated.readFile('/etc/apt/sources.list')).toContain('bookworm');
		}
	});

	it('after and half-way through the upgrade too: only reading commands, no file written, every service as it was', async () => {
		for (const scenario of ['upgraded', 'upgraded-postfix-down', 'upgrade-half-way']) {
			const {calls, simulated} = await checkOn(scenario);
			const methods = new Set(calls.map(c => c.method));
			for (const changing of ['writeFile', 'removeFile', 'runInteractive', 'clearRuns']) expect(methods.has(changing), `${scenario}: ${changing}`).toBe(false);
			const commands = calls.filter(c => c.method === 'run').map(c => (c.args[0] as {argv: string[]}).argv.join(' '));
			for (const command of commands) {
				expect(READ_ONLY_COMMANDS.some(prefix => command === prefix || command.startsWith(`${prefix} `)), `${scenario}: ${command}`).toBe(true);
			}
			// The search for leftovers reads /etc, nothing else of the host changes.
			expect(calls.some(c => c.method === 'listDir' && c.args[0] === '/etc')).toBe(true);
			const units = ['postfix', 'pmgmirror'];
			const active = await simulated.run({argv: ['systemctl', 'is-active', ...units]});
			expect(active.stdout, scenario).toBe(scenario === 'upgraded' ? 'active\nactive\n' : 'inactive\ninactive\n');
		}
	});

	it('the allowlist itself holds only commands that read', () => {
		for (const command of READ_ONLY_COMMANDS) expect(command).not.toMatch(/\b(install|remove|purge|upgrade|dist-upgrade|update$|stop|start|mask|restart|backup|rm|mv|tee)\b/);
	});
});

describe('check pmg finds what each scenario is about', () => {
	it.each([
		['low-disk', 'disk', 'FAIL', /9\.5 GiB available/],
		['old-version', 'version', 'FAIL', /8\.2\.3 is older than 8\.2\.5/],
		['kernel-meta', 'kernel-meta', 'FAIL', /linux-image-amd64 is installed/],
		['systemd-boot', 'systemd-boot', 'WARN', /systemd-boot meta-package is installed/],
		['bad-locale', 'locale', 'WARN', /LC_ALL=de_DE\.UTF-8/],
		['custom-templates', 'templates', 'NOTICE', /main\.cf\.in/],
		['bookworm-leftovers', 'sources.third-party', 'NOTICE', /extra\.list/],
	] as const)('%s: %s is %s', async (scenario, key, severity, detail) => {
		const {findings} = await checkOn(scenario);
		const f = byKey(findings)[key];
		expect(f, JSON.stringify(findings, null, 1)).toBeDefined();
		expect(f!.severity).toBe(severity);
		expect(f!.detail).toMatch(detail);
	});

	it('clean: the pending 8.2 updates warn, nothing fails, and the running services are expected', async () => {
		const {findings} = await checkOn('clean');
		const f = byKey(findings);
		expect(f.updates!.severity).toBe('WARN');
		expect(f.updates!.remediation).toEqual({hint: expect.stringContaining('first step'), command: 'apt update && apt dist-upgrade'});
		expect(f.services!.severity).toBe('NOTICE');
		expect(f.pmg8to9!.severity).toBe('NOTICE');
		expect(findings.filter(x => x.severity === 'FAIL')).toEqual([]);
		for (const key of ['version', 'kernel', 'postgres', 'time-sync', 'disk', 'hostname', 'certificates.pmg-api.pem', 'sources', 'kernel-meta', 'dkms', 'locale', 'templates']) {
			expect(f[key]?.severity, key).toBe('PASS');
		}
		expect(exitStatus(findings)).toBe(EXIT.checkWarn);
	});

	it('not root: says so first, as a notice', async () => {
		const {findings} = await checkOn('not-root');
		expect(findings[0]).toMatchObject({key: 'root', severity: 'NOTICE', detail: expect.stringContaining('not root')});
		const clean = await checkOn('clean');
		expect(clean.findings.some(f => f.key === 'root')).toBe(false);
	});

	it('a host with nothing to act on passes with exit status 0', async () => {
		const file = scenarioFile('ready', "commands:\n  - match: '^apt list --upgradable$'\n    stdout: \"Listing...\\n\"\n");
		const {findings} = await checkOn(file);
		expect(findings.filter(x => x.severity === 'WARN' || x.severity === 'FAIL')).toEqual([]);
		expect(exitStatus(findings)).toBe(EXIT.ok);
	});

	it('fails on a weak SSH cipher, a 1024-bit certificate, mixed suites, and a hostname no interface has', async () => {
		const weak = readFileSync(new URL('../probes/samples/x509-rsa1024.txt', import.meta.url), 'utf8');
		const file = scenarioFile(
			'broken',
			[
				'files:',
				'  /root/.ssh/config: |',
				'    Host *',
				'      Ciphers aes128-ctr,3des-cbc',
				'  /etc/apt/sources.list.d/new.list: |',
				'    deb http://deb.debian.org/debian trixie main',
				'commands:',
				"  - match: '^openssl x509 -noout -text -in /etc/pmg/pmg-api\\.pem$'",
				'    stdout: |',
				...weak.trimEnd().split('\n').map(l => `      ${l}`),
				"  - match: '^getent hosts pmg1$'",
				"    stdout: \"203.0.113.9 pmg1\\n\"",
				'',
			].join('\n'),
		);
		const f = byKey((await checkOn(file)).findings);
		expect(f['ssh-ciphers']).toMatchObject({severity: 'FAIL', detail: expect.stringContaining('3des-cbc (line 2)')});
		expect(f['certificates.pmg-api.pem']).toMatchObject({severity: 'FAIL', detail: expect.stringContaining('RSA 1024 bit')});
		expect(f.sources).toMatchObject({severity: 'FAIL', detail: expect.stringContaining('trixie at /etc/apt/sources.list.d/new.list:1')});
		expect(f.hostname).toMatchObject({severity: 'FAIL', detail: expect.stringContaining('203.0.113.9, which no interface has')});
	});
});

// pg_lsclusters as postgresql-common prints it, before and after pg_upgradecluster.
const LS_15 = 'Ver Cluster Port Status Owner    Data directory              Log file\n15  main    5432 online postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log\n';
const LS_BOTH = [
	'Ver Cluster Port Status Owner    Data directory              Log file',
	'15  main    5433 down   postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log',
	'17  main    5432 online postgres /var/lib/postgresql/17/main /var/log/postgresql/postgresql-17-main.log',
	'',
].join('\n');

const phaseInput = (over: Partial<Omit<PhaseInput, 'release' | 'clusters' | 'broken'>> & {broken?: readonly string[]; debian?: string; clusters?: string}): PhaseInput => ({
	pmgApi: over.pmgApi === undefined ? '9.0.3' : over.pmgApi,
	pmgversionExit: over.pmgversionExit ?? 0,
	broken: [...(over.broken ?? [])],
	release: parseDebianRelease(over.debian ?? '13.2\n', null),
	clusters: parsePgLsclusters(over.clusters ?? LS_BOTH),
	suites: over.suites ?? {old: [], next: ['/etc/apt/sources.list.d/debian.sources:1']},
});

describe('check pmg tells before, half-way and after the upgrade apart', () => {
	it('PMG 9 on trixie with 17/main (15 still there or not): after', () => {
		expect(decidePhase(phaseInput({}))).toEqual({phase: 'after', finding: null});
		expect(decidePhase(phaseInput({clusters: LS_BOTH.split('\n').filter(l => !l.startsWith('15')).join('\n')})).phase).toBe('after');
	});

	it('PMG 8 on bookworm with 15/main and bookworm repositories: before', () => {
		expect(decidePhase(phaseInput({pmgApi: '8.2.7', debian: '12.12\n', clusters: LS_15, suites: {old: ['/etc/apt/sources.list:1'], next: []}}))).toEqual({phase: 'before', finding: null});
		// Mixed suites are a failure of the pre-flight check (sources), not a phase.
		expect(decidePhase(phaseInput({pmgApi: '8.2.7', debian: '12.12\n', clusters: LS_15, suites: {old: ['/etc/apt/sources.list:1'], next: ['/etc/apt/sources.list.d/x.list:1']}})).phase).toBe('before');
		// No pmgversion at all: not a PMG host, which the version check says.
		expect(decidePhase(phaseInput({pmgApi: null, pmgversionExit: 127, clusters: ''})).phase).toBe('before');
	});

	it.each([
		['trixie, PMG 9, only 15/main: pg_upgradecluster is next', {clusters: LS_15}, /database is still PostgreSQL 15\/main \(15\/main online\): pg_upgradecluster has not run/, 'pg_upgradecluster -v 17 15 main'],
		['trixie with pmg-api 8: the dist-upgrade stopped', {pmgApi: '8.2.7', clusters: LS_15}, /Debian 13\.2 \(trixie\) is installed, but pmg-api is still 8\.2\.7/, 'dpkg --configure -a && apt dist-upgrade'],
		['trixie, pmg-api half-configured', {broken: ['pmg-api']}, /pmg-api is not correctly installed: the dist-upgrade to PMG 9 did not finish/, 'dpkg --configure -a && apt dist-upgrade'],
		['trixie, pmgversion fails', {pmgApi: null, pmgversionExit: 2}, /pmgversion -v fails \(exit 2\)/, 'dpkg --configure -a && apt dist-upgrade'],
		['17/main while on bookworm', {pmgApi: '8.2.7', debian: '12.12\n'}, /a PostgreSQL 17\/main cluster exists on Debian 12\.12 \(bookworm\) with pmg-api 8\.2\.7/, 'pg_lsclusters'],
		['repositories on trixie, still bookworm and PMG 8', {pmgApi: '8.2.7', debian: '12.12\n', clusters: LS_15}, /the repositories were switched and the dist-upgrade has not run/, 'upgrade-wizard pmg'],
		['PMG 9 on trixie and no cluster at all', {clusters: ''}, /there is no PostgreSQL main cluster \(none\)/, 'pg_lsclusters'],
	] as const)('half-way: %s', (_name, over, detail, command) => {
		const {phase, finding} = decidePhase(phaseInput(over));
		expect(phase).toBe('unfinished');
		expect(finding).toMatchObject({key: 'upgrade', severity: 'FAIL', detail: expect.stringMatching(/^unfinished: /)});
		expect(finding!.detail).toMatch(detail);
		expect(finding!.remediation?.command).toBe(command);
	});

	it('upgraded: a finished, healthy upgrade passes with exit status 0, and nothing speaks of before the window', async () => {
		const {findings} = await checkOn('upgraded');
		const {phase} = await pmgCheck((await checkOn('upgraded')).simulated);
		expect(phase).toBe('after');
		expect(findings.map(f => f.key)).toEqual(['upgrade', 'version', 'kernel', 'updates', 'cluster', 'postgres', 'services', 'cluster-daemons', 'sources', 'leftovers', 'disk', 'kernel-meta', 'pmg8to9']);
		const f = byKey(findings);
		expect(f.upgrade).toMatchObject({severity: 'PASS', detail: 'done: PMG 9 on Debian trixie, the database moved to PostgreSQL 17/main (online)'});
		expect(f.version!.detail).toBe('pmg-api 9.0.3 on Debian 13.2 (trixie)');
		expect(f.postgres).toMatchObject({severity: 'PASS', detail: '17/main online on port 5432'});
		expect(f.services).toMatchObject({severity: 'PASS', detail: 'active and enabled: postfix, pmg-smtp-filter, pmgpolicy, pmgdaemon, pmgproxy'});
		expect(f.sources).toMatchObject({severity: 'PASS', detail: expect.stringContaining('all on trixie')});
		expect(findings.filter(x => ['WARN', 'FAIL', 'NOTICE'].includes(x.severity))).toEqual([]);
		expect(JSON.stringify(findings)).not.toMatch(/before the (window|upgrade)|already exists/);
		expect(exitStatus(findings, phase)).toBe(EXIT.ok);
	});

	it('upgraded-postfix-down: postfix fails with its command and log; 15/main, the cluster daemons, bookworm and the leftovers are named with what to do', async () => {
		const {findings} = await checkOn('upgraded-postfix-down');
		const f = byKey(findings);
		expect(f['services.postfix']).toEqual({
			key: 'services.postfix',
			severity: 'FAIL',
			title: 'mail service',
			// On trixie postfix.service runs the master itself (postfix@- is the old layout, inactive by design).
			detail: 'postfix: inactive, disabled: not running, and it does not start at boot',
			remediation: {hint: 'Enable and start it; if it does not stay up, its log says why: journalctl -b -u postfix.', command: 'systemctl enable --now postfix'},
		});
		expect(f.services).toBeUndefined();
		expect(f.postgres!.severity).toBe('PASS');
		expect(f['postgres.old']).toMatchObject({severity: 'NOTICE', detail: expect.stringContaining('15/main is still there (down, port 5433'), remediation: {command: 'apt purge postgresql-15 postgresql-client-15'}});
		expect(f['cluster-daemons']).toMatchObject({severity: 'WARN', remediation: {command: 'systemctl unmask pmgmirror pmgtunnel && systemctl start pmgmirror pmgtunnel'}});
		expect(f.sources).toMatchObject({severity: 'WARN', detail: 'bookworm entries left: /etc/apt/sources.list.d/extra.list:2'});
		expect(f['sources.backups']).toMatchObject({severity: 'NOTICE', detail: 'kept by apt modernize-sources: /etc/apt/sources.list.bak', remediation: {command: 'rm /etc/apt/sources.list.bak'}});
		expect(f['leftovers.dpkg-dist']).toMatchObject({severity: 'NOTICE', detail: expect.stringContaining('/etc/issue.dpkg-dist'), remediation: {command: 'diff -u /etc/issue /etc/issue.dpkg-dist'}});
		expect(f['leftovers.ucf-dist']).toMatchObject({severity: 'NOTICE', remediation: {command: 'diff -u /etc/ssh/sshd_config /etc/ssh/sshd_config.ucf-dist'}});
		expect(f['leftovers.dpkg-old']).toMatchObject({severity: 'NOTICE', remediation: {command: 'diff -u /etc/crontab.dpkg-old /etc/crontab'}});
		expect(f.leftovers).toBeUndefined();
		// The only failure is the mail that does not flow.
		expect(findings.filter(x => x.severity === 'FAIL').map(x => x.key)).toEqual(['services.postfix']);
		expect(exitStatus(findings, 'after')).toBe(EXIT.checkFail);
	});

	it('in a container the running kernel is the host\'s: SKIP, before and after, never "boot the Proxmox kernel"', async () => {
		const detect = (kind: string, exit: number) => `commands:\n  - match: '^systemd-detect-virt --container$'\n    exit: ${exit}\n    stdout: "${kind}\\n"\n`;
		for (const base of ['clean', 'upgraded']) {
			const lxc = byKey((await checkOn(scenarioFile(`${base}-lxc`, detect('lxc', 0), base))).findings).kernel!;
			expect(lxc.severity).toBe('SKIP');
			expect(lxc.detail).toContain('container (lxc)');
			const vm = byKey((await checkOn(scenarioFile(`${base}-vm`, detect('none', 1), base))).findings).kernel!;
			expect(vm.detail).not.toContain('container');
		}
		// A host whose systemd-detect-virt is missing is not taken for a container.
		expect(byKey((await checkOn('clean')).findings).kernel!.detail).not.toContain('container');
	});

	it('after the upgrade: a postfix that runs but does not start at boot warns; a masked service, a stopped 17/main and a .dpkg-new are named with their commands', async () => {
		const disabled = scenarioFile('after-disabled', 'services:\n  postfix: { active: true, enabled: false }\n', 'upgraded');
		const d = await checkOn(disabled);
		expect(byKey(d.findings)['services.postfix']).toMatchObject({severity: 'WARN', detail: 'postfix: active, disabled: it runs now but does not start at boot', remediation: {command: 'systemctl enable postfix'}});
		expect(exitStatus(d.findings, 'after')).toBe(EXIT.checkWarn);

		const broken = scenarioFile(
			'after-broken',
			[
				'services:',
				'  pmgproxy: { active: false, enabled: true, masked: true }',
				'files:',
				'  /etc/pmg/pmg.conf.dpkg-new: "section: admin\\n"',
				'commands:',
				"  - match: '^pg_lsclusters$'",
				'    stdout: |',
				'      Ver Cluster Port Status Owner    Data directory              Log file',
				'      17  main    5432 down   postgres /var/lib/postgresql/17/main /var/log/postgresql/postgresql-17-main.log',
				'',
			].join('\n'),
			'upgraded',
		);
		const b = byKey((await checkOn(broken)).findings);
		expect(b['services.pmgproxy']).toMatchObject({severity: 'FAIL', detail: expect.stringContaining('still masked'), remediation: {command: 'systemctl unmask pmgproxy && systemctl start pmgproxy'}});
		expect(b.postgres).toMatchObject({severity: 'FAIL', detail: expect.stringContaining('17/main is down'), remediation: {hint: expect.stringContaining('/var/log/postgresql/postgresql-17-main.log'), command: 'systemctl start postgresql@17-main'}});
		expect(b['leftovers.dpkg-new']).toMatchObject({severity: 'WARN', detail: expect.stringContaining('/etc/pmg/pmg.conf.dpkg-new'), remediation: {command: 'dpkg --configure -a'}});
		expect(b.upgrade!.severity).toBe('PASS');
	});

	it('leftovers: a directory that cannot be read (not root) is skipped and named, the others are still searched', async () => {
		const simulated = await SimulatedHost.open(resolveScenario('pmg', 'upgraded-postfix-down'), {speed: 0});
		const host = new Proxy(simulated, {
			get(target, property, receiver) {
				if (property === 'listDir') {
					return async (dir: string) => {
						if (dir === '/etc/ssh') throw Object.assign(new Error(`EACCES: permission denied, scandir '${dir}'`), {code: 'EACCES'});
						return target.listDir(dir);
					};
				}
				const value = Reflect.get(target, property, receiver);
				return typeof value === 'function' ? value.bind(target) : value;
			},
		});
		const found = byKey(await leftovers(host));
		expect(found['leftovers.ucf-dist']).toBeUndefined();
		expect(found['leftovers.dpkg-dist']!.detail).toContain('/etc/issue.dpkg-dist');
		const clean = await SimulatedHost.open(resolveScenario('pmg', 'upgraded'), {speed: 0});
		const refused = new Proxy(clean, {
			get(target, property, receiver) {
				if (property === 'listDir') return async (dir: string) => (dir === '/etc/postgresql' ? Promise.reject(new Error('EACCES')) : target.listDir(dir));
				const value = Reflect.get(target, property, receiver);
				return typeof value === 'function' ? value.bind(target) : value;
			},
		});
		expect(await leftovers(refused)).toEqual([expect.objectContaining({key: 'leftovers', severity: 'PASS', detail: expect.stringContaining('(not readable here: /etc/postgresql)')})]);
	});

	it('after the upgrade without its reboot: the old kernel runs and the reboot is named', async () => {
		const file = scenarioFile(
			'after-no-reboot',
			[
				'files:',
				'  /proc/sys/kernel/osrelease: "6.8.12-15-pve\\n"',
				'commands:',
				"  - match: '^pmgversion -v$'",
				'    stdout: |',
				'      proxmox-mailgateway: 9.0.0 (API: 9.0.3/f1c2a9e4, running kernel: 6.8.12-15-pve)',
				'      pmg-api: 9.0.3',
				'      pmg-gui: 5.0.2',
				'      proxmox-kernel-helper: 9.0.4',
				'      proxmox-kernel-6.14.11-4-pve-signed: 6.14.11-4',
				'      proxmox-kernel-6.14: 6.14.11-4',
				'      proxmox-kernel-6.8.12-15-pve-signed: 6.8.12-15',
				'',
			].join('\n'),
			'upgraded',
		);
		const f = byKey((await checkOn(file)).findings);
		expect(f.kernel).toMatchObject({severity: 'WARN', detail: "6.8.12-15-pve runs, but PMG 9's kernel 6.14.11-4-pve is installed: the reboot of the upgrade is missing", remediation: {command: 'reboot'}});
	});

	it('upgrade-half-way: named unfinished first, with pg_upgradecluster as the next step; the masked services are stated, not failed', async () => {
		const {findings, simulated} = await checkOn('upgrade-half-way');
		expect((await pmgCheck(simulated)).phase).toBe('unfinished');
		expect(findings[0]).toMatchObject({key: 'upgrade', severity: 'FAIL', remediation: {command: 'pg_upgradecluster -v 17 15 main'}});
		const f = byKey(findings);
		expect(f.services).toMatchObject({severity: 'INFO', detail: expect.stringContaining('postfix inactive, masked')});
		expect(f.postgres).toMatchObject({severity: 'INFO', detail: 'clusters: 15/main online'});
		expect(findings.filter(x => x.severity === 'FAIL').map(x => x.key)).toEqual(['upgrade']);
		expect(exitStatus(findings, 'unfinished')).toBe(EXIT.checkUnfinished);
	});

	it('not a PMG host (no pmgversion): no phase is claimed, the version check says why', async () => {
		const file = scenarioFile('no-pmg', "commands:\n  - match: '^pmgversion -v$'\n    stderr: \"bash: pmgversion: command not found\\n\"\n    exit: 127\n");
		const {simulated} = await checkOn(file);
		const result = await pmgCheck(simulated);
		expect(result.phase).toBeUndefined();
		expect(byKey(result.findings).version).toMatchObject({severity: 'FAIL', detail: expect.stringContaining('does not look like a Proxmox Mail Gateway host')});
	});

	it('a 17/main on bookworm is an unfinished upgrade, not a failed PostgreSQL check', async () => {
		const file = scenarioFile('pg17-on-bookworm', "files:\n  /etc/postgresql/17/main/postgresql.conf: \"port = 5432\\n\"\n");
		const {findings, simulated} = await checkOn(file);
		expect((await pmgCheck(simulated)).phase).toBe('unfinished');
		const f = byKey(findings);
		expect(f.upgrade).toMatchObject({severity: 'FAIL', detail: expect.stringContaining('a PostgreSQL 17/main cluster exists on Debian 12.12 (bookworm) with pmg-api 8.2.7 (15/main down, 17/main online)')});
		expect(f.upgrade!.remediation!.hint).toContain('pg_dropcluster --stop 17 main');
		expect(f.postgres!.severity).toBe('INFO');
	});

	it('repositories switched to trixie on a PMG 8 host: unfinished, the wizard goes on with the dist-upgrade', async () => {
		const file = scenarioFile(
			'switched',
			[
				'files:',
				'  /etc/apt/sources.list: "deb http://deb.debian.org/debian trixie main contrib\\n"',
				'  /etc/apt/sources.list.d/pmg-enterprise.list: "deb https://enterprise.proxmox.com/debian/pmg trixie pmg-enterprise\\n"',
				'',
			].join('\n'),
		);
		const f = byKey((await checkOn(file)).findings);
		expect(f.upgrade).toMatchObject({severity: 'FAIL', detail: expect.stringContaining('the repositories were switched and the dist-upgrade has not run'), remediation: {command: 'upgrade-wizard pmg'}});
	});
});

describe('upgrade-wizard check through the built CLI', () => {
	const cli = path.resolve('dist/cli.js');
	const check = (...args: string[]) => spawnSync(process.execPath, [cli, 'check', ...args], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}});

	it('prints one block per finding within 80 columns, the counts, and exits 6 on a failure', () => {
		const result = check('pmg', '--simulate', 'low-disk');
		expect(result.status).toBe(EXIT.checkFail);
		// A finding's wrapped lines joined again (its hint starts with ->).
		const joined = result.stdout.replace(/\n {9}(?!->| )/g, ' ');
		expect(joined).toMatch(/^\[FAIL\] +free space on \/: 9\.5 GiB available of 32\.0 GiB; the upgrade needs 10\.0 GiB$/m);
		expect(result.stdout).toMatch(/^\d+ checks: \d+ PASS, \d+ INFO, \d+ SKIP, \d+ NOTICE, \d+ WARN, 1 FAIL\.$/m);
		for (const line of result.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
		expect(result.stderr).toBe('');
	});

	it('--json: the same findings with stable keys, the counts and the status', () => {
		const result = check('pmg', '--simulate', 'clean', '--json');
		expect(result.status).toBe(EXIT.checkWarn);
		const report = JSON.parse(result.stdout) as {product: string; host: string; status: number; counts: Record<string, number>; findings: Finding[]};
		expect(report.product).toBe('pmg');
		expect(report.host).toBe('pmg1.example.lan (simulated)');
		expect(report.status).toBe(EXIT.checkWarn);
		expect(report.findings.map(f => f.key)).toEqual([
			'version', 'updates', 'kernel', 'cluster', 'postgres', 'services', 'ssh-ciphers', 'time-sync', 'disk', 'hostname',
			'certificates.pmg-api.pem', 'sources', 'bootloader', 'kernel-meta', 'dkms', 'locale', 'templates', 'pmg8to9',
		]);
		for (const f of report.findings) {
			expect(Object.keys(f).sort()).toEqual(['detail', 'key', 'remediation', 'severity', 'title']);
			expect(['PASS', 'INFO', 'SKIP', 'NOTICE', 'WARN', 'FAIL']).toContain(f.severity);
		}
		expect(Object.values(report.counts).reduce((a, b) => a + b, 0)).toBe(report.findings.length);
	});

	it('after the upgrade: its own phase line and last line; exit 0 healthy, 6 with postfix down, 7 half-way', () => {
		const healthy = check('pmg', '--simulate', 'upgraded');
		expect(healthy.status).toBe(EXIT.ok);
		expect(healthy.stdout).toMatch(/^Phase: after the upgrade$/m);
		expect(healthy.stdout).toMatch(/^\[PASS\] +upgrade to PMG 9: done: PMG 9 on Debian trixie/m);
		expect(healthy.stdout.trimEnd().split('\n').at(-1)).toBe('The upgrade is finished and everything checked runs (exit status 0).');
		expect(healthy.stdout).not.toMatch(/\[FAIL\]|\[WARN\]|before the window|already exists/);

		const down = check('pmg', '--simulate', 'upgraded-postfix-down');
		expect(down.status).toBe(EXIT.checkFail);
		const joined = down.stdout.replace(/\n {9}(?!->| )/g, ' ');
		expect(joined).toMatch(/^\[FAIL\] +mail service: postfix: inactive, disabled: not running, and it does not start at boot$/m);
		expect(down.stdout).toMatch(/^ {12}\$ systemctl enable --now postfix$/m);
		expect(joined).toMatch(/^\[NOTICE\] configuration files: 1 \.dpkg-dist .*: \/etc\/issue\.dpkg-dist$/m);
		expect(down.stdout).toMatch(/^ {12}\$ diff -u \/etc\/issue \/etc\/issue\.dpkg-dist$/m);
		expect(down.stdout).toContain('The upgrade is finished, but something fails');

		const half = check('pmg', '--simulate', 'upgrade-half-way');
		expect(half.status).toBe(EXIT.checkUnfinished);
		expect(half.stdout).toMatch(/^Phase: an upgrade left unfinished$/m);
		expect(half.stdout).toMatch(/^ {12}\$ pg_upgradecluster -v 17 15 main$/m);
		expect(half.stdout).toContain('The upgrade is unfinished: take the next step named above (exit status 7).');
		for (const result of [healthy, down, half]) {
			expect(result.stderr).toBe('');
			for (const line of result.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
		}
	});

	it('--json after the upgrade: the phase and the status', () => {
		for (const [scenario, phase, status] of [['upgraded', 'after', EXIT.ok], ['upgraded-postfix-down', 'after', EXIT.checkFail], ['upgrade-half-way', 'unfinished', EXIT.checkUnfinished], ['clean', 'before', EXIT.checkWarn]] as const) {
			const result = check('pmg', '--simulate', scenario, '--json');
			const report = JSON.parse(result.stdout) as {phase: string; status: number};
			expect([report.phase, report.status, result.status], scenario).toEqual([phase, status, status]);
		}
	});

	it('usage errors: exit 2 with one line that says what to do', () => {
		for (const args of [[], ['pmg', '--bogus'], ['nothing'], ['pmg', '--simulate', 'no-such-scenario']]) {
			const result = check(...args);
			expect(result.status, args.join(' ')).toBe(EXIT.usage);
			expect(result.stderr.trim().split('\n')).toHaveLength(1);
			expect(result.stderr).toMatch(/^upgrade-wizard check: /);
		}
	});

	it('without a terminal the wizard points to check', () => {
		const result = spawnSync(process.execPath, [cli, 'pmg'], {encoding: 'utf8', input: ''});
		expect(result.status).toBe(EXIT.notTerminal);
		expect(result.stderr).toContain('upgrade-wizard check pmg');
	});
});

