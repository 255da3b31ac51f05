/**
 * Sophos PureMessage 5.6.1 -> 6, single server and multi-server, following
 * the vendor's "Upgrading" text (seeds/002): roles in the required order,
 * the same migration choices on every server, no hostname or address change
 * during the upgrade. A deployment of N servers is data (the inventory in
 * context); the states are the phases, and the server a step acts on is
 * chosen from the plan computed from the inventory.
 *
 * The document names only root, pmx-setup, `pmx start|stop|status`,
 * /opt/pmx (5.6.1) and /opt/pmx6 (6). Where it gives no command (the disk
 * size check, the migration script) the wizard shows the step and asks the
 * operator to confirm; it never makes a command up.
 * Pure: probes and commands are actors the runtime provides.
 */
import {assign, setup} from 'xstate';
import {shellQuote, sshArgv, type SshTarget as SshTargetSpec} from '../source/shared/shell.ts';
import {ROLES, type Access, type Deployment, type DeploymentProblem, type Role, type Server} from '../source/probes/pm-deployment.ts';
import {parseSize} from '../source/shared/size.ts';
import {common, confirmScreen, freshContext, infoStep, once, runtimeActors, phases, sessionStep, step, type Finding, type SessionFacts, type OperatorEvent, type StepCommand, type WizardContext} from './kit.ts';

/** Where 6 installs; 5.6.1 stays in /opt/pmx beside it during the upgrade. */
export const PMX6_DIR = '/opt/pmx6';
export const PMX_DIR = '/opt/pmx';
/** The file system whose free space the migration needs: the one holding /opt. */
export const DISK_PATH = '/opt';

/** The migration choices, made once for the whole deployment. */
export const MIGRATION_OPTIONS = [
	{value: 'none', label: 'No migration of 5.6.1 data'},
	{value: 'database-quarantine', label: 'Database & Quarantine'},
	{value: 'database-quarantine-logs-reports', label: 'Database & Quarantine, then logs and reports'},
] as const;
export type MigrationChoice = (typeof MIGRATION_OPTIONS)[number]['value'];

export type PlanGroup = 'database' | 'filter' | 'web';
/** One entry of the plan: upgrade a server, or start PureMessage on the CSM server. */
export type PlanItem = {id: string; kind: 'upgrade' | 'start'; server: string; group: PlanGroup};
export type ItemState = 'pending' | 'upgraded' | 'done';

/**
 * The order the document requires: the Database Server (and the CSM, on the
 * same or the next server) first, then starting PureMessage on the CSM
 * server, then each Mail Transfer Agent / Mail Filter server, then each
 * End User Web Interface server. The document does not place a server that
 * only runs the Groups Web Interface; it goes with the web interfaces, last.
 */
export function computePlan(servers: Server[]): PlanItem[] {
	const plan: PlanItem[] = [];
	const placed = new Set<string>();
	const add = (server: Server, group: PlanGroup) => {
		if (placed.has(server.name)) return;
		placed.add(server.name);
		plan.push({id: `upgrade:${server.name}`, kind: 'upgrade', server: server.name, group});
	};
	const database = servers.find(s => s.roles.includes('database'));
	const csm = servers.find(s => s.roles.includes('csm'));
	if (database) add(database, 'database');
	if (csm) add(csm, 'database');
	if (csm) plan.push({id: `start:${csm.name}`, kind: 'start', server: csm.name, group: 'database'});
	for (const s of servers) if (s.roles.includes('mta') || s.roles.includes('filter')) add(s, 'filter');
	for (const s of servers) add(s, 'web');
	return plan;
}

/** A server as the runtime needs it to reach it: carried by each command. */
export type ServerTarget = {name: string; hostname: string; access: Access; ssh: SshTargetSpec | null};

export type PmIdentity = {hostname: string; addresses: string[]};

export type PmFacts = {
	/** Over SSH, inside tmux or screen (the first step). */
	session?: SessionFacts;
	deployment?: Deployment | null;
	deploymentFile?: string;
	deploymentProblems?: DeploymentProblem[];
	/** As the preconditions found them, for every server the wizard reaches. */
	identities?: Record<string, {uid: number; user: string; hostname: string; addresses: string[]}>;
	/** The current server now, read before its upgrade and before its migration. */
	identityNow?: {server: string} & PmIdentity;
	disk?: {server: string; availableBytes: number};
	/**
	 * A simulated deployment only: what PureMessage's size check reports on
	 * each server (the scenario plays it), shown to the trainee on the screen
	 * that asks for it. A real server has none: the admin runs the check.
	 */
	sizeCheck?: Record<string, string>;
	installed?: {server: string; pmx6: boolean; pmx: boolean};
};

export type PmContext = WizardContext<PmFacts> & {
	plan: PlanItem[];
	progress: Record<string, ItemState>;
	/** The plan item being worked on. */
	current: string | null;
	/** Hostname and addresses of every server at the start: they must not change. */
	recorded: Record<string, PmIdentity>;
	/** Servers whose disk figure was checked. */
	diskPassed: string[];
	/** The plan item last asked for out of order, for the refusal screen. */
	refused: string | null;
};
export type PmInput = {startedAt: number};
export type PmProbe = 'session' | 'inventory' | 'preconditions' | 'identity' | 'disk' | 'installed';

const WORDS = {root: 'root', unchanged: 'unchanged', sent: 'sent', upgraded: 'upgraded', migrated: 'migrated', started: 'started', enough: 'enough', mailFlows: 'mail flows'};

export const IDENTITY_WARNING = [
	'You must not change the hostname or IP address of any of the servers during',
	'the upgrade/migration: it results in failures and may leave the system in an',
	'unrecoverable state. Put back the hostname and addresses recorded at the',
	'start, then press r. If you are unsure how to proceed, contact Sophos',
	'Technical Support.',
];

/** What a failed command of this path says: the document's own advice. */
export const FAILURE_ADVICE = [
	'Stop here: do not guess and do not run the step again blindly. If any of the',
	`upgrade steps fail and you are unsure how to proceed, contact Sophos`,
	'Technical Support. The wizard keeps its place (q leaves; r tries again once',
	'you know the cause). The full output is in the transcript.',
];

// --- reading the context --------------------------------------------------------

export const serversOf = (c: PmContext): Server[] => c.facts.deployment?.servers ?? [];
export const serverNamed = (c: PmContext, name: string | undefined | null): Server | undefined => serversOf(c).find(s => s.name === name);
export const itemOf = (c: PmContext, id: string | null | undefined) => c.plan.find(i => i.id === id);
export const currentItem = (c: PmContext) => itemOf(c, c.current);
export const currentServer = (c: PmContext) => serverNamed(c, currentItem(c)?.server ?? diskServerName(c));
export const nextItem = (c: PmContext) => c.plan.find(i => (c.progress[i.id] ?? 'pending') !== 'done');
const diskServerName = (c: PmContext) => serversOf(c).find(s => !c.diskPassed.includes(s.name))?.name;
const migrationLabel = (value: string | undefined) => MIGRATION_OPTIONS.find(o => o.value === value)?.label ?? 'not chosen';
export const roleList = (s: Server) => s.roles.map(r => (r === 'csm' ? 'CSM' : ROLES[r as Role])).join(', ');
const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

export const targetOf = (s: Server): ServerTarget => ({name: s.name, hostname: s.hostname, access: s.access, ssh: s.ssh});

/** Where a command runs, in words, with the exact ssh command for a server reached over SSH. */
export function whereNote(s: Server, argv: string[], interactive = false): string {
	if (s.access === 'local') return `runs on ${s.name}, this machine`;
	if (s.access === 'ssh' && s.ssh) return `runs on ${s.name} as: ${sshArgv(s.ssh, argv, {tty: interactive}).map(shellQuote).join(' ')}`;
	return `run by you on ${s.name}'s console`;
}

const onServer = (s: Server, argv: string[], interactive = false): StepCommand => ({
	argv,
	server: targetOf(s),
	note: whereNote(s, argv, interactive),
	...(interactive ? {interactive: true, bulk: true} : {}),
});

export const setupCommand = (s: Server) => onServer(s, ['pmx-setup'], true);
export const startCommands = (s: Server) => [onServer(s, ['pmx', 'start']), onServer(s, ['pmx', 'status'])];

const sameIdentity = (a: PmIdentity | undefined, b: PmIdentity | undefined) =>
	Boolean(a && b) && a!.hostname.toLowerCase() === b!.hostname.toLowerCase() && [...a!.addresses].sort().join(' ') === [...b!.addresses].sort().join(' ');

// --- guards ---------------------------------------------------------------------

type Args = {context: PmContext; event?: {type: string; value?: string; text?: string}};

export const pmGuards = {
	deploymentValid: ({context}: Args) => Boolean(context.facts.deployment) && (context.facts.deploymentProblems ?? []).length === 0,
	/** Every server the wizard reaches answers as root (those reached by hand are confirmed by the operator). */
	rootEverywhere: ({context}: Args) =>
		serversOf(context).length > 0 &&
		serversOf(context).every(s => s.access === 'manual' || context.facts.identities?.[s.name]?.uid === 0),
	anyManual: ({context}: Args) => serversOf(context).some(s => s.access === 'manual'),
	allDiskChecked: ({context}: Args) => serversOf(context).every(s => context.diskPassed.includes(s.name)),
	/** The free space on the server holds the figure the product's own size check gave. */
	diskEnough: ({context}: Args) => {
		const server = currentServer(context);
		const need = parseSize(context.choices[`disk.${server?.name}`] ?? '');
		const disk = context.facts.disk;
		return Boolean(server && disk && disk.server === server.name && need !== null && disk.availableBytes >= need);
	},
	currentManual: ({context}: Args) => currentServer(context)?.access === 'manual',
	/** The hostname and addresses of the current server are those recorded at the start. */
	identityUnchanged: ({context}: Args) => {
		const server = currentServer(context);
		const now = context.facts.identityNow;
		return Boolean(server && now && now.server === server.name && sameIdentity(now, context.recorded[server.name]));
	},
	pmx6Installed: ({context}: Args) => {
		const server = currentServer(context);
		return Boolean(server && context.facts.installed?.server === server.name && context.facts.installed.pmx6);
	},
	migrating: ({context}: Args) => Boolean(context.choices.migration) && context.choices.migration !== 'none',
	/** After the first Mail Transfer Agent / Mail Filter server, the operator tested mail flow before the next server. */
	firstFilterVerified: ({context}: Args) =>
		!context.plan.some(i => i.group === 'filter' && context.progress[i.id] === 'done') || context.confirmations['filter.verified'] === WORDS.mailFlows,
	allDone: ({context}: Args) => context.plan.length > 0 && context.plan.every(i => context.progress[i.id] === 'done'),
	currentIsStart: ({context}: Args) => currentItem(context)?.kind === 'start',
	currentHasDatabase: ({context}: Args) => Boolean(currentServer(context)?.roles.includes('database')),
	/** The server just finished is the first filter server: mail flow is tested before the next. */
	firstFilterJustDone: ({context}: Args) =>
		currentItem(context)?.group === 'filter' &&
		!context.plan.some(i => i.group === 'filter' && i.id !== context.current && context.progress[i.id] === 'done'),
};

/** The item chosen on the plan screen is the next one in order (and the first filter was verified). */
export const inOrder = ({context, event}: Args) => event?.value === nextItem(context)?.id && pmGuards.firstFilterVerified({context});
/** A server's migration uses exactly the deployment's choice. */
export const sameMigrationChoices = ({context, event}: Args) => Boolean(event?.value) && event?.value === context.choices.migration;
export const validFigure = ({event}: Args) => {
	const bytes = parseSize((event?.value ?? '').replace(/i?B$/i, ''));
	return bytes !== null && bytes > 0;
};

// --- screens' text ---------------------------------------------------------------

const STATE_WORD: Record<ItemState, string> = {pending: 'to do', upgraded: 'upgraded', done: 'done'};

/** The whole plan, one line per item, with its state. */
export function planLines(c: PmContext): string[] {
	const next = nextItem(c);
	const how: Record<Access, string> = {local: 'here', ssh: 'ssh', manual: 'by hand'};
	return c.plan.map((item, index) => {
		const s = serverNamed(c, item.server);
		const state = item.id === next?.id ? 'next' : STATE_WORD[c.progress[item.id] ?? 'pending'];
		const what = item.kind === 'start' ? `start PureMessage on ${item.server} (CSM)` : `${item.server} (${s ? how[s.access] : ''}): ${s ? roleList(s) : ''}`;
		const text = ` ${String(index + 1).padStart(2)}. [${state.padEnd(8)}] ${what}`;
		return text.length > 77 ? `${text.slice(0, 76)}~` : text;
	});
}

const itemLabel = (c: PmContext, item: PlanItem) =>
	item.kind === 'start' ? `Start PureMessage on the CSM server ${item.server}` : `Upgrade ${item.server} (${serverNamed(c, item.server)?.hostname ?? ''})`;

/** Why an item cannot start now, in the document's words. */
export function refusalLines(c: PmContext): string[] {
	const asked = itemOf(c, c.refused);
	const next = nextItem(c);
	if (!asked) return [];
	if (c.progress[asked.id] === 'done') return [`REFUSED: ${itemLabel(c, asked)} is done already.`];
	const lines = [`REFUSED: ${itemLabel(c, asked)} is out of order.`, `Next in the required order: ${next ? itemLabel(c, next) : 'nothing'}.`, ''];
	lines.push(
		'The document: upgrade the roles in the correct order: the Database Server',
		'and CSM roles, then start PureMessage on the CSM server, then the Mail',
		'Transfer Agent and Mail Filter servers one at a time, then the End User',
		'Web Interface servers one at a time.',
	);
	if (!pmGuards.firstFilterVerified({context: c})) lines.push('', 'Test mail flow through the first upgraded filter server first.');
	return lines;
}

export const NOTICE_TEXT = [
	'Subject: Mail filtering upgrade: web interface logins stop for a while',
	'',
	'We are upgrading our Sophos PureMessage mail filtering to version 6.',
	'From the start of the database server\'s upgrade until every server is',
	'upgraded, the End User Web Interface (your quarantine) and the Groups Web',
	'Interface will not let you log in. Mail is still sent and received',
	'throughout. We will tell you when logins work again.',
];

const FILTER_TESTS = [
	'Test the first upgraded Mail Transfer Agent / Mail Filter server before the',
	'next one (the document highly recommends it):',
	'- send a message from outside to a local mailbox through this server and',
	'  check that it is delivered;',
	'- send a test message that your policy quarantines and check it arrives in',
	'  the quarantine;',
	'- check that this server\'s logs show messages filtered, and no new errors',
	'  once it talks to the upgraded database again.',
];

const DATABASE_EXPECTATIONS = [
	'While the database server is upgraded, expect this; it is not a fault:',
	'- Mail Filter servers cannot read or write the database and log errors;',
	'  this does not affect mail flow.',
	'- Groups Web Interface servers refuse administrators\' logins.',
	'- End User Web Interface servers refuse users\' logins.',
	'The other servers reach the database again only once each is upgraded',
	'(and migrated, if chosen) to version 6.',
];

const phaseList = phases(['prepare', 'Preparation'], ['servers', 'Servers, in order'], ['after', 'Done']);

const serverTitle = (prefix: string) => (c: PmContext) => {
	const s = currentServer(c);
	return s ? `${prefix}: ${s.name}` : prefix;
};

// --- actions ---------------------------------------------------------------------

const pmActions = {
	computePlan: assign(({context}: {context: PmContext}) => {
		const plan = computePlan(serversOf(context));
		return {plan, progress: Object.fromEntries(plan.map(i => [i.id, context.progress[i.id] ?? 'pending']))};
	}),
	recordIdentities: assign(({context}: {context: PmContext}) => ({
		recorded: Object.fromEntries(
			serversOf(context).map(s => {
				const found = context.facts.identities?.[s.name];
				return [s.name, s.access === 'manual' || !found ? {hostname: s.hostname, addresses: s.addresses} : {hostname: found.hostname, addresses: found.addresses}];
			}),
		),
	})),
	setCurrent: assign(({event}: {event: {type: string; value?: string}}) => ({current: event.value ?? null})),
	recordRefusal: assign(({event}: {event: {type: string; value?: string}}) => ({refused: event.value ?? null})),
	recordDiskFigure: assign(({context, event}: {context: PmContext; event: {type: string; value?: string}}) => ({
		choices: {...context.choices, [`disk.${diskServerName(context)}`]: (event.value ?? '').trim()},
	})),
	markDiskPassed: assign(({context}: {context: PmContext}) => ({diskPassed: [...context.diskPassed, diskServerName(context)!]})),
	markUpgraded: assign(({context}: {context: PmContext}) => ({progress: {...context.progress, [context.current!]: 'upgraded' as ItemState}})),
	markDone: assign(({context}: {context: PmContext}) => ({progress: {...context.progress, [context.current!]: 'done' as ItemState}, current: null})),
	recordServerMigration: assign(({context, event}: {context: PmContext; event: {type: string; value?: string}}) => ({
		choices: {...context.choices, [`migration.${currentServer(context)?.name}`]: event.value ?? ''},
	})),
};

const recordStatus = (stepId: string, status: 'passed' | 'failed') => ({type: 'recordStatus', params: {step: stepId, status}});

export const pmUpgradeMachine = once(() =>
	setup({
	types: {
		context: {} as PmContext,
		events: {} as OperatorEvent,
		input: {} as PmInput,
	},
	guards: {...common.guards, ...pmGuards, inOrder, sameMigrationChoices, validFigure} as never,
	actions: {...common.actions, ...pmActions} as never,
	actors: runtimeActors<PmFacts, PmProbe, PmContext>(),
}).createMachine({
	id: 'wizard',
	context: ({input}) => ({
		...freshContext<PmFacts>(input.startedAt),
		plan: [],
		progress: {},
		current: null,
		recorded: {},
		diskPassed: [],
		refused: null,
	}),
	meta: {product: 'puremessage', title: 'PureMessage 5.6.1 -> 6', phases: phaseList, version: 1},
	initial: 'session',
	states: {
		session: sessionStep<PmContext>({
			id: 'session',
			next: 'inventory',
			phase: 'prepare',
			why: 'pmx-setup runs on the terminal and asks its questions there, here or through ssh -t. A dropped SSH connection kills a command that has the terminal: run the wizard inside tmux or screen, or from a console.',
			fallbackRelaunch: 'tmux new-session -A -s upgrade-wizard -- upgrade-wizard puremessage',
		}),
		inventory: step<PmContext>({
			id: 'inventory',
			next: 'preconditions',
			title: 'Inventory: the servers and their roles',
			phase: 'prepare',
			source: 'Upgrading > multiple servers',
			why: 'In a multi-server deployment the roles must be upgraded in the document\'s order, and the same servers keep the same roles (a change of roles means a fresh install). The wizard reads the servers and their roles once from the deployment file and keeps them with its saved place.',
			probe: 'inventory',
			probeShows: ['read the deployment file'],
			guard: 'deploymentValid',
			findings: c => {
				const problems = c.facts.deploymentProblems ?? [];
				if (problems.length > 0) return problems.map(p => ({level: 'FAIL', text: `${c.facts.deploymentFile ?? 'deployment file'}:${p.line}: ${p.field ? `${p.field}: ` : ''}${p.message}`}));
				const servers = serversOf(c);
				const order = computePlan(servers).filter(i => i.kind === 'upgrade').map(i => i.server);
				return [
					{level: 'PASS', text: `${servers.length === 1 ? 'single server' : `${servers.length} servers`} in ${c.facts.deploymentFile ?? 'the deployment file'}`},
					...servers.map(s => ({level: 'INFO' as const, text: `${s.name} (${s.hostname}, ${s.access === 'manual' ? 'by hand' : s.access}): ${roleList(s)}`})),
					{level: 'INFO', text: `order: ${order.join(', ')}`},
				];
			},
			remedy: c => [
				`Fix the line named above in ${c.facts.deploymentFile ?? 'the deployment file'}, then press r.`,
				'The format is in the README (section PureMessage).',
			],
			extraStates: {
				evaluate: {
					always: [
						{guard: 'deploymentValid', target: 'passed', actions: [recordStatus('inventory', 'passed'), 'computePlan']},
						{target: 'blocked', actions: [recordStatus('inventory', 'failed')]},
					],
				},
			},
		}),

		preconditions: step<PmContext>({
			id: 'preconditions',
			next: 'diskSpace',
			title: 'As root on every server; hostnames and addresses recorded',
			phase: 'prepare',
			source: 'Upgrading > Important',
			why: 'You must perform this upgrade as the root user, on each server. The hostname and IP addresses of every server are recorded now: they must not change until the upgrade and migration are finished.',
			probe: 'preconditions',
			probeShows: ['id -u; hostname; ip -o addr show (on each server the wizard reaches)'],
			guard: 'rootEverywhere',
			afterPassed: 'manualDecide',
			findings: c =>
				serversOf(c).map((s): Finding => {
					if (s.access === 'manual') return {level: 'INFO', text: `${s.name}: by hand; recorded from the deployment file: ${s.hostname} ${s.addresses.join(' ')}`};
					const id = c.facts.identities?.[s.name];
					if (!id) return {level: 'FAIL', text: `${s.name}: not reached`};
					return id.uid === 0
						? {level: 'PASS', text: `${s.name}: root on ${id.hostname} ${id.addresses.join(' ')}`}
						: {level: 'FAIL', text: `${s.name}: runs as ${id.user} (uid ${id.uid}), not root`};
				}),
			remedy: () => ['Log in as root on each server named FAIL (su - or a root console), or', 'let SSH log in as root, then press r.'],
			extraStates: {
				manualDecide: {always: [{guard: 'anyManual', target: 'manualRoot'}, {target: 'record'}]},
				manualRoot: confirmScreen<PmContext>({
					word: WORDS.root,
					key: 'manual.root',
					step: 'preconditions',
					target: 'record',
					prompt: c =>
						`On the console of each server reached by hand (${serversOf(c).filter(s => s.access === 'manual').map(s => s.name).join(', ')}), log in as root: the upgrade runs as root on each server. Type "${WORDS.root}" when you are.`,
				}),
				record: {always: {target: '#wizard.diskSpace', actions: 'recordIdentities'}},
			},
		}),

		diskSpace: {
			meta: {
				step: true,
				title: 'Disk space for the migration',
				titleFor: serverTitle('Disk space for the migration'),
				phase: 'prepare',
				source: 'Upgrading > Important (disk space)',
				why: 'Migrating 5.6.1 data (quarantine, logs, reports) needs enough disk space on each server. The document recommends a size check, run as root on each server, but does not print it: use the one in the product\'s documentation.',
				findings: (c: PmContext) => {
					const s = currentServer(c);
					const need = parseSize(c.choices[`disk.${s?.name}`] ?? '');
					const d = c.facts.disk;
					if (!s || !d || need === null) return [];
					return [{level: d.availableBytes >= need ? 'PASS' : 'FAIL', text: `${s.name}: ${gib(d.availableBytes)} free for ${DISK_PATH}; the size check needs ${gib(need)} (${c.choices[`disk.${s.name}`]})`}];
				},
				remedy: (c: PmContext) => [
					`Free space on the file system that holds ${DISK_PATH} on ${currentServer(c)?.name ?? 'the server'},`,
					'or grow it, then press r and type the figure again. Old 5.6.1 logs',
					'and reports you have archived elsewhere are candidates; do not',
					'remove /opt/pmx.',
				],
				probeShows: [`statfs ${DISK_PATH}`],
			},
			initial: 'next',
			states: {
				next: {always: [{guard: 'allDiskChecked', target: '#wizard.notice'}, {target: 'ask'}]},
				ask: {
					meta: {
						view: 'input',
						input: {
							example: '12G',
							prompt: (c: PmContext) => {
								const s = currentServer(c);
								return `On ${s?.name} (${s?.hostname}), as root, run the disk-space check that PureMessage's documentation gives for the upgrade and migration. Type the space it says is required (e.g. 12G or 3500M) and press Enter.`;
							},
						},
						lines: (c: PmContext) => {
							const s = currentServer(c);
							const figure = s ? c.facts.sizeCheck?.[s.name] : undefined;
							if (!s || !c.facts.sizeCheck) return [];
							return figure
								? [`Simulated: the size check on ${s.name} reports ${figure} required.`]
								: [`Simulated: the scenario gives no size-check figure for ${s.name}.`];
						},
					},
					on: {
						'operator.input': [
							{guard: 'validFigure', target: 'decide', actions: 'recordDiskFigure'},
							{target: 'badFigure'},
						],
					},
				},
				badFigure: {
					meta: {view: 'info', lines: () => ['That is not a size. Write a number with K, M, G or T (binary units),', 'e.g. 12G or 3500M.']},
					on: {'operator.continue': 'ask'},
				},
				decide: {always: [{guard: 'currentManual', target: 'manualFree'}, {target: 'checking'}]},
				checking: {
					meta: {view: 'checking'},
					invoke: {
						id: 'probe.disk',
						src: 'probe',
						input: ({context}: {context: PmContext}) => ({probe: 'disk', context}),
						onDone: {target: 'evaluate', actions: 'assignFacts'},
						onError: {target: 'probeFailed', actions: 'recordError'},
					},
				},
				evaluate: {
					always: [
						{guard: 'diskEnough', target: 'passed'},
						{target: 'blocked', actions: [recordStatus('diskSpace', 'failed')]},
					],
				},
				passed: {meta: {view: 'passed'}, on: {'operator.continue': {target: 'next', actions: 'markDiskPassed'}}},
				// r asks for the figure again: a mistyped one (120G for 12G) must not hold the server back for good.
				blocked: {meta: {view: 'blocked'}, on: {'operator.recheck': 'ask'}},
				probeFailed: {meta: {view: 'failed'}, on: {'operator.retry': 'checking'}},
				manualFree: {
					meta: {
						view: 'confirm',
						confirm: {
							word: WORDS.enough,
							prompt: (c: PmContext) =>
								`On ${currentServer(c)?.name}'s console, compare the free space of the file system that holds ${DISK_PATH} with ${c.choices[`disk.${currentServer(c)?.name}`]}. Type "${WORDS.enough}" when at least that much is free.`,
						},
					},
					on: {
						'operator.confirm': {
							guard: {type: 'typedWord', params: {word: WORDS.enough}},
							target: 'next',
							actions: ['markDiskPassed', {type: 'recordConfirmation', params: {key: 'manual.disk'}}],
						},
					},
				},
			},
		} as never,

		notice: {
			meta: {
				step: true,
				title: 'Tell web interface users in advance',
				phase: 'prepare',
				source: 'Upgrading > multi-server (note on the Database server role)',
				why: 'Once the database server\'s upgrade begins, the Groups Web Interface stops admitting administrators and the End User Web Interface stops admitting users, until the whole upgrade is complete. Advise them in advance. Here is a notice to send:',
			},
			initial: 'info',
			states: {
				info: {meta: {view: 'info', lines: () => NOTICE_TEXT}, on: {'operator.continue': 'sent'}},
				sent: confirmScreen<PmContext>({
					word: WORDS.sent,
					key: 'notice.sent',
					step: 'notice',
					target: '#wizard.migration',
					prompt: () => `Send the notice to the Groups Web Interface administrators and the End User Web Interface users. Type "${WORDS.sent}" when they have it.`,
				}),
			},
		} as never,

		migration: {
			meta: {
				step: true,
				title: 'Migration options, once for the deployment',
				phase: 'prepare',
				source: 'Upgrading > Important (same migration options)',
				why: 'If you import 5.6.1 data with the migration script, every server must use the same migration options: "Database & Quarantine" on the database server means "Database & Quarantine" on every server.',
			},
			initial: 'choose',
			states: {
				choose: {
					meta: {
						view: 'choose',
						lines: () => ['Choose once; every server is held to it.'],
						options: () => MIGRATION_OPTIONS.map(o => ({value: o.value, label: o.label})),
					},
					on: {
						'operator.choose': {
							target: '#wizard.plan',
							actions: [{type: 'recordChoice', params: {key: 'migration'}}, recordStatus('migration', 'passed')],
						},
					},
				},
			},
		} as never,

		plan: {
			meta: {
				step: true,
				title: 'The plan: servers in the required order',
				phase: 'servers',
				source: 'Upgrading > To upgrade a multi-server deployment',
				why: 'One server at a time, in the order the document requires.',
			},
			initial: 'decide',
			states: {
				decide: {always: [{guard: 'allDone', target: '#wizard.finished'}, {target: 'pick'}]},
				pick: {
					meta: {
						view: 'choose',
						lines: (c: PmContext) => [...planLines(c), `Migration: ${migrationLabel(c.choices.migration)}`],
						options: (c: PmContext) => {
							const next = nextItem(c);
							const rest = c.plan.filter(i => i.id !== next?.id && c.progress[i.id] !== 'done');
							return [
								...(next ? [{value: next.id, label: `Next: ${itemLabel(c, next)}`}] : []),
								...rest.map(i => ({value: i.id, label: `${itemLabel(c, i)} (out of order)`})),
							];
						},
					},
					on: {
						'operator.choose': [
							{guard: 'inOrder', target: '#wizard.server', actions: 'setCurrent'},
							{target: 'refused', actions: 'recordRefusal'},
						],
					},
				},
				refused: {meta: {view: 'info', lines: (c: PmContext) => refusalLines(c)}, on: {'operator.continue': 'pick'}},
			},
		} as never,

		// Not a screen: where a chosen plan item begins.
		server: {
			always: [{guard: 'currentIsStart', target: '#wizard.startCsm'}, {target: '#wizard.identity'}],
		} as never,

		identity: step<PmContext>({
			id: 'identity',
			next: 'upgrade',
			title: 'Hostname and addresses unchanged',
			titleFor: serverTitle('Hostname and addresses unchanged'),
			phase: 'servers',
			source: 'Upgrading > Important (hostname and IP address)',
			why: 'The hostname and IP addresses of this server must be those recorded at the start. Changing them during the upgrade or migration results in failures and may leave the system unrecoverable.',
			initial: 'decide',
			probe: 'identity',
			probeShows: ['hostname; ip -o addr show'],
			guard: 'identityUnchanged',
			afterPassed: 'route',
			findings: c => identityFindings(c),
			remedy: () => IDENTITY_WARNING,
			extraStates: {
				decide: {always: [{guard: 'currentManual', target: 'manual'}, {target: 'checking'}]},
				manual: confirmScreen<PmContext>({
					word: WORDS.unchanged,
					key: 'manual.identity',
					step: 'identity',
					target: 'route',
					prompt: c => manualIdentityPrompt(c),
				}),
				route: {always: [{guard: 'currentHasDatabase', target: '#wizard.databaseNote'}, {target: '#wizard.upgrade'}]},
			},
		}),

		databaseNote: infoStep<PmContext>({
			id: 'databaseNote',
			next: 'upgrade',
			title: 'While the database server is upgraded',
			phase: 'servers',
			source: 'Upgrading > multi-server, Note on the Database server role',
			why: 'Once you begin upgrading the Database Server role, the other servers lose the database until each of them is upgraded.',
			lines: () => DATABASE_EXPECTATIONS,
		}),

		upgrade: step<PmContext>({
			id: 'upgrade',
			next: 'afterUpgrade',
			title: 'Upgrade with pmx-setup',
			titleFor: serverTitle('Upgrade with pmx-setup'),
			phase: 'servers',
			source: 'Upgrading > single-server procedure, on each server',
			why: 'pmx-setup, run as root, installs version 6 under /opt/pmx6 (user pmx6) beside 5.6.1 in /opt/pmx (user pmx), and asks its questions on the terminal. Keep the server\'s roles: a change of roles means a fresh install instead.',
			initial: 'decide',
			commands: c => {
				const s = currentServer(c);
				return s ? [setupCommand(s)] : [];
			},
			failure: FAILURE_ADVICE,
			probe: 'installed',
			probeShows: [`stat ${PMX6_DIR}`],
			guard: 'pmx6Installed',
			findings: c => {
				const i = c.facts.installed;
				if (!i) return [];
				return [
					i.pmx6 ? {level: 'PASS', text: `${i.server}: ${PMX6_DIR} is installed`} : {level: 'FAIL', text: `${i.server}: ${PMX6_DIR} does not exist: version 6 is not installed`},
					{level: 'INFO', text: `${PMX_DIR} (5.6.1) ${i.pmx ? 'is still there, as expected' : 'is not there'}`},
				];
			},
			remedy: () => [
				'pmx-setup did not install version 6. Read its output in the transcript.',
				'Stop and do not guess: if you are unsure how to proceed, contact Sophos',
				'Technical Support. Press r to look again.',
			],
			extraStates: {
				decide: {always: [{guard: 'currentManual', target: 'manual'}, {target: 'review'}]},
				manual: confirmScreen<PmContext>({
					word: WORDS.upgraded,
					key: 'manual.upgraded',
					step: 'upgrade',
					target: '#wizard.afterUpgrade',
					prompt: c =>
						`On ${currentServer(c)?.name}'s console, as root, run pmx-setup and upgrade to version 6 (it installs under /opt/pmx6). If it fails, stop: do not guess; contact Sophos Technical Support. Type "${WORDS.upgraded}" when it finished without errors and ${PMX6_DIR} exists.`,
				}),
			},
		}),

		// Not a screen: the server's upgrade is recorded; migrate it if chosen.
		afterUpgrade: {
			always: [
				{guard: 'migrating', target: '#wizard.migrate', actions: 'markUpgraded'},
				{target: '#wizard.serverDone', actions: 'markUpgraded'},
			],
		} as never,

		migrate: {
			meta: {
				step: true,
				title: 'Migrate 5.6.1 data',
				titleFor: serverTitle('Migrate 5.6.1 data'),
				phase: 'servers',
				source: 'Upgrading > multi-server; "Migrating from Version 5.6.1 to 6"',
				why: 'Run the migration script right after this server\'s successful upgrade, with exactly the options chosen for the deployment. The document does not print the script\'s command: see "Migrating from Version 5.6.1 to 6" in the product\'s documentation.',
				findings: (c: PmContext) => identityFindings(c),
				remedy: () => IDENTITY_WARNING,
				probeShows: ['hostname; ip -o addr show'],
			},
			initial: 'choose',
			states: {
				choose: {
					meta: {
						view: 'choose',
						lines: (c: PmContext) => [`The deployment's choice: ${migrationLabel(c.choices.migration)}. Pick what you will`, `choose in the migration script on ${currentServer(c)?.name}.`],
						options: () => MIGRATION_OPTIONS.filter(o => o.value !== 'none').map(o => ({value: o.value, label: o.label})),
					},
					on: {
						'operator.choose': [
							{guard: 'sameMigrationChoices', target: 'decide', actions: 'recordServerMigration'},
							{target: 'refused', actions: {type: 'recordConfirmation', params: {key: 'migration.refused', value: 'different choice'}}},
						],
					},
				},
				refused: {
					meta: {
						view: 'info',
						lines: (c: PmContext) => [
							'REFUSED: that differs from the deployment\'s migration choice,',
							`"${migrationLabel(c.choices.migration)}". You must select the same migration options for`,
							'each server. Enter goes back to the choice.',
						],
					},
					on: {'operator.continue': 'choose'},
				},
				decide: {always: [{guard: 'currentManual', target: 'manualIdentity'}, {target: 'checking'}]},
				checking: {
					meta: {view: 'checking'},
					invoke: {
						id: 'probe.migrateIdentity',
						src: 'probe',
						input: ({context}: {context: PmContext}) => ({probe: 'identity', context}),
						onDone: {target: 'evaluate', actions: 'assignFacts'},
						onError: {target: 'probeFailed', actions: 'recordError'},
					},
				},
				evaluate: {always: [{guard: 'identityUnchanged', target: 'run'}, {target: 'blocked', actions: [recordStatus('migrate', 'failed')]}]},
				blocked: {meta: {view: 'blocked'}, on: {'operator.recheck': 'checking'}},
				probeFailed: {meta: {view: 'failed'}, on: {'operator.retry': 'checking'}},
				manualIdentity: confirmScreen<PmContext>({
					word: WORDS.unchanged,
					key: 'manual.identityBeforeMigration',
					step: 'migrate',
					target: 'run',
					prompt: c => manualIdentityPrompt(c),
				}),
				run: {
					meta: {
						view: 'confirm',
						confirm: {
							word: WORDS.migrated,
							prompt: (c: PmContext) =>
								`On ${currentServer(c)?.name}, as root, run the migration script and choose exactly "${migrationLabel(c.choices.migration)}". If it fails, stop: do not guess; contact Sophos Technical Support (Ctrl-C leaves, the place is kept). Type "${WORDS.migrated}" when it finished without errors.`,
						},
					},
					on: {
						'operator.confirm': {
							guard: {type: 'typedWord', params: {word: WORDS.migrated}},
							target: '#wizard.serverDone',
							actions: [{type: 'recordConfirmation', params: {key: 'migration.done'}}, recordStatus('migrate', 'passed')],
						},
					},
				},
			},
		} as never,

		// Not a screen: the item is done; after the first filter server, mail flow is tested.
		serverDone: {
			always: [
				{guard: 'firstFilterJustDone', target: '#wizard.verifyFilter', actions: 'markDone'},
				{target: '#wizard.plan', actions: 'markDone'},
			],
		} as never,

		startCsm: step<PmContext>({
			id: 'startCsm',
			next: 'serverDone',
			title: 'Start PureMessage on the CSM server',
			titleFor: serverTitle('Start PureMessage on the CSM server'),
			phase: 'servers',
			source: 'Upgrading > To upgrade a multi-server deployment',
			why: 'The database server is upgraded (and migrated). Start PureMessage on the server that runs the CSM role before any other server is upgraded.',
			initial: 'decide',
			commands: c => {
				const s = currentServer(c);
				return s ? startCommands(s) : [];
			},
			failure: FAILURE_ADVICE,
			extraStates: {
				decide: {always: [{guard: 'currentManual', target: 'manual'}, {target: 'review'}]},
				manual: confirmScreen<PmContext>({
					word: WORDS.started,
					key: 'manual.started',
					step: 'startCsm',
					target: '#wizard.serverDone',
					prompt: c => `On ${currentServer(c)?.name}'s console, run: pmx start, then pmx status. Type "${WORDS.started}" when pmx status shows PureMessage running.`,
				}),
			},
		}),

		verifyFilter: {
			meta: {
				step: true,
				title: 'Test the first filter server before the next',
				phase: 'servers',
				source: 'Upgrading > multi-server, Note after the Mail Transfer Agent and Mail Filter step',
				why: 'The first upgraded Mail Transfer Agent / Mail Filter server resumes talking to the database and processing mail. Test that it behaves before the next server is upgraded.',
			},
			initial: 'confirm',
			states: {
				confirm: {
					meta: {view: 'confirm', confirm: {word: WORDS.mailFlows, prompt: () => [...FILTER_TESTS, `Type "${WORDS.mailFlows}" when all of it works.`].join('\n')}},
					on: {
						'operator.confirm': {
							guard: {type: 'typedWord', params: {word: WORDS.mailFlows}},
							target: '#wizard.plan',
							actions: [{type: 'recordConfirmation', params: {key: 'filter.verified'}}, recordStatus('verifyFilter', 'passed')],
						},
					},
				},
			},
		} as never,

		finished: {
			type: 'final',
			meta: {
				step: true,
				view: 'finished',
				title: 'Upgrade finished',
				phase: 'after',
				why: 'Every server runs PureMessage 6; the web interfaces take logins again.',
			},
		},
	},
}),
);

function identityFindings(c: PmContext): Finding[] {
	const s = currentServer(c);
	const now = c.facts.identityNow;
	if (!s || !now || now.server !== s.name) return [];
	const was = c.recorded[s.name];
	const same = sameIdentity(now, was);
	return [
		{level: same ? 'PASS' : 'FAIL', text: `${s.name} now: ${now.hostname} ${now.addresses.join(' ')}`},
		{level: 'INFO', text: `recorded at the start: ${was?.hostname ?? '?'} ${was?.addresses.join(' ') ?? ''}`},
	];
}

function manualIdentityPrompt(c: PmContext): string {
	const s = currentServer(c);
	const was = s ? c.recorded[s.name] : undefined;
	return `On ${s?.name}'s console run hostname and ip -o addr show. They must show ${was?.hostname} and ${was?.addresses.join(', ')}, as recorded at the start. Type "${WORDS.unchanged}" if they do; if not, stop: changing them during the upgrade may leave the system unrecoverable.`;
}

export type PmUpgradeMachine = ReturnType<typeof pmUpgradeMachine>;
