import {describe, expect, it} from 'vitest';
import {getShortestPaths} from 'xstate/graph';
import type {StepCommand} from '../../machines/kit.ts';
import {
	dumpPath,
	installed,
	LAYOUT_SCRIPT,
	SCRIPT_DOVECOT_10,
	SCRIPT_DOVECOT_12,
	vmmGuards,
	vmmUpgradeMachine,
	type VmmContext,
	type VmmFacts,
	type VmmUpgradeMachine,
} from '../../machines/vmm-0.5-to-0.6.ts';
import {position} from '../../source/runtime/runtime.ts';

/*
 * Every path through the vmm machine, explored with xstate/graph. Probe and
 * command results arrive as the done/error events the runtime would send,
 * in good and bad variants, so the traversal covers every route (0.4, 0.5.2,
 * 0.6.0, 0.6.1, the Dovecot layout update), the blocked screens and retries.
 */

/** A source directory a shell would mangle: it must reach the commands unchanged. */
const ODD_DIR = `/srv/src/vmm 0.6.2 'new'; $(id)`;
const tables = ['alias BASE TABLE', 'dovecot_password VIEW', 'users BASE TABLE'];
const change = {path: '/etc/postfix/pgsql-transport_maps.cf', before: 'query = x FROM postfix_transport\n', after: "query = x FROM postfix_transport_map('%u', '%d')\n", diff: '-a\n+b'};
const reference = {path: '/etc/postfix/pgsql-transport_maps.cf', line: 5, text: 'query = x FROM postfix_transport', view: 'postfix_transport', replacement: null};

/** Probe results by probe name, computed from the context where they depend on it. */
const probeOutputs: Record<string, (c: VmmContext) => Array<Partial<VmmFacts>>> = {
	vmmVersion: () => [
		{vmm: {version: '0.5.2', raw: 'vmm, version 0.5.2'}},
		{vmm: {version: '0.6.0', raw: 'vmm, version 0.6.0'}},
		{vmm: {version: '0.6.1', raw: 'vmm, version 0.6.1'}},
		{vmm: {version: '0.4-r41', raw: 'vmm, version 0.4-r41'}},
		{vmm: {version: null, raw: ''}},
	],
	sourceCandidates: () => [{sourceCandidates: ['/root/vmm-0.6.2']}, {sourceCandidates: []}],
	sourceDir: c => [
		{source: {dir: c.choices.sourceDir ?? '', missing: [], postfixFiles: ['pgsql-transport_maps.cf'], dovecotSample: 'dovecot-sql.conf.ext', driver: 'psycopg2'}},
		{source: {dir: c.choices.sourceDir ?? '', missing: ['upgrade.sh'], postfixFiles: [], dovecotSample: null, driver: 'psycopg2'}},
	],
	tools: () => [
		{tools: {python: '2.7.18', driver: true, psql: true, pgDump: true, dovecot: true, init: 'sysv'}},
		{tools: {python: '3.11.2', driver: false, psql: true, pgDump: false, dovecot: true, init: 'systemd'}},
	],
	dovecot: () => [{dovecot: {version: '2.1.7', raw: '2.1.7'}}, {dovecot: {version: '1.1.16', raw: '1.1.16'}}, {dovecot: {version: null, raw: 'dovecot: error'}}],
	environment: () => [{passwordInEnv: false}, {passwordInEnv: true}],
	services: () => [{services: {postfix: 'stopped', dovecot: 'stopped'}}, {services: {postfix: 'running', dovecot: 'running'}}, {services: {postfix: 'running', dovecot: 'stopped'}}],
	dump: c => [
		{dump: {path: dumpPath(c), exists: true, size: 9000, complete: true}},
		{dump: {path: dumpPath(c), exists: true, size: 4000, complete: false}},
		{dump: {path: dumpPath(c), exists: true, size: 0, complete: false}},
	],
	restore: () => [{restore: {source: tables, restored: tables}}, {restore: {source: tables, restored: tables.slice(1)}}, {restore: {problem: 'not written'}}],
	config: () => [{config: {references: [], changes: []}}, {config: {references: [{...reference, replacement: '/src/postfix/pgsql-transport_maps.cf'}], changes: [change]}}, {config: {references: [reference], changes: []}}],
	functionFile: c => [{sqlFile: {path: c.choices.functionFile ?? '', exists: true, matches: true}}, {sqlFile: {path: c.choices.functionFile ?? '', exists: false, matches: false}}],
	layoutFile: c => [{sqlFile: {path: c.choices.layoutFile ?? '', exists: true, matches: true}}, {sqlFile: {path: c.choices.layoutFile ?? '', exists: true, matches: false}}],
};

const ok = {failedIndex: null, commands: [], tail: [], step: 'x'};
const failed = {failedIndex: 0, commands: [{display: 'x', exitCode: 3, durationMs: 1, dryRun: false}], tail: [], step: 'x'};

type Snap = ReturnType<VmmUpgradeMachine['resolveState']>;
const args = (snapshot: Snap) => ({context: snapshot.context, event: {type: 'x'}, self: undefined});

function activeNode(snapshot: Snap) {
	const {step, screen} = position(snapshot.value);
	const stepNode = vmmUpgradeMachine().root.states[step]!;
	return {stepNode, node: screen ? stepNode.states[screen]! : stepNode};
}

/** The commands a running screen was started with. */
function runningCommands(snapshot: Snap): StepCommand[] {
	const {node} = activeNode(snapshot);
	const invoke = node.invoke.find(i => i.src === 'runCommands');
	return invoke ? (invoke.input as (a: unknown) => {commands: StepCommand[]})(args(snapshot)).commands : [];
}

function eventsFor(snapshot: Snap) {
	const {node} = activeNode(snapshot);
	const context = snapshot.context as VmmContext;
	const events: Array<Record<string, unknown> & {type: string}> = [];
	for (const invoke of node.invoke) {
		if (invoke.src === 'probe') {
			const {probe} = (invoke.input as (a: unknown) => {probe: string})(args(snapshot));
			for (const output of probeOutputs[probe]?.(context) ?? []) events.push({type: `xstate.done.actor.${invoke.id}`, output});
			events.push({type: `xstate.error.actor.${invoke.id}`, error: new Error('probe failed')});
		} else {
			events.push({type: `xstate.done.actor.${invoke.id}`, output: ok}, {type: `xstate.done.actor.${invoke.id}`, output: failed});
		}
	}
	const meta = node.meta as {options?: (c: VmmContext) => Array<{value: string}>; input?: {default?: (c: VmmContext) => string}} | undefined;
	for (const type of Object.keys(node.on)) {
		switch (type) {
			case 'operator.choose':
				for (const option of meta?.options?.(context) ?? []) events.push({type, value: option.value});
				break;
			case 'operator.input': {
				const {step} = position(snapshot.value);
				if (step === 'sourceDir') events.push({type, value: ODD_DIR});
				events.push({type, value: meta?.input?.default?.(context) ?? ''}, {type, value: '   '});
				break;
			}
			case 'operator.skip':
				events.push({type, reason: 'tested elsewhere'});
				break;
			default:
				events.push({type});
		}
	}
	return events as never[];
}

const contextGuards = Object.entries(vmmGuards) as Array<[string, (a: {context: VmmContext}) => boolean]>;
const serializeState = (snapshot: Snap) => {
	const context = snapshot.context as VmmContext;
	return JSON.stringify([
		snapshot.value,
		contextGuards.map(([, guard]) => (guard({context}) ? 1 : 0)).join(''),
		context.choices.route ?? null,
		installed(context),
		context.choices.password ?? null,
		context.choices.sourceDir ?? null,
		context.facts.dovecot?.version ?? null,
		context.facts.tools?.init ?? null,
	]);
};

const paths = getShortestPaths(vmmUpgradeMachine() as never, {events: eventsFor as never, input: {startedAt: Date.UTC(2026, 11, 2, 1)}, serializeState} as never) as unknown as Array<{
	state: Snap;
	steps: Array<{state: Snap; event: {type: string}}>;
}>;

const reached = (predicate: (step: string, screen: string | null) => boolean) =>
	paths.filter(p => {
		const {step, screen} = position(p.state.value);
		return predicate(step, screen);
	});
/** The context with which a path entered a step. */
const entryContext = (path: (typeof paths)[number], step: string) =>
	path.steps.find(s => position(s.state.value).step === step)!.state.context as VmmContext;

const DATABASE_CHANGES = ['update', 'transportFix', 'dovecotPassword', 'layoutUpdate'];

describe('vmm upgrade machine, over every path', () => {
	it('explores a finite space that reaches the end', () => {
		expect(paths.length).toBeGreaterThan(300);
		expect(reached(step => step === 'finished').length).toBeGreaterThan(0);
	});

	it('reaches every step of the procedure', () => {
		const steps = new Set(paths.map(p => position(p.state.value).step));
		for (const step of Object.keys(vmmUpgradeMachine().root.states)) expect(steps, step).toContain(step);
	});

	it('changes the database only after the tools, the Dovecot version and a verified backup passed', () => {
		const changing = reached((step, screen) => DATABASE_CHANGES.includes(step) && screen === 'running');
		expect(new Set(changing.map(p => position(p.state.value).step))).toEqual(new Set(DATABASE_CHANGES));
		for (const path of changing) {
			const context = path.state.context as VmmContext;
			expect(vmmGuards.toolsPresent({context}), JSON.stringify(path.state.value)).toBe(true);
			expect(vmmGuards.dovecotVersionKnown({context})).toBe(true);
			expect(vmmGuards.backupVerified({context})).toBe(true);
			expect(context.facts.dump?.complete).toBe(true);
			// The guards held at the door of the step too, not only later.
			for (const step of path.steps.filter(s => DATABASE_CHANGES.includes(position(s.state.value).step))) {
				expect(vmmGuards.backupVerified({context: step.state.context as VmmContext})).toBe(true);
			}
		}
	});

	it('applies the update and the layout update only with Postfix and Dovecot seen stopped', () => {
		const updating = reached((step, screen) => (step === 'update' || step === 'layoutUpdate') && screen === 'running');
		expect(updating.length).toBeGreaterThan(0);
		for (const path of updating) {
			expect(vmmGuards.mailServicesStopped({context: path.state.context as VmmContext})).toBe(true);
			expect(path.steps.some(s => position(s.state.value).step === 'stopServices' && position(s.state.value).screen === 'passed')).toBe(true);
		}
	});

	it('runs the update script the Dovecot version calls for', () => {
		const updating = reached((step, screen) => step === 'update' && screen === 'running');
		const versions = new Set<string>();
		for (const path of updating) {
			const context = path.state.context as VmmContext;
			const version = context.facts.dovecot!.version!;
			versions.add(version);
			const [command] = runningCommands(path.state);
			const file = command!.argv[command!.argv.indexOf('-f') + 1]!;
			expect(file).toBe(`${context.choices.sourceDir}/pgsql/${version.startsWith('1.1') ? SCRIPT_DOVECOT_10 : SCRIPT_DOVECOT_12}`);
			expect(command!.argv).toEqual(expect.arrayContaining(['-v', 'ON_ERROR_STOP=1', '--single-transaction']));
		}
		expect(versions).toEqual(new Set(['2.1.7', '1.1.16']));
	});

	it('stops the 0.4 route before anything: no path with 0.4 installed reaches a database change or a command', () => {
		const at04 = reached(step => step === 'tooOld');
		expect(at04.length).toBeGreaterThan(0);
		for (const path of at04) {
			expect(path.steps.some(s => ['running', 'review'].includes(position(s.state.value).screen ?? ''))).toBe(false);
			const {node} = activeNode(path.state);
			expect(Object.keys(node.on)).toEqual(['operator.recheck']);
		}
		for (const path of reached(step => [...DATABASE_CHANGES, 'stopServices', 'backup', 'upgradeSh'].includes(step))) {
			expect(installed(path.state.context as VmmContext)).not.toBe('0.4');
		}
	});

	it('on 0.6.1 runs upgrade.sh only: no database step on the way', () => {
		const at = reached((step, screen) => step === 'upgradeSh' && screen === 'running').filter(p => installed(p.state.context as VmmContext) === '0.6.1' && (p.state.context as VmmContext).choices.route === 'upgrade');
		expect(at.length).toBeGreaterThan(0);
		for (const path of at) {
			const steps = new Set(path.steps.map(s => position(s.state.value).step));
			for (const step of ['database', 'stopServices', 'backup', ...DATABASE_CHANGES]) expect(steps).not.toContain(step);
		}
	});

	it('on 0.6.0 runs the transport fix, and replaces dovecotpassword() only for Dovecot < 1.2', () => {
		const fix = reached((step, screen) => step === 'transportFix' && screen === 'running');
		expect(fix.every(p => installed(p.state.context as VmmContext) === '0.6.0')).toBe(true);
		const replace = reached((step, screen) => step === 'dovecotPassword' && screen === 'running');
		expect(replace.length).toBeGreaterThan(0);
		for (const path of replace) expect((path.state.context as VmmContext).facts.dovecot!.version).toBe('1.1.16');
	});

	it('applies the layout update only on the Dovecot route and with Dovecot >= 1.2', () => {
		const layout = reached((step, screen) => step === 'layoutUpdate' && screen === 'running');
		expect(layout.length).toBeGreaterThan(0);
		for (const path of layout) {
			const context = path.state.context as VmmContext;
			expect(context.choices.route).toBe('dovecot12');
			expect(context.facts.dovecot!.version).toBe('2.1.7');
			expect(runningCommands(path.state)[0]!.argv.at(-1)).toBe(`${context.choices.sourceDir}/pgsql/${LAYOUT_SCRIPT}`);
		}
	});

	it('passes a typed source directory to the commands as one argument, unchanged', () => {
		const odd = reached((step, screen) => step === 'permissions' && screen === 'running').filter(p => (p.state.context as VmmContext).choices.sourceDir === ODD_DIR);
		expect(odd.length).toBeGreaterThan(0);
		for (const path of odd) expect(runningCommands(path.state)[0]!.argv[1]).toBe(`${ODD_DIR}/pgsql/set-permissions.py`);
		const sh = reached((step, screen) => step === 'upgradeSh' && screen === 'running').filter(p => (p.state.context as VmmContext).choices.sourceDir === ODD_DIR);
		expect(sh.length).toBeGreaterThan(0);
		for (const path of sh) expect(runningCommands(path.state)[0]).toMatchObject({argv: ['./upgrade.sh'], cwd: ODD_DIR});
	});

	it('puts the database commands on the terminal with -W when the programs ask for the password, and never holds one', () => {
		for (const path of reached((step, screen) => step === 'backup' && screen === 'running')) {
			const context = path.state.context as VmmContext;
			const [dump] = runningCommands(path.state);
			if (context.choices.password === 'prompt') expect(dump).toMatchObject({interactive: true, argv: expect.arrayContaining(['-W'])});
			else expect(dump!.argv).toContain('-w');
			expect(dump!.env).toBeUndefined();
			expect(JSON.stringify(context)).not.toMatch(/PGPASSWORD/);
		}
	});

	it('leads each failed guard to a screen that says what to do and offers r', () => {
		const blocked = reached((_step, screen) => screen === 'blocked');
		expect(new Set(blocked.map(p => position(p.state.value).step)).size).toBeGreaterThan(8);
		for (const path of blocked) {
			const {stepNode, node} = activeNode(path.state);
			expect(Object.keys(node.on), position(path.state.value).step).toContain('operator.recheck');
			const remedy = (stepNode.meta as {remedy?: (c: VmmContext) => string[]}).remedy?.(path.state.context as VmmContext) ?? [];
			expect(remedy.length, position(path.state.value).step).toBeGreaterThan(0);
		}
	});
});
