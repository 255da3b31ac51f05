import {readFileSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {WIZARD_BACKUP_DIR} from '../../machines/kit.ts';
import {pmgUpgradeMachine} from '../../machines/pmg-8-to-9.ts';
import {pmgProbes} from '../../source/runtime/pmg-probes.ts';
import {interruptedSnapshot, position} from '../../source/runtime/runtime.ts';
import {freshUi, screenModel} from '../../source/ui/screen.ts';
import {lineText} from '../../source/ui/text.ts';
import {drive, openRun, removeRuns, settled} from './drive.ts';

/*
 * The runtime on the simulated host: what it does to files, what it refuses,
 * and how it comes back after being cut off. Assertions are on the host's
 * files and on the transcript.
 */

const clean = path.resolve('scenarios/pmg/clean.yaml');
const machine = pmgUpgradeMachine() as never;
const where = (run: {wizard: {actor: {getSnapshot(): {value: unknown}}}}) => position(run.wizard.actor.getSnapshot().value);
const SOURCES = '/etc/apt/sources.list';

afterAll(removeRuns);

describe('the runtime', () => {
	it('binds each wizard to its own host: two at once, on one machine, each probes its own', async () => {
		// Both start before either has probed: a runtime shared by mistake would probe one host twice.
		const [asRoot, notRoot] = await Promise.all([openRun(machine, pmgProbes, clean), openRun(machine, pmgProbes, path.resolve('scenarios/pmg/not-root.yaml'))]);
		await Promise.all([settled(asRoot.wizard), settled(notRoot.wizard)]);
		expect(where(asRoot)).toEqual({step: 'preconditions', screen: 'passed'});
		expect(where(notRoot)).toEqual({step: 'preconditions', screen: 'blocked'});
		await asRoot.transcript.close();
		await notRoot.transcript.close();
	}, 30_000);

	it('keeps the old file in its own backup directory, says where, and never overwrites an earlier backup', async () => {
		const run = await openRun(machine, pmgProbes, clean);
		await drive(run, w => w === 'debianRepos.review');
		const review = screenModel({machine, snapshot: run.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: run.wizard.output.snapshot(), hostLabel: ''});
		expect(review.body.map(lineText).join('\n')).toContain(`old files kept in ${WIZARD_BACKUP_DIR}/pmg/`);
		const original = await run.host.readFile(SOURCES);
		const backup = `${WIZARD_BACKUP_DIR}/pmg/debianRepos${SOURCES}`;
		await run.host.writeFile(backup, 'an older backup\n');
		// What apt 3's modernize-sources leaves beside the file is none of the wizard's.
		await run.host.writeFile(`${SOURCES}.bak`, 'apt\'s own\n');
		run.wizard.send({type: 'operator.continue'});
		await settled(run.wizard);
		expect(where(run)).toEqual({step: 'debianRepos', screen: 'passed'});
		expect(await run.host.readFile(backup)).toBe('an older backup\n');
		expect(await run.host.readFile(`${backup}.1`)).toBe(original);
		expect(await run.host.readFile(`${SOURCES}.bak`)).toBe('apt\'s own\n');
		expect(await run.host.stat(`${SOURCES}.1.bak`)).toBeNull();
		expect(await run.host.readFile(SOURCES)).toContain(' trixie ');
		await run.transcript.close();
		const transcript = readFileSync(path.join(run.dir, 'transcript.log'), 'utf8');
		expect(transcript).toContain(`write ${SOURCES} (old one kept as ${backup}.1)`);
	}, 30_000);

	it('refuses to write a file that changed since its diff was shown, then shows the new diff', async () => {
		const run = await openRun(machine, pmgProbes, clean);
		await drive(run, w => w === 'debianRepos.review');
		const edited = `${await run.host.readFile(SOURCES)}# added by hand meanwhile\n`;
		await run.host.writeFile(SOURCES, edited);
		run.wizard.send({type: 'operator.continue'});
		await settled(run.wizard);
		expect(where(run)).toEqual({step: 'debianRepos', screen: 'failed'});
		expect(run.wizard.actor.getSnapshot().context.lastRun.tail.join('\n')).toContain('changed since the preview; nothing was written');
		expect(await run.host.readFile(SOURCES)).toBe(edited);
		expect(await run.host.stat(`${WIZARD_BACKUP_DIR}/pmg/debianRepos${SOURCES}`)).toBeNull();
		// r reads the files again: the new preview keeps the operator's line.
		run.wizard.send({type: 'operator.retry'});
		await settled(run.wizard);
		expect(where(run)).toEqual({step: 'debianRepos', screen: 'review'});
		const change = run.wizard.actor.getSnapshot().context.facts.sources.plan[0];
		expect(change.before).toBe(edited);
		expect(change.after).toContain('# added by hand meanwhile');
		await run.transcript.close();
	}, 30_000);

	it('after being cut off while a step ran, shows that step as interrupted and runs nothing by itself', async () => {
		const run = await openRun(machine, pmgProbes, clean);
		await drive(run, w => w === 'stopServices.review');
		await run.wizard.flushed();
		await run.transcript.close();
		// The saved place as a crash during the command would leave it.
		const saved = JSON.parse(readFileSync(path.join(run.dir, 'state.json'), 'utf8')) as {snapshot: {value: unknown}};
		const cut = {...saved.snapshot, value: {stopServices: 'running'}};
		expect(interruptedSnapshot(pmgUpgradeMachine(), cut).value).toEqual({stopServices: 'interrupted'});
		await run.store.save(cut);

		const again = await openRun(machine, pmgProbes, clean, run.dir);
		await settled(again.wizard);
		expect(where(again)).toEqual({step: 'stopServices', screen: 'interrupted'});
		await again.wizard.flushed();
		await again.transcript.close();
		const transcript = readFileSync(path.join(run.dir, 'transcript.log'), 'utf8');
		const restarted = transcript.slice(transcript.lastIndexOf('wizard started at'));
		expect(restarted).not.toContain('run: systemctl');
		expect(again.host.serviceState('postfix')).toMatchObject({active: true, masked: false});
	}, 30_000);

	it('in a dry run shows every command and changes nothing', async () => {
		const run = await openRun(machine, pmgProbes, clean, undefined, {dryRun: true});
		const before = await run.host.readFile(SOURCES);
		const backups = await run.host.listDir('/var/lib/pmg/backup');
		const stop = await drive(run, (_w, view) => view === 'blocked');
		await run.wizard.flushed();
		await run.transcript.close();
		// pmgbackup did not run, so no new backup exists and its check stops the walk.
		expect(stop).toBe('backup.blocked');
		expect(await run.host.listDir('/var/lib/pmg/backup')).toEqual(backups);
		expect(await run.host.readFile(SOURCES)).toBe(before);
		const transcript = readFileSync(path.join(run.dir, 'transcript.log'), 'utf8');
		expect(transcript).toContain('run (dry run, not executed): apt update');
		expect(transcript).toContain('run (dry run, not executed): pmgbackup backup');
		expect(transcript).not.toMatch(/^.*\| .*Hit:1/m);
	}, 30_000);

	it('says on screen at once when the saved place cannot be written (disk full), and clears it once it can', async () => {
		const run = await openRun(machine, pmgProbes, clean);
		await drive(run, w => w === 'updateCurrent.review');
		const store = run.store as unknown as {save: (s: unknown) => Promise<void>};
		const save = store.save.bind(store);
		let full = true;
		store.save = async snapshot => {
			if (full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC'});
			return save(snapshot);
		};
		run.wizard.send({type: 'operator.skip', reason: 'updated yesterday'});
		await settled(run.wizard);
		await expect(run.wizard.flushed()).rejects.toThrow('ENOSPC');
		const problem = run.wizard.problem.get();
		expect(problem).toContain('The saved place could not be written (ENOSPC');
		const model = screenModel({machine: pmgUpgradeMachine() as never, snapshot: run.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: run.wizard.output.snapshot(), hostLabel: '', problem});
		expect(lineText(model.body[0]!)).toContain('[FAIL] The saved place could not be written');
		// Space again: the next transition is saved and the warning goes.
		full = false;
		run.wizard.send({type: 'operator.continue'});
		await settled(run.wizard);
		await run.wizard.flushed();
		expect(run.wizard.problem.get()).toBeNull();
		await run.transcript.close();
	}, 30_000);

	it('started again with the same boot id (no reboot happened), says so instead of going on', async () => {
		const run = await openRun(machine, pmgProbes, clean);
		await drive(run, w => w === 'reboot.waiting');
		await run.wizard.flushed();
		await run.transcript.close();
		// The boot id the host has now is the one recorded before the reboot: as if the reboot never happened.
		const file = path.join(run.dir, 'state.json');
		const saved = JSON.parse(readFileSync(file, 'utf8')) as {snapshot: {context: {facts: Record<string, unknown>}}};
		saved.snapshot.context.facts.bootIdBeforeReboot = await run.host.bootId();
		writeFileSync(file, JSON.stringify(saved));

		const again = await openRun(machine, pmgProbes, clean, run.dir);
		await settled(again.wizard);
		expect(where(again)).toEqual({step: 'reboot', screen: 'notRebooted'});
		const model = screenModel({machine: pmgUpgradeMachine() as never, snapshot: again.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: again.wizard.output.snapshot(), hostLabel: ''});
		expect(model.body.map(lineText).join('\n')).toContain('the host has not rebooted (its boot id is unchanged)');
		await again.transcript.close();
	}, 30_000);
});
