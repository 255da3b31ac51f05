/**
 * What the documentation of the PMG path needs beyond the machine: which
 * scenarios to walk on the simulated host (their answers feed the
 * exploration), and what of a context decides the machine's next move.
 */
import {pmgGuards, type PmgContext} from '../../machines/pmg-8-to-9.ts';
import type {WizardContext} from '../../machines/kit.ts';
import {resolveScenario} from '../products.ts';
import type {ScenarioWalk} from './collect.ts';
import type {ProductDocs} from './generate.ts';

/*
 * Two snapshots count as the same state when they are on the same screen and
 * every guard of the machine gives the same answer for their context: what
 * the machine can do next depends on nothing else (see also
 * test/machines/pmg-paths.test.ts).
 */
const contextGuards = Object.entries(pmgGuards).filter(([, guard]) => guard.length <= 1) as Array<
	[string, (args: {context: PmgContext}) => boolean]
>;

const contextKey = (c: WizardContext<any>) => {
	const context = c as PmgContext;
	return [
		contextGuards.map(([, guard]) => (guard({context, event: {type: ''}} as never) ? 1 : 0)).join(''),
		Boolean(context.facts.backup?.recent),
		Boolean(context.facts.cluster?.clustered),
		context.choices.ssh ?? null,
		Object.keys(context.confirmations).sort(),
		context.facts.bootIdBeforeReboot ?? null,
	];
};

const scenario = (name: string) => resolveScenario('pmg', name);

export const pmgDocs: ProductDocs = {
	// The day the clean scenario's new backup is dated: the simulated clock starts here.
	clockMs: Date.UTC(2026, 10, 22, 9, 0, 0),
	relaunch: ['tmux', 'new-session', '-A', '-s', 'upgrade-wizard', '--', 'upgrade-wizard', 'pmg'],
	skipReason: 'done by hand earlier (the reason typed after s)',
	contextKey,
	walks: (): ScenarioWalk[] => [
		// The whole path, through the reboot to the end.
		{scenario: scenario('clean')},
		// The old backup instead of a new one: the backup check stops.
		{scenario: scenario('clean'), answers: {'backup.choose': 1}},
		{scenario: scenario('old-version')},
		{scenario: scenario('low-disk')},
		{scenario: scenario('bad-locale'), answers: {'preconditions.sessionWarning': 'continue'}},
		{scenario: scenario('bookworm-leftovers')},
		{scenario: scenario('kernel-meta'), answers: {'kernelPackages.blocked': 'fix'}},
		{scenario: scenario('cluster-master')},
		{scenario: scenario('not-root')},
		{scenario: scenario('systemd-boot')},
		// The stop fails on pmg1: r looks at every node again, f runs the commands again where needed.
		{scenario: scenario('cluster-daemons-running'), answers: {'cluster.failed': 'retry', 'cluster.stuck': 'fix'}},
		// The last node of the cluster: the daemons start again on every node.
		{scenario: scenario('cluster-last-node')},
		// Another node is mid-upgrade: the gate before the dist-upgrade refuses.
		{scenario: scenario('cluster-other-node-upgrading')},
		{scenario: scenario('custom-templates')},
		{scenario: scenario('avast')},
	],
};
