import {readFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {pmUpgradeMachine, type PmContext} from '../../machines/puremessage-5.6-to-6.ts';
import {SimulatedHost} from '../../source/host/simulated-host.ts';
import {pmProbes} from '../../source/runtime/pm-probes.ts';
import {screenModel, freshUi} from '../../source/ui/screen.ts';
import {lineText} from '../../source/ui/text.ts';
import {drive, openRun, removeRuns, settled, type Run} from './drive.ts';

/*
 * The real runtime and probes on the bundled PureMessage scenarios: each
 * server of a deployment is a simulated host of its own, reached the way the
 * deployment file says. A careful operator presses on; each fault must stop
 * where the document says it must, with its words on screen.
 */

const scenario = (name: string) => path.resolve('scenarios/puremessage', `${name}.yaml`);
const machine = pmUpgradeMachine() as never;
const migrate = {'migration.choose': 'database-quarantine'};

afterAll(removeRuns);

const screenText = (run: Run) => {
	const snapshot = run.wizard.actor.getSnapshot();
	return screenModel({machine, snapshot: snapshot as never, ui: freshUi(''), output: run.wizard.output.snapshot(), hostLabel: ''})
		.body.map(lineText)
		.join('\n');
};

/** What pmx-setup and pmx start ran on, in order, from the transcript. */
const runsOf = (run: Run) =>
	readFileSync(path.join(run.dir, 'transcript.log'), 'utf8')
		.split('\n')
		.map(l => /run on (\S+) \(.*\): (pmx-setup|pmx start)$/.exec(l))
		.filter(m => m !== null)
		.map(m => `${m![2]} ${m![1]}`);

const server = (run: Run, name: string) =>
	SimulatedHost.open(path.resolve(`scenarios/puremessage/servers/${name}.yaml`), {stateFile: path.join(run.dir, `host-${name}.json`), speed: 0});

describe('puremessage scenarios on simulated servers', () => {
	it('three servers: db1 here, then PureMessage started on it, then mta1 over SSH, then euwi1 by hand', async () => {
		const run = await openRun(machine, pmProbes, scenario('three-servers'));
		const seen: string[] = [];
		await drive(run, () => false, migrate, seen);
		expect(run.wizard.actor.getSnapshot().status).toBe('done');
		expect(runsOf(run)).toEqual(['pmx-setup db1', 'pmx start db1', 'pmx-setup mta1']);
		expect(await run.host.stat('/opt/pmx6')).not.toBeNull();
		expect(await (await server(run, 'mta1')).stat('/opt/pmx6')).not.toBeNull();
		// euwi1 is reached by hand: the operator confirmed each step there.
		expect(seen).toContain('upgrade.manual');
		expect(seen.filter(s => s === 'verifyFilter.confirm')).toHaveLength(1);
		expect(seen.indexOf('verifyFilter.confirm')).toBeLessThan(seen.lastIndexOf('upgrade.manual'));
		const context = run.wizard.actor.getSnapshot().context as PmContext;
		expect(context.choices['migration.db1']).toBe('database-quarantine');
		expect(context.choices['migration.mta1']).toBe('database-quarantine');
		await run.transcript.close();
	});

	it('over SSH without tmux: offers the relaunch first; declined, it warns once more before the first command that changes a server', async () => {
		const run = await openRun(machine, pmProbes, scenario('over-ssh'));
		const seen: string[] = [];
		await drive(run, () => false, {...migrate, 'session.sessionWarning': 'continue'}, seen);
		expect(seen[0]).toBe('session.sessionWarning');
		expect(seen.filter(w => w.endsWith('.sshReminder'))).toHaveLength(1);
		// The reminder comes before pmx-setup runs on db1, the first command that changes a server.
		expect(seen.find(w => w.endsWith('.sshReminder') || w.endsWith('.running'))).toMatch(/\.sshReminder$/);
		expect(runsOf(run)).toEqual(['pmx-setup db1', 'pmx start db1', 'pmx-setup mta1']);
		expect((run.wizard.actor.getSnapshot().context as PmContext).choices.ssh).toBe('continue');
		await run.transcript.close();
	});

	it('not over SSH: no session screen at all', async () => {
		const run = await openRun(machine, pmProbes, scenario('three-servers'));
		const seen: string[] = [];
		await drive(run, w => w.startsWith('inventory.'), migrate, seen);
		expect(seen.filter(w => w.startsWith('session.'))).toEqual([]);
		await run.transcript.close();
	});

	it('five servers: the order comes from the roles, one filter server at a time, the mail-flow test after the first', async () => {
		const run = await openRun(machine, pmProbes, scenario('five-servers'));
		const seen: string[] = [];
		await drive(run, () => false, migrate, seen);
		expect(run.wizard.actor.getSnapshot().status).toBe('done');
		expect(runsOf(run)).toEqual(['pmx-setup db1', 'pmx start db1', 'pmx-setup mta1', 'pmx-setup mta2', 'pmx-setup euwi1', 'pmx-setup gwi1']);
		expect(seen.filter(s => s === 'verifyFilter.confirm')).toHaveLength(1);
		await run.transcript.close();
	});

	it('single server: upgraded, migrated and started, with no mail-flow stop between servers', async () => {
		const run = await openRun(machine, pmProbes, scenario('single'));
		const seen: string[] = [];
		await drive(run, () => false, migrate, seen);
		expect(run.wizard.actor.getSnapshot().status).toBe('done');
		expect(runsOf(run)).toEqual(['pmx-setup pm1', 'pmx start pm1']);
		expect(seen).toContain('databaseNote.info');
		await run.transcript.close();
	});

	it('a server renamed mid-way: its upgrade is blocked with the document\'s warning, and stays blocked on r', async () => {
		const run = await openRun(machine, pmProbes, scenario('hostname-changed'));
		const where = await drive(run, (_w, view) => view === 'blocked', migrate);
		expect(where).toBe('identity.blocked');
		const text = screenText(run);
		expect(text).toContain('mta1 now: mta1-new.example.lan');
		expect(text).toContain('recorded at the start: mta1.example.lan');
		expect(text).toContain('You must not change the hostname or IP address');
		run.wizard.send({type: 'operator.recheck'});
		await settled(run.wizard);
		expect(screenText(run)).toContain('[FAIL]');
		expect(runsOf(run)).toEqual(['pmx-setup db1', 'pmx start db1']);
		await run.transcript.close();
	});

	it('the simulated deployment plays the size check: each server\'s figure is on the screen that asks for it, and a host without one shows none', async () => {
		const run = await openRun(machine, pmProbes, scenario('five-servers'));
		const shown: string[] = [];
		for (let i = 0; i < 5; i++) {
			expect(await drive(run, where => where === 'diskSpace.ask')).toBe('diskSpace.ask');
			const text = screenText(run);
			const figure = /Simulated: the size check on (\S+) reports (\S+) required\./.exec(text);
			expect(figure, text).not.toBeNull();
			shown.push(`${figure![1]} ${figure![2]}`);
			run.wizard.send({type: 'operator.input', value: figure![2]!});
		}
		// Each server's own figure (five-servers.yaml), in the order of the deployment's servers.
		expect(shown.sort()).toEqual(['db1 14G', 'euwi1 3G', 'gwi1 3G', 'mta1 9G', 'mta2 9G']);
		// A real host plays no figure: the screen asks for the admin's own, and says nothing of a simulation.
		const snapshot = run.wizard.actor.getSnapshot();
		const context = snapshot.context as PmContext;
		const ask = (machine as {root: {states: Record<string, {states: Record<string, {meta?: {lines?: (c: PmContext) => string[]}}>}>}}).root.states.diskSpace!.states.ask!.meta!;
		expect(ask.lines!(context)).toHaveLength(1);
		expect(ask.lines!({...context, facts: {...context.facts, sizeCheck: undefined}})).toEqual([]);
		await run.transcript.close();
	});

	it('too little disk on mta1 for the size check\'s figure: blocked before anything is upgraded', async () => {
		const run = await openRun(machine, pmProbes, scenario('filter-low-disk'));
		const where = await drive(run, (_w, view) => view === 'blocked', {'diskSpace.ask': '12G'});
		expect(where).toBe('diskSpace.blocked');
		expect(screenText(run)).toMatch(/\[FAIL\]\s+mta1: 3\.0 GiB free for \/opt; the size check needs 12\.0 GiB/);
		expect(runsOf(run)).toEqual([]);
		await run.transcript.close();
	});

	it('a mistyped figure is not final: r on the blocked screen asks for it again, and the right one passes', async () => {
		const run = await openRun(machine, pmProbes, scenario('filter-low-disk'));
		// 120G where the size check said 2G: more than db1, the first server, has.
		expect(await drive(run, (_w, view) => view === 'blocked', {'diskSpace.ask': '120G'})).toBe('diskSpace.blocked');
		run.wizard.send({type: 'operator.recheck'});
		await settled(run.wizard);
		expect(screenText(run).replaceAll(/\s+/g, ' ')).toContain('Type the space it says is required');
		run.wizard.send({type: 'operator.input', value: '2G'});
		await settled(run.wizard);
		expect(screenText(run)).toMatch(/\[PASS\]\s+db1: 24\.0 GiB free for \/opt; the size check needs 2\.0 GiB \(2G\)/);
		expect(runsOf(run)).toEqual([]);
		await run.transcript.close();
	});

	it('the web interface picked before the filters: refused, with the server that is next', async () => {
		const run = await openRun(machine, pmProbes, scenario('web-first'));
		await drive(run, w => w === 'plan.pick', migrate);
		run.wizard.send({type: 'operator.choose', value: 'upgrade:euwi1'});
		await settled(run.wizard);
		expect(screenText(run)).toContain('REFUSED: Upgrade euwi1 (euwi1.example.lan) is out of order.');
		expect(screenText(run)).toContain('Next in the required order: Upgrade db1');
		run.wizard.send({type: 'operator.continue'});
		// db1 and the CSM start in order; euwi1 before mta1 is refused too.
		await drive(run, w => w === 'plan.pick', migrate);
		run.wizard.send({type: 'operator.choose', value: 'upgrade:db1'});
		await drive(run, w => w === 'plan.pick', migrate);
		run.wizard.send({type: 'operator.choose', value: 'start:db1'});
		await drive(run, w => w === 'plan.pick', migrate);
		run.wizard.send({type: 'operator.choose', value: 'upgrade:euwi1'});
		await settled(run.wizard);
		expect(screenText(run)).toContain('Next in the required order: Upgrade mta1');
		expect(runsOf(run)).toEqual(['pmx-setup db1', 'pmx start db1']);
		await run.transcript.close();
	});

	it('other migration options on mta1: refused, and the same ones accepted', async () => {
		const run = await openRun(machine, pmProbes, scenario('migration-mismatch'));
		await drive(run, w => w === 'migrate.choose', migrate);
		run.wizard.send({type: 'operator.choose', value: 'database-quarantine'});
		await drive(run, w => w === 'migrate.choose', migrate);
		expect((run.wizard.actor.getSnapshot().context as PmContext).current).toBe('upgrade:mta1');
		run.wizard.send({type: 'operator.choose', value: 'database-quarantine-logs-reports'});
		await settled(run.wizard);
		expect(screenText(run)).toContain('REFUSED: that differs from the deployment\'s migration choice');
		run.wizard.send({type: 'operator.continue'});
		run.wizard.send({type: 'operator.choose', value: 'database-quarantine'});
		await settled(run.wizard);
		expect(screenText(run)).toMatch(/choose exactly "Database &\s+Quarantine"/);
		await run.transcript.close();
	});

	it('keeps every server\'s progress across a restart', async () => {
		const run = await openRun(machine, pmProbes, scenario('three-servers'));
		await drive(run, w => w === 'upgrade.review' && (run.wizard.actor.getSnapshot().context as PmContext).current === 'upgrade:mta1', migrate);
		await run.wizard.flushed();
		await run.transcript.close();
		const again = await openRun(machine, pmProbes, scenario('three-servers'), run.dir);
		const context = again.wizard.actor.getSnapshot().context as PmContext;
		expect(context.progress).toMatchObject({'upgrade:db1': 'done', 'start:db1': 'done', 'upgrade:mta1': 'pending'});
		expect(context.current).toBe('upgrade:mta1');
		await drive(again, () => false, migrate);
		expect(again.wizard.actor.getSnapshot().status).toBe('done');
		expect(runsOf(again)).toEqual(['pmx-setup db1', 'pmx start db1', 'pmx-setup mta1']);
		await again.transcript.close();
	});
});
