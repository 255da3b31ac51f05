/**
 * What the documentation of the vmm path needs beyond the machine: which
 * scenarios to walk on the simulated host, and what of a context decides
 * the machine's next move.
 */
import {installed, vmmGuards, type VmmContext} from '../../machines/vmm-0.5-to-0.6.ts';
import type {WizardContext} from '../../machines/kit.ts';
import {resolveScenario} from '../products.ts';
import type {ScenarioWalk} from './collect.ts';
import type {ProductDocs} from './generate.ts';

/* Snapshots with the same screen, guard verdicts and choices count as one state (see test/machines/vmm-paths.test.ts). */
const contextGuards = Object.entries(vmmGuards) as Array<[string, (args: {context: VmmContext}) => boolean]>;

const contextKey = (c: WizardContext<any>) => {
	const context = c as VmmContext;
	return [
		contextGuards.map(([, guard]) => (guard({context}) ? 1 : 0)).join(''),
		installed(context),
		context.facts.dovecot?.version ?? null,
		context.choices.route ?? null,
		context.choices.version ?? null,
		context.choices.password ?? null,
		context.facts.tools?.init ?? null,
		// Over SSH without tmux (the session step's warning), and whether the operator went on anyway.
		Boolean(context.facts.session?.ssh && !context.facts.session.multiplexer),
		context.choices.ssh ?? null,
	];
};

const scenario = (name: string) => resolveScenario('vmm', name);
const SOURCE = {'sourceDir.ask': '/root/vmm-0.6.2'};

export const vmmDocs: ProductDocs = {
	clockMs: Date.UTC(2026, 11, 2, 9, 0, 0),
	relaunch: ['tmux', 'new-session', '-A', '-s', 'upgrade-wizard', '--', 'upgrade-wizard', 'vmm'],
	skipReason: 'done by hand earlier (the reason typed after s)',
	contextKey,
	inputs: {'sourceDir.ask': '/root/vmm-0.6.2'},
	walks: (): ScenarioWalk[] => [
		{scenario: scenario('clean'), answers: SOURCE},
		{scenario: scenario('dovecot-1.1'), answers: SOURCE},
		{scenario: scenario('from-0.6.0'), answers: SOURCE},
		{scenario: scenario('from-0.6.1'), answers: SOURCE},
		{scenario: scenario('from-0.6.1'), answers: {...SOURCE, 'route.choose': 'dovecot12'}},
		{scenario: scenario('old-0.4'), answers: SOURCE},
		{scenario: scenario('postfix-running'), answers: SOURCE},
		{scenario: scenario('truncated-dump'), answers: SOURCE},
		// Over SSH without tmux: the offer to relaunch, declined, and the reminder before the first command.
		{scenario: scenario('over-ssh'), answers: {...SOURCE, 'session.sessionWarning': 'continue'}},
		// A directory that is not a vmm source: the check stops.
		{scenario: scenario('clean'), answers: {'sourceDir.ask': '/root'}},
	],
};
