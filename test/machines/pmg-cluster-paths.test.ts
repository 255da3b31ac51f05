import {describe, expect, it} from 'vitest';
import {getShortestPaths} from 'xstate/graph';
import {pmgGuards, pmgUpgradeMachine, type PmgContext, type PmgFacts} from '../../machines/pmg-8-to-9.ts';
import {clusterTable, daemonsStopped, manualKey} from '../../machines/pmg-cluster.ts';
import {position} from '../../source/runtime/runtime.ts';
import {clusterMachine, daemons, peer, single, stoppedNode, unreached, upgraded, view} from './cluster-fixtures.ts';

/*
 * The cluster steps of the PMG path over every path, with xstate/graph: the
 * same three step configurations the PMG machine uses (the other steps
 * between them stand in as one screen each, so the space stays small enough
 * to explore every variant of the cluster the probes may report).
 */

const upgrading = {node: 'pmg2', stage: 'upgrading' as const, step: 'distUpgrade', title: 'Upgrade the system: apt dist-upgrade', at: '2026-01-01T10:00:00Z'};

/** Probe results by probe name. */
const probeOutputs: Record<string, Array<Partial<PmgFacts>>> = {
	clusterPrepare: [
		single,
		view('prepare', [peer('pmg1', '10.0.0.1'), peer('pmg2', '10.0.0.2'), unreached]),
		view('prepare', [stoppedNode('pmg1', '10.0.0.1'), stoppedNode('pmg2', '10.0.0.2'), unreached]),
		// Masking failed on pmg2 and its daemons came back.
		view('prepare', [stoppedNode('pmg1', '10.0.0.1'), peer('pmg2', '10.0.0.2', {daemons: daemons('active', 'enabled')})]),
		view('prepare', [peer('pmg1', '10.0.0.1'), peer('pmg2', '10.0.0.2', {state: 'S'})]),
		view('prepare', [peer('pmg1', '10.0.0.1'), peer('pmg2', '10.0.0.2', {state: 'ERROR: 500 Can\'t connect to 10.0.0.2:8006'})]),
		view('prepare', [peer('pmg1', '10.0.0.1'), peer('pmg2', '10.0.0.2', {hostname: 'pmg2-new'})]),
	],
	clusterGate: [
		single,
		// With the daemons stopped nothing syncs: pmgcm says S after three minutes, which is expected here.
		view('gate', [stoppedNode('pmg1', '10.0.0.1'), stoppedNode('pmg2', '10.0.0.2', {state: 'S'}), unreached]),
		view('gate', [stoppedNode('pmg1', '10.0.0.1'), stoppedNode('pmg2', '10.0.0.2', {progress: upgrading})]),
		view('gate', [stoppedNode('pmg1', '10.0.0.1'), stoppedNode('pmg2', '10.0.0.2', {state: 'ERROR: 500 Can\'t connect to 10.0.0.2:8006'})]),
		view('gate', [stoppedNode('pmg1', '10.0.0.1'), stoppedNode('pmg2', '10.0.0.5')]),
	],
	clusterFinal: [
		single,
		view('final', [stoppedNode('pmg1', '10.0.0.1', {pmgApi: '9.0.3'}), stoppedNode('pmg2', '10.0.0.2')], null),
		view('final', [stoppedNode('pmg1', '10.0.0.1', {pmgApi: '9.0.3'}), stoppedNode('pmg2', '10.0.0.2')], upgraded),
		view('final', [stoppedNode('pmg1', '10.0.0.1', {pmgApi: '9.0.3'}), stoppedNode('pmg2', '10.0.0.2', {pmgApi: '9.0.3'}), unreached], upgraded),
		view('final', [peer('pmg1', '10.0.0.1', {pmgApi: '9.0.3'}), peer('pmg2', '10.0.0.2', {pmgApi: '9.0.3', state: 'S'})], upgraded),
		view('final', [peer('pmg1', '10.0.0.1', {pmgApi: '9.0.3'}), peer('pmg2', '10.0.0.2', {pmgApi: '9.0.3'})], upgraded),
		view('final', [peer('pmg1', '10.0.0.1', {pmgApi: '9.0.3'}), peer('pmg2', '10.0.0.2', {pmgApi: '9.0.3', state: 'ERROR: 500 Can\'t connect to 10.0.0.2:8006'})], upgraded),
	],
};

const machine = clusterMachine();

type Snap = ReturnType<typeof machine.resolveState>;
const ok = {failedIndex: null, commands: [], tail: [], step: 'x'};
const failed = {failedIndex: 1, commands: [{display: 'systemctl mask pmgmirror pmgtunnel', exitCode: 1, durationMs: 1, dryRun: false}], tail: [], step: 'x'};

function activeNode(snapshot: Snap) {
	const {step, screen} = position(snapshot.value);
	const stepNode = machine.root.states[step]!;
	return {stepNode, node: screen ? stepNode.states[screen]! : stepNode};
}

function eventsFor(snapshot: Snap) {
	const {node} = activeNode(snapshot);
	const events: Array<Record<string, unknown> & {type: string}> = [];
	for (const invoke of node.invoke) {
		if (invoke.src === 'probe') {
			const {probe} = (invoke.input as (a: unknown) => {probe: string})({context: snapshot.context, event: {type: 'x'}, self: undefined});
			for (const output of probeOutputs[probe] ?? []) events.push({type: `xstate.done.actor.${invoke.id}`, output});
			events.push({type: `xstate.error.actor.${invoke.id}`, error: new Error('probe failed')});
		} else {
			// The run's step names itself, as the runtime's summary does.
			const step = position(snapshot.value).step;
			events.push({type: `xstate.done.actor.${invoke.id}`, output: {...ok, step}}, {type: `xstate.done.actor.${invoke.id}`, output: {...failed, step}});
		}
	}
	for (const type of Object.keys(node.on)) {
		if (type === 'operator.confirm') {
			const confirm = (node.meta as {confirm?: {word: string; wordFor?: (c: PmgContext) => string}}).confirm;
			events.push({type, text: confirm?.wordFor?.(snapshot.context) ?? confirm?.word ?? ''}, {type, text: 'pmg2'}, {type, text: 'all nodes'});
		} else if (!type.startsWith('xstate.')) events.push({type});
	}
	return events as never[];
}

const contextGuards = Object.entries(pmgGuards).filter(([, guard]) => guard.length <= 1) as Array<[string, (args: {context: PmgContext}) => boolean]>;
const serializeState = (snapshot: Snap) => {
	const context = snapshot.context as PmgContext;
	return JSON.stringify([
		snapshot.value,
		contextGuards.map(([, guard]) => (guard({context, event: {type: ''}} as never) ? 1 : 0)).join(''),
		context.facts.clusterNodes?.stage ?? null,
		Object.keys(context.confirmations).sort(),
		context.lastRun?.step ?? null,
		context.status.clusterServices?.status ?? null,
	]);
};

const paths = getShortestPaths(machine as never, {events: eventsFor as never, input: {startedAt: 0}, serializeState} as never) as unknown as Array<{
	state: Snap;
	steps: Array<{state: Snap; event: {type: string; text?: string}}>;
}>;
const reached = (predicate: (step: string, screen: string | null) => boolean) =>
	paths.filter(p => {
		const {step, screen} = position(p.state.value);
		return predicate(step, screen);
	});

/** The context with which a path entered `step`. */
const entering = (path: (typeof paths)[number], step: string) => path.steps.find(s => position(s.state.value).step === step)!.state.context as PmgContext;
/** Paths that entered `step` in a cluster. */
const inCluster = (list: typeof paths, step: string) => list.filter(p => entering(p, step).facts.cluster?.clustered === true);

describe('pmg cluster steps, over every path', () => {
	it('are the steps of the PMG machine, in its order', () => {
		const ids = Object.keys(pmgUpgradeMachine().root.states);
		expect(ids.indexOf('cluster')).toBeLessThan(ids.indexOf('archiveKeyring'));
		expect(ids.indexOf('clusterGate')).toBe(ids.indexOf('distUpgrade') - 1);
		expect(ids.indexOf('clusterServices')).toBeGreaterThan(ids.indexOf('servicesAfter'));
		expect(paths.length).toBeGreaterThan(50);
		for (const screen of ['confirmNode', 'blocked', 'stuck', 'review', 'running', 'passed']) expect(reached((step, s) => step === 'cluster' && s === screen).length, screen).toBeGreaterThan(0);
		for (const screen of ['notLast', 'recording', 'confirmNode', 'blocked', 'stuck', 'passed', 'done']) expect(reached((step, s) => step === 'clusterServices' && s === screen).length, screen).toBeGreaterThan(0);
	});

	it('leaves the first stage only with the daemons stopped and masked on every node reached, the others typed by name, in sync and unchanged', () => {
		const after = inCluster(reached(step => step === 'archiveKeyring'), 'archiveKeyring');
		expect(after.length).toBeGreaterThan(0);
		for (const path of after) {
			const context = entering(path, 'archiveKeyring');
			for (const n of context.facts.clusterNodes!.nodes) {
				if (n.reached) expect(daemonsStopped(n), n.name).toBe(true);
				else expect(context.confirmations[manualKey('prepare', n.name)], n.name).toBe(n.name);
			}
			expect(pmgGuards.clusterInSync({context})).toBe(true);
			expect(pmgGuards.noNodeInError({context})).toBe(true);
			expect(pmgGuards.nodeIdentitiesUnchanged({context})).toBe(true);
		}
		expect(after.some(p => entering(p, 'archiveKeyring').confirmations[manualKey('prepare', 'pmg3')] === 'pmg3')).toBe(true);
	});

	it('a failed stop or mask leads to the per-node table with f to run it again on what is left, never on', () => {
		const afterRun = reached((step, screen) => step === 'cluster' && screen === 'stuck');
		expect(afterRun.length).toBeGreaterThan(0);
		// Blocked for any other reason, f is not offered: it would not help.
		for (const path of reached((step, screen) => step.startsWith('cluster') && screen === 'blocked')) expect(Object.keys(activeNode(path.state).node.on)).toEqual(['operator.recheck']);
		for (const path of afterRun) {
			const {node, stepNode} = activeNode(path.state);
			expect(Object.keys(node.on)).toEqual(expect.arrayContaining(['operator.recheck', 'operator.fix']));
			const context = path.state.context as PmgContext;
			const remedy = (stepNode.meta as {remedy: (c: PmgContext) => string[]}).remedy(context).join(' ');
			expect(remedy).toMatch(/On (pmg1, )?pmg2 the cluster daemons still run or are not masked/);
			expect(clusterTable(context).some(f => f.level === 'FAIL' && f.text.startsWith('pmg2 '))).toBe(true);
		}
	});

	it('names the node that blocks: syncing or in error before the first stage, mid-upgrade or in error at the gate', () => {
		const texts = (step: string) =>
			reached((s, screen) => s === step && screen === 'blocked').map(p => (activeNode(p.state).stepNode.meta as {remedy: (c: PmgContext) => string[]}).remedy(p.state.context as PmgContext).join(' '));
		expect(texts('cluster')).toContainEqual(expect.stringContaining('pmg2 is still syncing (pmgcm status: S)'));
		expect(texts('cluster')).toContainEqual(expect.stringContaining("pmg2 is in error in pmgcm status: 500 Can't connect"));
		expect(texts('cluster')).toContainEqual(expect.stringContaining('pmg2: hostname is pmg2-new, it was pmg2'));
		expect(texts('clusterGate')).toContainEqual(expect.stringContaining('pmg2 is being upgraded: it is at "Upgrade the system: apt dist-upgrade" (step distUpgrade) since 2026-01-01 10:00'));
		expect(texts('clusterGate')).toContainEqual(expect.stringContaining('pmg2: pmgcm status says 10.0.0.5, it was 10.0.0.2'));
	});

	it('starts the dist-upgrade only with no other node mid-upgrade or in error, names and addresses unchanged, unreachable ones typed, its own start recorded', () => {
		const at = inCluster(reached(step => step === 'distUpgrade'), 'distUpgrade');
		expect(at.length).toBeGreaterThan(0);
		for (const path of at) {
			const index = path.steps.findIndex(s => position(s.state.value).step === 'distUpgrade');
			const context = path.steps[index]!.state.context as PmgContext;
			expect(context.facts.clusterNodes!.stage).toBe('gate');
			expect(pmgGuards.otherNodeMidUpgrade({context})).toBe(false);
			expect(pmgGuards.noNodeInError({context})).toBe(true);
			expect(pmgGuards.nodeIdentitiesUnchanged({context})).toBe(true);
			expect(pmgGuards.unreachableNodeUnconfirmed({context})).toBe(false);
			expect(position(path.steps[index - 1]!.state.value)).toEqual({step: 'clusterGate', screen: 'running'});
		}
	});

	it('starts the cluster daemons again only on the last node, once its own progress says upgraded; elsewhere skips with the reason', () => {
		const starting = reached((step, screen) => step === 'clusterServices' && screen === 'running').filter(p => (p.state.context as PmgContext).facts.cluster?.clustered === true);
		expect(starting.length).toBeGreaterThan(0);
		for (const path of starting) {
			const context = path.state.context as PmgContext;
			expect(pmgGuards.lastNodeUpgraded({context})).toBe(true);
			expect(pmgGuards.ownProgressUpgraded({context})).toBe(true);
			expect(pmgGuards.unreachableNodeUnconfirmed({context})).toBe(false);
		}
		const skipped = reached(step => step === 'purgePostgres').filter(p => (p.state.context as PmgContext).status.clusterServices?.status === 'skipped');
		expect(skipped.length).toBeGreaterThan(0);
		for (const path of skipped) expect((path.state.context as PmgContext).status.clusterServices!.reason).toBe('not the last node: pmg2 still to upgrade');
	});

	it('passes the last stage in a cluster only with pmgcm showing every node active and in sync, the daemons running on every node reached', () => {
		const passed = reached((step, screen) => step === 'clusterServices' && screen === 'passed');
		expect(passed.length).toBeGreaterThan(0);
		for (const path of passed) {
			const context = path.state.context as PmgContext;
			expect(context.facts.clusterNodes!.nodes.every(n => n.state === 'A')).toBe(true);
			expect(pmgGuards.clusterDaemonsRunningEverywhere({context})).toBe(true);
		}
	});

	it('never accepts a wrong word for an unreachable node', () => {
		// pmg2 (reached) and "all nodes" are typed on every confirm screen too: never recorded, never past.
		const confirmed = paths.flatMap(p => Object.entries((p.state.context as PmgContext).confirmations).filter(([k]) => k.startsWith('cluster.manual.')));
		expect(confirmed.length).toBeGreaterThan(0);
		for (const [, value] of confirmed) expect(value).toBe('pmg3');
	});

	it('draws the per-node table within 80 columns', () => {
		for (const path of reached(step => step === 'cluster' || step === 'clusterGate' || step === 'clusterServices')) {
			// The header and one row per node (the lines under a row may wrap like any finding).
			for (const f of clusterTable(path.state.context as PmgContext).filter(f => !f.text.startsWith(' '))) expect(f.text.length, f.text).toBeLessThanOrEqual(70);
		}
	});
});
