import {mkdtempSync, readdirSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {loadScenario} from '../../source/host/scenario.ts';
import {SimulatedHost} from '../../source/host/simulated-host.ts';
import {chunkText, displayCommand, type CommandSpec} from '../../source/host/types.ts';
import {parseDpkgQueryStatus} from '../../source/probes/dpkg.ts';
import {localeProblems, parseLocaleList} from '../../source/probes/locale.ts';
import {parsePgLsclusters} from '../../source/probes/pg-lsclusters.ts';
import {checkBackupListing, parseBackupFileName} from '../../source/probes/pmg-backup.ts';
import {countFindings, parseChecklist} from '../../source/probes/pmg8to9.ts';
import {parsePmgcmStatus} from '../../source/probes/pmgcm.ts';
import {parsePmgVersion} from '../../source/probes/pmgversion.ts';
import {parseIsActive, parseIsEnabled} from '../../source/probes/systemctl.ts';
import {readSources} from '../../source/runtime/pmg-probes.ts';
import {planSources} from '../../source/runtime/pmg-sources.ts';

/*
 * The shipped PMG scenarios, played with the exact command lines and file
 * operations the wizard uses, read with the wizard's own parsers: every
 * answer must parse, and the host must move through the whole upgrade.
 */

const DIR = path.resolve('scenarios/pmg');
const NAMES = ['clean', 'cluster-master', 'low-disk', 'old-version', 'bad-locale', 'bookworm-leftovers', 'kernel-meta', 'systemd-boot', 'cluster-daemons-running', 'custom-templates', 'avast', 'not-root', 'unreachable-repository', 'postfix-disabled', 'upgraded', 'upgraded-postfix-down', 'upgrade-half-way', 'cluster-last-node', 'cluster-other-node-upgrading', 'signed-by-twice'];
const PMG_SERVICES = ['postfix', 'pmg-smtp-filter', 'pmgpolicy', 'pmgdaemon', 'pmgproxy'];
const CLUSTER_DAEMONS = ['pmgmirror', 'pmgtunnel'];
const DPKG_QUERY: CommandSpec = {argv: ['dpkg-query', '-W', '-f=${Package}\\t${db:Status-Status}\\n', 'linux-image-amd64', 'systemd-boot']};
const ENTERPRISE = 'Types: deb\nURIs: https://enterprise.proxmox.com/debian/pmg\nSuites: trixie\nComponents: pmg-enterprise\nSigned-By: /usr/share/keyrings/proxmox-archive-keyring.gpg\n';

const stateDir = mkdtempSync(path.join(os.tmpdir(), 'muw-pmg-'));
afterAll(() => rmSync(stateDir, {recursive: true, force: true}));

const file = (name: string) => path.join(DIR, `${name}.yaml`);
// No terminal here: apt's and dpkg's questions get the answers the scenarios wrote.
const open = (name: string, stateFile?: string) => SimulatedHost.open(file(name), {speed: 0, processEnv: {}, answers: 'scripted', ...(stateFile ? {stateFile} : {})});

async function ok(host: SimulatedHost, command: CommandSpec | string[]) {
	const spec = Array.isArray(command) ? {argv: command} : command;
	const result = await host.run(spec, {capture: 'all'});
	expect(result.exitCode, `${displayCommand(spec)}:\n${result.stderr}`).toBe(0);
	return result;
}

const version = async (host: SimulatedHost) => parsePmgVersion((await ok(host, ['pmgversion', '-v'])).stdout);

/** The repository switch as the wizard does it: planned from the files, written with .bak copies. */
async function switchRepositories(host: SimulatedHost, choices: {thirdParty?: string} = {}) {
	const sources = planSources(await readSources(host), choices, null);
	for (const change of sources.plan) {
		await host.writeFile(`${change.path}.bak`, change.before!);
		await host.writeFile(change.path, change.after!);
	}
	await host.writeFile('/etc/apt/sources.list.d/pmg-enterprise.sources', ENTERPRISE);
	return sources;
}

async function removeOldPmg(host: SimulatedHost) {
	const sources = planSources(await readSources(host), {repository: 'enterprise'}, ENTERPRISE);
	for (const change of sources.oldPmg) {
		await host.writeFile(`${change.path}.bak`, change.before!);
		if (change.after === null) await host.removeFile(change.path);
		else await host.writeFile(change.path, change.after);
	}
	return planSources(await readSources(host), {repository: 'enterprise'}, ENTERPRISE);
}

async function services(host: SimulatedHost) {
	const units = [...PMG_SERVICES, ...CLUSTER_DAEMONS];
	return {
		active: parseIsActive(units, (await host.run({argv: ['systemctl', 'is-active', ...units]})).stdout),
		enabled: parseIsEnabled(units, (await host.run({argv: ['systemctl', 'is-enabled', ...units]})).stdout),
	};
}

describe('every shipped scenario', () => {
	it('the PMG folder holds exactly the documented scenarios', () => {
		expect(readdirSync(DIR).sort()).toEqual([...NAMES.map(n => `${n}.yaml`), 'servers'].sort());
		// The other nodes of the cluster scenarios.
		expect(readdirSync(path.join(DIR, 'servers')).sort()).toEqual(['pmg2-upgraded.yaml', 'pmg2-upgrading.yaml', 'pmg2.yaml', 'pmg3-unreachable.yaml']);
	});

	for (const name of NAMES) {
		it(`${name}: loads, says what it teaches, and every pmg8to9 answer counts its own lines right`, async () => {
			const s = await loadScenario(file(name));
			expect(s.product).toBe('pmg');
			expect(s.title.length).toBeGreaterThan(10);
			expect(s.description.length).toBeGreaterThan(100);
			expect(s.difficulty).not.toBeNull();
			expect(s.host.hostname).toBe('pmg1.example.lan');
			for (const entry of s.commands.filter(c => c.match.source === '^pmg8to9$' && c.stdout)) {
				const {findings, summary} = parseChecklist(entry.stdout);
				const count = countFindings(findings);
				const where = `${entry.origin.path}:${entry.origin.line}`;
				expect(summary, where).not.toBeNull();
				expect(summary, where).toEqual({
					total: count.PASS + count.SKIP + count.NOTICE + count.WARN + count.FAIL,
					passed: count.PASS,
					skipped: count.SKIP,
					warnings: count.WARN,
					failures: count.FAIL,
				});
				expect(count.FAIL, where).toBe(0);
			}
			for (const entry of s.commands.filter(c => c.match.source === '^pmgversion -v$' && c.exit === 0)) {
				expect(parsePmgVersion(entry.stdout).pmgApi, `${entry.origin.path}:${entry.origin.line}`).toMatch(/^[89]\.\d+\.\d+$/);
			}
			for (const entry of s.commands.filter(c => c.match.source === '^pg_lsclusters$')) {
				expect(parsePgLsclusters(entry.stdout).length).toBeGreaterThan(0);
			}
			for (const [name, f] of Object.entries(s.files).filter(([n]) => n.startsWith('/var/lib/pmg/backup/'))) {
				const parsed = parseBackupFileName(name);
				expect(parsed, name).not.toBeNull();
				expect(f.mtimeMs! / 1000).toBe(parsed!.epochSeconds);
			}
		});
	}
});

describe('clean: the whole upgrade, stopped and started again at the reboot', () => {
	it('walks every command of the procedure', async () => {
		const stateFile = path.join(stateDir, 'clean.json');
		const host = await open('clean', stateFile);
		const startedAt = host.now();
		expect(host.label).toBe('pmg1.example.lan (simulated)');
		expect(await host.identity()).toEqual({uid: 0, user: 'root', hostname: 'pmg1.example.lan'});
		const env = host.env();
		expect(env.LANG).toBe('C.UTF-8');
		expect(env.SSH_CONNECTION).toBeUndefined();

		// Bring 8.2 up to date.
		expect((await version(host)).pmgApi).toBe('8.2.7');
		expect((await ok(host, ['apt', 'update'])).stdout).toContain('6 packages can be upgraded');
		expect((await host.runInteractive({argv: ['apt', 'dist-upgrade']})).stdout).toContain('6 upgraded');
		expect((await ok(host, ['apt', 'dist-upgrade'])).stdout).toContain('0 upgraded');
		expect((await ok(host, ['apt', 'update'])).stdout).toContain('All packages are up to date.');

		// Backup: an old one exists; a new one is made and lists the right members.
		const backupDir = '/var/lib/pmg/backup';
		const [old] = await host.listDir(backupDir);
		expect((await host.stat(`${backupDir}/${old}`))!.mtimeMs).toBeLessThan(startedAt);
		expect(checkBackupListing((await ok(host, ['tar', '-tzf', `${backupDir}/${old}`])).stdout).ok).toBe(true);
		await ok(host, ['pmgbackup', 'backup']);
		const made = (await host.listDir(backupDir)).find(n => n !== old)!;
		expect(made).toMatch(/^pmg-backup_2026_11_22_[0-9A-F]{8}\.tgz$/);
		const info = (await host.stat(`${backupDir}/${made}`))!;
		expect(info.mtimeMs).toBeGreaterThanOrEqual(startedAt);
		expect(info.size).toBeGreaterThan(1024 ** 2);
		const listing = await ok(host, ['tar', '-tzf', `${backupDir}/${made}`]);
		expect(listing.stdout.split('\n').slice(0, 2)).toEqual(['./', './Proxmox_ruledb.sql']);
		expect(checkBackupListing(listing.stdout)).toMatchObject({ok: true, missing: []});
		expect((await host.run({argv: ['tar', '-tzf', `${backupDir}/gone.tgz`]})).exitCode).toBe(2);

		// Disk, checklist, cluster.
		expect((await host.diskSpace('/')).availableBytes).toBeGreaterThan(19.9 * 1024 ** 3);
		const checklist = parseChecklist((await ok(host, ['pmg8to9'])).stdout);
		expect(countFindings(checklist.findings)).toMatchObject({FAIL: 0, WARN: 1});
		const cluster = await ok(host, ['pmgcm', 'status']);
		expect(parsePmgcmStatus(cluster.stdout, cluster.exitCode)).toEqual({clustered: false, nodes: [], problems: []});
		await ok(host, ['systemctl', 'stop', ...CLUSTER_DAEMONS]);
		await ok(host, ['systemctl', 'mask', ...CLUSTER_DAEMONS]);

		// Repositories.
		expect((await ok(host, ['apt', 'install', 'proxmox-archive-keyring'])).stdout).toContain('Setting up proxmox-archive-keyring');
		expect((await ok(host, ['apt', 'install', 'proxmox-archive-keyring'])).stdout).toContain('already the newest version');
		expect((await ok(host, {argv: ['apt', 'policy'], env: {PAGER: 'cat'}})).stdout).toContain('n=bookworm');
		const switched = await switchRepositories(host);
		expect(switched.plan.map(p => p.path)).toEqual(['/etc/apt/sources.list']);
		expect(switched.thirdParty).toEqual([]);
		const mixed = await ok(host, ['apt', 'update']);
		expect(mixed.stdout).toContain('https://enterprise.proxmox.com/debian/pmg bookworm InRelease');
		expect(mixed.stdout).toContain('https://enterprise.proxmox.com/debian/pmg trixie InRelease');
		const mixedPolicy = (await ok(host, {argv: ['apt', 'policy'], env: {PAGER: 'cat'}})).stdout;
		expect(mixedPolicy).toContain('pmg bookworm/pmg-enterprise');
		expect(mixedPolicy).toContain('pmg trixie/pmg-enterprise');
		const after = await removeOldPmg(host);
		expect(after.leftovers).toEqual([]);
		expect(await host.readFile('/etc/apt/sources.list.d/pmg-enterprise.list')).toBeNull();
		expect((await ok(host, ['apt', 'update'])).stdout).not.toContain('bookworm');
		const policy = (await ok(host, {argv: ['apt', 'policy'], env: {PAGER: 'cat'}})).stdout;
		expect(policy).toContain('n=trixie');
		expect(policy).not.toContain('bookworm');

		// Packages that must not be there.
		const dpkg = await host.run(DPKG_QUERY);
		expect(dpkg.exitCode).toBe(1);
		expect(parseDpkgQueryStatus(dpkg.stdout, dpkg.stderr)).toEqual({'linux-image-amd64': 'not-installed', 'systemd-boot': 'not-installed'});

		// Services down and masked.
		await ok(host, ['systemctl', 'stop', ...PMG_SERVICES, ...CLUSTER_DAEMONS]);
		await ok(host, ['systemctl', 'mask', ...PMG_SERVICES, ...CLUSTER_DAEMONS]);
		const down = await services(host);
		for (const unit of [...PMG_SERVICES, ...CLUSTER_DAEMONS]) {
			expect(down.active[unit]).toBe('inactive');
			expect(down.enabled[unit]).toBe('masked');
		}

		// The upgrade itself.
		await ok(host, ['apt', 'update']);
		const clock = host.now();
		const chunks: string[] = [];
		const upgrade = await host.runInteractive({argv: ['apt', 'dist-upgrade']}, {capture: 'tail', onOutput: c => chunks.push(chunkText(c))});
		expect(upgrade.exitCode).toBe(0);
		expect(chunks.length).toBeGreaterThan(120);
		expect(chunks.length).toBeLessThan(200);
		expect(host.now() - clock).toBeGreaterThanOrEqual(5000);
		expect(upgrade.stdout).toContain('Setting up pmg-api (9.0.3)');
		const upgraded = await version(host);
		expect(upgraded).toMatchObject({pmgApi: '9.0.3', runningKernel: '6.8.12-15-pve'});
		expect(await host.readFile('/etc/debian_version')).toBe('13.2\n');
		expect((await host.diskSpace('/')).availableBytes).toBeLessThan(19 * 1024 ** 3);

		// PostgreSQL 15 -> 17.
		const locales = parseLocaleList((await ok(host, ['locale', '-a'])).stdout);
		expect(locales).toEqual(['C', 'C.utf8', 'en_US.utf8', 'POSIX']);
		expect(localeProblems(host.env(), locales)).toEqual([]);
		expect(parsePgLsclusters((await ok(host, ['pg_lsclusters'])).stdout).map(c => `${c.version}/${c.cluster} ${c.status}`)).toEqual(['15/main online']);
		const pg = await ok(host, ['pg_upgradecluster', '-v', '17', '15', 'main']);
		expect(pg.stdout).toContain('Success. Please check that the upgraded cluster works.');
		expect(parsePgLsclusters((await ok(host, ['pg_lsclusters'])).stdout).map(c => `${c.version}/${c.cluster} ${c.status}`)).toEqual(['15/main down', '17/main online']);
		expect((await host.run({argv: ['pg_upgradecluster', '-v', '17', '15', 'main']})).exitCode).toBe(1);

		// Unmask, reboot.
		await ok(host, ['systemctl', 'unmask', ...PMG_SERVICES]);
		const bootBefore = await host.bootId();
		await ok(host, ['reboot']);

		// The wizard starts again: the same host, rebooted.
		const again = await open('clean', stateFile);
		expect(await again.bootId()).not.toBe(bootBefore);
		expect(await again.readFile('/etc/apt/sources.list')).toContain('trixie');
		expect(await again.readFile('/etc/apt/sources.list.bak')).toContain('bookworm');
		expect(await version(again)).toMatchObject({pmgApi: '9.0.3', runningKernel: '6.14.11-4-pve'});
		const booted = await services(again);
		for (const unit of PMG_SERVICES) expect([booted.active[unit], booted.enabled[unit]]).toEqual(['active', 'enabled']);
		for (const unit of CLUSTER_DAEMONS) expect([booted.active[unit], booted.enabled[unit]]).toEqual(['inactive', 'masked']);
		await ok(again, ['journalctl', '-b', '-p', 'err', '--no-pager']);
		await ok(again, ['systemctl', 'unmask', ...CLUSTER_DAEMONS]);
		await ok(again, ['systemctl', 'start', ...CLUSTER_DAEMONS]);
		expect((await services(again)).active.pmgmirror).toBe('active');
		expect((await ok(again, ['apt', 'purge', 'postgresql-15', 'postgresql-client-15'])).stdout).toContain('Dropping cluster main...');
		expect(parsePgLsclusters((await ok(again, ['pg_lsclusters'])).stdout).map(c => c.version)).toEqual(['17']);
		expect((await ok(again, ['apt', 'modernize-sources'])).stdout).toContain('Rewrite 1 sources? [Y/n] n');
		expect(await again.readFile('/etc/apt/sources.list')).toContain('trixie');
		const final = parseChecklist((await ok(again, ['pmg8to9'])).stdout);
		expect(countFindings(final.findings)).toMatchObject({FAIL: 0, WARN: 0});
		expect(final.findings.map(f => f.text)).toContain('Already upgraded to Proxmox Mail Gateway 9');

		// A second modernize-sources answers Y and moves sources.list aside.
		await ok(again, ['apt', 'modernize-sources']);
		expect(await again.readFile('/etc/apt/sources.list')).toBeNull();
		expect(await again.readFile('/etc/apt/sources.list.bak')).toContain('trixie');
		expect(await again.readFile('/etc/apt/sources.list.d/debian.sources')).toContain('Suites: trixie trixie-updates');
		expect((await ok(again, ['apt', 'modernize-sources'])).stdout).toBe('All sources are modern.\n');
	});
});

describe('the fault scenarios show their fault', () => {
	it('cluster-master: pmgcm lists three nodes, this one the master', async () => {
		const host = await open('cluster-master');
		const result = await ok(host, ['pmgcm', 'status']);
		const status = parsePmgcmStatus(result.stdout, result.exitCode);
		expect(status.problems).toEqual([]);
		expect(status.clustered).toBe(true);
		expect(status.nodes.map(n => [n.name, n.ip, n.role, n.state])).toEqual([
			['pmg1', '192.0.2.10', 'master', 'A'],
			['pmg2', '192.0.2.11', 'node', 'A'],
			['pmg3', '192.0.2.12', 'node', 'A'],
		]);
		expect(parseChecklist((await ok(host, ['pmg8to9'])).stdout).findings.map(f => f.text)).toContain('All cluster nodes are in sync (master pmg1, nodes pmg2, pmg3).');
	});

	it('low-disk: 9.5 GiB free on /', async () => {
		const host = await open('low-disk');
		const disk = await host.diskSpace('/');
		expect(disk.availableBytes).toBe(9.5 * 1024 ** 3);
		expect(disk.availableBytes).toBeLessThan(10 * 1024 ** 3);
		expect((await host.listDir('/var/lib/pmg/backup')).length).toBe(3);
	});

	it('old-version: pmg-api 8.2.3 stays after apt update and dist-upgrade, and apt says which file it ignores', async () => {
		const host = await open('old-version');
		expect((await version(host)).pmgApi).toBe('8.2.3');
		const update = await ok(host, ['apt', 'update']);
		expect(update.stdout).not.toContain('proxmox.com');
		expect(update.stderr).toContain("N: Ignoring file 'pmg-enterprise.list.disabled'");
		expect((await ok(host, ['apt', 'dist-upgrade'])).stdout).toContain('3 upgraded');
		expect((await version(host)).pmgApi).toBe('8.2.3');
		expect((await ok(host, ['apt', 'dist-upgrade'])).stdout).toContain('0 upgraded');
		expect((await host.run({argv: ['pmg8to9']})).exitCode).toBe(127);
		const sources = planSources(await readSources(host), {}, null);
		expect(sources.oldPmg).toEqual([]);
	});

	it('bad-locale: over SSH with LC_ALL=de_DE.UTF-8; pg_upgradecluster fails unless LC_ALL is removed', async () => {
		const host = await open('bad-locale');
		const env = host.env();
		expect(env.SSH_CONNECTION).toBeTruthy();
		const locales = parseLocaleList((await ok(host, ['locale', '-a'])).stdout);
		expect(localeProblems(env, locales)).toEqual([{variable: 'LC_ALL', value: 'de_DE.UTF-8'}]);
		expect((await version(host)).pmgApi).toBe('8.2.7');
		expect((await host.run({argv: ['pmgversion', '-v']})).stderr).toContain('perl: warning: Setting locale failed.');
		await switchRepositories(host);
		await removeOldPmg(host);
		await ok(host, ['apt', 'dist-upgrade']);
		const failed = await host.run({argv: ['pg_upgradecluster', '-v', '17', '15', 'main']});
		expect(failed.exitCode).toBe(1);
		expect(failed.stderr).toContain('Error: Could not create target cluster');
		expect(parsePgLsclusters((await ok(host, ['pg_lsclusters'])).stdout).map(c => c.version)).toEqual(['15']);
		const cleaned: CommandSpec = {argv: ['pg_upgradecluster', '-v', '17', '15', 'main'], env: {LC_ALL: null}};
		expect(displayCommand(cleaned)).toBe('env -u LC_ALL pg_upgradecluster -v 17 15 main');
		await ok(host, cleaned);
		expect(parsePgLsclusters((await ok(host, ['pg_lsclusters'])).stdout).map(c => `${c.version} ${c.status}`)).toEqual(['15 down', '17 online']);
	});

	it('bookworm-leftovers: the enabled entries count, the commented line and the disabled stanza do not', async () => {
		const host = await open('bookworm-leftovers');
		const before = planSources(await readSources(host), {}, null);
		expect(before.errors).toEqual([]);
		const left = before.leftovers.map(l => `${path.basename(l.path)}:${l.line} ${l.suites.join(' ')}`);
		expect(left).toContain('extra.list:2 bookworm');
		expect(left).toContain('debian-backports.sources:2 bookworm-backports');
		expect(left.filter(l => l.startsWith('extra.list'))).toHaveLength(1);
		expect(left.some(l => l.includes('proposed-updates'))).toBe(false);
		expect(before.thirdParty.map(t => `${path.basename(t.path)}:${t.line}`).sort()).toEqual(['example-tools.sources:2', 'extra.list:2']);

		// The operator leaves the vendors' entries: after the switch they are the ones left.
		await switchRepositories(host, {thirdParty: 'leave'});
		const after = await removeOldPmg(host);
		expect(after.leftovers.map(l => `${path.basename(l.path)}:${l.line} ${l.suites.join(' ')}`).sort()).toEqual([
			'example-tools.sources:2 bookworm',
			'extra.list:2 bookworm',
		]);
		expect((await ok(host, ['apt', 'update'])).stdout).toContain('https://repo.example-vendor.com/apt bookworm InRelease');
		expect((await ok(host, {argv: ['apt', 'policy'], env: {PAGER: 'cat'}})).stdout).toContain('https://repo.example-vendor.com/apt bookworm/main');

		// Disabled by the wizard: apt no longer lists it.
		const disabled = planSources(await readSources(host), {thirdParty: 'disable'}, ENTERPRISE);
		for (const change of disabled.plan) await host.writeFile(change.path, change.after!);
		expect(planSources(await readSources(host), {}, ENTERPRISE).leftovers).toEqual([]);
		expect((await ok(host, {argv: ['apt', 'policy'], env: {PAGER: 'cat'}})).stdout).not.toContain('example-vendor');
	});

	it('kernel-meta: both meta-packages installed until apt removes them; the trixie dist-upgrade would remove PMG', async () => {
		const host = await open('kernel-meta');
		const query = async () => {
			const r = await host.run(DPKG_QUERY);
			return parseDpkgQueryStatus(r.stdout, r.stderr);
		};
		expect(await query()).toEqual({'linux-image-amd64': 'installed', 'systemd-boot': 'installed'});
		const checklist = parseChecklist((await ok(host, ['pmg8to9'])).stdout);
		expect(checklist.findings.find(f => f.level === 'WARN' && f.text.startsWith('systemd-boot meta-package installed'))).toBeDefined();

		await switchRepositories(host);
		await removeOldPmg(host);
		const refused = await host.run({argv: ['apt', 'dist-upgrade']});
		expect(refused.exitCode).toBe(1);
		expect(refused.stdout).toMatch(/REMOVED:\n.*\n\s+proxmox-mailgateway/);

		expect((await ok(host, ['apt', 'remove', 'linux-image-amd64'])).stdout).toContain('Removing linux-image-amd64');
		expect(await query()).toEqual({'linux-image-amd64': 'not-installed', 'systemd-boot': 'installed'});
		expect((await ok(host, ['apt', 'remove', 'linux-image-amd64'])).stdout).toContain('is not installed, so not removed');
		await ok(host, ['apt', 'remove', 'systemd-boot']);
		expect(await query()).toEqual({'linux-image-amd64': 'not-installed', 'systemd-boot': 'not-installed'});
		expect((await ok(host, ['apt', 'dist-upgrade'])).stdout).toContain('Setting up proxmox-mailgateway (9.0.0)');
	});
});
