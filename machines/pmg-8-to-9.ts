/**
 * Proxmox Mail Gateway 8 -> 9, in place (Debian bookworm -> trixie,
 * PostgreSQL 15 -> 17), following the vendor's "Upgrade from 8 to 9"
 * procedure, section "In-Place Upgrade" and its "Potential Issues".
 * Pure: probes and commands are actors the runtime provides.
 */
import {adviceFor, type ConffileAdvice} from '../source/probes/conffiles.ts';
import {and, not, setup} from 'xstate';
import {compareDebianVersions} from '../source/probes/debian-version.ts';
import {
	common,
	confirmScreen,
	freshContext,
	infoStep,
	once,
	runtimeActors,
	phases,
	step,
	type FileChange,
	type Finding,
	type OperatorEvent,
	type StepCommand,
	type WizardContext,
} from './kit.ts';
import {CLUSTER_DAEMONS, clusterActions, clusterGateStep, clusterGuards, clusterPrepareStep, clusterServicesStep, type ClusterFacts} from './pmg-cluster.ts';

export {CLUSTER_DAEMONS};

export const PMG_SERVICES = ['postfix', 'pmg-smtp-filter', 'pmgpolicy', 'pmgdaemon', 'pmgproxy'];
/** The seed's minimum free space on `/`; 10 GiB, the "10G" that `df -h /` shows. */
export const MIN_FREE_BYTES = 10 * 1024 ** 3;
export const MIN_VERSION = '8.2.5';
/** The unit that runs postfix's default instance; postfix.service only starts it. */
export const POSTFIX_INSTANCE = 'postfix@-';
/** States of `systemctl is-enabled` under which a unit starts at boot (or is started by another). */
const STARTS_AT_BOOT = new Set(['enabled', 'enabled-runtime', 'static', 'indirect', 'generated', 'alias']);
export const BACKUP_DIR = '/var/lib/pmg/backup';
export const KEYRING = '/usr/share/keyrings/proxmox-archive-keyring.gpg';

/** The PMG 9 repositories of the seed, written as deb822 stanzas. */
export const PMG9_REPOSITORIES = {
	enterprise: {
		path: '/etc/apt/sources.list.d/pmg-enterprise.sources',
		label: 'Enterprise repository (needs a subscription key)',
		content: `Types: deb\nURIs: https://enterprise.proxmox.com/debian/pmg\nSuites: trixie\nComponents: pmg-enterprise\nSigned-By: ${KEYRING}\n`,
	},
	'no-subscription': {
		path: '/etc/apt/sources.list.d/proxmox.sources',
		label: 'No-subscription repository',
		content: `Types: deb\nURIs: http://download.proxmox.com/debian/pmg\nSuites: trixie\nComponents: pmg-no-subscription\nSigned-By: ${KEYRING}\n`,
	},
} as const;

export type RepositoryChoice = keyof typeof PMG9_REPOSITORIES;

/** What the probes have found on the host so far. */
export type PmgFacts = ClusterFacts & {
	identity?: {uid: number; user: string; hostname: string};
	/** `relaunch`: the exact command that starts the wizard again inside tmux. */
	session?: {ssh: boolean; multiplexer: boolean; relaunch?: string};
	pmgApi?: string | null;
	runningKernel?: string | null;
	backupCandidates?: Array<{path: string; size: number; mtimeMs: number}>;
	backup?: {
		path: string | null;
		exists: boolean;
		size: number;
		mtimeMs: number;
		/** Members a PMG backup holds that the archive lacks. */
		missing: string[];
		/** Made after this upgrade began. */
		recent: boolean;
		problem?: string;
	};
	disk?: {availableBytes: number; totalBytes: number};
	checklist?: {present: boolean; findings: Finding[]; failures: number; warnings: number; summary: string | null};
	cluster?: {clustered: boolean; nodes: Array<{name: string; ip: string; role: string; state: string}>};
	sources?: {
		/** Debian and Proxmox entries switched to trixie (PMG's own repository excluded). */
		plan: FileChange[];
		/** Enabled bookworm entries of other vendors, the operator decides. */
		thirdParty: Array<{path: string; line: number; uri: string; suites: string[]}>;
		/** Enabled bookworm entries of any kind still present. */
		leftovers: Array<{path: string; line: number; uri: string; suites: string[]}>;
		errors: Array<{path: string; line: number; message: string}>;
		/** Removal of the PMG 8 repository entries, once the PMG 9 one is in place. */
		oldPmg: FileChange[];
		/** The PMG 9 repository file the operator chose, as it would be written. */
		pmgRepo: FileChange | null;
	};
	packages?: Record<string, string>;
	services?: Record<string, {active: string; enabled: string}>;
	locale?: {available: string[]; problems: Array<{variable: string; value: string}>};
	pgClusters?: Array<{version: string; cluster: string; status: string}>;
	bootIdBeforeReboot?: string;
	templates?: string[];
	/** Conffiles changed here in packages the dist-upgrade replaces: dpkg may ask about each. */
	conffilePrompts?: Array<{path: string; package: string}>;
	/**
	 * What `apt-get -s dist-upgrade` (a simulation) would remove, and when
	 * that includes PMG itself, apt's own reason (its unmet dependencies for
	 * installing proxmox-mailgateway and pmg-api).
	 */
	distUpgradeRemovals?: {packages: string[]; cause: string[]};
	/**
	 * After the dist-upgrade: what dpkg and ucf left under /etc (a kept
	 * file's new version .dpkg-dist, an old one .dpkg-old, ...), each with
	 * what to do and the command that shows the difference.
	 */
	configLeftovers?: Array<{path: string; what: string; hint: string; command: string}>;
	/** Repositories configured twice with different Signed-By: `refused` where apt refuses every update (two keyrings). */
	sourceConflicts?: Array<{path: string; line: number; message: string; refused?: boolean}>;
	/**
	 * After the reboot: the state of each mail service (on bookworm postfix@-
	 * is the instance that does postfix's work and postfix.service a oneshot
	 * that stays "active" when it fails; see postfixType) and whether 17/main
	 * is online.
	 */
	afterReboot?: {
		units: Record<string, {active: string; enabled: string}>;
		postgres17: string | null;
		/**
		 * `systemctl show -p Type --value postfix`: "oneshot" where postfix.service
		 * only wraps the instance postfix@- (bookworm), "forking" where it runs
		 * the master itself and conflicts with postfix@- (Debian's postfix
		 * 3.9.1-7 and later, trixie: seen on the real-host test). Absent when
		 * systemctl did not say.
		 */
		postfixType?: string;
	};
	/** What apt 3's modernize-sources would do to the files that are there now. */
	modernize?: {
		conversions: Array<{from: string; to: string; entries: number; appends: boolean; backup: string; replacesBackup: boolean}>;
		duplicates: Array<{from: string; line: number; to: string; toLine: number; uri: string; suite: string}>;
	};
};

export type PmgContext = WizardContext<PmgFacts>;
export type PmgInput = {startedAt: number};

/** Names of the probes the runtime answers for this machine. */
export type PmgProbe =
	| 'preconditions'
	| 'pmgversion'
	| 'upgraded'
	| 'backupCandidates'
	| 'backup'
	| 'disk'
	| 'checklist'
	| 'cluster'
	| 'clusterPrepare'
	| 'clusterGate'
	| 'clusterFinal'
	| 'sources'
	| 'packages'
	| 'services'
	| 'postgres'
	| 'pgClusters'
	| 'bootId'
	| 'templates'
	| 'conffilePrompts'
	| 'modernizePlan'
	| 'afterReboot';

const cmd = (...argv: string[]): StepCommand => ({argv});
/**
 * Hosts of the repositories the upgrade needs: Debian's and Proxmox's. apt
 * only warns (exit 0) when it cannot reach one; the step fails all the same.
 */
export const NEEDED_REPOSITORY_HOSTS = ['debian.org', 'proxmox.com'];
const aptUpdate = (): StepCommand => ({argv: ['apt', 'update'], repositories: {needed: NEEDED_REPOSITORY_HOSTS}});
/**
 * On the terminal, with advice at apt's own questions ("Continue anyway?
 * [y/N]"); the seed's advice on configuration files is for the dist-upgrade
 * to 9 only (distUpgradeCommand), elsewhere dpkg's questions get the general one.
 */
const interactive = (...argv: string[]): StepCommand => ({argv, interactive: true, bulk: true, conffileAdvice: []});
/** apt dist-upgrade on the terminal, with the vendor's advice at each of dpkg's questions about a configuration file. */
const distUpgradeCommand = (): StepCommand => ({
	...interactive('apt', 'dist-upgrade'),
	conffileAdvice: CONFFILE_ADVICE,
	note: 'under script(1) to show advice when dpkg asks; answers pass unchanged',
});

/** The mail services that do not run after the reboot, each with why. */
export function notRunning(after: NonNullable<PmgFacts['afterReboot']>): Array<{unit: string; active: string; enabled: string}> {
	const out: Array<{unit: string; active: string; enabled: string}> = [];
	for (const unit of mailUnits(after)) {
		const s = after.units[unit] ?? {active: 'unknown', enabled: 'unknown'};
		// postfix@- is started by postfix.service: its own enablement does not matter.
		const bootOk = unit === POSTFIX_INSTANCE || STARTS_AT_BOOT.has(s.enabled);
		if (s.active !== 'active' || !bootOk) out.push({unit, ...s});
	}
	return out;
}

/**
 * The units that carry mail after the reboot: the PMG services and postfix,
 * and postfix's instance postfix@- only where postfix.service is the oneshot
 * wrapper that starts it (bookworm's postfix). From Debian's postfix 3.9.1-7
 * on (trixie) postfix.service runs the master itself and conflicts with
 * postfix@-, which then stays inactive as it should.
 */
export function mailUnits(after: {postfixType?: string}): string[] {
	return instanceCarriesMail(after) ? [...PMG_SERVICES, POSTFIX_INSTANCE] : [...PMG_SERVICES];
}

const instanceCarriesMail = (after: {postfixType?: string}) => after.postfixType === undefined || after.postfixType === 'oneshot';

/** Where a unit's log is: postfix's is under its instance where that does the work. */
const logOf = (unit: string, after: {postfixType?: string} = {}) => `journalctl -b -u ${unit === 'postfix' && instanceCarriesMail(after) ? POSTFIX_INSTANCE : unit}`;

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
const isAtLeast = (version: string | null | undefined, min: string) =>
	typeof version === 'string' && version !== '' && compareDebianVersions(version, min) >= 0;

/** Locale variables that pg_upgradecluster will run without. */
export const removedLocaleVariables = (context: PmgContext): string[] =>
	context.choices.cleanLocale === 'yes' ? (context.facts.locale?.problems ?? []).map(p => p.variable) : [];

export const pgUpgradeCommand = (context: PmgContext): StepCommand => {
	const removed = removedLocaleVariables(context);
	return {
		argv: ['pg_upgradecluster', '-v', '17', '15', 'main'],
		...(removed.length > 0 ? {env: Object.fromEntries(removed.map(name => [name, null]))} : {}),
		bulk: true,
		...(removed.length > 0
			? {note: `runs without ${removed.join(', ')}: ${removed.length === 1 ? 'it names a locale' : 'they name locales'} not installed here`}
			: {}),
	};
};

const BACKUP_WORD = 'old backup';
const OFFHOST_WORD = 'stored';
const CHECKLIST_WORD = 'proceed';
const GO_ON_WORD = 'go on';

/** The packages that are PMG: a dist-upgrade that removes one of them removes the mail gateway. */
export const PMG_PACKAGES = ['proxmox-mailgateway', 'pmg-api'];

export const pmgGuards = {
	...clusterGuards,
	runningAsRoot: ({context}: {context: PmgContext}) => context.facts.identity?.uid === 0,
	readyToStart: ({context}: {context: PmgContext}) => context.facts.identity?.uid === 0 && !(context.facts.sourceConflicts ?? []).some(x => x.refused !== false),
	pmgKept: ({context}: {context: PmgContext}) => !(context.facts.distUpgradeRemovals?.packages ?? []).some(p => PMG_PACKAGES.includes(p)),
	versionAtLeast825: ({context}: {context: PmgContext}) => isAtLeast(context.facts.pmgApi, MIN_VERSION),
	backupIntact: ({context}: {context: PmgContext}) => {
		const b = context.facts.backup;
		return Boolean(b && b.exists && b.size > 0 && b.missing.length === 0 && !b.problem);
	},
	backupVerified: ({context}: {context: PmgContext}) => {
		const b = context.facts.backup;
		if (!b || !b.exists || b.size <= 0 || b.missing.length > 0 || b.problem) return false;
		return b.recent || context.confirmations['backup.old'] === BACKUP_WORD;
	},
	diskAtLeast10GB: ({context}: {context: PmgContext}) => (context.facts.disk?.availableBytes ?? 0) >= MIN_FREE_BYTES,
	checklistClean: ({context}: {context: PmgContext}) => {
		const c = context.facts.checklist;
		return Boolean(c) && c!.failures === 0;
	},
	notClustered: ({context}: {context: PmgContext}) => context.facts.cluster?.clustered === false,
	clusterKnown: ({context}: {context: PmgContext}) => context.facts.cluster !== undefined,
	clustered: ({context}: {context: PmgContext}) => context.facts.cluster?.clustered === true,
	sourcesReadable: ({context}: {context: PmgContext}) => (context.facts.sources?.errors.length ?? 1) === 0,
	thirdPartyUndecided: ({context}: {context: PmgContext}) =>
		(context.facts.sources?.thirdParty.length ?? 0) > 0 && !context.choices.thirdParty,
	nothingToRewrite: ({context}: {context: PmgContext}) => (context.facts.sources?.plan.length ?? 0) === 0,
	oldPmgGone: ({context}: {context: PmgContext}) => (context.facts.sources?.oldPmg.length ?? 0) === 0,
	pmgRepoPlanned: ({context}: {context: PmgContext}) =>
		Boolean(context.facts.sources?.pmgRepo) && (context.facts.sources?.errors.length ?? 1) === 0,
	pmgRepoInPlace: ({context}: {context: PmgContext}) => {
		const repo = context.facts.sources?.pmgRepo;
		return Boolean(repo) && repo!.before === repo!.after;
	},
	noBookwormRepos: ({context}: {context: PmgContext}) => {
		const s = context.facts.sources;
		return Boolean(s) && s!.errors.length === 0 && s!.leftovers.length === 0;
	},
	noLinuxImageMeta: ({context}: {context: PmgContext}) =>
		context.facts.packages !== undefined && context.facts.packages['linux-image-amd64'] !== 'installed',
	systemdBootAbsent: ({context}: {context: PmgContext}) =>
		context.facts.packages !== undefined && context.facts.packages['systemd-boot'] !== 'installed',
	servicesStopped: ({context}: {context: PmgContext}) => {
		const s = context.facts.services;
		if (!s) return false;
		return [...PMG_SERVICES, ...CLUSTER_DAEMONS].every(
			unit => s[unit] !== undefined && ['inactive', 'failed', 'unknown'].includes(s[unit]!.active) && s[unit]!.enabled === 'masked',
		);
	},
	upgradedTo9: ({context}: {context: PmgContext}) => isAtLeast(context.facts.pmgApi, '9.0'),
	mailServicesRunning: ({context}: {context: PmgContext}) => {
		const a = context.facts.afterReboot;
		return Boolean(a) && notRunning(a!).length === 0 && Boolean(a!.postgres17?.startsWith('online'));
	},
	localeClean: ({context}: {context: PmgContext}) => {
		const l = context.facts.locale;
		if (!l) return false;
		const removed = new Set(removedLocaleVariables(context));
		return l.problems.every(p => removed.has(p.variable));
	},
	localeProblemsFound: ({context}: {context: PmgContext}) => (context.facts.locale?.problems.length ?? 0) > 0,
	postgresReady: ({context}: {context: PmgContext}) => {
		const c = context.facts.pgClusters ?? [];
		return c.some(x => x.version === '15' && x.cluster === 'main') && !c.some(x => x.version === '17' && x.cluster === 'main');
	},
	postgresUpgraded: ({context}: {context: PmgContext}) =>
		(context.facts.pgClusters ?? []).some(x => x.version === '17' && x.cluster === 'main' && x.status.startsWith('online')),
	rebootHappened: ({context, event}: {context: PmgContext; event: {type: string; bootId?: string}}) =>
		event.type === 'host.booted' && Boolean(event.bootId) && event.bootId !== context.facts.bootIdBeforeReboot,
	keepSystemdBootChosen: ({event}: {event: {type: string; value?: string}}) => event.value === 'keep',
	relaunchChosen: ({event}: {event: {type: string; value?: string}}) => event.value === 'tmux',
	needsSessionWarning: ({context}: {context: PmgContext}) =>
		Boolean(context.facts.session?.ssh) && !context.facts.session?.multiplexer && context.choices.ssh !== 'continue',
};

/** What must hold at the door of the dist-upgrade, each with its words for the screen. */
const DIST_UPGRADE_CHECKS = [
	['backupVerified', 'a verified backup'],
	['diskAtLeast10GB', '10 GiB free on /'],
	['versionAtLeast825', 'pmg-api 8.2.5 or newer'],
	['noBookwormRepos', 'no enabled bookworm repository'],
	['noLinuxImageMeta', 'linux-image-amd64 not installed'],
	['servicesStopped', 'mail services stopped and masked'],
] as const satisfies ReadonlyArray<readonly [keyof typeof pmgGuards, string]>;

const phaseList = phases(
	['prepare', 'Preparation'],
	['repos', 'Repositories'],
	['upgrade', 'Upgrade'],
	['after', 'After reboot'],
);

const checklistFindings = (context: PmgContext): Finding[] => {
	const c = context.facts.checklist;
	if (!c) return [];
	if (!c.present) return [{level: 'INFO', text: 'pmg8to9 is not installed: it ships with the latest 8.2 packages'}];
	const lines = c.findings.filter(f => f.level !== 'PASS' && f.level !== 'SKIP');
	return [
		{level: c.failures > 0 ? 'FAIL' : c.warnings > 0 ? 'WARN' : 'PASS', text: c.summary ?? 'pmg8to9 finished'},
		...lines,
	];
};

const sourcesFindings = (context: PmgContext): Finding[] => {
	const s = context.facts.sources;
	if (!s) return [];
	return [
		...s.errors.map(e => ({level: 'FAIL' as const, text: `${e.path}:${e.line}: ${e.message}`})),
		...s.leftovers.map(l => ({level: 'FAIL' as const, text: `${l.path}:${l.line}: ${l.suites.join(' ')} still enabled (${l.uri})`})),
		...(s.errors.length + s.leftovers.length === 0 ? [{level: 'PASS' as const, text: 'no enabled bookworm entry in sources.list, *.list or *.sources'}] : []),
	];
};

const isPmgUri = (uri: string) => /proxmox\.com\/debian\/pmg\/?$/i.test(uri);

/** After the Debian switch: what moved, what is left and which later step deals with it. */
const debianReposFindings = (context: PmgContext): Finding[] => {
	const s = context.facts.sources;
	if (!s) return [];
	const thirdParty = new Set(s.thirdParty.map(t => `${t.path}:${t.line}`));
	const left = s.leftovers.map(l => {
		const where = `${l.path}:${l.line}: ${l.suites.join(' ')} (${l.uri})`;
		if (isPmgUri(l.uri)) return {level: 'INFO' as const, text: `${where}: the PMG 8 entry, removed once the PMG 9 one is in place`};
		if (thirdParty.has(`${l.path}:${l.line}`)) return {level: 'WARN' as const, text: `${where}: another vendor's, left as you chose; switch or disable it before the dist-upgrade`};
		return {level: 'FAIL' as const, text: `${where}: still enabled`};
	});
	return [
		...s.errors.map(e => ({level: 'FAIL' as const, text: `${e.path}:${e.line}: ${e.message}`})),
		...(s.plan.length === 0 && s.errors.length === 0 ? [{level: 'PASS' as const, text: 'every Debian and Proxmox entry uses trixie'}] : []),
		...left,
	];
};

/** What modernize-sources will do to the files that are there, shown before the operator answers. */
const modernizeFindings = (context: PmgContext): Finding[] => {
	const plan = context.facts.modernize;
	if (!plan) return [{level: 'WARN', text: 'the sources could not be read: what modernize-sources changes is unknown'}];
	if (plan.conversions.length === 0) return [{level: 'PASS', text: 'no .list file left: modernize-sources has nothing to do'}];
	return [
		...plan.conversions.map(c => ({
			level: (c.replacesBackup ? 'WARN' : 'INFO') as Finding['level'],
			text: `${c.from} -> ${c.to} (${c.entries} ${c.entries === 1 ? 'entry' : 'entries'}${c.appends ? ', added to the end of the existing file' : ''}); renamed to ${c.backup}${c.replacesBackup ? ', replacing the file of that name' : ''}`,
		})),
		...plan.duplicates.map(d => ({
			level: 'WARN' as const,
			text: `${d.from}:${d.line} ${d.uri} ${d.suite} is in ${d.to}:${d.toLine} already: it would be there twice (apt then warns "configured multiple times"); remove the line from ${d.from} first, or skip`,
		})),
	];
};

const pmgRepoFindings = (context: PmgContext): Finding[] => {
	const s = context.facts.sources;
	if (!s) return [];
	const repo = s.pmgRepo;
	return [
		...s.errors.map(e => ({level: 'FAIL' as const, text: `${e.path}:${e.line}: ${e.message}`})),
		repo && repo.before === repo.after
			? {level: 'PASS' as const, text: `${repo.path}: the PMG 9 repository, suite trixie`}
			: {level: 'FAIL' as const, text: repo ? `${repo.path} is not written yet` : 'no PMG 9 repository chosen'},
	];
};

/**
 * The seed's advice for the configuration files dpkg asks about during the
 * dist-upgrade, by file: shown before it (for the files changed here) and at
 * the moment dpkg asks (source/host/local-host.ts watches its output).
 */
export const CONFFILE_ADVICE: ConffileAdvice[] = [
	{files: ['/etc/issue'], answer: 'N (keep yours, the default)', why: 'PMG regenerates it on boot; it only changes the console login text'},
	{files: ['/etc/ssh/sshd_config'], answer: 'Y (maintainer) if you never changed it', why: 'the difference should only be ChallengeResponseAuthentication -> KbdInteractiveAuthentication and comments; inspect anything else (D)'},
	{files: ['/etc/clamav/clamd.conf', '/etc/clamav/freshclam.conf'], answer: 'N (keep yours, the default)', why: 'PMG manages both and writes them again on changes and at boot'},
	{files: ['/etc/default/grub'], answer: 'D to see the difference; if unsure N', why: 'asked only when changed by hand (kernel options); changes in # comments do not matter'},
	{files: ['/etc/postfix/master.cf.proto', '/etc/postfix/main.cf.proto'], answer: 'Y (install the new version)', why: 'templates for multi-instance Postfix, which PMG never uses; avoids the question next time'},
	{files: ['/etc/crontab', '/etc/cron.d/', '/etc/cron.daily/', '/etc/cron.hourly/', '/etc/cron.weekly/', '/etc/cron.monthly/'], answer: 'N (keep yours, the default)', why: 'in a container on Proxmox VE the times were randomised so containers do not all run jobs at once'},
	{files: ['/etc/pmg/templates/'], answer: 'review the difference (D) carefully', why: 'your customised template lacks the new version\'s changes: carry over only what you want'},
];

const distUpgradeAdvice = [
	{prompt: 'apt-listchanges news', answer: 'press q', why: 'it only shows what changed'},
	{prompt: 'keyboard layout', answer: 'arrows to your layout, Enter', why: 'applies to the console'},
	{prompt: 'Restart services during package upgrades without asking?', answer: 'the default', why: 'the reboot restarts all services cleanly anyway'},
	{prompt: '/etc/issue', answer: 'N (keep yours, the default)', why: 'PMG regenerates it on boot; cosmetic only'},
	{prompt: '/etc/ssh/sshd_config', answer: 'Y (maintainer) if unchanged by you', why: 'moves from ChallengeResponseAuthentication to KbdInteractiveAuthentication; inspect other differences'},
	{prompt: '/etc/clamav/clamd.conf, freshclam.conf', answer: 'N (keep yours, the default)', why: 'PMG manages and regenerates both'},
	{prompt: '/etc/default/grub', answer: 'D to see the difference; if unsure N', why: 'only asked when you changed it, e.g. kernel options'},
	{prompt: '/etc/postfix/master.cf.proto, main.cf.proto', answer: 'Y (install the new version)', why: 'templates PMG never uses; avoids the question next time'},
	{prompt: '/etc/crontab (container on Proxmox VE)', answer: 'N (keep yours, the default)', why: 'Proxmox VE randomised it so containers do not run jobs at once'},
	{prompt: 'files in /etc/pmg/templates', answer: 'review the diff carefully', why: 'your customised templates lack the new version\'s changes'},
	{prompt: 'PostgreSQL "collation version mismatch" warnings', answer: 'nothing to do', why: 'transient; gone after the cluster upgrade'},
	{prompt: '"Upgrade PostgreSQL cluster 15/main to 17?" (Debian\'s postgresql package)', answer: 'No', why: 'the wizard upgrades it in its own step, after checking the locale'},
	{prompt: 'libc6: "services to restart" list, "upgrade glibc now?"', answer: 'the default (Ok, Yes)', why: 'the services are stopped already; the reboot restarts the rest'},
];

/**
 * What to do when 17/main exists before the wizard's pg_upgradecluster or
 * 15/main is missing. Never "drop 17/main" when it may hold the data: on a
 * host with Debian's `postgresql` meta-package, trixie's postgresql-common
 * asks "Upgrade PostgreSQL cluster 15/main to 17?" during the dist-upgrade
 * and, answered Yes, moves the data to 17/main and stops 15/main (seen on
 * the real-host test).
 */
function pgClustersRemedy(c: PmgContext): string[] {
	const clusters = c.facts.pgClusters ?? [];
	const v15 = clusters.find(x => x.version === '15' && x.cluster === 'main');
	const v17 = clusters.find(x => x.version === '17' && x.cluster === 'main');
	if (v17 && v17.status.startsWith('online') && (!v15 || !v15.status.startsWith('online'))) {
		return [
			'17/main is online and 15/main is not: the dist-upgrade may have upgraded',
			'the cluster itself (Debian\'s postgresql package asks "Upgrade PostgreSQL',
			'cluster 15/main to 17?"). Do NOT drop 17/main. If',
			"  su postgres -c 'psql --cluster 17/main -l'",
			'lists Proxmox_ruledb, the database is upgraded: leave with q and finish by',
			'hand from "Unmask the mail services" (docs/pmg); else read the transcript.',
		];
	}
	return [
		'A 17/main cluster exists already or 15/main is missing. If 17/main was',
		'created empty by the package, remove it with pg_dropcluster --stop 17 main',
		'after checking it holds no data (psql -l lists no Proxmox_ruledb); then r.',
	];
}

/** Why the dist-upgrade is refused: what apt's simulation removes, and apt's reason. */
function removesPmgLines(c: PmgContext): string[] {
	const r = c.facts.distUpgradeRemovals ?? {packages: [], cause: []};
	const pmg = r.packages.filter(p => PMG_PACKAGES.includes(p));
	return [
		`FAIL: apt dist-upgrade would REMOVE ${pmg.join(' and ')} (apt-get -s dist-upgrade,`,
		'a simulation: nothing was changed). The wizard does not run it.',
		...(r.cause.length > 0 ? ['apt says why (apt-get -s install ' + PMG_PACKAGES.join(' ') + '):', ...r.cause.slice(0, 6).map(l => `  ${l}`)] : ['apt names no unmet dependency: look for a pin in /etc/apt/preferences.d.']),
		...(r.packages.length > pmg.length ? [`Also removed: ${r.packages.filter(p => !pmg.includes(p)).slice(0, 8).join(', ')}${r.packages.length - pmg.length > 8 ? ', ...' : ''}`] : []),
		'Fix the cause (the PMG 9 repository and apt update, a package that',
		'conflicts with PMG 9, a pin), then press r: the simulation runs again.',
	];
}

/** The files dpkg will likely ask about on this host, each with its advice. */
function conffileLines(c: PmgContext): string[] {
	const predicted = c.facts.conffilePrompts;
	const lines: string[] = [];
	if (predicted === undefined) lines.push('Which configuration files dpkg will ask about could not be read.');
	else if (predicted.length === 0) lines.push('No configuration file of an upgraded package was changed here: dpkg should not ask.');
	else {
		lines.push(`Changed here, so dpkg may ask (if the new package changed them too):`);
		for (const p of predicted) {
			const advice = adviceFor(p.path, CONFFILE_ADVICE);
			lines.push(`  ${p.path} (${p.package}): ${advice.answer}`);
		}
	}
	if ((c.facts.templates ?? []).length > 0) lines.push(`Customised templates here: ${c.facts.templates!.join(', ')}: expect a prompt for each.`);
	return lines;
}

export const pmgUpgradeMachine = once(() =>
	setup({
	types: {
		context: {} as PmgContext,
		events: {} as OperatorEvent | {type: 'host.session'},
		input: {} as PmgInput,
	},
	guards: {
		...common.guards,
		...pmgGuards,
		readyForDistUpgrade: and(DIST_UPGRADE_CHECKS.map(([name]) => name)),
		readyForPgUpgrade: and(['localeClean', 'postgresReady']),
		/** No .list file left for modernize-sources to rewrite: it ran and was answered Y. */
		sourcesModernized: ({context}: {context: PmgContext}) => context.facts.modernize?.conversions.length === 0,
	} as never,
	actions: {
		...common.actions,
		...clusterActions,
	} as never,
	actors: runtimeActors<PmgFacts, PmgProbe, PmgContext>(),
}).createMachine({
	id: 'wizard',
	context: ({input}) => freshContext(input.startedAt),
	meta: {product: 'pmg', title: 'PMG 8 -> 9', phases: phaseList, version: 1},
	initial: 'preconditions',
	states: {
		preconditions: step<PmgContext>({
			id: 'preconditions',
			next: 'updateCurrent',
			title: 'Preconditions',
			phase: 'prepare',
			source: 'In-Place Upgrade > Preconditions',
			why: 'The upgrade runs as root from a console that survives it: SSH inside tmux or screen, a physical console, or iKVM/IPMI. The PMG web UI console is cut off during the upgrade.',
			probe: 'preconditions',
			guard: 'readyToStart',
			afterPassed: 'session',
			findings: c => {
				const id = c.facts.identity;
				const s = c.facts.session;
				return [
					id?.uid === 0
						? {level: 'PASS', text: `running as root on ${id.hostname}`}
						: {level: 'FAIL', text: `running as ${id?.user ?? 'unknown'} (uid ${id?.uid ?? '?'}), not root`},
					s?.ssh
						? s.multiplexer
							? {level: 'PASS', text: 'over SSH, inside tmux or screen'}
							: {level: 'WARN', text: 'over SSH and not inside tmux or screen: a dropped connection kills the upgrade'}
						: {level: 'PASS', text: 'not over SSH (console or iKVM)'},
					{level: 'NOTICE', text: 'do not run this from the PMG web UI console: it is cut off during the upgrade'},
					...(c.facts.sourceConflicts ?? []).map(x => ({level: x.refused === false ? ('WARN' as const) : ('FAIL' as const), text: x.message})),
				];
			},
			remedy: c =>
				c.facts.identity?.uid === 0
					? [
							'apt refuses every update while a repository is configured twice with',
							'different Signed-By. Remove or disable one of the two entries named',
							'above (the one you added by hand, usually the .list), then press r.',
						]
					: ['Log in as root (su - or a root console) and start the wizard again.'],
			extraStates: {
				session: {
					always: [{guard: 'needsSessionWarning', target: 'sessionWarning'}, {target: '#wizard.updateCurrent'}],
				},
				sessionWarning: {
					meta: {
						view: 'choose',
						lines: () => [
							'You are connected over SSH and not inside tmux or screen. If the connection',
							'drops during apt dist-upgrade, the upgrade is killed half way.',
						],
						options: (c: PmgContext) => [
							{
								value: 'tmux',
								label: 'Relaunch the wizard inside tmux (it resumes here)',
								hint: c.facts.session?.relaunch ?? 'tmux new-session -A -s upgrade-wizard -- upgrade-wizard pmg',
							},
							{value: 'continue', label: 'Go on without tmux (I accept the risk)'},
						],
					},
					on: {
						'operator.choose': [
							{guard: 'relaunchChosen', target: 'relaunch'},
							{target: '#wizard.updateCurrent', actions: [{type: 'recordChoice', params: {key: 'ssh'}}]},
						],
					},
				},
				relaunch: {
					meta: {view: 'info', lines: () => ['Relaunching inside tmux: the wizard will resume at this step.']},
					on: {'host.session': 'checking'},
				},
			},
		}),

		updateCurrent: step<PmgContext>({
			id: 'updateCurrent',
			next: 'backup',
			title: 'Bring PMG 8.2 up to date',
			phase: 'prepare',
			source: 'Update the configured APT repositories',
			why: 'The upgrade starts from the latest 8.2 packages: pmg-api 8.2.5 or newer, still with the bookworm repositories. Older versions lack the fixes and the pmg8to9 checklist the upgrade relies on.',
			what: 'apt dist-upgrade runs on the terminal and asks before it installs anything.',
			commands: () => [aptUpdate(), interactive('apt', 'dist-upgrade')],
			skippable: true,
			probe: 'pmgversion',
			probeShows: ['pmgversion -v'],
			guard: 'versionAtLeast825',
			findings: c => [
				isAtLeast(c.facts.pmgApi, MIN_VERSION)
					? {level: 'PASS', text: `pmg-api ${c.facts.pmgApi} (8.2.5 or newer)`}
					: {level: 'FAIL', text: c.facts.pmgApi ? `pmg-api ${c.facts.pmgApi} is older than 8.2.5` : 'pmgversion -v did not report a pmg-api version'},
			],
			remedy: () => [
				'Make sure valid PMG 8 (bookworm) package repositories are configured',
				'(enterprise with a subscription, or no-subscription), then run',
				'apt update and apt dist-upgrade again and press r.',
			],
			fix: () => [aptUpdate(), interactive('apt', 'dist-upgrade')],
		}),

		backup: step<PmgContext>({
			id: 'backup',
			next: 'diskSpace',
			title: 'Make and verify a backup',
			phase: 'prepare',
			source: 'In-Place Upgrade > Preconditions (backup)',
			why: 'A valid, tested backup is required before the upgrade: it is the way back if the upgrade fails. pmgbackup stores the configuration and the rule database.',
			initial: 'scanning',
			commands: () => [cmd('pmgbackup', 'backup')],
			probe: 'backup',
			probeShows: ['tar -tzf <backup file>'],
			guard: 'backupVerified',
			afterPassed: 'offHost',
			findings: c => {
				const b = c.facts.backup;
				if (!b) return [];
				if (!b.exists) return [{level: 'FAIL', text: `${b.path ?? 'no backup file'}: not found`}];
				return [
					{level: b.size > 0 ? 'PASS' : 'FAIL', text: `${b.path}: ${b.size} bytes`},
					b.missing.length === 0 && !b.problem
						? {level: 'PASS', text: 'holds the rule database, configuration, checksums and version'}
						: {level: 'FAIL', text: b.problem ?? `lacks ${b.missing.join(', ')}`},
					b.recent
						? {level: 'PASS', text: 'made during this upgrade'}
						: c.confirmations['backup.old'] === BACKUP_WORD
							? {level: 'WARN', text: 'older than this upgrade: confirmed by the operator'}
							: {level: 'FAIL', text: `made ${new Date(b.mtimeMs).toISOString().slice(0, 16).replace('T', ' ')}, before this upgrade began`},
				];
			},
			remedy: c =>
				pmgGuards.backupIntact({context: c})
					? ['This backup is older than this upgrade. Make a new one (r, then choose', `"create"), or type "${BACKUP_WORD}" (o) to use it anyway: that goes to the transcript.`]
					: ['This file is not a complete PMG backup. Make a new one with pmgbackup', 'backup (r, then choose "create").'],
			extraStates: {
				scanning: {
					meta: {view: 'checking'},
					invoke: {
						id: 'probe.backupCandidates',
						src: 'probe',
						input: () => ({probe: 'backupCandidates'}),
						onDone: {target: 'choose', actions: 'assignFacts'},
						onError: {target: 'probeFailed', actions: 'recordError'},
					},
				},
				choose: {
					meta: {
						view: 'choose',
						lines: () => [`Backups are stored in ${BACKUP_DIR}. A backup made now is preferred.`],
						options: (c: PmgContext) => [
							{value: 'create', label: 'Create a new backup now', hint: 'pmgbackup backup'},
							...(c.facts.backupCandidates ?? []).map(f => ({
								value: f.path,
								label: `Use ${f.path.split('/').pop()}`,
								hint: `${new Date(f.mtimeMs).toISOString().slice(0, 16).replace('T', ' ')}, ${f.size} bytes`,
							})),
						],
					},
					on: {
						'operator.choose': [
							{guard: ({event}: {event: {value?: string}}) => event.value === 'create', target: 'review', actions: [{type: 'recordChoice', params: {key: 'backup'}}]},
							{target: 'checking', actions: [{type: 'recordChoice', params: {key: 'backup'}}]},
						],
					},
				},
				blocked: {
					meta: {view: 'blocked'},
					on: {
						'operator.recheck': 'scanning',
						'operator.override': {
							guard: and(['backupIntact', {type: 'typedWord', params: {word: BACKUP_WORD}}]),
							target: 'evaluate',
							actions: [{type: 'recordConfirmation', params: {key: 'backup.old'}}],
						},
					},
				},
				offHost: confirmScreen<PmgContext>({
					word: OFFHOST_WORD,
					key: 'backup.offHost',
					step: 'backup',
					target: '#wizard.diskSpace',
					prompt: c =>
						`Copy ${c.facts.backup?.path ?? 'the backup'} off this host (scp, your Proxmox Backup Server, or download it in the web interface). Type "${OFFHOST_WORD}" when a copy is stored elsewhere.`,
				}),
			},
			override: {word: BACKUP_WORD, what: 'use a backup made before this upgrade'},
		}),

		diskSpace: step<PmgContext>({
			id: 'diskSpace',
			next: 'checklist',
			title: 'Free space on /',
			phase: 'prepare',
			source: 'In-Place Upgrade > Preconditions (df -h /)',
			why: 'The upgrade needs at least 10 GB free on the root file system: new packages, and a second copy of the database during the PostgreSQL upgrade.',
			probe: 'disk',
			probeShows: ['statfs /'],
			guard: 'diskAtLeast10GB',
			findings: c => {
				const d = c.facts.disk;
				if (!d) return [];
				return [
					{
						level: d.availableBytes >= MIN_FREE_BYTES ? 'PASS' : 'FAIL',
						text: `${gib(d.availableBytes)} available on / of ${gib(d.totalBytes)} (needs 10.0 GiB)`,
					},
				];
			},
			remedy: () => [
				'Free space on /, e.g. apt clean, remove old kernels you do not boot,',
				'old logs under /var/log or backups under /var/lib/pmg/backup that are',
				'stored elsewhere; or grow the file system. Then press r.',
			],
		}),

		checklist: step<PmgContext>({
			id: 'checklist',
			next: 'cluster',
			title: 'Run the pmg8to9 checklist',
			phase: 'prepare',
			source: 'Continuously use the pmg8to9 checklist script',
			why: 'pmg8to9 reports known problems before the upgrade. It changes nothing and exits 0 even when it reports FAIL, so the wizard counts its FAIL lines. It does not read .sources files: the wizard checks those itself later.',
			probe: 'checklist',
			probeShows: ['pmg8to9'],
			guard: 'checklistClean',
			findings: checklistFindings,
			remedy: () => [
				'Fix each FAIL above, then press r to run pmg8to9 again (the vendor',
				`recommends re-running it after each fix). To go on anyway, press o and type "${CHECKLIST_WORD}".`,
			],
			override: {word: CHECKLIST_WORD, what: 'go on although pmg8to9 reports FAIL'},
		}),

		cluster: clusterPrepareStep('archiveKeyring'),

		archiveKeyring: step<PmgContext>({
			id: 'archiveKeyring',
			next: 'debianRepos',
			title: 'Install the Proxmox archive keyring',
			phase: 'repos',
			source: 'Ensure Repository Archive Keyring is Installed',
			why: 'The trixie-based repositories are signed with a new key. Install proxmox-archive-keyring before switching the repositories, or apt will refuse them.',
			commands: () => [interactive('apt', 'install', 'proxmox-archive-keyring')],
		}),

		debianRepos: step<PmgContext>({
			id: 'debianRepos',
			initial: 'checking',
			next: 'pmgRepo',
			title: 'Switch the Debian repositories to trixie',
			phase: 'repos',
			source: 'Update Debian Base Repositories to Trixie',
			why: 'Every repository entry moves from bookworm to trixie: /etc/apt/sources.list, every .list and every deb822 .sources in /etc/apt/sources.list.d/. The wizard edits only the suites of enabled entries, keeps the old files in its own backup directory (not as .bak, which apt 3 overwrites) and shows the diff first.',
			probe: 'sources',
			probeShows: ['read /etc/apt/sources.list and /etc/apt/sources.list.d/*'],
			guard: 'sourcesReadable',
			changes: c => c.facts.sources?.plan ?? [],
			afterCommands: 'checking',
			findings: debianReposFindings,
			remedy: () => ['Fix the line named above by hand (or move the file aside), then press r.'],
			extraStates: {
				evaluate: {
					always: [
						{guard: {type: 'sourcesReadable'} as never, target: 'decide'},
						{target: 'blocked', actions: [{type: 'recordStatus', params: {step: 'debianRepos', status: 'failed'}}]},
					],
				},
				decide: {
					always: [
						{guard: 'thirdPartyUndecided', target: 'thirdParty'},
						{guard: 'nothingToRewrite', target: 'passed', actions: [{type: 'recordStatus', params: {step: 'debianRepos', status: 'passed'}}]},
						{target: 'review'},
					],
				},
				thirdParty: {
					meta: {
						view: 'choose',
						lines: (c: PmgContext) => [
							'Repositories of other vendors still use bookworm. They may have no trixie',
							'release yet (avast has none): check with each vendor first.',
							...(c.facts.sources?.thirdParty ?? []).slice(0, 4).map(t => `  ${t.path}:${t.line} ${t.uri} ${t.suites.join(' ')}`),
						],
						options: () => [
							{value: 'leave', label: 'Leave them: I will switch or disable them myself'},
							{value: 'disable', label: 'Disable them (comment out, or Enabled: no)'},
							{value: 'switch', label: 'Switch them to trixie too'},
						],
					},
					on: {'operator.choose': {target: 'checking', actions: [{type: 'recordChoice', params: {key: 'thirdParty'}}]}},
				},
			},
		}),

		pmgRepo: step<PmgContext>({
			id: 'pmgRepo',
			next: 'aptCheckNew',
			title: 'Add the PMG 9 repository',
			phase: 'repos',
			source: 'Add the Proxmox Mail Gateway 9 Package Repository',
			why: 'PMG 9 comes from its own trixie repository, written in the deb822 format: enterprise (with a subscription) or no-subscription.',
			initial: 'choose',
			probe: 'sources',
			guard: 'pmgRepoPlanned',
			changes: c => (c.facts.sources?.pmgRepo ? [c.facts.sources.pmgRepo] : []),
			afterCommands: 'checking',
			findings: pmgRepoFindings,
			remedy: () => ['Fix the line named above by hand, then press r.'],
			extraStates: {
				choose: {
					meta: {
						view: 'choose',
						options: () =>
							Object.entries(PMG9_REPOSITORIES).map(([value, r]) => ({value, label: r.label, hint: r.path})),
					},
					on: {'operator.choose': {target: 'checking', actions: [{type: 'recordChoice', params: {key: 'repository'}}]}},
				},
				evaluate: {
					always: [
						{guard: 'pmgRepoInPlace', target: 'passed', actions: [{type: 'recordStatus', params: {step: 'pmgRepo', status: 'passed'}}]},
						{guard: 'pmgRepoPlanned', target: 'review'},
						{target: 'blocked', actions: [{type: 'recordStatus', params: {step: 'pmgRepo', status: 'failed'}}]},
					],
				},
			},
		}),

		aptCheckNew: step<PmgContext>({
			id: 'aptCheckNew',
			next: 'oldPmgRepo',
			title: 'Check that apt picks up the new repository',
			phase: 'repos',
			source: 'Add the Proxmox Mail Gateway 9 Package Repository',
			why: 'apt update must show no errors, and apt policy must list the PMG 9 repository, before the old PMG 8 entry is removed.',
			what: 'apt 3 pages apt policy on a terminal; the wizard runs it with PAGER=cat.',
			commands: () => [aptUpdate(), {argv: ['apt', 'policy'], env: {PAGER: 'cat'}}],
		}),

		oldPmgRepo: step<PmgContext>({
			id: 'oldPmgRepo',
			initial: 'checking',
			next: 'aptPolicy',
			title: 'Remove the old PMG 8 repository',
			phase: 'repos',
			source: 'Add the Proxmox Mail Gateway 9 Package Repository',
			why: 'The PMG 8 entry (pmg-enterprise.list, pmg-install-repo.list, or a line in sources.list) must go, or apt keeps the bookworm packages in view.',
			probe: 'sources',
			guard: 'oldPmgGone',
			changes: c => c.facts.sources?.oldPmg ?? [],
			afterCommands: 'checking',
			findings: () => [{level: 'PASS', text: 'no PMG 8 repository entry left'}],
			extraStates: {
				evaluate: {
					always: [
						{guard: 'oldPmgGone', target: 'passed', actions: [{type: 'recordStatus', params: {step: 'oldPmgRepo', status: 'passed'}}]},
						{target: 'review'},
					],
				},
			},
		}),

		aptPolicy: step<PmgContext>({
			id: 'aptPolicy',
			next: 'kernelPackages',
			title: 'apt update and apt policy: no bookworm left',
			phase: 'repos',
			source: 'Update Debian Base Repositories to Trixie',
			why: 'Run apt update and apt policy again to be certain the old repositories are gone: no enabled bookworm entry may remain (commented lines and Enabled: no stanzas do not count).',
			commands: () => [aptUpdate(), {argv: ['apt', 'policy'], env: {PAGER: 'cat'}}],
			probe: 'sources',
			guard: 'noBookwormRepos',
			findings: sourcesFindings,
			remedy: c => {
				const left = c.facts.sources?.leftovers ?? [];
				return [
					'Each entry above still points to bookworm. Switch it to trixie if its vendor',
					'has a trixie release, or disable it (# in a .list file, Enabled: no in a',
					'.sources stanza). Then press r.',
					...(left.length > 0 ? [`First: ${left[0]!.path} line ${left[0]!.line}.`] : []),
				];
			},
		}),

		kernelPackages: step<PmgContext>({
			id: 'kernelPackages',
			next: 'systemdBoot',
			title: 'Remove linux-image-amd64 if installed',
			phase: 'repos',
			source: "Potential Issues > Upgrade wants to remove package 'proxmox-mail-gateway'",
			why: 'On PMG installed on top of plain Debian, the Debian kernel meta-package linux-image-amd64 conflicts with PMG 9: the upgrade would want to remove proxmox-mail-gateway. It must be removed before the dist-upgrade.',
			probe: 'packages',
			probeShows: ['dpkg-query -W linux-image-amd64 systemd-boot'],
			guard: 'noLinuxImageMeta',
			findings: c => [
				c.facts.packages?.['linux-image-amd64'] === 'installed'
					? {level: 'FAIL', text: 'linux-image-amd64 is installed'}
					: {level: 'PASS', text: 'linux-image-amd64 is not installed'},
			],
			remedy: () => ['Press f to run: apt remove linux-image-amd64'],
			fix: () => [interactive('apt', 'remove', 'linux-image-amd64')],
		}),

		systemdBoot: step<PmgContext>({
			id: 'systemdBoot',
			initial: 'checking',
			next: 'stopServices',
			title: 'The systemd-boot meta-package',
			phase: 'repos',
			source: 'Potential Issues > Systemd-boot meta-package changes the bootloader configuration',
			why: 'In trixie the systemd-boot meta-package installs systemd-boot as bootloader on upgrades. PMG ISOs 8.0 to 8.2 shipped it for bootctl. It is safe to remove unless you set up systemd-boot yourself (proxmox-boot-tool manages the cases PMG uses).',
			probe: 'packages',
			guard: 'systemdBootAbsent',
			commands: () => [interactive('apt', 'remove', 'systemd-boot')],
			findings: c => [
				c.facts.packages?.['systemd-boot'] === 'installed'
					? {level: 'NOTICE', text: 'the systemd-boot meta-package is installed'}
					: {level: 'PASS', text: 'the systemd-boot meta-package is not installed'},
			],
			extraStates: {
				evaluate: {
					always: [
						{guard: 'systemdBootAbsent', target: 'passed', actions: [{type: 'recordStatus', params: {step: 'systemdBoot', status: 'passed'}}]},
						{target: 'decide'},
					],
				},
				decide: {
					meta: {
						view: 'choose',
						lines: () => [
							'systemd-boot is installed. Remove it unless you set up systemd-boot as',
							'your bootloader by hand; if pmg8to9 says systemd-boot-efi and',
							'systemd-boot-tools are needed, it tells you so.',
						],
						options: () => [
							{value: 'remove', label: 'Remove it', hint: 'apt remove systemd-boot'},
							{value: 'keep', label: 'Keep it: I set up systemd-boot myself'},
						],
					},
					on: {
						'operator.choose': [
							{
								guard: 'keepSystemdBootChosen',
								target: '#wizard.stopServices',
								actions: [
									{type: 'recordChoice', params: {key: 'systemdBoot'}},
									{type: 'recordStatus', params: {step: 'systemdBoot', status: 'skipped'}},
								],
							},
							{target: 'review', actions: [{type: 'recordChoice', params: {key: 'systemdBoot'}}]},
						],
					},
				},
			},
		}),

		stopServices: step<PmgContext>({
			id: 'stopServices',
			next: 'distUpgradeAdvice',
			title: 'Stop and mask the mail services',
			phase: 'upgrade',
			source: 'Stop and mask services before upgrade',
			why: 'Stopping postfix and the PMG services keeps the database unchanged during the upgrade; masking keeps them from starting while packages are replaced. Mail is queued by the sending servers meanwhile.',
			commands: () => [
				cmd('systemctl', 'stop', ...PMG_SERVICES, ...CLUSTER_DAEMONS),
				cmd('systemctl', 'mask', ...PMG_SERVICES, ...CLUSTER_DAEMONS),
			],
			probe: 'services',
			probeShows: ['systemctl is-active …', 'systemctl is-enabled …'],
			guard: 'servicesStopped',
			findings: c =>
				[...PMG_SERVICES, ...CLUSTER_DAEMONS].map(unit => {
					const s = c.facts.services?.[unit];
					const ok = s && ['inactive', 'failed', 'unknown'].includes(s.active) && s.enabled === 'masked';
					return {level: ok ? 'PASS' : 'FAIL', text: `${unit}: ${s?.active ?? '?'}, ${s?.enabled ?? '?'}`} as Finding;
				}),
			remedy: () => ['A unit above is still running or not masked. Press f to stop and mask again.'],
			fix: () => [
				cmd('systemctl', 'stop', ...PMG_SERVICES, ...CLUSTER_DAEMONS),
				cmd('systemctl', 'mask', ...PMG_SERVICES, ...CLUSTER_DAEMONS),
			],
		}),

		distUpgradeAdvice: {
			meta: {
				step: true,
				title: 'What apt dist-upgrade will ask',
				phase: 'upgrade',
				source: 'Upgrade the system',
				why: 'During the dist-upgrade dpkg stops to ask about changed configuration files and service restarts. These are the vendor\'s answers; read them now, they stay on screen as a list.',
				advice: distUpgradeAdvice,
			},
			initial: 'probing',
			states: {
				probing: {
					meta: {view: 'checking'},
					invoke: {
						id: 'probe.conffilePrompts',
						src: 'probe',
						input: () => ({probe: 'conffilePrompts'}),
						onDone: {target: 'info', actions: 'assignFacts'},
						onError: {target: 'info'},
					},
				},
				info: {
					meta: {
						view: 'info',
						lines: (c: PmgContext) => conffileLines(c),
					},
					on: {
						'operator.continue': [
							{guard: not('pmgKept'), target: 'removesPmg'},
							{guard: 'readyForDistUpgrade', target: '#wizard.clusterGate', actions: [{type: 'recordStatus', params: {step: 'distUpgradeAdvice', status: 'passed'}}]},
							{target: 'notReady'},
						],
					},
				},
				removesPmg: {
					meta: {
						view: 'info',
						lines: (c: PmgContext) => removesPmgLines(c),
					},
					on: {'operator.recheck': 'probing'},
				},
				notReady: {
					meta: {
						view: 'info',
						lines: (c: PmgContext) => [
							'A safety check no longer holds; r goes back to the backup step and',
							'checks everything again from there:',
							...DIST_UPGRADE_CHECKS.map(([name, what]) => `  [${pmgGuards[name]({context: c}) ? 'PASS' : 'FAIL'}] ${what}`),
						],
					},
					on: {'operator.recheck': '#wizard.backup'},
				},
			},
		} as never,

		clusterGate: clusterGateStep('distUpgrade', 'Upgrade the system: apt dist-upgrade'),

		distUpgrade: step<PmgContext>({
			id: 'distUpgrade',
			next: 'postgresCheck',
			title: 'Upgrade the system: apt dist-upgrade',
			phase: 'upgrade',
			source: 'Upgrade the system',
			why: 'This replaces bookworm and PMG 8 with trixie and PMG 9. It takes 5 minutes on SSD storage and an hour or more on slow disks. API requests may fail meanwhile.',
			what: 'apt runs on the terminal: answer its questions as advised on the previous screen.',
			commands: () => [aptUpdate(), distUpgradeCommand()],
			advice: distUpgradeAdvice,
			probe: 'upgraded',
			probeShows: ['pmgversion -v', 'files *.dpkg-dist, *.dpkg-old, *.ucf-dist, ... under /etc'],
			guard: 'upgradedTo9',
			findings: c => [
				isAtLeast(c.facts.pmgApi, '9.0')
					? {level: 'PASS', text: `pmg-api ${c.facts.pmgApi} installed`}
					: {level: 'FAIL', text: `pmg-api ${c.facts.pmgApi ?? 'unknown'}: PMG 9 is not installed yet`},
				// What dpkg left beside the configuration files it asked about: nothing to block on, all to look at.
				...(c.facts.configLeftovers ?? []).map(l => ({level: 'NOTICE' as const, text: `${l.path}: ${l.what}. ${l.hint} $ ${l.command}`})),
			],
			remedy: () => [
				'The dist-upgrade did not install PMG 9. Read apt\'s output in the',
				'transcript, fix what it reports, then press f to run it again.',
			],
			fix: () => [aptUpdate(), distUpgradeCommand()],
		}),

		postgresCheck: step<PmgContext>({
			id: 'postgresCheck',
			next: 'postgresUpgrade',
			title: 'Before the PostgreSQL upgrade: locale and clusters',
			phase: 'upgrade',
			source: 'Upgrade the PostgreSQL database; Setting Locale Failed During Postgres Cluster Upgrade',
			why: 'pg_upgradecluster fails ("Could not create target cluster") when LANG or an LC_* variable names a locale that is not installed, which SSH often passes from your own machine. The 15/main cluster must exist and 17/main must not.',
			probe: 'postgres',
			probeShows: ['locale -a', 'pg_lsclusters'],
			guard: 'readyForPgUpgrade',
			findings: c => {
				const removed = new Set(removedLocaleVariables(c));
				const problems = c.facts.locale?.problems ?? [];
				const clusters = c.facts.pgClusters ?? [];
				return [
					...(problems.length === 0
						? [{level: 'PASS' as const, text: 'no LANG/LC_* variable names a missing locale'}]
						: problems.map(p =>
								removed.has(p.variable)
									? {level: 'PASS' as const, text: `${p.variable}=${p.value} is not installed: removed for pg_upgradecluster`}
									: {level: 'FAIL' as const, text: `${p.variable}=${p.value} is not installed (locale -a)`},
							)),
					...clusters.map(x => ({level: 'INFO' as const, text: `cluster ${x.version}/${x.cluster}: ${x.status}`})),
					clusters.some(x => x.version === '15' && x.cluster === 'main')
						? {level: 'PASS' as const, text: 'the 15/main cluster exists'}
						: {level: 'FAIL' as const, text: 'no 15/main cluster found'},
					...(clusters.some(x => x.version === '17' && x.cluster === 'main')
						? [{level: 'FAIL' as const, text: 'a 17/main cluster exists already'}]
						: []),
				];
			},
			remedy: c =>
				pmgGuards.localeClean({context: c})
					? pgClustersRemedy(c)
					: [
							'Press c to run pg_upgradecluster without the variables above, or log in',
							'with a fresh "su -" (env | grep -E "LC|LANG" must show no foreign locale),',
							'or install the locale (dpkg-reconfigure locales), then press r.',
						],
			extraStates: {
				blocked: {
					meta: {view: 'blocked'},
					on: {
						'operator.recheck': 'checking',
						'operator.choose': {
							guard: 'localeProblemsFound',
							target: 'evaluate',
							actions: [{type: 'recordChoice', params: {key: 'cleanLocale'}}],
						},
					},
				},
			},
		}),

		postgresUpgrade: step<PmgContext>({
			id: 'postgresUpgrade',
			next: 'unmaskServices',
			title: 'Upgrade PostgreSQL 15 -> 17',
			phase: 'upgrade',
			source: 'Upgrade the PostgreSQL database',
			why: 'pg_upgradecluster copies rules, statistics and quarantine data into a new PostgreSQL 17 cluster. It needs time and free space for a second copy. The default (dump and restore) is the safe method.',
			commands: c => [pgUpgradeCommand(c)],
			probe: 'pgClusters',
			probeShows: ['pg_lsclusters'],
			guard: 'postgresUpgraded',
			findings: c =>
				(c.facts.pgClusters ?? []).map(x => ({
					level: x.version === '17' ? (x.status.startsWith('online') ? 'PASS' : 'FAIL') : 'INFO',
					text: `cluster ${x.version}/${x.cluster}: ${x.status}`,
				})) as Finding[],
			remedy: () => ['17/main is not online. Read the output in the transcript; press r to check again.'],
		}),

		unmaskServices: step<PmgContext>({
			id: 'unmaskServices',
			next: 'reboot',
			title: 'Unmask the mail services',
			phase: 'upgrade',
			source: 'Upgrade the PostgreSQL database',
			why: 'Unmask postfix and the PMG services so they start after the reboot. The cluster daemons stay masked until every node is upgraded.',
			commands: () => [cmd('systemctl', 'unmask', ...PMG_SERVICES)],
		}),

		reboot: {
			meta: {
				step: true,
				title: 'Reboot',
				phase: 'upgrade',
				source: 'Reboot',
				why: 'The new kernel and all services start cleanly. The wizard saves its place first; start it again after the reboot and it continues with the checks after the upgrade.',
				commands: () => [cmd('reboot')],
			},
			initial: 'recording',
			states: {
				recording: {
					meta: {view: 'checking'},
					invoke: {
						id: 'probe.bootId',
						src: 'probe',
						input: () => ({probe: 'bootId'}),
						onDone: {target: 'review', actions: 'assignFacts'},
						onError: {target: 'review', actions: 'recordError'},
					},
				},
				review: {meta: {view: 'review'}, on: {'operator.continue': 'running'}},
				running: {
					meta: {view: 'running'},
					invoke: {
						id: 'run.reboot',
						src: 'runCommands',
						input: () => ({step: 'reboot', commands: [cmd('reboot')]}),
						onDone: [{guard: 'commandsSucceeded', target: 'waiting', actions: 'recordRun'}, {target: 'failed', actions: 'recordRun'}],
						onError: {target: 'failed', actions: 'recordError'},
					},
				},
				interrupted: {meta: {view: 'interrupted'}, on: {'operator.continue': 'running'}},
				failed: {meta: {view: 'failed'}, on: {'operator.retry': 'review'}},
				waiting: {
					meta: {
						view: 'info',
						lines: () => [
							'The host is rebooting. Reconnect when it is back, then start the wizard',
							'again with the same command: it continues after the reboot.',
						],
					},
					on: {
						'host.booted': [
							{guard: 'rebootHappened', target: '#wizard.verifyVersion', actions: [{type: 'recordStatus', params: {step: 'reboot', status: 'passed'}}]},
							{target: 'notRebooted'},
						],
					},
				},
				notRebooted: {
					meta: {
						view: 'info',
						lines: () => [
							'WARN: the host has not rebooted (its boot id is unchanged). The',
							'upgrade is not finished until it has. Press Enter to reboot now.',
						],
					},
					on: {'operator.continue': 'review'},
				},
			},
		} as never,

		verifyVersion: step<PmgContext>({
			id: 'verifyVersion',
			next: 'servicesAfter',
			title: 'After the reboot: PMG 9 is running',
			phase: 'after',
			source: 'Reboot',
			why: 'After the reboot pmgversion must report PMG 9 and the new kernel.',
			probe: 'pmgversion',
			probeShows: ['pmgversion -v'],
			guard: 'upgradedTo9',
			findings: c => [
				isAtLeast(c.facts.pmgApi, '9.0')
					? {level: 'PASS', text: `pmg-api ${c.facts.pmgApi}, running kernel ${c.facts.runningKernel ?? 'unknown'}`}
					: {level: 'FAIL', text: `pmg-api ${c.facts.pmgApi ?? 'unknown'}: not PMG 9`},
			],
			remedy: () => ['PMG 9 is not running. Check apt\'s output in the transcript and the journal.'],
		}),

		servicesAfter: step<PmgContext>({
			id: 'servicesAfter',
			next: 'journal',
			title: 'After the reboot: the mail services and PostgreSQL 17 run',
			phase: 'after',
			source: 'Reboot',
			why: 'A mail gateway whose postfix is down is not upgraded. postfix and every PMG service the wizard stopped must run again and be enabled, and the PostgreSQL 17 cluster must be online. A disabled unit logs no error: the journal alone does not show it.',
			probe: 'afterReboot',
			probeShows: ['systemctl is-active …', 'systemctl is-enabled …', 'pg_lsclusters'],
			guard: 'mailServicesRunning',
			findings: c => {
				const a = c.facts.afterReboot;
				if (!a) return [];
				const down = new Set(notRunning(a).map(d => d.unit));
				return [
					...mailUnits(a).map(unit => {
						const s = a.units[unit] ?? {active: 'unknown', enabled: 'unknown'};
						return {level: down.has(unit) ? 'FAIL' : 'PASS', text: `${unit}: ${s.active}${unit === POSTFIX_INSTANCE ? '' : `, ${s.enabled}`}`} as Finding;
					}),
					a.postgres17?.startsWith('online')
						? {level: 'PASS', text: `PostgreSQL 17/main: ${a.postgres17}`}
						: {level: 'FAIL', text: `PostgreSQL 17/main: ${a.postgres17 ?? 'no such cluster'}`},
				];
			},
			remedy: c => {
				const a = c.facts.afterReboot;
				const down = a ? notRunning(a) : [];
				const pgDown = !a?.postgres17?.startsWith('online');
				return [
					...down.map(d =>
						d.unit === POSTFIX_INSTANCE
							? `postfix@-: systemctl restart postfix; log: ${logOf(d.unit, a)}`
							: `${d.unit}: systemctl ${STARTS_AT_BOOT.has(d.enabled) ? 'start' : d.enabled === 'masked' ? 'unmask' : 'enable --now'} ${d.unit}${d.enabled === 'masked' ? ` && systemctl start ${d.unit}` : ''}; log: ${logOf(d.unit, a)}`,
					),
					...(pgDown ? ['PostgreSQL 17: pg_ctlcluster 17 main start; log: /var/log/postgresql/postgresql-17-main.log'] : []),
					'f enables and starts the units above; read the log first if one fails',
					`again. Press r to check again, or o and type "${GO_ON_WORD}" to finish anyway.`,
				];
			},
			fix: c => {
				const a = c.facts.afterReboot;
				const down = a ? notRunning(a).map(d => (d.unit === POSTFIX_INSTANCE ? 'postfix' : d.unit)) : [];
				const units = [...new Set(down)];
				const masked = units.filter(u => a?.units[u]?.enabled === 'masked');
				return [
					...(masked.length > 0 ? [cmd('systemctl', 'unmask', ...masked)] : []),
					...(units.length > 0 ? [cmd('systemctl', 'enable', ...units), cmd('systemctl', 'start', ...units)] : []),
					...(a?.postgres17?.startsWith('online') ? [] : [cmd('pg_ctlcluster', '17', 'main', 'start')]),
				];
			},
			override: {word: GO_ON_WORD, what: 'finish although a mail service or PostgreSQL 17 does not run'},
		}),

		journal: step<PmgContext>({
			id: 'journal',
			next: 'browserCache',
			title: 'Check the journal',
			phase: 'after',
			source: 'Reboot',
			why: 'Errors logged since the boot show a service that did not come back.',
			commands: () => [cmd('journalctl', '-b', '-p', 'err', '--no-pager')],
			skippable: true,
		}),

		browserCache: infoStep<PmgContext>({
			id: 'browserCache',
			next: 'clusterServices',
			title: 'Empty the browser cache',
			phase: 'after',
			source: 'After the Proxmox Mail Gateway upgrade',
			why: 'The web interface changed: an old cached version misbehaves.',
			lines: () => [
				'Empty the browser cache or force-reload the web interface:',
				'Ctrl+Shift+R (macOS: Cmd+Alt+R).',
			],
		}),

		clusterServices: clusterServicesStep('purgePostgres'),

		purgePostgres: step<PmgContext>({
			id: 'purgePostgres',
			next: 'modernizeSources',
			title: 'Remove PostgreSQL 15',
			phase: 'after',
			source: 'Remove old PostreSQL Version',
			why: 'Once all works as expected, the old PostgreSQL version and its data can go. Only then: this removes the 15/main data for good.',
			initial: 'confirm',
			commands: () => [interactive('apt', 'purge', 'postgresql-15', 'postgresql-client-15')],
			skippable: true,
			extraStates: {
				confirm: {
					meta: {
						view: 'confirm',
						confirm: {
							word: 'works',
							prompt: () =>
								'Check mail flow, the quarantine and the web interface first. Type "works" when all works as expected (or Tab to skip it and purge later).',
						},
					},
					on: {
						'operator.confirm': {guard: {type: 'typedWord', params: {word: 'works'}}, target: 'review', actions: [{type: 'recordConfirmation', params: {key: 'purge.works'}}]},
						'operator.skip': {target: '#wizard.modernizeSources', actions: [{type: 'recordStatus', params: {step: 'purgePostgres', status: 'skipped', reasonFrom: 'event'}}]},
					},
				},
			},
		}),

		modernizeSources: step<PmgContext>({
			id: 'modernizeSources',
			next: 'checklistAfter',
			title: 'Optional: modernize the apt sources',
			phase: 'after',
			source: 'Optional: Modernize apt Repository Sources',
			why: 'apt modernize-sources moves the remaining .list files to deb822 .sources files and renames each to .list.bak, replacing a file of that name. Answer n first to see the changes, then run it again and answer Y.',
			commands: () => [interactive('apt', 'modernize-sources')],
			skippable: true,
			initial: 'probing',
			reviewFindings: true,
			probeShows: ['read /etc/apt/sources.list and /etc/apt/sources.list.d/*'],
			findings: modernizeFindings,
			remedy: () => [
				'The .list files are still there: apt did not rewrite them (answered n, or it',
				'failed). f runs apt modernize-sources again (answer Y this time); s skips it,',
				'the .list files keep working.',
			],
			// Passed only when the sources are modernized: answering n (the preview) leaves them as they were.
			afterCommands: 'checking',
			fix: () => [interactive('apt', 'modernize-sources')],
			extraStates: {
				probing: {
					meta: {view: 'checking'},
					invoke: {
						id: 'probe.modernizePlan',
						src: 'probe',
						input: () => ({probe: 'modernizePlan'}),
						onDone: {target: 'review', actions: 'assignFacts'},
						onError: {target: 'review', actions: 'recordError'},
					},
				},
				checking: {
					meta: {view: 'checking'},
					invoke: {
						id: 'probe.modernizeSources',
						src: 'probe',
						input: () => ({probe: 'modernizePlan'}),
						onDone: {target: 'evaluate', actions: 'assignFacts'},
						onError: {target: 'blocked', actions: 'recordError'},
					},
				},
				evaluate: {
					always: [
						{guard: 'sourcesModernized', target: 'passed', actions: [{type: 'recordStatus', params: {step: 'modernizeSources', status: 'passed'}}]},
						{target: 'blocked', actions: [{type: 'recordStatus', params: {step: 'modernizeSources', status: 'failed'}}]},
					],
				},
				passed: {meta: {view: 'passed'}, on: {'operator.continue': '#wizard.checklistAfter'}},
				blocked: {
					meta: {view: 'blocked'},
					on: {
						'operator.recheck': 'checking',
						'operator.fix': {target: 'running', actions: 'nextRun'},
						'operator.skip': {target: '#wizard.checklistAfter', actions: [{type: 'recordStatus', params: {step: 'modernizeSources', status: 'skipped', reasonFrom: 'event'}}]},
					},
				},
			},
		}),

		checklistAfter: step<PmgContext>({
			id: 'checklistAfter',
			next: 'knownIssues',
			title: 'Run pmg8to9 again',
			phase: 'after',
			source: 'Continuously use the pmg8to9 checklist script',
			why: 'pmg8to9 changes its output with the state of the upgrade: after it, it says which packages to remove or add.',
			probe: 'checklist',
			probeShows: ['pmg8to9'],
			guard: 'checklistClean',
			findings: checklistFindings,
			remedy: () => ['Fix each FAIL above and press r, or press o and type "proceed".'],
			override: {word: CHECKLIST_WORD, what: 'finish although pmg8to9 reports FAIL'},
		}),

		knownIssues: infoStep<PmgContext>({
			id: 'knownIssues',
			next: 'finished',
			title: 'Known issues after the upgrade',
			phase: 'after',
			source: 'Potential Issues',
			why: 'Problems the vendor lists for PMG 9 on trixie.',
			lines: () => [
				'- tzdata-legacy: if PostgreSQL does not start because of a legacy',
				'  timezone you set by hand, install tzdata-legacy.',
				'- avast: no trixie release yet; if you use it, its scanner is missing.',
				'- Network interface names may change with the new kernel: the package',
				'  proxmox-network-interface-pinning pins them to NIC-based names.',
				'- The mobile quarantine uses new HTTP paths: adapt a reverse proxy in',
				'  front of the quarantine (see the vendor\'s nginx proxy page).',
			],
		}),

		finished: {
			type: 'final',
			meta: {
				step: true,
				view: 'finished',
				title: 'Upgrade finished',
				phase: 'after',
				why: 'Proxmox Mail Gateway 9 runs on Debian trixie with PostgreSQL 17.',
				// Finished over the operator's "go on": what did not run, not a PASS.
				findings: (c: PmgContext) => {
					if (c.confirmations['override.servicesAfter'] === undefined || !c.facts.afterReboot) return [];
					const a = c.facts.afterReboot;
					return [
						...notRunning(a).map(d => ({level: 'FAIL' as const, text: `${d.unit} did not run (${d.active}, ${d.enabled}): ${logOf(d.unit, a)}`})),
						...(a.postgres17?.startsWith('online') ? [] : [{level: 'FAIL' as const, text: `PostgreSQL 17/main: ${a.postgres17 ?? 'no such cluster'}`}]),
					];
				},
			},
		},
	},
}),
);

export type PmgUpgradeMachine = ReturnType<typeof pmgUpgradeMachine>;
