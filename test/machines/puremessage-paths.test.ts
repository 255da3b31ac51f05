import {describe, expect, it} from 'vitest';
import {getShortestPaths} from 'xstate/graph';
import {
	computePlan,
	MIGRATION_OPTIONS,
	pmGuards,
	pmUpgradeMachine,
	serverNamed,
	type PmContext,
	type PmUpgradeMachine,
} from '../../machines/puremessage-5.6-to-6.ts';
import type {Deployment} from '../../source/probes/pm-deployment.ts';
import {position} from '../../source/runtime/runtime.ts';
import {FIVE, SINGLE, THREE} from '../fixtures/pm-deployments.ts';

/*
 * Every path through the PureMessage machine for the bundled deployments
 * (1, 3 and 5 servers), explored with xstate/graph. Probe and command
 * results arrive as the done/error events the runtime would send, good and
 * bad (a changed hostname, too little disk, pmx-setup failing), and the
 * operator may pick any plan item and any migration option, so the
 * out-of-order and mismatch attempts are on the paths too.
 */

const GiB = 1024 ** 3;
type Snap = ReturnType<PmUpgradeMachine['resolveState']>;

const ok = {failedIndex: null, commands: [], tail: [], step: 'x'};
const failed = {failedIndex: 0, commands: [{display: 'pmx-setup', exitCode: 1, durationMs: 1, dryRun: false}], tail: [], step: 'x'};

function probeOutputs(probe: string, context: PmContext, deployment: Deployment): unknown[] {
	const current = context.plan.find(i => i.id === context.current)?.server ?? deployment.servers.find(s => !context.diskPassed.includes(s.name))?.name ?? '';
	const server = serverNamed(context, current);
	switch (probe) {
		case 'inventory':
			return [
				{deployment, deploymentFile: deployment.file, deploymentProblems: []},
				{deployment: null, deploymentFile: deployment.file, deploymentProblems: [{line: 4, field: 'servers[0].roles[1]', message: '"dbase" is not a role'}]},
			];
		case 'preconditions': {
			const identities = (uid: number) =>
				Object.fromEntries(deployment.servers.filter(s => s.access !== 'manual').map(s => [s.name, {uid, user: uid === 0 ? 'root' : 'admin', hostname: s.hostname, addresses: s.addresses}]));
			return [{identities: identities(0)}, {identities: identities(1000)}];
		}
		case 'identity':
			return server
				? [
						{identityNow: {server: server.name, hostname: server.hostname, addresses: server.addresses}},
						{identityNow: {server: server.name, hostname: `renamed-${server.hostname}`, addresses: server.addresses}},
						{identityNow: {server: server.name, hostname: server.hostname, addresses: ['198.51.100.9']}},
					]
				: [];
		case 'disk':
			return [{disk: {server: current, availableBytes: 20 * GiB}}, {disk: {server: current, availableBytes: 5 * GiB}}];
		case 'installed':
			return [{installed: {server: current, pmx6: true, pmx: true}}, {installed: {server: current, pmx6: false, pmx: true}}];
		default:
			return [];
	}
}

function activeNode(snapshot: Snap) {
	const {step, screen} = position(snapshot.value);
	const stepNode = pmUpgradeMachine().root.states[step]!;
	return {stepNode, node: screen ? stepNode.states[screen]! : stepNode};
}

const eventsFor = (deployment: Deployment) => (snapshot: Snap) => {
	const {node} = activeNode(snapshot);
	const context = snapshot.context as PmContext;
	const events: Array<Record<string, unknown> & {type: string}> = [];
	for (const invoke of node.invoke) {
		if (invoke.src === 'probe') {
			const {probe} = (invoke.input as (a: unknown) => {probe: string})({context, event: {type: 'x'}, self: undefined});
			for (const output of probeOutputs(probe, context, deployment)) events.push({type: `xstate.done.actor.${invoke.id}`, output});
			events.push({type: `xstate.error.actor.${invoke.id}`, error: new Error('ssh: connect to host mta1 port 22: Connection refused')});
		} else {
			events.push({type: `xstate.done.actor.${invoke.id}`, output: ok}, {type: `xstate.done.actor.${invoke.id}`, output: failed});
		}
	}
	for (const type of Object.keys(node.on)) {
		if (type === 'operator.choose') {
			const options = (node.meta as {options?: (c: PmContext) => Array<{value: string}>}).options?.(context) ?? [];
			for (const option of options) events.push({type, value: option.value});
		} else if (type === 'operator.confirm') {
			const word = (node.meta as {confirm?: {word: string}}).confirm?.word ?? '';
			events.push({type, text: word}, {type, text: 'wrong'});
		} else if (type === 'operator.input') {
			events.push({type, value: '12G'}, {type, value: 'lots'});
		} else events.push({type});
	}
	return events as never[];
};

const contextGuards = Object.entries(pmGuards) as Array<[string, (args: {context: PmContext}) => boolean]>;
const serializeState = (snapshot: Snap) => {
	const c = snapshot.context as PmContext;
	return JSON.stringify([
		snapshot.value,
		contextGuards.map(([, guard]) => (guard({context: c}) ? 1 : 0)).join(''),
		c.progress,
		c.current,
		c.diskPassed,
		c.refused,
		c.choices,
		Object.keys(c.confirmations).sort(),
		c.facts.identityNow ?? null,
	]);
};

type Path = {state: Snap; steps: Array<{state: Snap; event: {type: string; value?: string}}>};

const explore = (deployment: Deployment) =>
	getShortestPaths(pmUpgradeMachine() as never, {events: eventsFor(deployment) as never, input: {startedAt: 0}, serializeState} as never) as unknown as Path[];

const where = (s: Snap) => position(s.value);
const currentOf = (s: Snap) => {
	const c = s.context as PmContext;
	return c.plan.find(i => i.id === c.current);
};

/** Every moment on a path where a server's pmx-setup runs (over SSH or here) or the operator confirms it ran by hand. */
const upgradeMoments = (paths: Path[]) =>
	paths.flatMap(p => p.steps.map(s => s.state)).filter(s => where(s).step === 'upgrade' && ['running', 'manual'].includes(where(s).screen ?? ''));

describe.each([
	['a single server', SINGLE],
	['three servers (DB+CSM here, MTA+Filter over SSH, EUWI by hand)', THREE],
	['five servers with two MTA/Filter servers', FIVE],
])('puremessage machine over every path: %s', (_name, deployment) => {
	const paths = explore(deployment);
	const plan = computePlan(deployment.servers);
	const groupOf = (id: string) => plan.find(i => i.id === id)!.group;

	it('reaches the end, and every step of the procedure', () => {
		expect(paths.some(p => p.state.status === 'done')).toBe(true);
		const steps = new Set(paths.map(p => where(p.state).step));
		const expected = Object.entries(pmUpgradeMachine().root.states)
			.filter(([, n]) => (n.meta as {step?: boolean} | undefined)?.step)
			.map(([id]) => id)
			.filter(id => id !== 'verifyFilter' || plan.some(i => i.group === 'filter'))
			.filter(id => id !== 'databaseNote' || true);
		for (const step of expected) expect(steps, step).toContain(step);
	});

	it('never upgrades a Mail Filter / MTA server before the database server is upgraded and PureMessage started on the CSM', () => {
		const moments = upgradeMoments(paths).filter(s => currentOf(s)?.group === 'filter');
		if (!plan.some(i => i.group === 'filter')) return expect(moments).toHaveLength(0);
		expect(moments.length).toBeGreaterThan(0);
		for (const s of moments) {
			const c = s.context as PmContext;
			for (const item of plan.filter(i => i.group === 'database')) expect(c.progress[item.id], item.id).toBe('done');
		}
	});

	it('never upgrades a web interface server before every filter server is done', () => {
		const moments = upgradeMoments(paths).filter(s => currentOf(s)?.group === 'web');
		if (!plan.some(i => i.group === 'web')) return expect(moments).toHaveLength(0);
		expect(moments.length).toBeGreaterThan(0);
		for (const s of moments) {
			const c = s.context as PmContext;
			for (const item of plan.filter(i => i.group !== 'web')) expect(c.progress[item.id], item.id).toBe('done');
		}
	});

	it('upgrades one server at a time, each only after the ones before it in the plan', () => {
		for (const s of upgradeMoments(paths)) {
			const c = s.context as PmContext;
			const index = plan.findIndex(i => i.id === c.current);
			for (const before of plan.slice(0, index)) expect(c.progress[before.id]).toBe('done');
			for (const after of plan.slice(index + 1)) expect(c.progress[after.id]).toBe('pending');
		}
	});

	it('refuses a server picked out of order, and says which one is next', () => {
		if (plan.length < 3) return;
		const refused = paths.filter(p => where(p.state).step === 'plan' && where(p.state).screen === 'refused');
		expect(refused.length).toBeGreaterThan(0);
		for (const p of refused) {
			const lines = (activeNode(p.state).node.meta as {lines: (c: PmContext) => string[]}).lines(p.state.context as PmContext);
			expect(lines[0]).toMatch(/^REFUSED: /);
		}
	});

	it('never passes a changed hostname or address: pmx-setup and the migration start only with the identity recorded at the start', () => {
		const checked = paths
			.flatMap(p => p.steps.map(s => s.state))
			.filter(s => (where(s).step === 'upgrade' && where(s).screen === 'running') || (where(s).step === 'migrate' && where(s).screen === 'run'));
		expect(checked.length).toBeGreaterThan(0);
		for (const s of checked) {
			const c = s.context as PmContext;
			const server = serverNamed(c, currentOf(s)!.server)!;
			if (server.access === 'manual') {
				expect(c.confirmations[where(s).step === 'migrate' ? 'manual.identityBeforeMigration' : 'manual.identity']).toBe('unchanged');
				continue;
			}
			expect(c.facts.identityNow?.server).toBe(server.name);
			expect(c.facts.identityNow?.hostname).toBe(c.recorded[server.name]!.hostname);
			expect(c.facts.identityNow?.addresses).toEqual(c.recorded[server.name]!.addresses);
		}
		// And a changed one does stop there, with the document's warning.
		const blocked = paths.filter(p => where(p.state).step === 'identity' && where(p.state).screen === 'blocked');
		expect(blocked.length).toBeGreaterThan(0);
	});

	it('never runs a server\'s migration with options other than the deployment\'s', () => {
		const migrating = paths.flatMap(p => p.steps.map(s => s.state)).filter(s => where(s).step === 'migrate' && where(s).screen === 'run');
		expect(migrating.length).toBeGreaterThan(0);
		for (const s of migrating) {
			const c = s.context as PmContext;
			expect(c.choices[`migration.${currentOf(s)!.server}`]).toBe(c.choices.migration);
		}
		expect(paths.some(p => where(p.state).step === 'migrate' && where(p.state).screen === 'refused')).toBe(true);
		expect(MIGRATION_OPTIONS.length).toBeGreaterThan(2);
	});

	it('after the first MTA / Filter server, waits for the typed mail-flow test before the next server', () => {
		const filters = plan.filter(i => i.group === 'filter');
		for (const s of upgradeMoments(paths)) {
			const c = s.context as PmContext;
			const item = currentOf(s)!;
			const firstFilterDone = filters.some(i => c.progress[i.id] === 'done');
			if (firstFilterDone) expect(c.confirmations['filter.verified'], item.id).toBe('mail flows');
		}
		if (filters.length > 0) expect(paths.some(p => where(p.state).step === 'verifyFilter')).toBe(true);
	});

	it('never starts the upgrades without root on every server, a notice sent and the disk figure checked on each', () => {
		for (const s of upgradeMoments(paths)) {
			const c = s.context as PmContext;
			expect(c.facts.identities && deployment.servers.filter(x => x.access !== 'manual').every(x => c.facts.identities![x.name]!.uid === 0)).toBe(true);
			expect(c.confirmations['notice.sent']).toBe('sent');
			expect([...c.diskPassed].sort()).toEqual(deployment.servers.map(x => x.name).sort());
		}
		expect(paths.some(p => where(p.state).step === 'diskSpace' && where(p.state).screen === 'blocked')).toBe(true);
	});

	it('keeps a failed pmx-setup on a screen that says to stop and contact support', () => {
		const failedRun = paths.filter(p => where(p.state).step === 'upgrade' && where(p.state).screen === 'failed');
		if (deployment.servers.every(s => s.access === 'manual')) return;
		expect(failedRun.length).toBeGreaterThan(0);
		const meta = activeNode(failedRun[0]!.state).stepNode.meta as {failure?: string[]};
		expect(meta.failure?.join(' ')).toContain('contact Sophos Technical Support');
		expect(groupOf(plan[0]!.id)).toBe('database');
	});
});

describe('the plan from an inventory', () => {
	it('puts the database and CSM server first, then starting the CSM, then each filter, then the web interfaces', () => {
		expect(computePlan(FIVE.servers).map(i => i.id)).toEqual(['upgrade:db1', 'start:db1', 'upgrade:mta1', 'upgrade:mta2', 'upgrade:euwi1', 'upgrade:gwi1']);
		expect(computePlan(SINGLE.servers).map(i => i.id)).toEqual(['upgrade:pm1', 'start:pm1']);
	});

	it('upgrades a separate CSM server right after the database server', () => {
		const servers = [
			{...THREE.servers[1]!},
			{...THREE.servers[0]!, roles: ['database' as const]},
			{...THREE.servers[2]!, name: 'csm1', roles: ['csm' as const]},
		];
		expect(computePlan(servers).map(i => i.id)).toEqual(['upgrade:db1', 'upgrade:csm1', 'start:csm1', 'upgrade:mta1']);
	});
});
