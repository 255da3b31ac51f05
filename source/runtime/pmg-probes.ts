/**
 * The PMG machine's probes: read-only looks at the host, turned into facts by
 * the pure parsers in source/probes. Each is safe to run twice.
 */
import type {Finding} from '../../machines/kit.ts';
import {BACKUP_DIR, CLUSTER_DAEMONS, PMG9_REPOSITORIES, PMG_PACKAGES, PMG_SERVICES, POSTFIX_INSTANCE, type PmgContext, type PmgFacts, type PmgProbe, type RepositoryChoice} from '../../machines/pmg-8-to-9.ts';
import {shellQuote, type Host} from '../host/types.ts';
import {checkBackupListing} from '../probes/pmg-backup.ts';
import {parseSourcesFile, signedByConflicts} from '../probes/apt-sources.ts';
import {parseConffiles, parseMd5sum, parseSimulatedRemovals, parseSimulatedUpgrade, parseUnmetDependencies, predictPrompts} from '../probes/conffiles.ts';
import {parseDpkgQueryStatus} from '../probes/dpkg.ts';
import {localeProblems, parseLocaleList} from '../probes/locale.ts';
import {parsePgLsclusters} from '../probes/pg-lsclusters.ts';
import {parseChecklist} from '../probes/pmg8to9.ts';
import {parsePmgcmStatus} from '../probes/pmgcm.ts';
import {parsePmgVersion} from '../probes/pmgversion.ts';
import {parseIsActive, parseIsEnabled} from '../probes/systemctl.ts';
import type {ProbeEnv, ProbeFn} from './runtime.ts';
import {readCluster} from './pmg-cluster-probes.ts';
import {configLeftovers} from './leftovers.ts';
import {planModernize, planSources, SOURCES_DIR, SOURCES_LIST} from './pmg-sources.ts';

type Facts = Partial<PmgFacts>;

const run = (host: Host, ...argv: string[]) => host.run({argv}, {capture: 'all'});

/** Files apt reads: sources.list and the .list/.sources files of sources.list.d. */
export async function readSources(host: Host): Promise<Array<{path: string; text: string}>> {
	const files: Array<{path: string; text: string}> = [];
	const main = await host.readFile(SOURCES_LIST);
	if (main !== null) files.push({path: SOURCES_LIST, text: main});
	for (const name of await host.listDir(SOURCES_DIR)) {
		if (!/^[\w.-]+\.(list|sources)$/.test(name)) continue;
		const path = `${SOURCES_DIR}/${name}`;
		const text = await host.readFile(path);
		if (text !== null) files.push({path, text});
	}
	return files;
}

const probes: Record<PmgProbe, (host: Host, context: PmgContext, env: ProbeEnv) => Promise<Facts>> = {
	async preconditions(host, _context, {processEnv, relaunch}) {
		const env = host.env();
		// Before the first apt update: a repository configured twice with
		// different Signed-By makes apt refuse every update and install.
		const files = (await readSources(host)).map(f => parseSourcesFile(f.path, f.text));
		return {
			sourceConflicts: signedByConflicts(files).map(({path, line, message, refused}) => ({path, line, message, refused})),
			identity: await host.identity(),
			session: {
				ssh: Boolean(env.SSH_CONNECTION || env.SSH_CLIENT || env.SSH_TTY),
				// Whether the wizard itself runs inside tmux/screen is a fact of
				// this process, also when the host is simulated.
				multiplexer: Boolean(processEnv.TMUX || processEnv.STY || env.TMUX || env.STY),
				...(relaunch ? {relaunch: relaunch.map(shellQuote).join(' ')} : {}),
			},
		};
	},

	async pmgversion(host) {
		const result = await run(host, 'pmgversion', '-v');
		const facts = parsePmgVersion(result.exitCode === 0 ? result.stdout : '');
		return {pmgApi: facts.pmgApi, runningKernel: facts.runningKernel};
	},

	/** After the dist-upgrade: the version, and what dpkg and ucf left under /etc. */
	async upgraded(host, context, env) {
		const version = await probes.pmgversion(host, context, env);
		const {files} = await configLeftovers(host);
		return {...version, configLeftovers: files.map(({path, what, hint, command}) => ({path, what, hint, command}))};
	},

	async backupCandidates(host) {
		const names = (await host.listDir(BACKUP_DIR)).filter(n => /^pmg-backup_.*\.tgz$/.test(n));
		const files = [];
		for (const name of names) {
			const path = `${BACKUP_DIR}/${name}`;
			const info = await host.stat(path);
			if (info?.isFile) files.push({path, size: info.size, mtimeMs: info.mtimeMs});
		}
		files.sort((a, b) => b.mtimeMs - a.mtimeMs);
		return {backupCandidates: files.slice(0, 6)};
	},

	async backup(host, context, env) {
		let path: string | null = context.choices.backup ?? null;
		if (path === 'create') {
			const {backupCandidates} = await probes.backupCandidates(host, context, env);
			path = backupCandidates?.[0]?.path ?? null;
		}
		const empty = {path, exists: false, size: 0, mtimeMs: 0, missing: [], recent: false};
		if (!path) return {backup: {...empty, problem: `no backup file found in ${BACKUP_DIR}`}};
		const info = await host.stat(path);
		if (!info || !info.isFile) return {backup: empty};
		const listing = await run(host, 'tar', '-tzf', path);
		const checked = checkBackupListing(listing.exitCode === 0 ? listing.stdout : '');
		return {
			backup: {
				path,
				exists: true,
				size: info.size,
				mtimeMs: info.mtimeMs,
				missing: checked.missing,
				recent: info.mtimeMs >= context.startedAt,
				...(listing.exitCode !== 0 ? {problem: `tar cannot read it (exit ${listing.exitCode}): ${listing.stderr.trim().split('\n')[0] ?? ''}`} : {}),
			},
		};
	},

	async disk(host) {
		const space = await host.diskSpace('/');
		return {disk: {availableBytes: space.availableBytes, totalBytes: space.totalBytes}};
	},

	async checklist(host, _context, env) {
		const result = await host.run({argv: ['pmg8to9']}, {capture: 'all'});
		// The vendor's findings, every line, in the transcript too: it has every command and all its output.
		await env?.record?.('pmg8to9', result);
		if (result.exitCode === 127) return {checklist: {present: false, findings: [], failures: 0, warnings: 0, summary: null}};
		const parsed = parseChecklist(result.stdout);
		const findings: Finding[] = parsed.findings.map(f => ({level: f.level, text: f.text}));
		const failures = findings.filter(f => f.level === 'FAIL').length;
		const warnings = findings.filter(f => f.level === 'WARN').length;
		const passed = findings.filter(f => f.level === 'PASS').length;
		return {
			checklist: {
				present: true,
				findings,
				failures,
				warnings,
				summary: `pmg8to9: ${passed} passed, ${warnings} warnings, ${failures} failures (exit status ${result.exitCode})`,
			},
		};
	},

	async cluster(host) {
		const result = await run(host, 'pmgcm', 'status');
		const parsed = parsePmgcmStatus(result.stdout, result.exitCode);
		if (parsed.problems.length > 0 && !parsed.clustered && result.exitCode !== 0) throw new Error(`pmgcm status: ${parsed.problems.join('; ')}`);
		return {cluster: {clustered: parsed.clustered, nodes: parsed.nodes.map(n => ({name: n.name, ip: n.ip, role: n.role, state: n.state}))}};
	},

	clusterPrepare: (host, context, env) => readCluster(host, context, env, 'prepare'),
	clusterGate: (host, context, env) => readCluster(host, context, env, 'gate'),
	clusterFinal: (host, context, env) => readCluster(host, context, env, 'final'),

	async sources(host, context) {
		const choice = context.choices.repository as RepositoryChoice | undefined;
		const current = choice ? await host.readFile(PMG9_REPOSITORIES[choice].path) : null;
		return {sources: planSources(await readSources(host), context.choices, current)};
	},

	async modernizePlan(host) {
		const backups = new Set([
			...((await host.stat(`${SOURCES_LIST}.bak`)) ? [`${SOURCES_LIST}.bak`] : []),
			...(await host.listDir(SOURCES_DIR)).filter(n => n.endsWith('.list.bak')).map(n => `${SOURCES_DIR}/${n}`),
		]);
		return {modernize: planModernize(await readSources(host), backups)};
	},

	async packages(host) {
		const result = await run(host, 'dpkg-query', '-W', '-f=${Package}\\t${db:Status-Status}\\n', 'linux-image-amd64', 'systemd-boot');
		return {packages: parseDpkgQueryStatus(result.stdout, result.stderr)};
	},

	async services(host) {
		const units = [...PMG_SERVICES, ...CLUSTER_DAEMONS];
		const active = parseIsActive(units, (await run(host, 'systemctl', 'is-active', ...units)).stdout);
		const enabled = parseIsEnabled(units, (await run(host, 'systemctl', 'is-enabled', ...units)).stdout);
		return {services: Object.fromEntries(units.map(u => [u, {active: active[u] ?? 'unknown', enabled: enabled[u] ?? 'unknown'}]))};
	},

	async afterReboot(host) {
		// Whether postfix.service runs the master itself (trixie) or only wraps postfix@- (bookworm).
		const type = await run(host, 'systemctl', 'show', '-p', 'Type', '--value', 'postfix');
		const postfixType = type.exitCode === 0 && /^[a-z-]+$/.test(type.stdout.trim()) ? type.stdout.trim() : undefined;
		const units = [...PMG_SERVICES, POSTFIX_INSTANCE];
		const active = parseIsActive(units, (await run(host, 'systemctl', 'is-active', ...units)).stdout);
		const enabledRun = await run(host, 'systemctl', 'is-enabled', ...PMG_SERVICES);
		const enabled = parseIsEnabled(PMG_SERVICES, enabledRun.stdout, enabledRun.stderr);
		const clusters = parsePgLsclusters((await run(host, 'pg_lsclusters')).stdout);
		const pg = clusters.find(c => c.version === '17' && c.cluster === 'main');
		return {
			afterReboot: {
				units: Object.fromEntries(units.map(u => [u, {active: active[u] ?? 'unknown', enabled: u === POSTFIX_INSTANCE ? 'n/a' : (enabled[u] ?? 'unknown')}])),
				postgres17: pg ? pg.status : null,
				...(postfixType ? {postfixType} : {}),
			},
		};
	},

	async postgres(host, context, env) {
		const locales = parseLocaleList((await run(host, 'locale', '-a')).stdout);
		const {pgClusters} = await probes.pgClusters(host, context, env);
		return {locale: {available: locales, problems: localeProblems(host.env(), locales)}, ...(pgClusters ? {pgClusters} : {})};
	},

	async pgClusters(host) {
		const result = await run(host, 'pg_lsclusters');
		return {pgClusters: parsePgLsclusters(result.stdout).map(c => ({version: c.version, cluster: c.cluster, status: c.status}))};
	},

	async bootId(host) {
		return {bootIdBeforeReboot: await host.bootId()};
	},

	async templates(host) {
		return {templates: await host.listDir('/etc/pmg/templates')};
	},

	/** Read-only: dpkg's records, apt's simulation of the upgrade, and the files' checksums now. */
	async conffilePrompts(host, context, env) {
		const {templates} = await probes.templates(host, context, env);
		const conffiles = parseConffiles((await run(host, 'dpkg-query', '-W', '-f=${Package}\\t${Conffiles}\\n')).stdout);
		const simulation = await run(host, 'apt-get', '-s', 'dist-upgrade');
		if (simulation.exitCode !== 0) return {templates: templates ?? []};
		const upgraded = parseSimulatedUpgrade(simulation.stdout);
		const removed = parseSimulatedRemovals(simulation.stdout);
		let cause: string[] = [];
		if (removed.some(p => PMG_PACKAGES.includes(p))) {
			// apt's reason: what stands in the way of installing PMG's packages.
			const install = await run(host, 'apt-get', '-s', 'install', ...PMG_PACKAGES);
			cause = parseUnmetDependencies(`${install.stdout}\n${install.stderr}`);
		}
		const paths = [...conffiles].filter(([pkg]) => upgraded.has(pkg)).flatMap(([, files]) => files.filter(f => !f.obsolete).map(f => f.path));
		// md5sum exits 1 when a file is missing; the others are still listed.
		const current = paths.length > 0 ? parseMd5sum((await run(host, 'md5sum', '--', ...paths)).stdout) : new Map<string, string>();
		return {templates: templates ?? [], conffilePrompts: predictPrompts(conffiles, upgraded, current), distUpgradeRemovals: {packages: removed, cause}};
	},
};

/** The probes in the form the runtime binds. */
export const pmgProbes: Record<string, ProbeFn> = Object.fromEntries(
	Object.entries(probes).map(([name, fn]) => [name, (host: Host, context: unknown, env: ProbeEnv) => fn(host, context as PmgContext, env)]),
);
