import {readFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {WIZARD_BACKUP_DIR} from '../../machines/kit.ts';
import {pmgUpgradeMachine} from '../../machines/pmg-8-to-9.ts';
import {pmgProbes} from '../../source/runtime/pmg-probes.ts';
import {position} from '../../source/runtime/runtime.ts';
import {screenModel, freshUi} from '../../source/ui/screen.ts';
import {lineText} from '../../source/ui/text.ts';
import {drive, openRun, removeRuns, type Answers} from './drive.ts';

/*
 * The real runtime and probes on each bundled PMG scenario: a careful
 * operator presses on, and each fault scenario must stop at the guard it is
 * about, with the advice for it on screen.
 */

const scenario = (name: string) => path.resolve('scenarios/pmg', `${name}.yaml`);
const machine = pmgUpgradeMachine() as never;

async function stopsAt(name: string, answers: Answers = {}) {
	const run = await openRun(machine, pmgProbes, scenario(name));
	const seen: string[] = [];
	const where = await drive(run, (_w, view) => view === 'blocked', answers, seen);
	const model = screenModel({
		machine: pmgUpgradeMachine() as never,
		snapshot: run.wizard.actor.getSnapshot() as never,
		ui: freshUi(where),
		output: run.wizard.output.snapshot(),
		hostLabel: '',
	});
	await run.transcript.close();
	return {where, text: model.body.map(lineText).join('\n'), seen, run};
}

afterAll(removeRuns);

describe('pmg scenarios on the simulated host', () => {
	it('clean: reaches the reboot without a stop, and after the reboot the end', async () => {
		const run = await openRun(machine, pmgProbes, scenario('clean'));
		const seen: string[] = [];
		const where = await drive(run, w => w === 'reboot.waiting', {}, seen);
		expect(where).toBe('reboot.waiting');
		expect(seen).not.toContainEqual(expect.stringMatching(/\.blocked$/));
		await run.wizard.flushed();
		await run.transcript.close();

		// A new process: resumes from the saved place, learns the boot id changed.
		const again = await openRun(machine, pmgProbes, scenario('clean'), run.dir);
		const end = await drive(again, () => false, {}, seen);
		expect(again.wizard.actor.getSnapshot().status).toBe('done');
		expect(end).toBe('finished.');
		expect(seen).toContain('verifyVersion.passed');
		const sources = await again.host.readFile('/etc/apt/sources.list');
		expect(sources).toContain('trixie');
		expect(sources).not.toMatch(/^deb .* bookworm/m);
		expect(await again.host.readFile(`${WIZARD_BACKUP_DIR}/pmg/debianRepos/etc/apt/sources.list`)).toContain('bookworm');
		await again.transcript.close();
		const transcript = readFileSync(path.join(run.dir, 'transcript.log'), 'utf8');
		expect(transcript).toContain('run: pmgbackup backup');
		expect(transcript).toContain('write /etc/apt/sources.list');
	}, 60_000);

	it('clean: modernize-sources shows what it does to the files first, and its sources.list.bak leaves the wizard\'s backup alone', async () => {
		const run = await openRun(machine, pmgProbes, scenario('clean'));
		await drive(run, w => w === 'reboot.waiting');
		await run.wizard.flushed();
		await run.transcript.close();
		const again = await openRun(machine, pmgProbes, scenario('clean'), run.dir);
		expect(await drive(again, w => w === 'modernizeSources.review', {'purgePostgres.confirm': 'works'})).toBe('modernizeSources.review');
		const model = screenModel({machine, snapshot: again.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: again.wizard.output.snapshot(), hostLabel: ''});
		const text = model.body.map(lineText).join('\n').replace(/\s+/g, ' ');
		expect(text).toContain('/etc/apt/sources.list -> /etc/apt/sources.list.d/debian.sources (3 entries); renamed to /etc/apt/sources.list.bak');
		// The admin answers Y (the second run the vendor suggests): apt's .bak is the trixie file.
		expect((await again.host.run({argv: ['apt', 'modernize-sources']}, {capture: 'all'})).exitCode).toBe(0);
		expect((await again.host.run({argv: ['apt', 'modernize-sources']}, {capture: 'all'})).stdout).toContain('Rewrite 1 sources? [Y/n] Y');
		expect(await again.host.readFile('/etc/apt/sources.list.bak')).toContain(' trixie ');
		expect(await again.host.readFile(`${WIZARD_BACKUP_DIR}/pmg/debianRepos/etc/apt/sources.list`)).toMatch(/^deb http:\/\/deb\.debian\.org\/debian bookworm main/m);
		await again.transcript.close();
	}, 60_000);

	it('postfix-disabled: after the reboot names postfix with its start command and log; finished only once it runs', async () => {
		const run = await openRun(machine, pmgProbes, scenario('postfix-disabled'));
		await drive(run, w => w === 'reboot.waiting');
		await run.wizard.flushed();
		await run.transcript.close();
		const again = await openRun(machine, pmgProbes, scenario('postfix-disabled'), run.dir);
		const where = await drive(again, (_w, view) => view === 'blocked');
		expect(where).toBe('servicesAfter.blocked');
		const screen = () =>
			screenModel({machine, snapshot: again.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: again.wizard.output.snapshot(), hostLabel: ''})
				.body.map(lineText)
				.join('\n')
				.replace(/ +/g, ' ');
		const text = screen();
		expect(text).toContain('[FAIL] postfix: inactive, disabled');
		expect(text).toContain('[PASS] pmg-smtp-filter: active, enabled');
		// On trixie postfix.service runs the master itself: its own log, and no postfix@- to check.
		expect(text).toContain('postfix: systemctl enable --now postfix; log: journalctl -b -u postfix');
		expect(text).not.toContain('postfix@-');
		expect(text).toContain('systemctl enable postfix');
		// f enables and starts it; then the check passes and the end says PASS.
		again.wizard.send({type: 'operator.fix'});
		expect(await drive(again, w => w === 'servicesAfter.passed')).toBe('servicesAfter.passed');
		expect(screen()).toContain('[PASS] postfix: active, enabled');
		expect(await drive(again, () => false)).toBe('finished.');
		expect(screen()).toContain('[PASS] Proxmox Mail Gateway 9 runs on Debian trixie with PostgreSQL 17.');
		await again.transcript.close();
	}, 60_000);

	it('postfix-disabled: going on without postfix takes the typed words, is in the transcript, and the end does not say PASS', async () => {
		const run = await openRun(machine, pmgProbes, scenario('postfix-disabled'));
		await drive(run, w => w === 'reboot.waiting');
		await run.wizard.flushed();
		await run.transcript.close();
		const again = await openRun(machine, pmgProbes, scenario('postfix-disabled'), run.dir);
		expect(await drive(again, (_w, view) => view === 'blocked')).toBe('servicesAfter.blocked');
		again.wizard.send({type: 'operator.override', text: 'proceed'});
		expect(position(again.wizard.actor.getSnapshot().value)).toEqual({step: 'servicesAfter', screen: 'blocked'});
		again.wizard.send({type: 'operator.override', text: 'go on'});
		expect(await drive(again, () => false)).toBe('finished.');
		const end = screenModel({machine, snapshot: again.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: again.wizard.output.snapshot(), hostLabel: ''}).body.map(lineText).join('\n').replace(/ +/g, ' ');
		expect(end).not.toContain('[PASS] Proxmox Mail Gateway 9 runs');
		expect(end).toContain('[WARN] The steps ran to their end, but not all runs (you chose to go on):');
		expect(end).toContain('[FAIL] postfix did not run (inactive, disabled): journalctl -b -u postfix');
		await again.transcript.close();
		expect(readFileSync(path.join(run.dir, 'transcript.log'), 'utf8')).toContain('operator.override text="go on"');
	}, 60_000);

	it('signed-by-twice: stops at the first step, before any apt update, naming both files and keyrings', async () => {
		const {where, text, run} = await stopsAt('signed-by-twice');
		expect(where).toBe('preconditions.blocked');
		const flat = text.replace(/\s+/g, ' ');
		expect(flat).toContain('/etc/apt/sources.list.d/pmg-enterprise.list:1 (Signed-By /etc/apt/trusted.gpg.d/proxmox-release-bookworm.gpg)');
		expect(flat).toContain('/etc/apt/sources.list.d/proxmox.sources:1 (Signed-By /usr/share/keyrings/proxmox-archive-keyring.gpg)');
		expect(flat).toContain('Remove or disable one of the two entries');
		expect(readFileSync(path.join(run.dir, 'transcript.log'), 'utf8')).not.toContain('run: apt update');
	});

	it('low-disk: stops at the free space check with 9.5 GiB', async () => {
		const {where, text} = await stopsAt('low-disk');
		expect(where).toBe('diskSpace.blocked');
		expect(text).toContain('[FAIL]');
		expect(text).toContain('9.5 GiB available on /');
		expect(text).toContain('Free space on /');
	});

	it('old-version: stops at the version check, pmg-api older than 8.2.5', async () => {
		const {where, text} = await stopsAt('old-version');
		expect(where).toBe('updateCurrent.blocked');
		expect(text).toContain('older than 8.2.5');
		expect(text).toContain('valid PMG 8 (bookworm) package repositories');
	});

	it('bad-locale: warns about SSH without tmux, then stops before pg_upgradecluster and offers to clean the environment', async () => {
		const {where, text, seen, run} = await stopsAt('bad-locale', {'preconditions.sessionWarning': 'continue'});
		expect(seen).toContain('preconditions.sessionWarning');
		// Declined tmux: one more warning before the first command that changes the host, and only one.
		expect(seen.filter(w => w.endsWith('.sshReminder'))).toEqual(['updateCurrent.sshReminder']);
		expect(where).toBe('postgresCheck.blocked');
		expect(text).toContain('LC_ALL=de_DE.UTF-8 is not installed');
		expect(text).toContain('Press c to run pg_upgradecluster without the variables above');
		// Choosing to clean: the command shown runs without LC_ALL and says so.
		run.wizard.send({type: 'operator.choose', value: 'yes'});
		const model = screenModel({machine: pmgUpgradeMachine() as never, snapshot: run.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: run.wizard.output.snapshot(), hostLabel: ''});
		expect(position(run.wizard.actor.getSnapshot().value)).toEqual({step: 'postgresCheck', screen: 'passed'});
		expect(model.body.map(lineText).join('\n')).toContain('removed for pg_upgradecluster');
	});

	it('bookworm-leftovers: finds the entries in a .list and a .sources, and blocks until they are dealt with', async () => {
		const {where, text, seen, run} = await stopsAt('bookworm-leftovers');
		expect(seen).toContain('debianRepos.thirdParty');
		expect(where).toBe('aptPolicy.blocked');
		expect(text).toMatch(/extra\.list:\d+: bookworm/);
		expect(text).toMatch(/example-tools\.sources:\d+: bookworm/);
		expect(text).not.toContain('disabled');
		// The Debian stanza of the .sources file moved to trixie; the disabled one was left alone.
		const deb822 = (await run.host.readFile('/etc/apt/sources.list.d/debian-backports.sources'))!;
		expect(deb822).toContain('Suites: trixie-backports');
		expect(deb822).toContain('Suites: bookworm-proposed-updates');
		expect(deb822).not.toContain('Suites: bookworm-backports');
	});

	it('unreachable-repository: apt update exits 0 with the PMG repository unread, and the step does not pass', async () => {
		const run = await openRun(machine, pmgProbes, scenario('unreachable-repository'));
		const where = await drive(run, (_w, view) => view === 'failed' || view === 'blocked');
		expect(where).toBe('updateCurrent.failed');
		const snapshot = run.wizard.actor.getSnapshot();
		// apt's own exit status was 0: the wizard read its Err:/W: lines.
		expect(snapshot.context.lastRun.commands[0]).toMatchObject({display: 'apt update', exitCode: 0});
		const model = screenModel({machine, snapshot: snapshot as never, ui: freshUi(where), output: run.wizard.output.snapshot(), hostLabel: ''});
		const text = model.body.map(lineText).join('\n');
		expect(text).toContain('[FAIL] apt update: 1 needed repository not read');
		const said = text.replace(/\s+/g, ' ');
		expect(said).toContain('apt could not read a repository the upgrade needs (it only warned and exited 0');
		expect(said).toContain('https://enterprise.proxmox.com/debian/pmg bookworm could not be read: Could not connect to enterprise.proxmox.com:443 (212.224.123.70), connection timed out');
		for (const row of model.body.map(lineText)) expect(row.length).toBeLessThanOrEqual(80);
		// The dist-upgrade did not run on stale lists.
		expect(snapshot.context.lastRun.commands).toHaveLength(1);
		await run.transcript.close();
		const transcript = readFileSync(path.join(run.dir, 'transcript.log'), 'utf8');
		expect(transcript).toContain('https://enterprise.proxmox.com/debian/pmg bookworm could not be read: Could not connect to enterprise.proxmox.com:443');
		expect(transcript).not.toContain('run: apt dist-upgrade');
	});

	it('kernel-meta: stops at linux-image-amd64 and offers apt remove', async () => {
		const {where, text} = await stopsAt('kernel-meta');
		expect(where).toBe('kernelPackages.blocked');
		expect(text).toContain('linux-image-amd64 is installed');
		expect(text).toContain('apt remove linux-image-amd64');
	});

	it('cluster-master: has the daemons stopped and asks for every node before going on', async () => {
		const run = await openRun(machine, pmgProbes, scenario('cluster-master'));
		const seen: string[] = [];
		await drive(run, w => w === 'cluster.allNodes', {}, seen);
		const model = screenModel({machine: pmgUpgradeMachine() as never, snapshot: run.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: run.wizard.output.snapshot(), hostLabel: ''});
		expect(seen).toContain('cluster.review');
		const text = model.body.map(lineText).join('\n');
		expect(text).toContain('Type "all nodes"');
		expect(text).toContain('on every other node: pmg2.');
		// After this node's upgrade and reboot: the daemons wait for every node.
		await drive(run, w => w === 'reboot.waiting');
		await run.wizard.flushed();
		await run.transcript.close();
		const again = await openRun(machine, pmgProbes, scenario('cluster-master'), run.dir);
		const at = await drive(again, w => w === 'clusterServices.allUpgraded' || w === 'clusterServices.review', {});
		expect(at).toBe('clusterServices.allUpgraded');
		const later = screenModel({machine: pmgUpgradeMachine() as never, snapshot: again.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: again.wizard.output.snapshot(), hostLabel: ''});
		expect(later.body.map(lineText).join('\n')).toContain('Upgrade pmg2 the same way first');
		again.wizard.send({type: 'operator.confirm', text: 'all upgraded'});
		expect(position(again.wizard.actor.getSnapshot().value)).toEqual({step: 'clusterServices', screen: 'review'});
		await again.transcript.close();
	});

	it('clean: an existing backup made before this upgrade passes only with the typed words, which go to the transcript', async () => {
		const run = await openRun(machine, pmgProbes, scenario('clean'));
		const candidates = async () => {
			await drive(run, w => w === 'backup.choose');
			return run.wizard.actor.getSnapshot().context.facts.backupCandidates as Array<{path: string}>;
		};
		const [old] = await candidates();
		expect(old).toBeDefined();
		run.wizard.send({type: 'operator.choose', value: old!.path});
		const where = await drive(run, (_w, view) => view === 'blocked' || view === 'confirm');
		expect(where).toBe('backup.blocked');
		const model = screenModel({machine: pmgUpgradeMachine() as never, snapshot: run.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: run.wizard.output.snapshot(), hostLabel: ''});
		const text = model.body.map(lineText).join('\n');
		expect(text).toContain('before this upgrade began');
		expect(text).toContain('type "old backup"');
		// A wrong word does nothing; the right one passes, and says so.
		run.wizard.send({type: 'operator.override', text: 'yes'});
		expect(position(run.wizard.actor.getSnapshot().value)).toEqual({step: 'backup', screen: 'blocked'});
		run.wizard.send({type: 'operator.override', text: 'old backup'});
		expect(position(run.wizard.actor.getSnapshot().value)).toEqual({step: 'backup', screen: 'passed'});
		await run.wizard.flushed();
		await run.transcript.close();
		const transcript = readFileSync(path.join(run.dir, 'transcript.log'), 'utf8');
		expect(transcript).toContain('operator.override text="old backup"');
	});
});
