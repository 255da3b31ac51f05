/**
 * The cluster as the probes see it, for the machine tests: pmg1 is this
 * node, pmg2 is reached over ssh, pmg3 (in some variants) is not reached.
 */
import {setup} from 'xstate';
import {common, freshContext, runtimeActors} from '../../machines/kit.ts';
import {pmgGuards, type PmgContext, type PmgFacts} from '../../machines/pmg-8-to-9.ts';
import {CLUSTER_DAEMONS, clusterActions, clusterGateStep, clusterPrepareStep, clusterServicesStep} from '../../machines/pmg-cluster.ts';

export type Node = NonNullable<PmgFacts['clusterNodes']>['nodes'][number];
export const daemons = (active: string, enabled: string) => Object.fromEntries(CLUSTER_DAEMONS.map(u => [u, {active, enabled}]));
export const peer = (name: string, ip: string, extra: Partial<Node> = {}): Node => ({
	name, cid: Number(name.slice(-1)), ip, role: name === 'pmg1' ? 'master' : 'node', state: 'A', self: name === 'pmg1', reached: true, problem: null,
	hostname: name, addresses: [ip], pmgApi: '8.2.7', daemons: daemons('active', 'enabled'), progress: null, ...extra,
});
export const baseline = {pmg1: {ip: '10.0.0.1', hostname: 'pmg1'}, pmg2: {ip: '10.0.0.2', hostname: 'pmg2'}, pmg3: {ip: '10.0.0.3', hostname: null}};
export const unreached = peer('pmg3', '10.0.0.3', {reached: false, problem: 'ssh: connect to host 10.0.0.3 port 22: Connection refused', hostname: null, addresses: [], pmgApi: null, daemons: null});
export const view = (stage: 'prepare' | 'gate' | 'final', nodes: Node[], ownProgress: string | null = null): Partial<PmgFacts> => ({
	cluster: {clustered: true, nodes: nodes.map(n => ({name: n.name, ip: n.ip, role: n.role, state: n.state}))},
	clusterNodes: {stage, nodes, ownProgress, checkedAt: 1},
	// What the first look found: the same nodes, with their names and addresses of then.
	clusterBaseline: Object.fromEntries(Object.entries(baseline).filter(([name]) => nodes.some(n => n.name === name))),
	clusterSsh: {config: null, identity: null},
});
export const stoppedNode = (name: string, ip: string, extra: Partial<Node> = {}) => peer(name, ip, {daemons: daemons('inactive', 'masked'), ...extra});
export const upgraded = JSON.stringify({node: 'pmg1', stage: 'upgraded', step: 'clusterServices', title: 'x', at: '2026-01-01T00:00:00Z'});
export const single = {cluster: {clustered: false, nodes: []}};

/**
 * The cluster steps of the PMG machine, the very step configurations it
 * uses, with one screen standing in for the steps between them: small
 * enough to explore every path, and to run on real hosts.
 */
export function clusterMachine() {
	const between = (next: string) => ({meta: {step: true, title: 'the steps between', phase: 'prepare', why: 'the other steps of the path'}, initial: 'info', states: {info: {meta: {view: 'info'}, on: {'operator.continue': `#wizard.${next}`}}}});
	return setup({
		types: {context: {} as PmgContext, input: {} as {startedAt: number}},
		guards: {...common.guards, ...pmgGuards} as never,
		actions: {...common.actions, ...clusterActions} as never,
		actors: runtimeActors<PmgFacts, string, PmgContext>(),
	}).createMachine({
		id: 'wizard',
		context: ({input}) => freshContext(input.startedAt),
		meta: {product: 'pmg', title: 'PMG cluster', phases: [{id: 'prepare', title: 'Preparation'}, {id: 'upgrade', title: 'Upgrade'}, {id: 'after', title: 'After reboot'}], version: 1},
		initial: 'cluster',
		states: {
			cluster: clusterPrepareStep('archiveKeyring'),
			archiveKeyring: between('clusterGate'),
			clusterGate: clusterGateStep('distUpgrade', 'Upgrade the system: apt dist-upgrade'),
			distUpgrade: between('clusterServices'),
			clusterServices: clusterServicesStep('purgePostgres'),
			purgePostgres: {type: 'final', meta: {step: true, view: 'finished', title: 'Done', phase: 'after', why: 'the cluster steps ended'}},
		} as never,
	});
}
