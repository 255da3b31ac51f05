import {describe, expect, it} from 'vitest';
import {getShortestPaths} from 'xstate/graph';
import {CLUSTER_DAEMONS, MIN_FREE_BYTES, notRunning, PMG_SERVICES, POSTFIX_INSTANCE, pmgGuards, pmgUpgradeMachine, type PmgContext, type PmgUpgradeMachine, type PmgFacts} from '../../machines/pmg-8-to-9.ts';
import {position} from '../../source/runtime/runtime.ts';
import {peer, single, stoppedNode, upgraded, view} from './cluster-fixtures.ts';

/*
 * Every path through the PMG machine, explored with xstate/graph. Probes and
 * commands are invoked actors; here their results arrive as the done/error
 * events the runtime would send, in good and bad variants, so the traversal
 * covers the blocked screens, the retries and the overrides too.
 */

const GiB = 1024 ** 3;
const stopped = Object.fromEntries([...PMG_SERVICES, ...CLUSTER_DAEMONS].map(u => [u, {active: 'inactive', enabled: 'masked'}]));
const running = {...stopped, postfix: {active: 'active', enabled: 'enabled'}};
const noSources = {plan: [], thirdParty: [], leftovers: [], errors: [], oldPmg: [], pmgRepo: null};
const change = {path: '/etc/apt/sources.list', before: 'deb http://deb.debian.org/debian bookworm main\n', after: 'deb http://deb.debian.org/debian trixie main\n', diff: '-bookworm\n+trixie'};
const leftover = {path: '/etc/apt/sources.list.d/extra.list', line: 1, uri: 'https://repo.example.com/deb', suites: ['bookworm']};

/** Probe results by probe name: the first of each is the good one. */
const probeOutputs: Record<string, Array<Partial<PmgFacts>>> = {
	preconditions: [
		{identity: {uid: 0, user: 'root', hostname: 'pmg1'}, session: {ssh: false, multiplexer: false}},
		{identity: {uid: 1000, user: 'admin', hostname: 'pmg1'}, session: {ssh: false, multiplexer: false}},
		{identity: {uid: 0, user: 'root', hostname: 'pmg1'}, session: {ssh: true, multiplexer: false}},
		{
			identity: {uid: 0, user: 'root', hostname: 'pmg1'},
			session: {ssh: false, multiplexer: false},
			sourceConflicts: [{path: '/etc/apt/sources.list.d/pmg.list', line: 1, message: 'configured twice with different Signed-By', refused: true}],
		},
	],
	conffilePrompts: [
		{conffilePrompts: [], distUpgradeRemovals: {packages: [], cause: []}},
		{conffilePrompts: [], distUpgradeRemovals: {packages: ['proxmox-mailgateway', 'pmg-api'], cause: ['pmg-api : Depends: libfoo but it is not installable']}},
	],
	pmgversion: [{pmgApi: '8.2.7'}, {pmgApi: '8.2.3'}, {pmgApi: '9.0.3'}],
	upgraded: [
		{pmgApi: '9.0.3', configLeftovers: []},
		{pmgApi: '9.0.3', configLeftovers: [{path: '/etc/pmg/x.conf.dpkg-dist', what: 'new', hint: 'compare', command: 'diff -u a b'}]},
		{pmgApi: '8.2.7'},
	],
	backupCandidates: [{backupCandidates: [{path: '/var/lib/pmg/backup/pmg-backup_2026_01_10_6781A2B0.tgz', size: 9000, mtimeMs: 1}]}],
	backup: [
		{backup: {path: '/var/lib/pmg/backup/new.tgz', exists: true, size: 9000, mtimeMs: 2, missing: [], recent: true}},
		{backup: {path: '/var/lib/pmg/backup/old.tgz', exists: true, size: 9000, mtimeMs: 1, missing: [], recent: false}},
		{backup: {path: '/var/lib/pmg/backup/bad.tgz', exists: true, size: 10, mtimeMs: 2, missing: ['Proxmox_ruledb.sql'], recent: true}},
	],
	disk: [{disk: {availableBytes: 20 * GiB, totalBytes: 32 * GiB}}, {disk: {availableBytes: 9.5 * GiB, totalBytes: 32 * GiB}}],
	checklist: [
		{checklist: {present: true, findings: [], failures: 0, warnings: 1, summary: 'ok'}},
		{checklist: {present: true, findings: [{level: 'FAIL', text: 'x'}], failures: 1, warnings: 0, summary: 'fail'}},
	],
	sources: [
		{sources: {...noSources, pmgRepo: {path: '/etc/apt/sources.list.d/proxmox.sources', before: 'x', after: 'x', diff: ''}}},
		{sources: {...noSources, pmgRepo: {path: '/etc/apt/sources.list.d/proxmox.sources', before: null, after: 'x', diff: '+x'}}},
		{sources: {...noSources, plan: [change], oldPmg: [change]}},
		{sources: {...noSources, thirdParty: [leftover], leftovers: [leftover]}},
		{sources: {...noSources, errors: [{path: '/etc/apt/sources.list', line: 3, message: 'bad line'}]}},
	],
	packages: [{packages: {}}, {packages: {'linux-image-amd64': 'installed', 'systemd-boot': 'installed'}}],
	services: [{services: stopped}, {services: running}],
	postgres: [
		{locale: {available: ['C'], problems: []}, pgClusters: [{version: '15', cluster: 'main', status: 'online'}]},
		{locale: {available: ['C'], problems: [{variable: 'LC_ALL', value: 'de_DE.UTF-8'}]}, pgClusters: [{version: '15', cluster: 'main', status: 'online'}]},
	],
	pgClusters: [
		{pgClusters: [{version: '15', cluster: 'main', status: 'down'}, {version: '17', cluster: 'main', status: 'online'}]},
		{pgClusters: [{version: '15', cluster: 'main', status: 'online'}]},
	],
	bootId: [{bootIdBeforeReboot: 'boot-1'}],
	templates: [{templates: []}],
	afterReboot: [
		{afterReboot: {units: Object.fromEntries([...PMG_SERVICES, POSTFIX_INSTANCE].map(u => [u, {active: 'active', enabled: 'enabled'}])), postgres17: 'online'}},
		{
			afterReboot: {
				units: {
					...Object.fromEntries([...PMG_SERVICES, POSTFIX_INSTANCE].map(u => [u, {active: 'active', enabled: 'enabled'}])),
					postfix: {active: 'inactive', enabled: 'disabled'},
					[POSTFIX_INSTANCE]: {active: 'failed', enabled: 'n/a'},
				},
				postgres17: 'down',
			},
		},
	],
	modernizePlan: [
		{modernize: {conversions: [], duplicates: []}},
		{
			modernize: {
				conversions: [{from: '/etc/apt/sources.list', to: '/etc/apt/sources.list.d/debian.sources', entries: 2, appends: true, backup: '/etc/apt/sources.list.bak', replacesBackup: true}],
				duplicates: [{from: '/etc/apt/sources.list', line: 1, to: '/etc/apt/sources.list.d/debian.sources', toLine: 1, uri: 'http://deb.debian.org/debian', suite: 'trixie'}],
			},
		},
	],
};

// The cluster's own paths are explored in pmg-cluster-paths.test.ts; here one cluster that goes well, so the whole path stays finite.
const clusterOutputs: Record<string, Array<Partial<PmgFacts>>> = {
	clusterPrepare: [single, view('prepare', [stoppedNode('pmg1', '10.0.0.1'), stoppedNode('pmg2', '10.0.0.2')])],
	clusterGate: [single, view('gate', [stoppedNode('pmg1', '10.0.0.1'), stoppedNode('pmg2', '10.0.0.2')])],
	clusterFinal: [single, view('final', [peer('pmg1', '10.0.0.1', {pmgApi: '9.0.3'}), peer('pmg2', '10.0.0.2', {pmgApi: '9.0.3'})], upgraded)],
};
Object.assign(probeOutputs, clusterOutputs);

const ok = {failedIndex: null, commands: [], tail: [], step: 'x'};
const failed = {failedIndex: 0, commands: [{display: 'x', exitCode: 100, durationMs: 1, dryRun: false}], tail: [], step: 'x'};

type Snap = ReturnType<PmgUpgradeMachine['resolveState']>;

function activeNode(snapshot: Snap) {
	const {step, screen} = position(snapshot.value);
	const stepNode = pmgUpgradeMachine().root.states[step]!;
	return {stepNode, node: screen ? stepNode.states[screen]! : stepNode};
}

/** The events the operator and the runtime could send on this screen. */
function eventsFor(snapshot: Snap) {
	const {node} = activeNode(snapshot);
	const events: Array<Record<string, unknown> & {type: string}> = [];
	for (const invoke of node.invoke) {
		if (invoke.src === 'probe') {
			const {probe} = (invoke.input as (a: unknown) => {probe: string})({context: snapshot.context, event: {type: 'x'}, self: undefined});
			for (const output of probeOutputs[probe] ?? []) events.push({type: `xstate.done.actor.${invoke.id}`, output});
			events.push({type: `xstate.error.actor.${invoke.id}`, error: new Error('probe failed')});
		} else {
			events.push({type: `xstate.done.actor.${invoke.id}`, output: ok}, {type: `xstate.done.actor.${invoke.id}`, output: failed});
		}
	}
	for (const type of Object.keys(node.on)) {
		switch (type) {
			case 'operator.skip':
				events.push({type, reason: 'tested elsewhere'});
				break;
			case 'operator.choose': {
				const options = (node.meta as {options?: (c: PmgContext) => Array<{value: string}>} | undefined)?.options?.(snapshot.context) ?? [{value: 'yes'}];
				for (const option of options) events.push({type, value: option.value});
				break;
			}
			case 'operator.confirm': {
				const confirm = (node.meta as {confirm?: {word: string; wordFor?: (c: PmgContext) => string}}).confirm;
				const word = confirm?.wordFor?.(snapshot.context) ?? confirm?.word ?? '';
				events.push({type, text: word}, {type, text: 'wrong'});
				break;
			}
			case 'operator.override':
				events.push({type, text: 'old backup'}, {type, text: 'proceed'}, {type, text: 'go on'});
				break;
			case 'host.booted':
				events.push({type, bootId: 'boot-2'}, {type, bootId: 'boot-1'});
				break;
			default:
				events.push({type});
		}
	}
	return events as never[];
}

/*
 * Two snapshots count as the same state when they are on the same screen and
 * every guard of the machine gives the same answer for their context: what
 * the machine can do next depends on nothing else, so every distinct
 * behaviour is still explored, without one copy per harmless difference in
 * the facts (which would be hundreds of thousands of states).
 */
const contextGuards = Object.entries(pmgGuards).filter(([, guard]) => guard.length <= 1) as Array<
	[string, (args: {context: PmgContext}) => boolean]
>;
const serializeState = (snapshot: Snap) => {
	const context = snapshot.context as PmgContext;
	const verdicts = contextGuards.map(([, guard]) => (guard({context, event: {type: ''}} as never) ? 1 : 0)).join('');
	return JSON.stringify([
		snapshot.value,
		verdicts,
		Boolean(context.facts.backup?.recent),
		Boolean(context.facts.cluster?.clustered),
		context.choices.ssh ?? null,
		Object.keys(context.confirmations).sort(),
		context.facts.bootIdBeforeReboot ?? null,
	]);
};

const paths = getShortestPaths(pmgUpgradeMachine() as never, {
	events: eventsFor as never,
	input: {startedAt: 0},
	serializeState,
} as never) as unknown as Array<{state: Snap; steps: Array<{state: Snap; event: {type: string}}>}>;

const reached = (predicate: (step: string, screen: string | null) => boolean) =>
	paths.filter(p => {
		const {step, screen} = position(p.state.value);
		return predicate(step, screen);
	});

describe('pmg upgrade machine, over every path', () => {
	it('explores a finite space that reaches the end', () => {
		expect(paths.length).toBeGreaterThan(200);
		expect(reached(step => step === 'finished').length).toBeGreaterThan(0);
	});

	it('reaches every step of the procedure', () => {
		const steps = new Set(paths.map(p => position(p.state.value).step));
		for (const step of Object.keys(pmgUpgradeMachine().root.states)) expect(steps, step).toContain(step);
	});

	it('never reaches the dist-upgrade without a verified backup, 10 GB free, 8.2.5 and no bookworm repository', () => {
		const atDistUpgrade = reached(step => step === 'distUpgrade');
		expect(atDistUpgrade.length).toBeGreaterThan(0);
		for (const path of atDistUpgrade) {
			// The context with which the step was entered; probes inside it may learn more later.
			const entry = path.steps.find(s => position(s.state.value).step === 'distUpgrade')!;
			const context = entry.state.context as PmgContext;
			const args = {context};
			expect(pmgGuards.backupVerified(args)).toBe(true);
			expect(pmgGuards.diskAtLeast10GB(args)).toBe(true);
			expect(context.facts.disk!.availableBytes).toBeGreaterThanOrEqual(MIN_FREE_BYTES);
			expect(pmgGuards.versionAtLeast825(args)).toBe(true);
			expect(pmgGuards.noBookwormRepos(args)).toBe(true);
			expect(pmgGuards.servicesStopped(args)).toBe(true);
			// apt's simulation removed neither proxmox-mailgateway nor pmg-api.
			expect(pmgGuards.pmgKept(args)).toBe(true);
		}
	});

	it('refuses the dist-upgrade while apt\'s simulation removes PMG, and checks again on r', () => {
		const refused = reached((step, screen) => step === 'distUpgradeAdvice' && screen === 'removesPmg');
		expect(refused.length).toBeGreaterThan(0);
		for (const path of refused) expect(pmgGuards.pmgKept({context: path.state.context as PmgContext})).toBe(false);
		const node = pmgUpgradeMachine().root.states.distUpgradeAdvice!.states.removesPmg!;
		expect(Object.keys(node.on)).toEqual(['operator.recheck']);
	});

	it('never leaves the preconditions while a repository is configured twice with different Signed-By', () => {
		const later = paths.filter(p => position(p.state.value).step !== 'preconditions');
		expect(later.length).toBeGreaterThan(0);
		for (const path of later) {
			const left = path.steps.find(s => position(s.state.value).step === 'updateCurrent');
			if (!left) continue;
			expect(((left.state.context as PmgContext).facts.sourceConflicts ?? []).filter(x => x.refused)).toEqual([]);
		}
	});

	it('never runs pg_upgradecluster with a locale variable that names a missing locale', () => {
		const running = reached((step, screen) => step === 'postgresUpgrade' && screen === 'running');
		expect(running.length).toBeGreaterThan(0);
		for (const path of running) expect(pmgGuards.localeClean({context: path.state.context as PmgContext})).toBe(true);
	});

	it('reaches the steps after the reboot only when the boot id changed', () => {
		for (const path of reached(step => step === 'verifyVersion')) {
			const reboot = path.steps.find(s => s.event.type === 'host.booted') as {event: {bootId: string}} | undefined;
			expect(reboot?.event.bootId).toBe('boot-2');
		}
	});

	it('in a cluster, reaches the dist-upgrade only through the gate that records this node\'s start', () => {
		const at = reached(step => step === 'distUpgrade').filter(p => (p.state.context as PmgContext).facts.cluster?.clustered);
		expect(at.length).toBeGreaterThan(0);
		for (const path of at) {
			const index = path.steps.findIndex(s => position(s.state.value).step === 'distUpgrade');
			expect(position(path.steps[index - 1]!.state.value)).toEqual({step: 'clusterGate', screen: 'running'});
		}
	});

	it('finishes only with postfix, the PMG services and PostgreSQL 17 running, or after the typed "go on"', () => {
		const finished = reached(step => step === 'finished');
		const overridden = finished.filter(p => (p.state.context as PmgContext).confirmations['override.servicesAfter'] !== undefined);
		expect(overridden.length).toBeGreaterThan(0);
		expect(finished.length).toBeGreaterThan(overridden.length);
		for (const path of finished) {
			const context = path.state.context as PmgContext;
			if (context.confirmations['override.servicesAfter'] !== undefined) {
				expect(context.confirmations['override.servicesAfter']).toBe('go on');
				continue;
			}
			expect(pmgGuards.mailServicesRunning({context})).toBe(true);
			expect(notRunning(context.facts.afterReboot!)).toEqual([]);
		}
	});

	it('passes a backup made before the upgrade only with the typed confirmation', () => {
		for (const path of reached(step => step === 'diskSpace')) {
			const context = path.state.context as PmgContext;
			if (!context.facts.backup?.recent) expect(context.confirmations['backup.old']).toBe('old backup');
		}
	});

	it('leads each failed guard to a screen that says what to do and offers r', () => {
		const blocked = reached((_step, screen) => screen === 'blocked');
		expect(blocked.length).toBeGreaterThan(10);
		for (const path of blocked) {
			const {stepNode, node} = activeNode(path.state);
			expect(Object.keys(node.on), position(path.state.value).step).toContain('operator.recheck');
			const remedy = (stepNode.meta as {remedy?: (c: PmgContext) => string[]}).remedy?.(path.state.context as PmgContext) ?? [];
			expect(remedy.length, position(path.state.value).step).toBeGreaterThan(0);
		}
	});

	it('over SSH without tmux by choice, reminds once before the first command that changes the host, and only once', () => {
		const declined = paths.filter(p => (p.state.context as PmgContext).choices.ssh === 'continue');
		const changing = new Set(['running', 'fixing']);
		const reminders = new Set(['sshReminder', 'sshReminderFix']);
		const running = declined.filter(p => changing.has(position(p.state.value).screen ?? ''));
		expect(running.length).toBeGreaterThan(0);
		for (const path of running) {
			const screens = path.steps.map(s => position(s.state.value).screen ?? '');
			const firstRun = screens.findIndex(s => changing.has(s));
			expect(screens.slice(0, firstRun).some(s => reminders.has(s)), JSON.stringify(path.state.value)).toBe(true);
			expect(screens.filter(s => reminders.has(s))).toHaveLength(1);
		}
		for (const path of paths.filter(p => (p.state.context as PmgContext).choices.ssh === undefined)) {
			expect(path.steps.some(s => (position(s.state.value).screen ?? '').startsWith('sshReminder'))).toBe(false);
		}
	});
});

describe('17/main before the wizard upgrades the cluster', () => {
	const remedy = (pgClusters: NonNullable<PmgFacts['pgClusters']>) => {
		const context = {...(pmgUpgradeMachine().config.context as object), facts: {locale: {available: ['C'], problems: []}, pgClusters}, choices: {}, confirmations: {}} as unknown as PmgContext;
		return ((pmgUpgradeMachine().root.states.postgresCheck!.meta as {remedy: (c: PmgContext) => string[]}).remedy(context)).join('\n');
	};

	it('never advises dropping 17/main when it is online and 15/main is down (Debian\'s postgresql package upgraded it)', () => {
		const text = remedy([
			{version: '15', cluster: 'main', status: 'down'},
			{version: '17', cluster: 'main', status: 'online'},
		]);
		expect(text).toContain('Do NOT drop 17/main');
		expect(text).toContain("psql --cluster 17/main -l");
		expect(text).not.toContain('pg_dropcluster');
	});

	it('advises dropping an empty 17/main only after checking it, when 15/main still runs', () => {
		const text = remedy([
			{version: '15', cluster: 'main', status: 'online'},
			{version: '17', cluster: 'main', status: 'online'},
		]);
		expect(text).toContain('pg_dropcluster --stop 17 main');
		expect(text).toContain('no Proxmox_ruledb');
	});
});

describe('the mail units after the reboot follow postfix\'s layout', () => {
	const units = (instance: string) => ({
		...Object.fromEntries(PMG_SERVICES.map(u => [u, {active: 'active', enabled: 'enabled'}])),
		[POSTFIX_INSTANCE]: {active: instance, enabled: 'n/a'},
	});

	it('on trixie (postfix.service forking, conflicting with postfix@-) an inactive postfix@- is as it should be', () => {
		expect(notRunning({units: units('inactive'), postgres17: 'online', postfixType: 'forking'})).toEqual([]);
	});

	it('on bookworm (postfix.service a oneshot) or when systemctl did not say, postfix@- must run', () => {
		expect(notRunning({units: units('inactive'), postgres17: 'online', postfixType: 'oneshot'}).map(d => d.unit)).toEqual([POSTFIX_INSTANCE]);
		expect(notRunning({units: units('inactive'), postgres17: 'online'}).map(d => d.unit)).toEqual([POSTFIX_INSTANCE]);
	});
});
