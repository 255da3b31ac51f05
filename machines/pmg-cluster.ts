/**
 * The cluster part of the PMG path (seed "For clusters"), driven from the
 * node the wizard runs on: the other nodes are reached over OpenSSH as root
 * (the nodes of a PMG cluster trust each other's root keys), the cluster
 * daemons are stopped and masked on every node before the first upgrade,
 * the nodes are upgraded one at a time (each node's wizard records its
 * progress in a small file on that node, and reads the others'), and the
 * last node's wizard starts the daemons again on every node. Pure: what is
 * known of the nodes comes from probes (source/runtime/pmg-cluster-probes.ts).
 */
import {and, assign} from 'xstate';
import {shellQuote, sshArgv} from '../source/shared/shell.ts';
import {compareDebianVersions} from '../source/probes/debian-version.ts';
import {SSH_REMINDER, type CommandTarget, type FileChange, type Finding, type StepCommand, type WizardContext} from './kit.ts';

export const CLUSTER_DAEMONS = ['pmgmirror', 'pmgtunnel'];
/** Where each node's wizard records how far its upgrade is. */
export const PROGRESS_FILE = '/var/lib/upgrade-wizard/cluster-progress.json';

/** The three moments the cluster is looked at: before the first upgrade, before this node's dist-upgrade, after the last node. */
export type ClusterStage = 'prepare' | 'gate' | 'final';

/**
 * A node's progress file. `upgrading`: between its dist-upgrade and its
 * checks after the reboot; no other node may start its own then.
 */
export type NodeProgress = {node: string; stage: 'upgrading' | 'upgraded'; step: string; title: string; at: string};

export type DaemonState = {active: string; enabled: string};

/** One node as pmgcm status lists it, and what the wizard read on it. */
export type ClusterNode = {
	name: string;
	cid: number;
	ip: string;
	role: string;
	/** pmgcm's STATE: A (active, in sync), S (syncing) or ERROR: <message>. */
	state: string;
	/** The node the wizard runs on. */
	self: boolean;
	/** Answered: this node, or over ssh. */
	reached: boolean;
	/** Why it was not reached (ssh's last words). */
	problem: string | null;
	hostname: string | null;
	/** Its addresses (ip -o addr show), loopback and link-local left out. */
	addresses: string[];
	pmgApi: string | null;
	daemons: Record<string, DaemonState> | null;
	progress: NodeProgress | null;
};

export type ClusterFacts = {
	/** The nodes at the last look: `ownProgress` is this node's progress file as read, `checkedAt` the host's clock then. */
	clusterNodes?: {stage: ClusterStage; nodes: ClusterNode[]; ownProgress: string | null; checkedAt: number};
	/** Names, addresses and hostnames of the nodes when the wizard first looked: none may change (seed). */
	clusterBaseline?: Record<string, {ip: string; hostname: string | null}>;
	clusterSsh?: {config: string | null; identity: string | null};
};

type Ctx = WizardContext<ClusterFacts & {cluster?: {clustered: boolean}; identity?: {hostname: string}}>;
type Args = {context: Ctx; event?: {type: string; text?: string}};

const nodesOf = (c: Ctx): ClusterNode[] => c.facts.clusterNodes?.nodes ?? [];
const others = (c: Ctx) => nodesOf(c).filter(n => !n.self);
const stageOf = (c: Ctx): ClusterStage => c.facts.clusterNodes?.stage ?? 'prepare';
const short = (name: string | null) => (name ?? '').split('.')[0]!.toLowerCase();
const atLeast9 = (v: string | null) => typeof v === 'string' && v !== '' && compareDebianVersions(v, '9.0') >= 0;

export const daemonsStopped = (n: ClusterNode) =>
	Boolean(n.daemons) && CLUSTER_DAEMONS.every(u => ['inactive', 'failed', 'unknown'].includes(n.daemons![u]?.active ?? '') && n.daemons![u]?.enabled === 'masked');
export const daemonsRunning = (n: ClusterNode) =>
	Boolean(n.daemons) && CLUSTER_DAEMONS.every(u => n.daemons![u]?.active === 'active' && n.daemons![u]?.enabled !== 'masked');
export const inError = (n: ClusterNode) => n.state.startsWith('ERROR');

/** The key of the operator's typed confirmation that `node` was dealt with by hand at `stage`. */
export const manualKey = (stage: ClusterStage, node: string) => `cluster.manual.${stage}.${node}`;

/** The first node the wizard could not reach and the operator has not yet confirmed by typing its name. */
export const unconfirmedNode = (c: Ctx): ClusterNode | undefined =>
	others(c).find(n => !n.reached && c.confirmations[manualKey(stageOf(c), n.name)] !== n.name.toLowerCase());

/** Why a node's name or address differs from the first look, or null. */
export function identityChange(c: Ctx, n: ClusterNode): string | null {
	const first = c.facts.clusterBaseline?.[n.name];
	if (!first) return `${n.name} was not in the cluster when the wizard first looked`;
	if (first.ip !== n.ip) return `${n.name}: pmgcm status says ${n.ip}, it was ${first.ip}`;
	if (n.reached && n.hostname !== null && first.hostname !== null && short(n.hostname) !== short(first.hostname)) return `${n.name}: hostname is ${n.hostname}, it was ${first.hostname}`;
	if (n.reached && n.hostname !== null && short(n.hostname) !== n.name.toLowerCase()) return `${n.name}: hostname is ${n.hostname}, pmgcm names it ${n.name}`;
	if (n.reached && !n.addresses.includes(n.ip)) return `${n.name}: ${n.ip} is not among its addresses (${n.addresses.join(' ') || 'none read'})`;
	return null;
}

export function identityChanges(c: Ctx): string[] {
	const now = nodesOf(c);
	const gone = Object.keys(c.facts.clusterBaseline ?? {}).filter(name => !now.some(n => n.name === name));
	return [...gone.map(name => `${name} is no longer listed by pmgcm status`), ...now.map(n => identityChange(c, n)).filter((x): x is string => x !== null)];
}

/** Another node between its dist-upgrade and its checks after the reboot. */
export const nodeMidUpgrade = (c: Ctx) => others(c).find(n => n.progress?.stage === 'upgrading');

/** The nodes still to be upgraded before this one is the last (versions read over ssh; unreached ones are confirmed by name). */
export const notYetUpgraded = (c: Ctx) => others(c).filter(n => n.reached && (!atLeast9(n.pmgApi) || n.progress?.stage === 'upgrading'));

const ownProgressStage = (c: Ctx): string | null => {
	try {
		const raw = c.facts.clusterNodes?.ownProgress;
		return raw ? ((JSON.parse(raw) as {stage?: string}).stage ?? null) : null;
	} catch {
		return null;
	}
};

export const clusterGuards = {
	/** pmgcm status lists every node as A: active and in sync (the seed: wait for config changes to sync first). */
	clusterInSync: ({context}: Args) => nodesOf(context).length > 0 && nodesOf(context).every(n => n.state === 'A'),
	/** No node of pmgcm status is in error. */
	noNodeInError: ({context}: Args) => !nodesOf(context).some(inError),
	/** A node of pmgcm status is in error: named on the blocked screen. */
	nodeInError: ({context}: Args) => nodesOf(context).some(inError),
	/** A node of pmgcm status is not A (syncing, or in error). */
	clusterNotInSync: ({context}: Args) => nodesOf(context).length === 0 || nodesOf(context).some(n => n.state !== 'A'),
	/** A node's name or address differs from the first look (or there was none). */
	nodeIdentityChanged: ({context}: Args) => !context.facts.clusterBaseline || identityChanges(context).length > 0,
	/** This node's progress file does not say upgraded yet. */
	ownProgressNotUpgraded: ({context}: Args) => ownProgressStage(context) !== 'upgraded',
	/** Another node still runs PMG 8 or is mid-upgrade: this is not the last node. */
	notLastNode: ({context}: Args) => notYetUpgraded(context).length > 0,
	/** Every node has the name and address it had when the wizard first looked. */
	nodeIdentitiesUnchanged: ({context}: Args) => Boolean(context.facts.clusterBaseline) && identityChanges(context).length === 0,
	/** A node the wizard reaches still runs a cluster daemon or has one not masked. */
	reachedNodesNeedStopping: ({context}: Args) => nodesOf(context).some(n => n.reached && !daemonsStopped(n)),
	/** The wizard already ran the stop and mask commands: what is left is shown as blocked, not offered again as new. */
	clusterStopTried: ({context}: Args) => context.lastRun?.step === 'cluster',
	/** The wizard already ran the unmask and start commands. */
	clusterStartTried: ({context}: Args) => context.lastRun?.step === 'clusterServices',
	/** A node the wizard cannot reach, not yet confirmed by the operator typing its name. */
	unreachableNodeUnconfirmed: ({context}: Args) => unconfirmedNode(context) !== undefined,
	/** The operator typed the name of the unreachable node the screen asks about. */
	typedUnreachableNodeName: ({context, event}: Args) => {
		const node = unconfirmedNode(context);
		return Boolean(node) && (event?.text ?? '').trim().toLowerCase() === node!.name.toLowerCase();
	},
	/** Another node is between its dist-upgrade and its checks after the reboot. */
	otherNodeMidUpgrade: ({context}: Args) => nodeMidUpgrade(context) !== undefined,
	/** This node's progress file says it is upgraded. */
	ownProgressUpgraded: ({context}: Args) => ownProgressStage(context) === 'upgraded',
	/** Every other node runs PMG 9 and has finished its checks after the reboot: this is the last node. */
	lastNodeUpgraded: ({context}: Args) => notYetUpgraded(context).length === 0,
	/** pmgcm status shows every node active and in sync, and the daemons run, unmasked, on every node reached. */
	clusterDaemonsRunningEverywhere: ({context}: Args) =>
		nodesOf(context).length > 0 && nodesOf(context).every(n => n.state === 'A' && (!n.reached || daemonsRunning(n))),
};

// --- commands ---------------------------------------------------------------------

/** How the wizard reaches a node: this machine, or ssh as root to the address pmgcm lists. */
export function nodeTarget(c: Ctx, n: ClusterNode): CommandTarget | undefined {
	if (n.self) return undefined;
	const ssh = c.facts.clusterSsh;
	return {name: n.name, hostname: n.name, access: 'ssh', ssh: {destination: `root@${n.ip}`, port: null, identity: ssh?.identity ?? null, config: ssh?.config ?? null}};
}

/** The exact ssh command line that runs `argv` on a node. */
export function sshLine(c: Ctx, n: ClusterNode, argv: string[]): string {
	const target = nodeTarget(c, n);
	return target?.ssh ? sshArgv(target.ssh, argv).map(shellQuote).join(' ') : argv.map(shellQuote).join(' ');
}

function onNode(c: Ctx, n: ClusterNode, argv: string[]): StepCommand {
	const server = nodeTarget(c, n);
	return server ? {argv, server, note: `on ${n.name}: ${sshLine(c, n, argv)}`} : {argv, note: `on ${n.name}, this node`};
}

/** This node first, then the others in pmgcm's order. */
const inOrder = (c: Ctx) => [...nodesOf(c).filter(n => n.self), ...others(c)];

/** Stop and mask the cluster daemons on each node reached where they are not both yet. */
export const stopCommands = (c: Ctx): StepCommand[] =>
	inOrder(c)
		.filter(n => n.reached && !daemonsStopped(n))
		.flatMap(n => [onNode(c, n, ['systemctl', 'stop', ...CLUSTER_DAEMONS]), onNode(c, n, ['systemctl', 'mask', ...CLUSTER_DAEMONS])]);

/** Unmask and start them on each node reached where they do not run yet. */
export const startCommands = (c: Ctx): StepCommand[] =>
	inOrder(c)
		.filter(n => n.reached && !daemonsRunning(n))
		.flatMap(n => [onNode(c, n, ['systemctl', 'unmask', ...CLUSTER_DAEMONS]), onNode(c, n, ['systemctl', 'start', ...CLUSTER_DAEMONS])]);

/** This node's progress file as the wizard writes it now. */
export function progressChange(c: Ctx, stage: NodeProgress['stage'], step: string, title: string, at: number): FileChange {
	const self = nodesOf(c).find(n => n.self);
	const progress: NodeProgress = {node: self?.name ?? short(c.facts.identity?.hostname ?? ''), stage, step, title, at: new Date(at).toISOString()};
	const after = `${JSON.stringify(progress, null, 2)}\n`;
	const before = c.facts.clusterNodes?.ownProgress ?? null;
	return {path: PROGRESS_FILE, before, after, diff: [...(before ?? '').split('\n').filter(Boolean).map(l => `-${l}`), ...after.trimEnd().split('\n').map(l => `+${l}`)].join('\n')};
}

// --- the per-node table -----------------------------------------------------------

const cut = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}~` : text.padEnd(width));

/** The daemons column: what the step needs to see on the node, in words. */
function daemonWords(c: Ctx, n: ClusterNode, stage: ClusterStage): string {
	if (!n.reached) return c.confirmations[manualKey(stage, n.name)] === n.name.toLowerCase() ? 'by hand' : 'unreachable';
	if (!n.daemons) return 'unknown';
	if (stage === 'final') return daemonsRunning(n) ? 'running' : daemonsStopped(n) ? 'stopped+masked' : 'not running';
	if (daemonsStopped(n)) return 'stopped+masked';
	return CLUSTER_DAEMONS.some(u => n.daemons![u]?.active === 'active') ? 'RUNNING' : 'not masked';
}

/**
 * The nodes as a table that fits 80 columns with its level: node, IP, role,
 * state, the cluster daemons, PMG version; the node's progress file below
 * its row when it has one.
 */
export function clusterTable(c: Ctx): Finding[] {
	const stage = stageOf(c);
	const row = (cells: string[]) => [cut(cells[0]!, 8), cut(cells[1]!, 15), cut(cells[2]!, 6), cut(cells[3]!, 5), cut(cells[4]!, 15), cells[5]!].join(' ').trimEnd();
	const lines: Finding[] = [{level: 'INFO', text: row(['NODE', 'IP', 'ROLE', 'STATE', 'DAEMONS', 'PMG'])}];
	for (const n of nodesOf(c)) {
		const daemons = daemonWords(c, n, stage);
		const wanted = stage === 'final' ? daemons === 'running' : stage === 'prepare' ? daemons === 'stopped+masked' : true;
		const byHand = daemons === 'by hand';
		const bad = inError(n) || (stage === 'prepare' && n.state !== 'A') || (stage === 'final' && n.state !== 'A') || (!n.reached && !byHand) || (n.reached && !wanted) || (stage === 'gate' && !n.self && n.progress?.stage === 'upgrading') || identityChange(c, n) !== null;
		// Before the step's commands ran, a node they are for is still to do, not a failure.
		const toDo = n.reached && !wanted && !identityChange(c, n) && !inError(n) && (stage === 'prepare' ? c.lastRun?.step !== 'cluster' && n.state === 'A' : stage === 'final' && c.lastRun?.step !== 'clusterServices' && daemonsStopped(n));
		lines.push({
			level: toDo ? 'INFO' : bad ? 'FAIL' : byHand || (stage === 'gate' && n.state === 'S') ? 'WARN' : 'PASS',
			text: row([`${n.name}${n.self ? '*' : ''}`, n.ip, n.role, inError(n) ? 'ERROR' : n.state, daemons, n.pmgApi ?? '?']),
		});
		if (inError(n)) lines.push({level: 'INFO', text: `  ${n.name}: ${n.state}`});
		if (!n.reached && n.problem) lines.push({level: 'INFO', text: `  ${n.name}: ${n.problem}`});
		if (!n.self && n.progress) lines.push({level: 'INFO', text: `  ${n.name}: ${n.progress.stage}, at step ${n.progress.step} since ${n.progress.at.slice(0, 16).replace('T', ' ')}`});
	}
	for (const change of identityChanges(c)) lines.push({level: 'FAIL', text: change});
	lines.push({level: 'INFO', text: '* the node the wizard runs on; the others over ssh as root'});
	return lines;
}

// --- what the screens say ---------------------------------------------------------

/** What is wrong with the cluster at this stage, first thing first, for the blocked screen. */
export function clusterRemedy(c: Ctx): string[] {
	const stage = stageOf(c);
	const error = nodesOf(c).find(inError);
	if (error) return [`${error.name} is in error in pmgcm status: ${error.state.replace(/^ERROR:\s*/, '')}.`, 'Fix the cluster first (pmgcm status must list every node without error), then press r.'];
	const syncing = nodesOf(c).find(n => n.state !== 'A');
	if (stage === 'prepare' && syncing) return [`${syncing.name} is still syncing (pmgcm status: ${syncing.state}).`, 'Wait until every configuration change has reached every node (state A), then press r.'];
	const mid = nodeMidUpgrade(c);
	if (stage === 'gate' && mid) {
		return [
			`${mid.name} is being upgraded: it is at "${mid.progress!.title}" (step ${mid.progress!.step}) since ${mid.progress!.at.slice(0, 16).replace('T', ' ')}.`,
			`One node at a time: finish ${mid.name} first (its wizard continues there after the reboot) and press r.`,
			`If its upgrade was ended by hand, remove ${PROGRESS_FILE} on ${mid.name}.`,
		];
	}
	const changes = identityChanges(c);
	if (changes.length > 0) return [`${changes[0]}.`, 'The hostname and IP of a node must not change during the upgrade: change it back, then press r.'];
	const left = nodesOf(c).filter(n => n.reached && (stage === 'final' ? !daemonsRunning(n) : !daemonsStopped(n)));
	if (left.length > 0) {
		const n = left[0]!;
		const how = stage === 'final' ? 'do not run or are still masked' : 'still run or are not masked';
		return [
			`On ${left.map(x => x.name).join(', ')} the cluster daemons ${how}.`,
			`Look there: ${sshLine(c, n, ['systemctl', 'status', ...CLUSTER_DAEMONS])}`,
			`Press f to run the ${stage === 'final' ? 'unmask and start' : 'stop and mask'} commands again on ${left.length === 1 ? 'it' : 'them'}, or r to check again.`,
		];
	}
	if (stage === 'final' && nodesOf(c).some(n => n.state !== 'A')) return ['pmgcm status does not show every node active and in sync yet: pmgmirror syncs within a few minutes after it starts. Press r to check again.'];
	return ['pmgcm status did not answer. Check that pmgcm works, then press r.'];
}

/** The question for a node the wizard could not reach. */
export function unreachablePrompt(c: Ctx): string {
	const n = unconfirmedNode(c);
	if (!n) return '';
	const stage = stageOf(c);
	const done =
		stage === 'prepare'
			? `run there by hand: systemctl stop ${CLUSTER_DAEMONS.join(' ')}; systemctl mask ${CLUSTER_DAEMONS.join(' ')}`
			: stage === 'gate'
				? `make sure no upgrade runs there now (its wizard is not between its dist-upgrade and its checks after the reboot)`
				: `make sure it runs PMG 9, then run there by hand: systemctl unmask ${CLUSTER_DAEMONS.join(' ')}; systemctl start ${CLUSTER_DAEMONS.join(' ')}`;
	return `The wizard could not reach ${n.name} (${n.ip}) over ssh as root${n.problem ? `: ${n.problem}` : ''}. On ${n.name}'s console, ${done}. Type "${n.name}" when that is done there.`;
}

export const clusterActions = {
	/** The typed name, under the node's key for this stage: written to the transcript like every confirmation. */
	recordNodeConfirmation: assign(({context, event}: {context: Ctx; event: {type: string; text?: string}}) => {
		const node = unconfirmedNode(context);
		return node ? {confirmations: {...context.confirmations, [manualKey(stageOf(context), node.name)]: (event.text ?? '').trim().toLowerCase()}} : {};
	}),
	/** Not the last node: the daemons stay masked, and the step says why it did not start them. */
	recordNotLast: assign(({context}: {context: Ctx}) => ({
		status: {...context.status, clusterServices: {status: 'skipped' as const, reason: `not the last node: ${notYetUpgraded(context).map(n => n.name).join(', ')} still to upgrade`}},
	})),
};

export const notLastLines = (c: Ctx): string[] => {
	const left = notYetUpgraded(c);
	return [
		'This node is upgraded. The cluster daemons stay masked on every node until',
		'every node runs PMG 9. Upgrade these next, one after another, with this',
		'wizard on each: the last one starts the daemons again on every node.',
		...left.map(n => `  ${n.name} (${n.ip}): PMG ${n.pmgApi ?? '?'}${n.progress ? `, ${n.progress.stage} at "${n.progress.title}"` : ''}`),
	];
};

// --- the steps --------------------------------------------------------------------

type AnyConfig = Record<string, unknown>;

const status = (step: string, value: 'passed' | 'failed' | 'skipped') => ({type: 'recordStatus', params: {step, status: value}});

/** Read-only, on every node: what the probes run, for the checking screen. */
const PROBE_SHOWS = ['pmgcm status', 'on each node, over ssh as root@<its IP>:', 'hostname; ip -o addr show; pmgversion -v', 'systemctl is-active / is-enabled pmgmirror pmgtunnel', `cat ${PROGRESS_FILE}`];

const probeState = (id: string, probe: string): AnyConfig => ({
	meta: {view: 'checking'},
	invoke: {
		id: `probe.${id}`,
		src: 'probe',
		input: ({context}: {context: Ctx}) => ({probe, context}),
		onDone: {target: 'evaluate', actions: 'assignFacts'},
		onError: {target: 'probeFailed', actions: 'recordError'},
	},
});

const confirmNodeState: AnyConfig = {
	meta: {view: 'confirm', confirm: {word: 'node name', prompt: unreachablePrompt, wordFor: (c: Ctx) => unconfirmedNode(c)?.name ?? ''}},
	on: {'operator.confirm': {guard: 'typedUnreachableNodeName', target: 'evaluate', actions: 'recordNodeConfirmation'}},
};

const reviewStates = (): Record<string, AnyConfig> => ({
	review: {meta: {view: 'review'}, on: {'operator.continue': [{guard: 'sshReminderDue', target: 'sshReminder'}, {target: 'running', actions: 'nextRun'}]}},
	sshReminder: {
		meta: {view: 'info', lines: () => SSH_REMINDER},
		on: {'operator.continue': {target: 'running', actions: [{type: 'recordConfirmation', params: {key: 'ssh.reminded', value: 'Enter'}}, 'nextRun']}},
	},
});

/** Commands on several nodes: whatever the outcome, each node is looked at again (a failed one shows in the table). */
const runState = (id: string, commands: (c: Ctx) => StepCommand[], onSuccess: AnyConfig[] = [{guard: 'commandsSucceeded', target: 'checking', actions: 'recordRun'}]): AnyConfig => ({
	meta: {view: 'running'},
	invoke: {
		id: `run.${id}`,
		src: 'runCommands',
		input: ({context}: {context: Ctx}) => ({step: id, commands: commands(context), run: context.runs ?? 0}),
		onDone: [...onSuccess, {target: 'failed', actions: ['recordRun', status(id, 'failed')]}],
		onError: {target: 'failed', actions: ['recordError', status(id, 'failed')]},
	},
});

const common = (id: string): Record<string, AnyConfig> => ({
	interrupted: {meta: {view: 'interrupted'}, on: {'operator.continue': 'running'}},
	failed: {meta: {view: 'failed'}, on: {'operator.retry': 'checking'}},
	blocked: {meta: {view: 'blocked'}, on: {'operator.recheck': 'checking'}},
	// Blocked by daemons the commands did not stop (or start) on a node: f runs them again where needed.
	...(id === 'clusterGate'
		? {}
		: {stuck: {meta: {view: 'blocked'}, on: {'operator.recheck': 'checking', 'operator.fix': [{guard: 'sshReminderDue', target: 'sshReminder'}, {target: 'running', actions: 'nextRun'}]}}}),
	probeFailed: {meta: {view: 'failed'}, on: {'operator.retry': 'checking'}},
	confirmNode: confirmNodeState,
});

const single = (c: Ctx) => c.facts.cluster?.clustered !== true;

/** Before the first node is upgraded: the cluster daemons stopped and masked on every node (seed "For clusters"). */
export function clusterPrepareStep(next: string): AnyConfig {
	const id = 'cluster';
	return {
		meta: {
			step: true,
			title: 'Cluster: stop and mask the cluster daemons on every node',
			phase: 'prepare',
			source: 'For clusters',
			why: 'In a cluster, pmgmirror and pmgtunnel must be stopped and masked on ALL nodes before the first node is upgraded; then the nodes are upgraded one after another while the others keep serving mail. The wizard does it on each node over ssh as root and checks each.',
			probeShows: PROBE_SHOWS,
			commands: stopCommands,
			fix: stopCommands,
			reviewFindings: true,
			findings: (c: Ctx) => (single(c) ? [{level: 'PASS', text: 'no cluster configured: single node'}] : clusterTable(c)),
			remedy: clusterRemedy,
		},
		initial: 'checking',
		states: {
			checking: probeState(id, 'clusterPrepare'),
			evaluate: {
				always: [
					{guard: 'notClustered', target: 'passed', actions: [status(id, 'passed')]},
					{guard: 'nodeInError', target: 'blocked', actions: [status(id, 'failed')]},
					{guard: 'clusterNotInSync', target: 'blocked', actions: [status(id, 'failed')]},
					{guard: 'nodeIdentityChanged', target: 'blocked', actions: [status(id, 'failed')]},
					{guard: and(['reachedNodesNeedStopping', 'clusterStopTried']), target: 'stuck', actions: [status(id, 'failed')]},
					{guard: 'reachedNodesNeedStopping', target: 'review'},
					{guard: 'unreachableNodeUnconfirmed', target: 'confirmNode'},
					{target: 'passed', actions: [status(id, 'passed')]},
				],
			},
			...reviewStates(),
			running: runState(id, stopCommands),
			...common(id),
			passed: {meta: {view: 'passed'}, on: {'operator.continue': `#wizard.${next}`}},
		},
	};
}

/** Right before this node's dist-upgrade: no other node is between its own dist-upgrade and its checks after the reboot. */
export function clusterGateStep(next: string, nextTitle: string): AnyConfig {
	const id = 'clusterGate';
	const change = (c: Ctx) => [progressChange(c, 'upgrading', next, nextTitle, c.facts.clusterNodes?.checkedAt ?? 0)];
	return {
		meta: {
			step: true,
			title: 'Cluster: one node at a time',
			phase: 'upgrade',
			source: 'For clusters ("upgrading all nodes sequentially")',
			why: `The nodes are upgraded one after another: while one is between its dist-upgrade and its checks after the reboot, the others serve mail. The wizard reads each node's ${PROGRESS_FILE} and records here that this node starts now.`,
			probeShows: PROBE_SHOWS,
			changes: change,
			reviewFindings: true,
			findings: (c: Ctx) => (single(c) ? [{level: 'PASS', text: 'no cluster configured: single node'}] : clusterTable(c)),
			remedy: clusterRemedy,
		},
		initial: 'checking',
		states: {
			checking: probeState(id, 'clusterGate'),
			evaluate: {
				always: [
					{guard: 'notClustered', target: `#wizard.${next}`, actions: [status(id, 'passed')]},
					{guard: 'nodeInError', target: 'blocked', actions: [status(id, 'failed')]},
					{guard: 'otherNodeMidUpgrade', target: 'blocked', actions: [status(id, 'failed')]},
					{guard: 'nodeIdentityChanged', target: 'blocked', actions: [status(id, 'failed')]},
					{guard: 'unreachableNodeUnconfirmed', target: 'confirmNode'},
					{target: 'review'},
				],
			},
			review: {meta: {view: 'review'}, on: {'operator.continue': 'running'}},
			running: {
				meta: {view: 'running'},
				invoke: {
					id: `apply.${id}`,
					src: 'applyChanges',
					input: ({context}: {context: Ctx}) => ({step: id, changes: change(context)}),
					onDone: [
						{guard: 'commandsSucceeded', target: `#wizard.${next}`, actions: ['recordRun', status(id, 'passed')]},
						{target: 'failed', actions: ['recordRun', status(id, 'failed')]},
					],
					onError: {target: 'failed', actions: ['recordError', status(id, 'failed')]},
				},
			},
			...common(id),
		},
	};
}

const localStart = (): StepCommand[] => [{argv: ['systemctl', 'unmask', ...CLUSTER_DAEMONS]}, {argv: ['systemctl', 'start', ...CLUSTER_DAEMONS]}];

/** After the reboot: this node is recorded as upgraded; on the last node, the daemons start again on every node. */
export function clusterServicesStep(next: string): AnyConfig {
	const id = 'clusterServices';
	const commands = (c: Ctx) => (single(c) ? localStart() : startCommands(c));
	const recorded = (c: Ctx) => [progressChange(c, 'upgraded', id, 'Unmask and start the cluster daemons', c.facts.clusterNodes?.checkedAt ?? 0)];
	return {
		meta: {
			step: true,
			title: 'Unmask and start the cluster daemons',
			phase: 'after',
			source: 'Unmasking & Starting Cluster Services',
			why: 'This applies to single nodes and clusters alike. In a cluster, only once every node runs PMG 9: the last node\'s wizard starts them on every node and waits for pmgcm status to show every node active and in sync.',
			probeShows: PROBE_SHOWS,
			commands,
			fix: startCommands,
			reviewFindings: true,
			findings: (c: Ctx) => (single(c) ? [] : clusterTable(c)),
			remedy: clusterRemedy,
		},
		initial: 'checking',
		states: {
			checking: probeState(id, 'clusterFinal'),
			evaluate: {
				always: [
					{guard: 'notClustered', target: 'review'},
					{guard: 'nodeInError', target: 'blocked', actions: [status(id, 'failed')]},
					{guard: 'nodeIdentityChanged', target: 'blocked', actions: [status(id, 'failed')]},
					{guard: 'ownProgressNotUpgraded', target: 'recording'},
					{guard: 'notLastNode', target: 'notLast'},
					{guard: 'unreachableNodeUnconfirmed', target: 'confirmNode'},
					{guard: 'clusterDaemonsRunningEverywhere', target: 'passed', actions: [status(id, 'passed')]},
					{guard: 'clusterStartTried', target: 'stuck', actions: [status(id, 'failed')]},
					{target: 'review'},
				],
			},
			recording: {
				meta: {view: 'checking'},
				invoke: {
					id: `apply.${id}`,
					src: 'applyChanges',
					input: ({context}: {context: Ctx}) => ({step: id, changes: recorded(context)}),
					onDone: [{guard: 'commandsSucceeded', target: 'checking'}, {target: 'failed', actions: ['recordRun', status(id, 'failed')]}],
					onError: {target: 'failed', actions: ['recordError', status(id, 'failed')]},
				},
			},
			notLast: {
				meta: {view: 'info', lines: notLastLines},
				// r: another node finished its upgrade meanwhile, and this one is the last after all.
				on: {'operator.continue': {target: `#wizard.${next}`, actions: ['recordNotLast']}, 'operator.recheck': 'checking'},
			},
			...reviewStates(),
			running: runState(id, commands, [
				{guard: and(['commandsSucceeded', 'notClustered']), target: 'done', actions: 'recordRun'},
				{guard: 'commandsSucceeded', target: 'checking', actions: 'recordRun'},
			]),
			done: {meta: {view: 'done'}, entry: [status(id, 'passed')], on: {'operator.continue': `#wizard.${next}`}},
			...common(id),
			passed: {meta: {view: 'passed'}, on: {'operator.continue': `#wizard.${next}`}},
		},
	};
}
