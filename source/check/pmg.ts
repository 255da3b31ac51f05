/**
 * The read-only pre-flight checks of the PMG 8 -> 9 upgrade: what the
 * vendor's pmg8to9 checklist looks at before the upgrade, with the seed's
 * thresholds (pmg-api 8.2.5, 10 GB free on /), plus what the wizard's own
 * guards will stop at. The facts come from the same probes the wizard uses
 * (source/runtime/pmg-probes.ts); nothing here writes or runs a command that
 * changes the host: every command is in READ_ONLY_COMMANDS.
 */
import {CLUSTER_DAEMONS, mailUnits, MIN_FREE_BYTES, MIN_VERSION, notRunning, PMG_SERVICES, POSTFIX_INSTANCE, type PmgFacts} from '../../machines/pmg-8-to-9.ts';
import type {Host} from '../host/types.ts';
import {parseSourcesFile} from '../probes/apt-sources.ts';
import {parseDebianRelease, versionAtLeast, type DebianRelease} from '../probes/debian-version.ts';
import {parsePgLsclusters, type PgCluster} from '../probes/pg-lsclusters.ts';
import {parsePmgVersion, type PmgVersionFacts} from '../probes/pmgversion.ts';
import {MIN_KEY_BITS, parseDkmsStatus, parseGetentHosts, parseIpAddr, parseUpgradable, parseX509Key, suiteMix, weakSshCiphers} from '../probes/preflight.ts';
import {parseIsActive} from '../probes/systemctl.ts';
import {pmgProbes, readSources} from '../runtime/pmg-probes.ts';
import {entryKind, SOURCES_DIR, SOURCES_LIST} from '../runtime/pmg-sources.ts';
import {ETC_DIRS, findUnderEtc, LEFTOVERS} from '../runtime/leftovers.ts';
import type {CheckResult, Finding, Phase, Severity} from './findings.ts';

/** The commands a check may run, by their first words: all of them only read. */
export const READ_ONLY_COMMANDS = [
	'pmgversion -v',
	'apt list --upgradable',
	'pmgcm status',
	'pg_lsclusters',
	'locale -a',
	'systemctl is-active',
	'systemctl is-enabled',
	'dpkg-query -W',
	'getent hosts',
	'ip -o addr show',
	'openssl x509',
	'dkms status',
	'tar -tzf',
	'pmg8to9',
	'systemd-detect-virt --container',
	'systemctl show -p Type --value',
];

const GIB = 1024 ** 3;
const CERTIFICATES = [
	{path: '/etc/pmg/pmg-api.pem', use: 'the web interface and API', required: true},
	{path: '/etc/pmg/pmg-tls.pem', use: 'TLS in Postfix', required: false},
];
const TEMPLATES = '/etc/pmg/templates';
/** The checklist's warning that the services still run before the upgrade. */
const EXPECTED_BEFORE_WINDOW = /^Not upgraded but core services still active/;
const SHIPPED_TEMPLATES = '/var/lib/pmg/templates';

type Facts = Partial<PmgFacts>;

const finding = (key: string, severity: Severity, title: string, detail: string, hint?: string, command?: string): Finding => ({
	key,
	severity,
	title,
	detail,
	remediation: hint ? {hint, command: command ?? null} : null,
});

const gib = (bytes: number) => `${(bytes / GIB).toFixed(1)} GiB`;

const asked = new WeakMap<Host, Map<string, Promise<unknown>>>();

/** What `look` finds on this host, looked at once per host and check run. */
function once<T>(host: Host, name: string, look: () => Promise<T>): Promise<T> {
	const cache = asked.get(host) ?? new Map<string, Promise<unknown>>();
	asked.set(host, cache);
	if (!cache.has(name)) cache.set(name, look());
	return cache.get(name)! as Promise<T>;
}

/** One probe of the wizard, without the context a step gives it; asked once per host. */
function probe(host: Host, name: string): Promise<Facts> {
	const context = {startedAt: host.now(), facts: {}, choices: {}, confirmations: {}, status: {}, runs: 0};
	return once(host, `probe:${name}`, () => pmgProbes[name]!(host, context, {processEnv: {}}) as Promise<Facts>);
}

/** `pmgversion -v` in full (the packages too), and its exit status: 127 when PMG is not installed. */
const pmgVersion = (host: Host) =>
	once(host, 'pmgversion', async (): Promise<PmgVersionFacts & {exitCode: number}> => {
		const result = await run(host, 'pmgversion', '-v');
		return {...parsePmgVersion(result.exitCode === 0 ? result.stdout : ''), exitCode: result.exitCode};
	});

/** `pg_lsclusters` with every column: the port and log file go into the hints. */
const pgClusters = (host: Host) => once(host, 'pg_lsclusters', async (): Promise<PgCluster[]> => parsePgLsclusters((await run(host, 'pg_lsclusters')).stdout));

/** The Debian release, from the files base-files installs. */
const debianRelease = (host: Host) =>
	once(host, 'debian', async (): Promise<DebianRelease> => parseDebianRelease(await host.readFile('/etc/debian_version'), await host.readFile('/etc/os-release')));

const mainCluster = (clusters: PgCluster[], version: string) => clusters.find(c => c.version === version && c.cluster === 'main');

const run = (host: Host, ...argv: string[]) => host.run({argv}, {capture: 'all'});

/** A check of the report: its key (for the finding when it cannot run), its title, and what it looks at. */
type Check = [string, string, () => Promise<Finding[]>];

/**
 * Every check for the phase the host is in; one that cannot run says so as
 * its finding and the others go on. Before the upgrade: the pre-flight
 * checks. After it: whether it is complete and everything runs. Half-way:
 * what state it was left in and the next step, first.
 */
export async function pmgCheck(host: Host): Promise<CheckResult> {
	const {phase, finding: upgrade} = await phaseOf(host);
	const before: Check[] = [
		['version', 'PMG version', () => version(host)],
		['updates', 'pending updates', () => updates(host, 'before')],
		['kernel', 'running kernel', () => kernel(host)],
		['cluster', 'cluster sync', () => cluster(host, 'before')],
		['postgres', 'PostgreSQL', () => postgres(host)],
		['services', 'PMG services', () => services(host)],
		['ssh-ciphers', 'SSH client ciphers', () => sshCiphers(host)],
		['time-sync', 'time synchronisation', () => timeSync(host)],
		['disk', 'free space on /', () => disk(host)],
		['hostname', 'hostname address', () => hostname(host)],
		['certificates', 'certificate keys', () => certificates(host)],
		['sources', 'apt repositories', () => sources(host)],
		['bootloader', 'bootloader', () => bootloader(host)],
		['kernel-meta', 'Debian kernel meta-package', () => packages(host, 'before')],
		['dkms', 'DKMS modules', () => dkms(host)],
		['locale', 'locale', () => locale(host)],
		['templates', 'customised templates', () => templates(host)],
		['pmg8to9', "the vendor's pmg8to9 checklist", () => checklist(host)],
	];
	const after: Check[] = [
		['version', 'PMG version', () => versionAfter(host)],
		['kernel', 'running kernel', () => kernelAfter(host)],
		['updates', 'pending updates', () => updates(host, 'after')],
		['cluster', 'cluster sync', () => cluster(host, 'after')],
		['postgres', 'PostgreSQL', () => postgresAfter(host)],
		['services', 'mail services', () => servicesAfter(host)],
		['cluster-daemons', 'cluster daemons', () => clusterDaemons(host)],
		['sources', 'apt repositories', () => sourcesAfter(host)],
		['leftovers', 'configuration files left by the upgrade', () => leftovers(host)],
		['disk', 'free space on /', () => diskAfter(host)],
		['kernel-meta', 'Debian kernel meta-package', () => packages(host, 'after')],
		['pmg8to9', "the vendor's pmg8to9 checklist", () => checklist(host)],
	];
	// Half-way: the state of each part, none judged as if the upgrade were done.
	const unfinished: Check[] = [
		['version', 'PMG version', () => versionAfter(host)],
		['postgres', 'PostgreSQL', () => postgresState(host)],
		['services', 'mail services', () => servicesState(host)],
		['sources', 'apt repositories', () => sourcesAfter(host)],
		['leftovers', 'configuration files left by the upgrade', () => leftovers(host)],
		['disk', 'free space on /', () => disk(host)],
		['pmg8to9', "the vendor's pmg8to9 checklist", () => checklist(host)],
	];
	const out: Finding[] = [];
	const {uid, user} = await host.identity();
	if (uid !== 0) {
		out.push(finding('root', 'NOTICE', 'user', `running as ${user} (uid ${uid}), not root: some files cannot be read (the certificates)`, 'Run the check as root for complete results.'));
	}
	if (upgrade) out.push(upgrade);
	for (const [key, title, check] of phase === 'before' ? before : phase === 'after' ? after : unfinished) {
		try {
			out.push(...(await check()));
		} catch (error) {
			out.push(finding(key, 'WARN', title, `could not be checked: ${(error as Error).message}`, 'Look at this by hand, then run the check again.'));
		}
	}
	// Not a PMG host at all (no pmgversion): no phase to tell, the version check says why.
	const {exitCode, pmgApi} = await pmgVersion(host);
	return exitCode === 127 && pmgApi === null ? {findings: out} : {phase, findings: out};
}

/** The findings of every check, whatever the phase. */
export async function pmgChecks(host: Host): Promise<Finding[]> {
	return (await pmgCheck(host)).findings;
}

/** What tells the phase apart: the PMG and Debian versions, the PostgreSQL clusters, the repositories. */
export type PhaseInput = {
	pmgApi: string | null;
	/** pmgversion's exit status: 127 when it is not installed. */
	pmgversionExit: number;
	/** Packages pmgversion calls "not correctly installed" (half-configured by an interrupted dpkg). */
	broken: string[];
	release: DebianRelease;
	clusters: PgCluster[];
	/** Enabled repository entries on bookworm and on trixie, as path:line. */
	suites: {old: string[]; next: string[]};
};

const UPGRADE = 'upgrade to PMG 9';

const describeRelease = (r: DebianRelease) => (r.version ? `Debian ${r.version}${r.codename && !r.version.includes(r.codename) ? ` (${r.codename})` : ''}` : r.codename ? `Debian ${r.codename}` : 'an unknown Debian release');
const describeClusters = (clusters: PgCluster[]) => clusters.map(c => `${c.version}/${c.cluster} ${c.status}`).join(', ') || 'none';

/**
 * Before, half-way or after the upgrade, from what the host has now; half-way
 * comes with a FAIL that names the state and the next step of the procedure.
 * The upgrade's order is: repositories to trixie, apt dist-upgrade (PMG 9,
 * Debian 13), pg_upgradecluster (17/main), unmask, reboot, and the tidying up.
 */
export function decidePhase(i: PhaseInput): {phase: Phase; finding: Finding | null} {
	const pmg9 = i.pmgApi !== null && versionAtLeast(i.pmgApi, '9.0');
	const trixie = i.release.major !== null ? i.release.major >= 13 : i.release.codename === 'trixie' || i.release.codename === 'forky';
	const bookworm = i.release.major === 12 || (i.release.major === null && i.release.codename === 'bookworm');
	const has15 = mainCluster(i.clusters, '15');
	const has17 = mainCluster(i.clusters, '17');
	const meta = i.broken.filter(p => /^(proxmox-mailgateway(-container)?|pmg-api|pmg-gui)$/.test(p));
	const os = describeRelease(i.release);
	const half = (detail: string, hint: string, command: string): {phase: Phase; finding: Finding} => ({
		phase: 'unfinished',
		finding: finding('upgrade', 'FAIL', UPGRADE, `unfinished: ${detail}`, hint, command),
	});
	const finishDistUpgrade = 'Finish the dist-upgrade: let dpkg configure what it unpacked, run apt dist-upgrade again until it has nothing left, then go on with the wizard (upgrade-wizard pmg continues where it was).';
	if (trixie && i.pmgApi === null && i.pmgversionExit !== 127) {
		return half(`${os} is installed, but pmgversion -v fails (exit ${i.pmgversionExit}): the dist-upgrade stopped before PMG 9 was configured`, finishDistUpgrade, 'dpkg --configure -a && apt dist-upgrade');
	}
	if (trixie && i.pmgApi !== null && (!pmg9 || meta.length > 0)) {
		const what = !pmg9 ? `pmg-api is still ${i.pmgApi}` : `${meta.join(', ')} ${meta.length === 1 ? 'is' : 'are'} not correctly installed`;
		return half(`${os} is installed, but ${what}: the dist-upgrade to PMG 9 did not finish`, finishDistUpgrade, 'dpkg --configure -a && apt dist-upgrade');
	}
	if (pmg9 && bookworm) {
		return half(`pmg-api ${i.pmgApi} is installed on ${os}: the dist-upgrade to trixie did not finish`, finishDistUpgrade, 'dpkg --configure -a && apt dist-upgrade');
	}
	if (pmg9 && trixie && !has17) {
		if (has15) {
			return half(
				`PMG ${i.pmgApi} runs on ${os}, but its database is still PostgreSQL 15/main (${describeClusters(i.clusters)}): pg_upgradecluster has not run`,
				'Move the database to PostgreSQL 17 with the PMG services still stopped, from a shell without foreign locales (su -); this is the next step of the wizard (upgrade-wizard pmg). Then unmask the services and reboot.',
				'pg_upgradecluster -v 17 15 main',
			);
		}
		return half(
			`PMG ${i.pmgApi} runs on ${os}, but there is no PostgreSQL main cluster (${describeClusters(i.clusters)})`,
			"PMG keeps its rules, statistics and quarantine in PostgreSQL main: find out where the cluster went (pg_upgradecluster's output in the wizard's transcript); a PMG backup restores the rules.",
			'pg_lsclusters',
		);
	}
	if (pmg9 && trixie && has17) return {phase: 'after', finding: null};
	if (has17 && !trixie) {
		return half(
			`a PostgreSQL 17/main cluster exists on ${os}${i.pmgApi ? ` with pmg-api ${i.pmgApi}` : ''} (${describeClusters(i.clusters)}): 17 belongs after the dist-upgrade to trixie, so an earlier upgrade was started and undone, or 17 came from another repository`,
			`Find out where it came from before you upgrade: pg_upgradecluster needs 17/main absent. PMG 8's database is 15/main${has15 ? '' : ', which is missing here: restore it from the PMG backup'}; a 17/main that holds nothing you need is removed with pg_dropcluster --stop 17 main.`,
			'pg_lsclusters',
		);
	}
	if (bookworm && !pmg9 && i.suites.next.length > 0 && i.suites.old.length === 0) {
		return half(
			`the repositories name trixie (${i.suites.next.join(', ')}), but ${os} and pmg-api ${i.pmgApi ?? '(unknown)'} are installed: the repositories were switched and the dist-upgrade has not run`,
			'Go on with the wizard (upgrade-wizard pmg): it stops and masks the services, then runs apt dist-upgrade. If you are not upgrading now, switch the repositories back to bookworm.',
			'upgrade-wizard pmg',
		);
	}
	return {phase: 'before', finding: null};
}

async function phaseOf(host: Host): Promise<{phase: Phase; finding: Finding | null}> {
	const v = await pmgVersion(host);
	const files = (await readSources(host)).map(f => parseSourcesFile(f.path, f.text));
	const mix = suiteMix(files.flatMap(f => f.entries), 'bookworm', 'trixie');
	const decided = decidePhase({
		pmgApi: v.pmgApi,
		pmgversionExit: v.exitCode,
		broken: Object.entries(v.packages).filter(([, value]) => value === 'not correctly installed').map(([name]) => name),
		release: await debianRelease(host),
		clusters: await pgClusters(host),
		suites: {old: mix.old, next: mix.next},
	});
	if (decided.phase !== 'after') return decided;
	const release = await debianRelease(host);
	const pg17 = mainCluster(await pgClusters(host), '17')!;
	return {phase: 'after', finding: finding('upgrade', 'PASS', UPGRADE, `done: PMG ${v.pmgApi!.split('.')[0]} on Debian ${release.codename ?? release.version}, the database moved to PostgreSQL 17/main (${pg17.status})`)};
}

async function version(host: Host): Promise<Finding[]> {
	const {pmgApi} = await pmgVersion(host);
	if (!pmgApi) {
		return [finding('version', 'FAIL', 'PMG version', 'pmgversion -v reports no pmg-api version: this does not look like a Proxmox Mail Gateway host', 'Run the check on the PMG host itself, as root.')];
	}
	if (versionAtLeast(pmgApi, '9.0')) return [finding('version', 'INFO', 'PMG version', `pmg-api ${pmgApi}: already upgraded to PMG 9`)];
	return versionAtLeast(pmgApi, MIN_VERSION)
		? [finding('version', 'PASS', 'PMG version', `pmg-api ${pmgApi} (${MIN_VERSION} or newer)`)]
		: [finding('version', 'FAIL', 'PMG version', `pmg-api ${pmgApi} is older than ${MIN_VERSION}`, 'Bring PMG 8 up to date first (the first step of the wizard).', 'apt update && apt dist-upgrade')];
}

async function updates(host: Host, phase: Phase): Promise<Finding[]> {
	const result = await run(host, 'apt', 'list', '--upgradable');
	if (result.exitCode !== 0) return [finding('updates', 'SKIP', 'pending updates', `apt list --upgradable failed (exit ${result.exitCode})`)];
	const pending = parseUpgradable(result.stdout);
	if (pending.length === 0) {
		return [
			phase === 'after'
				? finding('updates', 'PASS', 'pending updates', 'none known to apt (as of its last update of the package lists)')
				: finding('updates', 'PASS', 'pending updates', 'none known to apt (as of its last update of the package lists)', 'apt update refreshes the lists; the wizard runs it first.'),
		];
	}
	const names = pending.map(p => p.name);
	const shown = names.length > 8 ? `${names.slice(0, 8).join(', ')} and ${names.length - 8} more` : names.join(', ');
	if (phase === 'after') {
		return [finding('updates', 'NOTICE', 'pending updates', `${pending.length} packages can be upgraded: ${shown}`, 'Install them as you would any update of PMG 9.', 'apt update && apt dist-upgrade')];
	}
	return [finding('updates', 'WARN', 'pending updates', `${pending.length} packages can be upgraded on 8.x: ${shown}`, 'Install them before the upgrade to 9 (the wizard does this as its first step).', 'apt update && apt dist-upgrade')];
}

/**
 * The kind of container this runs in (lxc, systemd-nspawn, ...), from
 * `systemd-detect-virt --container` (exit 1 and "none" outside one), or
 * null. In a container the kernel is the host's: it is neither booted nor
 * upgraded here, and pmg8to9 skips its kernel checks there too.
 */
async function containerKind(host: Host): Promise<string | null> {
	const r = await host.run({argv: ['systemd-detect-virt', '--container']}, {capture: 'all'}).catch(() => null);
	const kind = r?.stdout.trim() ?? '';
	return r?.exitCode === 0 && /^[\w-]+$/.test(kind) && kind !== 'none' ? kind : null;
}

const inContainer = (runningKernel: string, kind: string): Finding[] => [
	finding('kernel', 'SKIP', 'running kernel', `${runningKernel}: the host's kernel, this system runs in a container (${kind})`, 'The kernel is upgraded and rebooted on the container\'s host, not here.'),
];

async function kernel(host: Host): Promise<Finding[]> {
	const {runningKernel} = await pmgVersion(host);
	if (!runningKernel) return [finding('kernel', 'SKIP', 'running kernel', 'pmgversion -v does not name the running kernel')];
	const container = await containerKind(host);
	if (container) return inContainer(runningKernel, container);
	// The checklist's rule before the upgrade: a 6.8 or 6.14 Proxmox kernel.
	return /^6\.(8|14)\./.test(runningKernel)
		? [finding('kernel', 'PASS', 'running kernel', `${runningKernel}, suitable for the upgrade`)]
		: [finding('kernel', 'WARN', 'running kernel', `${runningKernel} is not a 6.8 or 6.14 Proxmox kernel`, 'Boot the installed 6.8 Proxmox kernel before the upgrade (a reboot may be missing).')];
}

async function cluster(host: Host, phase: Phase): Promise<Finding[]> {
	const status = await run(host, 'pmgcm', 'status');
	if (status.exitCode === 127) return [finding('cluster', 'SKIP', 'cluster sync', 'pmgcm is not installed: not a PMG host')];
	const {cluster: c} = await probe(host, 'cluster');
	if (!c?.clustered) return [finding('cluster', 'SKIP', 'cluster sync', 'no cluster')];
	const broken = c.nodes.filter(n => n.state.startsWith('ERROR'));
	const syncing = c.nodes.filter(n => n.state === 'S');
	const names = (nodes: typeof c.nodes) => nodes.map(n => `${n.name} (${n.state})`).join(', ');
	if (broken.length > 0) return [finding('cluster', 'FAIL', 'cluster sync', `not healthy: ${names(broken)}`, phase === 'after' ? 'Fix the cluster: pmgmirror and pmgtunnel run again once every node runs PMG 9 (their journal says more).' : 'Fix the cluster before the upgrade.', 'pmgcm status')];
	if (syncing.length > 0) return [finding('cluster', 'WARN', 'cluster sync', `syncing now: ${names(syncing)}`, 'Wait until every node is in sync (A), then check again.', 'pmgcm status')];
	return [finding('cluster', 'PASS', 'cluster sync', phase === 'after' ? `${c.nodes.length} nodes in sync` : `${c.nodes.length} nodes in sync; the wizard upgrades them one at a time, master first`)];
}

async function postgres(host: Host): Promise<Finding[]> {
	// A 17/main here is an upgrade left half-way: the phase says so, first.
	const clusters = await pgClusters(host);
	const main = clusters.filter(c => c.cluster === 'main');
	const list = describeClusters(clusters);
	if (main.some(c => c.version === '15' && c.status.startsWith('online'))) return [finding('postgres', 'PASS', 'PostgreSQL', `15/main online (${list})`)];
	return [finding('postgres', 'FAIL', 'PostgreSQL', `no online 15/main cluster (${list})`, 'PMG 8 keeps its database in PostgreSQL 15/main: start it, or find out why it is missing.', 'pg_lsclusters')];
}

async function services(host: Host): Promise<Finding[]> {
	const {services: s = {}} = await probe(host, 'services');
	const failed = Object.entries(s).filter(([, v]) => v.active === 'failed').map(([u]) => u);
	const running = PMG_SERVICES.filter(u => s[u]?.active === 'active');
	const out: Finding[] = [];
	if (failed.length > 0) out.push(finding('services', 'WARN', 'PMG services', `failed: ${failed.join(', ')}`, 'Find out why before the upgrade; the journal says.', `journalctl -b -u ${failed[0]}`));
	else {
		out.push(
			finding(
				'services',
				running.length > 0 ? 'NOTICE' : 'PASS',
				'PMG services',
				running.length > 0 ? `running: ${running.join(', ')}` : 'none running',
				running.length > 0 ? 'As expected before the window; the wizard stops and masks them right before apt dist-upgrade.' : undefined,
			),
		);
	}
	return out;
}

async function sshCiphers(host: Host): Promise<Finding[]> {
	const config = await host.readFile('/root/.ssh/config');
	if (config === null) return [finding('ssh-ciphers', 'SKIP', 'SSH client ciphers', 'no /root/.ssh/config')];
	const weak = weakSshCiphers(config);
	if (weak.length === 0) return [finding('ssh-ciphers', 'PASS', 'SSH client ciphers', 'no unsupported cipher in /root/.ssh/config')];
	const where = weak.map(w => `${w.cipher} (line ${w.line})`).join(', ');
	return [finding('ssh-ciphers', 'FAIL', 'SSH client ciphers', `/root/.ssh/config names ciphers the new OpenSSH does not have: ${where}`, 'Remove them from the Ciphers line; the cluster sync uses ssh as root.')];
}

async function timeSync(host: Host): Promise<Finding[]> {
	const units = ['systemd-timesyncd', 'chrony', 'openntpd', 'ntpsec'];
	const active = parseIsActive(units, (await run(host, 'systemctl', 'is-active', ...units)).stdout);
	const good = units.slice(1).find(u => active[u] === 'active');
	if (good) return [finding('time-sync', 'PASS', 'time synchronisation', `${good} is active`)];
	if (active['systemd-timesyncd'] === 'active') {
		return [finding('time-sync', 'WARN', 'time synchronisation', 'systemd-timesyncd is active, which corrects the clock poorly on a server', 'Use chrony (or ntpsec, openntpd) instead.', 'apt install chrony')];
	}
	return [finding('time-sync', 'NOTICE', 'time synchronisation', 'no active time synchronisation daemon', 'A mail gateway needs a correct clock (DKIM, TLS, logs).', 'apt install chrony')];
}

async function disk(host: Host): Promise<Finding[]> {
	const {disk: d} = await probe(host, 'disk');
	if (!d) return [finding('disk', 'SKIP', 'free space on /', 'unknown')];
	const detail = `${gib(d.availableBytes)} available of ${gib(d.totalBytes)}`;
	return d.availableBytes >= MIN_FREE_BYTES
		? [finding('disk', 'PASS', 'free space on /', `${detail} (needs ${gib(MIN_FREE_BYTES)})`)]
		: [finding('disk', 'FAIL', 'free space on /', `${detail}; the upgrade needs ${gib(MIN_FREE_BYTES)}`, 'Free space: apt clean, old kernels, logs, backups stored elsewhere.', 'apt clean')];
}

async function hostname(host: Host): Promise<Finding[]> {
	const {hostname: full} = await host.identity();
	const node = full.split('.')[0]!;
	const resolved = await run(host, 'getent', 'hosts', node);
	const address = resolved.exitCode === 0 ? parseGetentHosts(resolved.stdout) : null;
	if (!address) {
		return [finding('hostname', 'WARN', 'hostname address', `${node} does not resolve`, 'Add it to /etc/hosts with the address of the host: PMG and its cluster rely on it.')];
	}
	if (/^127\./.test(address) || address === '::1') {
		return [finding('hostname', 'WARN', 'hostname address', `${node} resolves to the loopback address ${address}`, 'Map the hostname to the address other hosts reach it at, in /etc/hosts: PMG and its cluster use it.')];
	}
	const configured = parseIpAddr((await run(host, 'ip', '-o', 'addr', 'show')).stdout).filter(a => a.address === address);
	const interfaces = [...new Set(configured.map(a => a.ifname))];
	if (interfaces.length === 1) return [finding('hostname', 'PASS', 'hostname address', `${node} resolves to ${address}, configured on ${interfaces[0]}`)];
	if (interfaces.length === 0) {
		return [finding('hostname', 'FAIL', 'hostname address', `${node} resolves to ${address}, which no interface has`, 'Correct /etc/hosts so the hostname resolves to an address of this host.')];
	}
	return [finding('hostname', 'WARN', 'hostname address', `${node} resolves to ${address}, configured on ${interfaces.length} interfaces: ${interfaces.join(', ')}`, 'Keep the address on one interface.')];
}

async function certificates(host: Host): Promise<Finding[]> {
	const out: Finding[] = [];
	for (const cert of CERTIFICATES) {
		const key = `certificates.${cert.path.split('/').pop()}`;
		if (!(await host.stat(cert.path))) {
			if (cert.required) out.push(finding(key, 'WARN', 'certificate key', `${cert.path} (${cert.use}) is missing`, 'PMG makes it at installation; find out where it went.'));
			continue;
		}
		const result = await run(host, 'openssl', 'x509', '-noout', '-text', '-in', cert.path);
		const info = result.exitCode === 0 ? parseX509Key(result.stdout) : null;
		if (!info || info.bits === null) {
			out.push(finding(key, 'WARN', 'certificate key', `cannot read the key of ${cert.path}${result.exitCode !== 0 ? ` (openssl exit ${result.exitCode})` : ''}`, 'Look at it with openssl.', `openssl x509 -noout -text -in ${cert.path}`));
			continue;
		}
		if (info.type === 'other') {
			out.push(finding(key, 'WARN', 'certificate key', `${cert.path}: key type ${info.algorithm} is not one the checklist knows`));
			continue;
		}
		const min = MIN_KEY_BITS[info.type];
		out.push(
			info.bits >= min
				? finding(key, 'PASS', 'certificate key', `${cert.path}: ${info.type} ${info.bits} bit (${min} or more)`)
				: finding(key, 'FAIL', 'certificate key', `${cert.path}: ${info.type} ${info.bits} bit, less than ${min}: TLS on trixie refuses it`, `Replace the certificate of ${cert.use} with a ${info.type === 'RSA' ? '2048-bit RSA' : 'P-256'} or stronger key before the upgrade.`),
		);
	}
	return out;
}

async function sources(host: Host): Promise<Finding[]> {
	const files = (await readSources(host)).map(f => parseSourcesFile(f.path, f.text));
	const out: Finding[] = [];
	const errors = files.flatMap(f => f.errors);
	if (errors.length > 0) {
		out.push(finding('sources.errors', 'FAIL', 'apt repositories', `apt would refuse: ${errors.map(e => `${e.path}:${e.line}: ${e.message}`).join('; ')}`, 'Correct these lines; apt update shows the same.'));
	}
	const entries = files.flatMap(f => f.entries);
	const mix = suiteMix(entries, 'bookworm', 'trixie');
	if (mix.old.length > 0 && mix.next.length > 0) {
		out.push(finding('sources', 'FAIL', 'apt repositories', `bookworm and trixie mixed: bookworm at ${mix.old.join(', ')}; trixie at ${mix.next.join(', ')}`, 'Before the upgrade every entry says bookworm; the wizard switches them together.'));
	} else {
		const where = `${entries.filter(e => e.enabled).length} enabled entries in ${files.length} files`;
		out.push(finding('sources', 'PASS', 'apt repositories', mix.next.length > 0 ? `all on trixie (${where})` : `all on bookworm, no mix (${where})`));
	}
	if (mix.unusual.length > 0) {
		out.push(finding('sources.unusual', 'NOTICE', 'apt repositories', `neither bookworm nor trixie: ${mix.unusual.join(', ')}`, 'Make sure these ship packages that fit the upgrade.'));
	}
	const thirdParty = entries.filter(e => e.enabled && entryKind(e) === 'third-party' && e.suites.some(s => s.startsWith('bookworm')));
	if (thirdParty.length > 0) {
		out.push(
			finding('sources.third-party', 'NOTICE', 'apt repositories', `other vendors on bookworm: ${thirdParty.map(e => `${e.path}:${e.line} (${e.uris[0] ?? ''})`).join(', ')}`, 'Find out whether each has a trixie release; the wizard asks whether to switch or disable them.'),
		);
	}
	return out;
}

async function bootloader(host: Host): Promise<Finding[]> {
	const {packages: p = {}} = await probe(host, 'packages');
	const out: Finding[] = [];
	if (p['systemd-boot'] === 'installed') {
		out.push(finding('systemd-boot', 'WARN', 'systemd-boot', 'the systemd-boot meta-package is installed', 'Remove it unless you set up systemd-boot yourself (the seed); the wizard asks.', 'apt remove systemd-boot'));
	}
	if (!(await host.stat('/sys/firmware/efi'))) {
		out.push(finding('bootloader', 'SKIP', 'bootloader', 'booted in legacy (BIOS) mode: no extra packages needed'));
		return out;
	}
	if (await host.stat('/etc/kernel/proxmox-boot-uuids')) {
		out.push(finding('bootloader', 'SKIP', 'bootloader', 'proxmox-boot-tool manages the ESPs: checked after the upgrade'));
		return out;
	}
	const grub = await host.stat('/usr/share/doc/grub-efi-amd64/changelog.Debian.gz');
	out.push(
		grub
			? finding('bootloader', 'PASS', 'bootloader', 'UEFI with grub-efi-amd64 installed')
			: finding('bootloader', 'WARN', 'bootloader', 'booted in UEFI mode but grub-efi-amd64 is not installed: new GRUB versions would not reach /boot/efi', 'Install the meta-package.', 'apt install grub-efi-amd64'),
	);
	return out;
}

async function packages(host: Host, phase: Phase): Promise<Finding[]> {
	const {packages: p = {}} = await probe(host, 'packages');
	if (phase === 'after' && p['linux-image-amd64'] === 'installed') {
		return [finding('kernel-meta', 'WARN', 'Debian kernel meta-package', 'linux-image-amd64 is installed: it pulls in Debian kernels next to the Proxmox one, and an update may boot one of them', 'Remove it.', 'apt remove linux-image-amd64')];
	}
	return p['linux-image-amd64'] === 'installed'
		? [finding('kernel-meta', 'FAIL', 'Debian kernel meta-package', 'linux-image-amd64 is installed: it would pull in Debian kernels next to the Proxmox one', 'Remove it (the wizard stops here until it is gone).', 'apt remove linux-image-amd64')]
		: [finding('kernel-meta', 'PASS', 'Debian kernel meta-package', 'linux-image-amd64 not installed')];
}

async function dkms(host: Host): Promise<Finding[]> {
	const {runningKernel} = await pmgVersion(host);
	const result = await run(host, 'dkms', 'status', ...(runningKernel ? ['-k', runningKernel] : []));
	if (result.exitCode === 127) return [finding('dkms', 'PASS', 'DKMS modules', 'dkms is not installed')];
	if (result.exitCode !== 0) return [finding('dkms', 'SKIP', 'DKMS modules', `dkms status failed (exit ${result.exitCode})`)];
	const modules = parseDkmsStatus(result.stdout);
	return modules.length === 0
		? [finding('dkms', 'PASS', 'DKMS modules', 'none')]
		: [finding('dkms', 'WARN', 'DKMS modules', `${modules.length} found: ${modules.join('; ')}`, 'They are built again for the new kernel and may fail to build: check that each supports kernel 6.14.')];
}

async function locale(host: Host): Promise<Finding[]> {
	const {locale: l} = await probe(host, 'postgres');
	if (!l || l.problems.length === 0) return [finding('locale', 'PASS', 'locale', 'every locale variable of this shell names an installed locale')];
	const list = l.problems.map(p => `${p.variable}=${p.value}`).join(', ');
	return [finding('locale', 'WARN', 'locale', `not installed here: ${list}; pg_upgradecluster fails with it`, 'Start the upgrade from a shell without these (su - from a console), or the wizard runs pg_upgradecluster without them.', `env ${l.problems.map(p => `-u ${p.variable}`).join(' ')} pg_upgradecluster -v 17 15 main`)];
}

async function templates(host: Host): Promise<Finding[]> {
	const names = (await host.listDir(TEMPLATES)).filter(n => !n.startsWith('.'));
	if (names.length === 0) return [finding('templates', 'PASS', 'customised templates', `none in ${TEMPLATES}`)];
	const unchanged: string[] = [];
	const changed: string[] = [];
	for (const name of names) {
		const mine = await host.readFile(`${TEMPLATES}/${name}`);
		const shipped = await host.readFile(`${SHIPPED_TEMPLATES}/${name}`);
		(mine !== null && mine === shipped ? unchanged : changed).push(name);
	}
	const out: Finding[] = [];
	if (changed.length > 0) {
		out.push(finding('templates', 'NOTICE', 'customised templates', `${changed.join(', ')} in ${TEMPLATES}`, `During apt dist-upgrade PMG shows how the shipped versions changed: review the diff and carry over only what you want.`, `diff -u ${SHIPPED_TEMPLATES}/${changed[0]} ${TEMPLATES}/${changed[0]}`));
	}
	if (unchanged.length > 0) {
		out.push(finding('templates.unmodified', 'NOTICE', 'customised templates', `${unchanged.join(', ')} in ${TEMPLATES} are copies of the shipped ones`, 'Remove these copies: they would hold back the new versions.'));
	}
	return out;
}

async function checklist(host: Host): Promise<Finding[]> {
	const {checklist: c} = await probe(host, 'checklist');
	if (!c?.present) return [finding('pmg8to9', 'SKIP', "the vendor's pmg8to9 checklist", 'pmg8to9 is not installed (it comes with pmg-api 8.2.5 and newer)')];
	const bad = c.findings.filter(f => f.level === 'FAIL' || f.level === 'WARN');
	// Before the maintenance window the services run, and the checklist warns
	// of it: expected (the services finding says so), not a warning of this report.
	const unexpected = bad.filter(f => !(f.level === 'WARN' && EXPECTED_BEFORE_WINDOW.test(f.text)));
	const severity: Severity = unexpected.some(f => f.level === 'FAIL') ? 'FAIL' : unexpected.length > 0 ? 'WARN' : bad.length > 0 ? 'NOTICE' : 'PASS';
	return [
		finding(
			'pmg8to9',
			severity,
			"the vendor's pmg8to9 checklist",
			bad.length > 0 ? `${c.summary ?? ''}: ${bad.map(f => `${f.level}: ${f.text}`).join(' | ')}` : (c.summary ?? 'no failures or warnings'),
			unexpected.length > 0 ? 'Fix them one at a time and run pmg8to9 again.' : bad.length > 0 ? 'Expected before the window: the wizard stops and masks the services.' : undefined,
			unexpected.length > 0 ? 'pmg8to9' : undefined,
		),
	];
}

// ------------------------------------------------------------- after the upgrade

/** PMG's and Debian's versions, and packages an interrupted dpkg left half-configured. */
async function versionAfter(host: Host): Promise<Finding[]> {
	const v = await pmgVersion(host);
	const release = await debianRelease(host);
	const out: Finding[] = [];
	const what = v.pmgApi ? `pmg-api ${v.pmgApi}` : 'pmgversion -v reports no pmg-api version';
	out.push(finding('version', v.pmgApi && versionAtLeast(v.pmgApi, '9.0') ? 'PASS' : 'INFO', 'PMG version', `${what} on ${describeRelease(release)}`));
	const broken = Object.entries(v.packages).filter(([, value]) => value === 'not correctly installed').map(([name]) => name);
	if (broken.length > 0) {
		out.push(finding('version.packages', 'WARN', 'PMG version', `not correctly installed, says pmgversion: ${broken.join(', ')}`, 'Let dpkg finish configuring them; apt -f install when a dependency is missing.', 'dpkg --configure -a'));
	}
	return out;
}

/** `6.14.11-4-pve` -> [6, 14]. */
const kernelSeries = (release: string): [number, number] | null => {
	const m = /^(\d+)\.(\d+)/.exec(release);
	return m ? [Number(m[1]), Number(m[2])] : null;
};
const newer = (a: [number, number], b: [number, number]) => a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);

async function kernelAfter(host: Host): Promise<Finding[]> {
	const {runningKernel, packages} = await pmgVersion(host);
	if (!runningKernel) return [finding('kernel', 'SKIP', 'running kernel', 'pmgversion -v does not name the running kernel')];
	const container = await containerKind(host);
	if (container) return inContainer(runningKernel, container);
	const running = kernelSeries(runningKernel);
	// The kernels pmgversion lists: proxmox-kernel-6.14.11-4-pve-signed and the like.
	const installed = Object.keys(packages)
		.map(name => /^proxmox-kernel-(\d+\.\d+\.\d+-\d+)-pve(-signed)?$/.exec(name)?.[1])
		.filter((k): k is string => Boolean(k))
		.map(k => ({release: `${k}-pve`, series: kernelSeries(k)!}));
	const newest = installed.reduce<(typeof installed)[number] | null>((best, k) => (!best || newer(k.series, best.series) ? k : best), null);
	if (running && newest && newer(newest.series, running)) {
		return [finding('kernel', 'WARN', 'running kernel', `${runningKernel} runs, but PMG 9's kernel ${newest.release} is installed: the reboot of the upgrade is missing`, 'Reboot (in a quiet hour: mail waits while the host is down), then check again.', 'reboot')];
	}
	return [finding('kernel', 'PASS', 'running kernel', `${runningKernel}${newest && newest.release === runningKernel ? ', the newest installed' : ''}`)];
}

/** 17/main must answer; 15/main is left to remove once all works. */
async function postgresAfter(host: Host): Promise<Finding[]> {
	const clusters = await pgClusters(host);
	const pg17 = mainCluster(clusters, '17');
	const pg15 = mainCluster(clusters, '15');
	const out: Finding[] = [];
	if (!pg17) out.push(finding('postgres', 'FAIL', 'PostgreSQL', `no 17/main cluster (${describeClusters(clusters)})`, 'PMG 9 keeps its database in PostgreSQL 17/main: find out where it went.', 'pg_lsclusters'));
	else if (pg17.status.startsWith('online')) out.push(finding('postgres', 'PASS', 'PostgreSQL', `17/main ${pg17.status} on port ${pg17.port || 'unknown'}`));
	else {
		out.push(
			finding(
				'postgres',
				'FAIL',
				'PostgreSQL',
				`17/main is ${pg17.status}: PMG 9 has no database (${describeClusters(clusters)})`,
				`Start it; if it does not start, its log says why: ${pg17.logFile}.`,
				'systemctl start postgresql@17-main',
			),
		);
	}
	if (pg15) {
		const running = pg15.status.startsWith('online');
		const gone = pg15.status.includes('binaries_missing');
		out.push(
			finding(
				'postgres.old',
				'NOTICE',
				'old PostgreSQL cluster',
				`15/main is still there (${pg15.status}${pg15.port ? `, port ${pg15.port}` : ''}, ${pg15.dataDirectory})${running ? ': it runs beside 17 and holds memory' : ''}`,
				gone
					? 'Its server package is gone; once PMG 9 works as expected, drop the old data.'
					: "Once PMG 9 works as expected, remove PostgreSQL 15 and its data (the procedure's last step).",
				gone ? 'pg_dropcluster 15 main' : 'apt purge postgresql-15 postgresql-client-15',
			),
		);
	}
	return out;
}

/** Half-way: the clusters as they are, without judging them. */
async function postgresState(host: Host): Promise<Finding[]> {
	const clusters = await pgClusters(host);
	return [finding('postgres', 'INFO', 'PostgreSQL', `clusters: ${describeClusters(clusters)}`)];
}

/** Postfix and the PMG services must run and start at boot, as the wizard checks after its reboot. */
async function servicesAfter(host: Host): Promise<Finding[]> {
	const {afterReboot} = await probe(host, 'afterReboot');
	if (!afterReboot) return [finding('services', 'WARN', 'mail services', 'systemctl did not answer')];
	const bad = new Map(notRunning(afterReboot).map(u => [u.unit, u]));
	if (bad.size === 0) return [finding('services', 'PASS', 'mail services', `active and enabled: ${PMG_SERVICES.join(', ')}`)];
	const out: Finding[] = [];
	for (const unit of PMG_SERVICES) {
		const s = bad.get(unit);
		// postfix.service only starts its instance postfix@-, which does the work.
		const instance = unit === 'postfix' ? bad.get(POSTFIX_INSTANCE) : undefined;
		if (!s && !instance) continue;
		const state = s ?? afterReboot.units[unit]!;
		const log = `journalctl -b -u ${unit === 'postfix' && mailUnits(afterReboot).includes(POSTFIX_INSTANCE) ? POSTFIX_INSTANCE : unit}`;
		const active = state.active === 'active' && (!instance || instance.active === 'active');
		const where = `${unit}: ${state.active}, ${state.enabled}${instance ? `; its instance ${POSTFIX_INSTANCE} ${instance.active}` : ''}`;
		if (state.enabled.startsWith('masked')) {
			out.push(finding(`services.${unit}`, 'FAIL', 'mail service', `${where}: still masked, as for the upgrade (the unmask step has not run)`, `Unmask and start it; its log: ${log}.`, `systemctl unmask ${unit} && systemctl start ${unit}`));
		} else if (!active) {
			const enable = state.enabled === 'disabled';
			out.push(
				finding(
					`services.${unit}`,
					'FAIL',
					'mail service',
					`${where}: not running${enable ? ', and it does not start at boot' : ''}`,
					`${enable ? 'Enable and start it' : 'Start it'}; if it does not stay up, its log says why: ${log}.`,
					enable ? `systemctl enable --now ${unit}` : `systemctl start ${unit}`,
				),
			);
		} else {
			out.push(finding(`services.${unit}`, 'WARN', 'mail service', `${where}: it runs now but does not start at boot`, 'Enable it, or the next reboot leaves it down.', `systemctl enable ${unit}`));
		}
	}
	return out;
}

/** Half-way: which services run, which are stopped or masked (as the upgrade leaves them). */
async function servicesState(host: Host): Promise<Finding[]> {
	const {afterReboot} = await probe(host, 'afterReboot');
	if (!afterReboot) return [finding('services', 'SKIP', 'mail services', 'systemctl did not answer')];
	const list = PMG_SERVICES.map(u => `${u} ${afterReboot.units[u]?.active ?? 'unknown'}, ${afterReboot.units[u]?.enabled ?? 'unknown'}`).join('; ');
	return [finding('services', 'INFO', 'mail services', list)];
}

/** pmgmirror and pmgtunnel: masked for the upgrade, unmasked and started at its end, on single nodes too. */
async function clusterDaemons(host: Host): Promise<Finding[]> {
	const {services: s = {}} = await probe(host, 'services');
	const {cluster: c} = await probe(host, 'cluster').catch(() => ({cluster: undefined}) as Facts);
	const down = CLUSTER_DAEMONS.filter(u => s[u]?.active !== 'active');
	if (down.length === 0) return [finding('cluster-daemons', 'PASS', 'cluster daemons', `active: ${CLUSTER_DAEMONS.join(', ')}`)];
	const list = down.map(u => `${u} ${s[u]?.active ?? 'unknown'}, ${s[u]?.enabled ?? 'unknown'}`).join('; ');
	const masked = down.some(u => s[u]?.enabled.startsWith('masked'));
	const command = `${masked ? `systemctl unmask ${down.join(' ')} && ` : ''}systemctl start ${down.join(' ')}`;
	return [
		finding(
			'cluster-daemons',
			'WARN',
			'cluster daemons',
			`not running: ${list}`,
			c?.clustered
				? 'Once every node of the cluster runs PMG 9, unmask and start them on each node.'
				: 'The procedure unmasks and starts them at the end, on a single node too.',
			command,
		),
	];
}

/** Every enabled entry on trixie; a bookworm one left over would mix the releases at the next apt update. */
async function sourcesAfter(host: Host): Promise<Finding[]> {
	const files = (await readSources(host)).map(f => parseSourcesFile(f.path, f.text));
	const out: Finding[] = [];
	const errors = files.flatMap(f => f.errors);
	if (errors.length > 0) {
		out.push(finding('sources.errors', 'FAIL', 'apt repositories', `apt would refuse: ${errors.map(e => `${e.path}:${e.line}: ${e.message}`).join('; ')}`, 'Correct these lines; apt update shows the same.'));
	}
	const entries = files.flatMap(f => f.entries);
	const mix = suiteMix(entries, 'bookworm', 'trixie');
	const where = `${entries.filter(e => e.enabled).length} enabled entries in ${files.length} files`;
	if (mix.old.length > 0) {
		const thirdParty = entries.filter(e => e.enabled && entryKind(e) === 'third-party' && e.suites.some(x => x.startsWith('bookworm')));
		out.push(
			finding(
				'sources',
				'WARN',
				'apt repositories',
				`bookworm entries left: ${mix.old.join(', ')}`,
				thirdParty.length > 0
					? `Switch each to trixie once its vendor has a trixie release, or disable it (comment it out); Debian's and Proxmox's own belong on trixie.`
					: "Switch them to trixie or remove them: the upgrade's repositories are all on trixie, and a bookworm entry brings old packages back.",
				`grep -rn bookworm /etc/apt/sources.list /etc/apt/sources.list.d/`,
			),
		);
	} else out.push(finding('sources', 'PASS', 'apt repositories', `all on trixie (${where})`));
	if (mix.unusual.length > 0) {
		out.push(finding('sources.unusual', 'NOTICE', 'apt repositories', `neither bookworm nor trixie: ${mix.unusual.join(', ')}`, 'Make sure these ship packages for trixie.'));
	}
	// apt modernize-sources keeps each .list it converted as .list.bak (apt reads no .bak file).
	const backups = [
		...((await host.stat(`${SOURCES_LIST}.bak`)) ? [`${SOURCES_LIST}.bak`] : []),
		...(await host.listDir(SOURCES_DIR)).filter(n => n.endsWith('.list.bak')).map(n => `${SOURCES_DIR}/${n}`),
	];
	if (backups.length > 0) {
		out.push(
			finding(
				'sources.backups',
				'NOTICE',
				'apt repositories',
				`kept by apt modernize-sources: ${backups.join(', ')}`,
				'Remove them once apt update works with the .sources files (the vendor\'s procedure says so); apt does not read them.',
				`rm ${backups.join(' ')}`,
			),
		);
	}
	return out;
}

/** The files dpkg and ucf left under /etc, one finding per kind (exported for its test on a real directory tree). */
export async function leftovers(host: Host): Promise<Finding[]> {
	const {files, cut, unreadable} = await findUnderEtc(host, LEFTOVERS.map(l => l.suffix));
	const out: Finding[] = [];
	for (const kind of LEFTOVERS) {
		const found = files.filter(f => f.endsWith(kind.suffix));
		if (found.length === 0) continue;
		const base = found[0]!.slice(0, -kind.suffix.length);
		out.push(finding(`leftovers${kind.suffix}`, kind.severity, 'configuration files', `${found.length} ${kind.suffix} (${kind.what}): ${found.join(', ')}`, kind.hint, kind.diff(base, found[0]!)));
	}
	const partly = [
		...(cut ? [`only the first ${ETC_DIRS} directories were read`] : []),
		...(unreadable.length > 0 ? [`not readable here: ${unreadable.slice(0, 3).join(', ')}${unreadable.length > 3 ? ` and ${unreadable.length - 3} more` : ''}`] : []),
	];
	if (out.length === 0) out.push(finding('leftovers', 'PASS', 'configuration files', `no ${LEFTOVERS.map(l => l.suffix).join(', ')} files under /etc${partly.length > 0 ? ` (${partly.join('; ')})` : ''}`));
	return out;
}

async function diskAfter(host: Host): Promise<Finding[]> {
	const {disk: d} = await probe(host, 'disk');
	if (!d) return [finding('disk', 'SKIP', 'free space on /', 'unknown')];
	const detail = `${gib(d.availableBytes)} available of ${gib(d.totalBytes)}`;
	return d.availableBytes >= GIB
		? [finding('disk', 'PASS', 'free space on /', detail)]
		: [finding('disk', 'WARN', 'free space on /', `${detail}: little room for the mail queue, the quarantine and the logs`, 'Free space: apt clean, old kernels, the old PostgreSQL cluster.', 'apt clean')];
}
