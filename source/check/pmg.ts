/**
 * The read-only pre-flight checks of the PMG 8 -> 9 upgrade: what the
 * vendor's pmg8to9 checklist looks at before the upgrade, with the seed's
 * thresholds (pmg-api 8.2.5, 10 GB free on /), plus what the wizard's own
 * guards will stop at. The facts come from the same probes the wizard uses
 * (source/runtime/pmg-probes.ts); nothing here writes or runs a command that
 * changes the host: every command is in READ_ONLY_COMMANDS.
 */
import {MIN_FREE_BYTES, MIN_VERSION, PMG_SERVICES, type PmgFacts} from '../../machines/pmg-8-to-9.ts';
import type {Host} from '../host/types.ts';
import {parseSourcesFile} from '../probes/apt-sources.ts';
import {versionAtLeast} from '../probes/debian-version.ts';
import {MIN_KEY_BITS, parseDkmsStatus, parseGetentHosts, parseIpAddr, parseUpgradable, parseX509Key, suiteMix, weakSshCiphers} from '../probes/preflight.ts';
import {parseIsActive} from '../probes/systemctl.ts';
import {pmgProbes, readSources} from '../runtime/pmg-probes.ts';
import {entryKind} from '../runtime/pmg-sources.ts';
import type {Finding, Severity} from './findings.ts';

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

const asked = new WeakMap<Host, Map<string, Promise<Facts>>>();

/** One probe of the wizard, without the context a step gives it; asked once per host. */
function probe(host: Host, name: string): Promise<Facts> {
	const cache = asked.get(host) ?? new Map<string, Promise<Facts>>();
	asked.set(host, cache);
	if (!cache.has(name)) {
		const context = {startedAt: host.now(), facts: {}, choices: {}, confirmations: {}, status: {}, runs: 0};
		cache.set(name, pmgProbes[name]!(host, context, {processEnv: {}}) as Promise<Facts>);
	}
	return cache.get(name)!;
}

const run = (host: Host, ...argv: string[]) => host.run({argv}, {capture: 'all'});

/** Every check; one that cannot run says so as its finding and the others go on. */
export async function pmgChecks(host: Host): Promise<Finding[]> {
	const checks: Array<[string, string, () => Promise<Finding[]>]> = [
		['version', 'PMG version', () => version(host)],
		['updates', 'pending updates', () => updates(host)],
		['kernel', 'running kernel', () => kernel(host)],
		['cluster', 'cluster sync', () => cluster(host)],
		['postgres', 'PostgreSQL', () => postgres(host)],
		['services', 'PMG services', () => services(host)],
		['ssh-ciphers', 'SSH client ciphers', () => sshCiphers(host)],
		['time-sync', 'time synchronisation', () => timeSync(host)],
		['disk', 'free space on /', () => disk(host)],
		['hostname', 'hostname address', () => hostname(host)],
		['certificates', 'certificate keys', () => certificates(host)],
		['sources', 'apt repositories', () => sources(host)],
		['bootloader', 'bootloader', () => bootloader(host)],
		['kernel-meta', 'Debian kernel meta-package', () => packages(host)],
		['dkms', 'DKMS modules', () => dkms(host)],
		['locale', 'locale', () => locale(host)],
		['templates', 'customised templates', () => templates(host)],
		['pmg8to9', "the vendor's pmg8to9 checklist", () => checklist(host)],
	];
	const out: Finding[] = [];
	const {uid, user} = await host.identity();
	if (uid !== 0) {
		out.push(finding('root', 'NOTICE', 'user', `running as ${user} (uid ${uid}), not root: some files cannot be read (the certificates)`, 'Run the check as root for complete results.'));
	}
	for (const [key, title, check] of checks) {
		try {
			out.push(...(await check()));
		} catch (error) {
			out.push(finding(key, 'WARN', title, `could not be checked: ${(error as Error).message}`, 'Look at this by hand, then run the check again.'));
		}
	}
	return out;
}

async function version(host: Host): Promise<Finding[]> {
	const {pmgApi} = await probe(host, 'pmgversion');
	if (!pmgApi) {
		return [finding('version', 'FAIL', 'PMG version', 'pmgversion -v reports no pmg-api version: this does not look like a Proxmox Mail Gateway host', 'Run the check on the PMG host itself, as root.')];
	}
	if (versionAtLeast(pmgApi, '9.0')) return [finding('version', 'INFO', 'PMG version', `pmg-api ${pmgApi}: already upgraded to PMG 9`)];
	return versionAtLeast(pmgApi, MIN_VERSION)
		? [finding('version', 'PASS', 'PMG version', `pmg-api ${pmgApi} (${MIN_VERSION} or newer)`)]
		: [finding('version', 'FAIL', 'PMG version', `pmg-api ${pmgApi} is older than ${MIN_VERSION}`, 'Bring PMG 8 up to date first (the first step of the wizard).', 'apt update && apt dist-upgrade')];
}

async function updates(host: Host): Promise<Finding[]> {
	const result = await run(host, 'apt', 'list', '--upgradable');
	if (result.exitCode !== 0) return [finding('updates', 'SKIP', 'pending updates', `apt list --upgradable failed (exit ${result.exitCode})`)];
	const pending = parseUpgradable(result.stdout);
	if (pending.length === 0) {
		return [finding('updates', 'PASS', 'pending updates', 'none known to apt (as of its last update of the package lists)', 'apt update refreshes the lists; the wizard runs it first.')];
	}
	const names = pending.map(p => p.name);
	const shown = names.length > 8 ? `${names.slice(0, 8).join(', ')} and ${names.length - 8} more` : names.join(', ');
	return [finding('updates', 'WARN', 'pending updates', `${pending.length} packages can be upgraded on 8.x: ${shown}`, 'Install them before the upgrade to 9 (the wizard does this as its first step).', 'apt update && apt dist-upgrade')];
}

async function kernel(host: Host): Promise<Finding[]> {
	const {runningKernel} = await probe(host, 'pmgversion');
	if (!runningKernel) return [finding('kernel', 'SKIP', 'running kernel', 'pmgversion -v does not name the running kernel')];
	// The checklist's rule before the upgrade: a 6.8 or 6.14 Proxmox kernel.
	return /^6\.(8|14)\./.test(runningKernel)
		? [finding('kernel', 'PASS', 'running kernel', `${runningKernel}, suitable for the upgrade`)]
		: [finding('kernel', 'WARN', 'running kernel', `${runningKernel} is not a 6.8 or 6.14 Proxmox kernel`, 'Boot the installed 6.8 Proxmox kernel before the upgrade (a reboot may be missing).')];
}

async function cluster(host: Host): Promise<Finding[]> {
	const status = await run(host, 'pmgcm', 'status');
	if (status.exitCode === 127) return [finding('cluster', 'SKIP', 'cluster sync', 'pmgcm is not installed: not a PMG host')];
	const {cluster: c} = await probe(host, 'cluster');
	if (!c?.clustered) return [finding('cluster', 'SKIP', 'cluster sync', 'no cluster')];
	const broken = c.nodes.filter(n => n.state.startsWith('ERROR'));
	const syncing = c.nodes.filter(n => n.state === 'S');
	const names = (nodes: typeof c.nodes) => nodes.map(n => `${n.name} (${n.state})`).join(', ');
	if (broken.length > 0) return [finding('cluster', 'FAIL', 'cluster sync', `not healthy: ${names(broken)}`, 'Fix the cluster before the upgrade.', 'pmgcm status')];
	if (syncing.length > 0) return [finding('cluster', 'WARN', 'cluster sync', `syncing now: ${names(syncing)}`, 'Wait until every node is in sync (A), then check again.', 'pmgcm status')];
	return [finding('cluster', 'PASS', 'cluster sync', `${c.nodes.length} nodes in sync; the wizard upgrades them one at a time, master first`)];
}

async function postgres(host: Host): Promise<Finding[]> {
	const {pgClusters = []} = await probe(host, 'pgClusters');
	const main = pgClusters.filter(c => c.cluster === 'main');
	const list = pgClusters.map(c => `${c.version}/${c.cluster} ${c.status}`).join(', ') || 'none';
	if (main.some(c => c.version === '17')) {
		return [finding('postgres', 'FAIL', 'PostgreSQL', `a 17/main cluster already exists (${list}): an earlier upgrade was left unfinished?`, 'Find out where the earlier upgrade stopped before going on; pg_upgradecluster needs 17/main absent.', 'pg_lsclusters')];
	}
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

async function packages(host: Host): Promise<Finding[]> {
	const {packages: p = {}} = await probe(host, 'packages');
	return p['linux-image-amd64'] === 'installed'
		? [finding('kernel-meta', 'FAIL', 'Debian kernel meta-package', 'linux-image-amd64 is installed: it would pull in Debian kernels next to the Proxmox one', 'Remove it (the wizard stops here until it is gone).', 'apt remove linux-image-amd64')]
		: [finding('kernel-meta', 'PASS', 'Debian kernel meta-package', 'linux-image-amd64 not installed')];
}

async function dkms(host: Host): Promise<Finding[]> {
	const {runningKernel} = await probe(host, 'pmgversion');
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
