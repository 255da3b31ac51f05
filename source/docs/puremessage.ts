/**
 * What the documentation of the PureMessage path needs beyond the machine:
 * the scenarios walked on the simulated servers (their answers feed the
 * exploration), and what of a context decides the machine's next move.
 */
import {pmGuards, type PmContext} from '../../machines/puremessage-5.6-to-6.ts';
import type {WizardContext} from '../../machines/kit.ts';
import {resolveScenario} from '../products.ts';
import type {ScenarioWalk} from './collect.ts';
import type {ProductDocs} from './generate.ts';

const guards = Object.entries(pmGuards) as Array<[string, (args: {context: PmContext}) => boolean]>;

/* The same state as in test/machines/puremessage-paths.test.ts: the guards' verdicts and the plan's progress. */
const contextKey = (c: WizardContext<any>) => {
	const context = c as PmContext;
	return [
		guards.map(([, guard]) => (guard({context}) ? 1 : 0)).join(''),
		context.progress,
		context.current,
		context.diskPassed,
		context.refused,
		context.choices,
		Object.keys(context.confirmations).sort(),
		context.facts.identityNow ?? null,
		// Over SSH without tmux (the session step's warning).
		Boolean(context.facts.session?.ssh && !context.facts.session.multiplexer),
	];
};

const scenario = (name: string) => resolveScenario('puremessage', name);
const migrate = {'migration.choose': 'database-quarantine'};

export const pmDocs: ProductDocs = {
	clockMs: Date.UTC(2026, 11, 1, 9, 0, 0),
	relaunch: ['tmux', 'new-session', '-A', '-s', 'upgrade-wizard', '--', 'upgrade-wizard', 'puremessage'],
	skipReason: 'done by hand earlier (the reason typed after s)',
	// A figure as the size check reports it, and text that is not one.
	inputs: {'diskSpace.ask': ['12G', 'lots']},
	contextKey,
	walks: (): ScenarioWalk[] => [
		// The whole deployment: db1 here, mta1 over SSH, euwi1 by hand.
		{scenario: scenario('three-servers'), answers: migrate},
		{scenario: scenario('hostname-changed'), answers: migrate},
		{scenario: scenario('filter-low-disk'), answers: migrate},
		// Over SSH without tmux: the offer to relaunch, declined, and the reminder before pmx-setup.
		{scenario: scenario('over-ssh'), answers: {...migrate, 'session.sessionWarning': 'continue'}},
	],
};
