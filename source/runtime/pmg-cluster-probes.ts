/**
 * What the wizard reads on every node of a PMG cluster: pmgcm status here,
 * then on each node (this one directly, the others through the Host that
 * reaches them, OpenSSH as root) its hostname and addresses, its PMG
 * version, the state of the cluster daemons and its progress file. All of
 * it read-only; a node that does not answer is reported, not skipped.
 */
import {CLUSTER_DAEMONS, nodeTarget, PROGRESS_FILE, type ClusterFacts, type ClusterNode, type ClusterStage, type NodeProgress} from '../../machines/pmg-cluster.ts';
import type {PmgContext, PmgFacts} from '../../machines/pmg-8-to-9.ts';
import {SSH_FAILED} from '../host/ssh-host.ts';
import type {Host} from '../host/types.ts';
import {parsePmgcmStatus, type PmgcmNode} from '../probes/pmgcm.ts';
import {parsePmgVersion} from '../probes/pmgversion.ts';
import {parseIpAddr} from '../probes/preflight.ts';
import {parseIsActive, parseIsEnabled} from '../probes/systemctl.ts';
import type {ProbeEnv} from './runtime.ts';

const short = (name: string) => name.split('.')[0]!.toLowerCase();
const lastLine = (text: string) => text.trim().split('\n').pop()?.trim() ?? '';

/** A progress file's content, or null when it is not one the wizard wrote. */
export function parseProgress(text: string | null): NodeProgress | null {
	if (text === null) return null;
	try {
		const p = JSON.parse(text) as Partial<NodeProgress>;
		if (typeof p.node !== 'string' || (p.stage !== 'upgrading' && p.stage !== 'upgraded') || typeof p.step !== 'string') return null;
		return {node: p.node, stage: p.stage, step: p.step, title: typeof p.title === 'string' ? p.title : p.step, at: typeof p.at === 'string' ? p.at : ''};
	} catch {
		return null;
	}
}

/** One node, read through its host; `unreached` when ssh itself failed. */
async function readNode(on: Host, row: PmgcmNode, self: boolean): Promise<ClusterNode> {
	const node: ClusterNode = {...row, self, reached: false, problem: null, hostname: null, addresses: [], pmgApi: null, daemons: null, progress: null};
	const run = (...argv: string[]) => on.run({argv}, {capture: 'all'});
	const name = await run('hostname');
	if (!self && name.exitCode === SSH_FAILED) return {...node, problem: lastLine(name.stderr) || `ssh exited ${SSH_FAILED}`};
	node.reached = true;
	node.hostname = name.exitCode === 0 && name.stdout.trim() !== '' ? name.stdout.trim() : null;
	const ip = await run('ip', '-o', 'addr', 'show');
	if (ip.exitCode === 0) node.addresses = [...new Set(parseIpAddr(ip.stdout).filter(a => a.ifname !== 'lo' && !a.address.startsWith('fe80:')).map(a => a.address))].sort();
	const version = await run('pmgversion', '-v');
	node.pmgApi = version.exitCode === 0 ? parsePmgVersion(version.stdout).pmgApi : null;
	const active = await run('systemctl', 'is-active', ...CLUSTER_DAEMONS);
	const enabled = await run('systemctl', 'is-enabled', ...CLUSTER_DAEMONS);
	const a = parseIsActive(CLUSTER_DAEMONS, active.stdout);
	const e = parseIsEnabled(CLUSTER_DAEMONS, enabled.stdout, enabled.stderr);
	node.daemons = Object.fromEntries(CLUSTER_DAEMONS.map(u => [u, {active: a[u] ?? 'unknown', enabled: e[u] ?? 'unknown'}]));
	try {
		node.progress = parseProgress(await on.readFile(PROGRESS_FILE));
	} catch {
		node.progress = null;
	}
	return node;
}

/** The cluster as seen from this node at `stage`. */
export async function readCluster(host: Host, context: PmgContext, env: ProbeEnv, stage: ClusterStage): Promise<Partial<PmgFacts>> {
	const status = await host.run({argv: ['pmgcm', 'status']}, {capture: 'all'});
	const parsed = parsePmgcmStatus(status.stdout, status.exitCode);
	if (status.exitCode !== 0 || (parsed.problems.length > 0 && !parsed.clustered)) throw new Error(`pmgcm status: ${[...parsed.problems, lastLine(status.stderr)].filter(Boolean).join('; ')}`);
	const cluster = {clustered: parsed.clustered, nodes: parsed.nodes.map(n => ({name: n.name, ip: n.ip, role: n.role, state: n.state}))};
	if (!parsed.clustered) return {cluster};
	const me = short((await host.identity()).hostname);
	const ssh = env.ssh ?? {config: null, identity: null};
	const reachable = {...context, facts: {...context.facts, clusterSsh: ssh}};
	const nodes = await Promise.all(
		parsed.nodes.map(async row => {
			const self = short(row.name) === me;
			if (self) return readNode(host, row, true);
			const target = nodeTarget(reachable, {...row, self} as ClusterNode)!;
			try {
				if (!env.hostFor) throw new Error('no way to reach the other nodes here');
				return await readNode(await env.hostFor(target), row, false);
			} catch (error) {
				const base: ClusterNode = {...row, self: false, reached: false, problem: (error as Error).message, hostname: null, addresses: [], pmgApi: null, daemons: null, progress: null};
				return base;
			}
		}),
	);
	if (!nodes.some(n => n.self)) throw new Error(`pmgcm status does not list this node (${me}): ${nodes.map(n => n.name).join(', ')}`);
	const ownProgress = await host.readFile(PROGRESS_FILE).catch(() => null);
	// The first look is the reference; a node unreached then gets its hostname when first reached.
	const baseline: NonNullable<ClusterFacts['clusterBaseline']> = {...(context.facts.clusterBaseline ?? Object.fromEntries(nodes.map(n => [n.name, {ip: n.ip, hostname: n.hostname}])))};
	for (const n of nodes) if (baseline[n.name] && baseline[n.name]!.hostname === null && n.hostname !== null) baseline[n.name] = {...baseline[n.name]!, hostname: n.hostname};
	return {cluster, clusterSsh: ssh, clusterNodes: {stage, nodes, ownProgress, checkedAt: host.now()}, clusterBaseline: baseline};
}
