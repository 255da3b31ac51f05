import {readFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {WIZARD_BACKUP_DIR} from '../../machines/kit.ts';
import {pmgUpgradeMachine} from '../../machines/pmg-8-to-9.ts';
import {pmgProbes} from '../../source/runtime/pmg-probes.ts';
import {SimulatedHost} from '../../source/host/simulated-host.ts';
import {position} from '../../source/runtime/runtime.ts';
import {screenModel, freshUi} from '../../source/ui/screen.ts';
import {lineText} from '../../source/ui/text.ts';
import {drive, openRun, removeRuns, settled, type Answers} from './drive.ts';

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
		// modernize-sources (answered n, then Y) renamed it to .list.bak.
		expect(await again.host.readFile('/etc/apt/sources.list')).toBeNull();
		const sources = await again.host.readFile('/etc/apt/sources.list.bak');
		expect(sources).toContain('trixie');
		expect(sources).not.toMatch(/^deb .* bookworm/m);
		expect(await again.host.readFile(`${WIZARD_BACKUP_DIR}/pmg/debianRepos/etc/apt/sources.list`)).toContain('bookworm');
		await again.transcript.close();
		const transcript = readFileSync(path.join(run.dir, 'transcript.log'), 'utf8');
		expect(transcript).toContain('run: pmgbackup backup');
		expect(transcript).toContain('write /etc/apt/sources.list');
	}, 60_000);

	it('clean: the result screen after apt dist-upgrade on the terminal lists each command with its exit status and duration', async () => {
		const run = await openRun(machine, pmgProbes, scenario('clean'));
		expect(await drive(run, w => w === 'updateCurrent.passed')).toBe('updateCurrent.passed');
		const model = screenModel({machine, snapshot: run.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: run.wizard.output.snapshot(), hostLabel: ''});
		const text = model.body.map(lineText).join('\n');
		expect(text).toMatch(/\[done\] apt update +\d+\.\d s/);
		expect(text).toMatch(/\[done\] apt dist-upgrade +\d+\.\d s/);
		expect(text).toContain('pmg-api 8.2.7');
		await run.wizard.flushed();
		await run.transcript.close();
	}, 60_000);

	it('clean: a file the wizard creates is shown as new (/dev/null), with no old file said to be kept; one it removes, as removed', async () => {
		const run = await openRun(machine, pmgProbes, scenario('clean'));
		const body = () =>
			screenModel({machine, snapshot: run.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: run.wizard.output.snapshot(), hostLabel: ''})
				.body.map(lineText)
				.join('\n');
		expect(await drive(run, w => w === 'pmgRepo.review')).toBe('pmgRepo.review');
		const created = body();
		expect(created).toContain('The wizard will make these changes (new files: no old ones to keep):');
		expect(created).toContain('--- /dev/null');
		expect(created).toMatch(/\+\+\+ \/etc\/apt\/sources\.list\.d\/\S+ \(new file\)/);
		expect(created).not.toContain('old files kept in');
		expect(await drive(run, w => w === 'oldPmgRepo.review')).toBe('oldPmgRepo.review');
		const removed = body();
		expect(removed).toMatch(/\+\+\+ \/dev\/null \(\/etc\/apt\/sources\.list\.d\/pmg-enterprise\.list removed\)/);
		expect(removed).not.toMatch(/pmg-enterprise\.list \(new\)/);
		await run.wizard.flushed();
		await run.transcript.close();
	}, 60_000);

	it('clean: the vendor checklist (pmg8to9) is in the transcript with all its findings and its exit status', async () => {
		const run = await openRun(machine, pmgProbes, scenario('clean'));
		expect(await drive(run, w => w.startsWith('checklist.') && w !== 'checklist.checking')).toMatch(/^checklist\./);
		await run.wizard.flushed();
		await run.transcript.close();
		const transcript = readFileSync(path.join(run.dir, 'transcript.log'), 'utf8');
		expect(transcript).toMatch(/# \S+ check: pmg8to9\n/);
		expect(transcript).toContain('| PASS: proxmox-mailgateway package has version >= 8.2.0');
		expect(transcript).toMatch(/exit status \d+: pmg8to9\n/);
	}, 60_000);

	it('clean: the typed confirmation before the purge names the key that skips it (Tab, as its footer says; s would be typed)', async () => {
		const run = await openRun(machine, pmgProbes, scenario('clean'));
		await drive(run, w => w === 'reboot.waiting');
		await run.wizard.flushed();
		await run.transcript.close();
		const again = await openRun(machine, pmgProbes, scenario('clean'), run.dir);
		expect(await drive(again, w => w === 'purgePostgres.confirm', {})).toBe('purgePostgres.confirm');
		const model = screenModel({machine, snapshot: again.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: again.wizard.output.snapshot(), hostLabel: ''});
		const text = model.body.map(lineText).join(' ').replace(/\s+/g, ' ');
		expect(text).toContain('or Tab to skip it');
		expect(text).not.toContain('or s to skip');
		expect(model.keys.map(k => `${k.key} ${k.label}`)).toContain('Tab skip');
		await again.wizard.flushed();
		await again.transcript.close();
	}, 60_000);

	it('clean: modernize-sources answered n (the preview) is not passed; f runs it again, and Y passes once the sources are modernized', async () => {
		const run = await openRun(machine, pmgProbes, scenario('clean'));
		await drive(run, w => w === 'reboot.waiting');
		await run.wizard.flushed();
		await run.transcript.close();
		const again = await openRun(machine, pmgProbes, scenario('clean'), run.dir);
		await drive(again, w => w === 'modernizeSources.review', {'purgePostgres.confirm': 'works'});
		const screen = () => {
			const model = screenModel({machine, snapshot: again.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: again.wizard.output.snapshot(), hostLabel: ''});
			return {model, text: model.body.map(lineText).join('\n')};
		};
		// The scenario's first answer is n: apt shows what it would write and changes nothing.
		again.wizard.send({type: 'operator.continue'});
		await settled(again.wizard);
		expect(position(again.wizard.actor.getSnapshot().value)).toEqual({step: 'modernizeSources', screen: 'blocked'});
		expect(await again.host.readFile('/etc/apt/sources.list')).toContain('trixie');
		const blocked = screen();
		expect(blocked.text).not.toContain('[PASS]');
		expect(blocked.text).toContain('f runs:');
		expect(blocked.text).toContain('$ apt modernize-sources');
		expect(blocked.model.keys.map(k => `${k.key} ${k.label}`)).toEqual(expect.arrayContaining(['f fix', 's skip']));
		// Run again, answered Y: the sources are rewritten and only now is the step passed.
		again.wizard.send({type: 'operator.fix'});
		await settled(again.wizard);
		expect(position(again.wizard.actor.getSnapshot().value)).toEqual({step: 'modernizeSources', screen: 'passed'});
		expect(await again.host.readFile('/etc/apt/sources.list')).toBeNull();
		expect(await again.host.readFile('/etc/apt/sources.list.d/debian.sources')).toContain('Modernized from /etc/apt/sources.list');
		await again.wizard.flushed();
		await again.transcript.close();
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

	it('cluster-master: stops and masks the daemons here and on pmg2 over ssh, pmg3 only by its typed name; one node at a time; not the last node', async () => {
		const run = await openRun(machine, pmgProbes, scenario('cluster-master'));
		const seen: string[] = [];
		const screenText = (r = run) => screenModel({machine: pmgUpgradeMachine() as never, snapshot: r.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: r.wizard.output.snapshot(), hostLabel: ''}).body.map(lineText).join('\n').replace(/\n +(?=pmgmirror)/g, ' ');
		await drive(run, w => w === 'cluster.review', {}, seen);
		const review = screenText();
		// Each exact command first, the ssh line for pmg2; nothing for pmg3, which did not answer.
		expect(review).toContain('$ systemctl stop pmgmirror pmgtunnel');
		expect(review).toContain("on pmg2: ssh -o BatchMode=yes root@192.0.2.11 -- 'systemctl mask pmgmirror pmgtunnel'");
		expect(review).not.toContain('root@192.0.2.12');
		expect(review).toMatch(/\[FAIL\] +pmg3 +192\.0\.2\.12 +node +A +unreachable/);
		// Still to do, before anything ran: not a failure yet.
		expect(review).toMatch(/\[INFO\] +pmg2 +192\.0\.2\.11 +node +A +RUNNING +8\.2\.7/);
		const peer = async (name: string) => SimulatedHost.open(path.resolve(`scenarios/pmg/servers/${name}.yaml`), {stateFile: path.join(run.dir, `host-${name.split('-')[0]}.json`), speed: 0});
		expect((await (await peer('pmg2')).run({argv: ['systemctl', 'is-active', 'pmgmirror', 'pmgtunnel']})).stdout).toBe('active\nactive\n');
		const at = await drive(run, (_w, view) => view === 'confirm', {}, seen);
		expect(at).toBe('cluster.confirmNode');
		const confirm = screenText().replace(/\n /g, ' ');
		expect(confirm).toContain('could not reach pmg3 (192.0.2.12) over ssh as root: ssh: connect to host 192.0.2.12 port 22: Connection timed out');
		expect(confirm).toContain('Type "pmg3" when that is done there.');
		// pmg2 was stopped and masked over its own host; this node too.
		expect((await (await peer('pmg2')).run({argv: ['systemctl', 'is-enabled', 'pmgmirror', 'pmgtunnel']})).stdout).toBe('masked\nmasked\n');
		expect((await run.host.run({argv: ['systemctl', 'is-active', 'pmgmirror', 'pmgtunnel']})).stdout).toBe('inactive\ninactive\n');
		// Only pmg3's name gets past.
		run.wizard.send({type: 'operator.confirm', text: 'all nodes'});
		run.wizard.send({type: 'operator.confirm', text: 'pmg2'});
		expect(position(run.wizard.actor.getSnapshot().value)).toEqual({step: 'cluster', screen: 'confirmNode'});
		run.wizard.send({type: 'operator.confirm', text: 'pmg3'});
		expect(position(run.wizard.actor.getSnapshot().value)).toEqual({step: 'cluster', screen: 'passed'});
		const table = screenText();
		expect(table).toMatch(/\[PASS\] +pmg1\* +192\.0\.2\.10 +master +A +stopped\+masked +8\.2\.7/);
		expect(table).toMatch(/\[PASS\] +pmg2 +192\.0\.2\.11 +node +A +stopped\+masked +8\.2\.7/);
		expect(table).toMatch(/\[WARN\] +pmg3 +192\.0\.2\.12 +node +A +by hand +\?/);

		// Before the dist-upgrade: every node read again, pmg3 typed again, this node's start recorded.
		await drive(run, w => w === 'clusterGate.review', {}, seen);
		expect(seen).toContain('clusterGate.confirmNode');
		expect(screenText()).toContain('/var/lib/upgrade-wizard/cluster-progress.json');
		await drive(run, w => w.startsWith('distUpgrade.'), {}, seen);
		expect(JSON.parse((await run.host.readFile('/var/lib/upgrade-wizard/cluster-progress.json'))!)).toMatchObject({node: 'pmg1', stage: 'upgrading', step: 'distUpgrade'});
		await drive(run, w => w === 'reboot.waiting');
		await run.wizard.flushed();
		await run.transcript.close();
		// The typed names are in the transcript, the wrong ones too.
		const transcript = readFileSync(path.join(run.dir, 'transcript.log'), 'utf8');
		expect(transcript).toContain('operator.confirm text="pmg3"');
		expect(transcript).toContain('operator.confirm text="pmg2"');
		expect(transcript).toContain('run on pmg2 (pmg2.example.lan (simulated)): systemctl mask pmgmirror pmgtunnel');

		// After the reboot: recorded as upgraded; pmg2 still runs 8.2, so the daemons stay masked.
		const again = await openRun(machine, pmgProbes, scenario('cluster-master'), run.dir);
		const later = await drive(again, w => w.startsWith('clusterServices.') && !w.endsWith('.checking') && !w.endsWith('.recording'), {});
		expect(later).toBe('clusterServices.notLast');
		expect(screenText(again)).toContain('pmg2 (192.0.2.11): PMG 8.2.7');
		expect(JSON.parse((await again.host.readFile('/var/lib/upgrade-wizard/cluster-progress.json'))!)).toMatchObject({node: 'pmg1', stage: 'upgraded'});
		again.wizard.send({type: 'operator.continue'});
		expect(again.wizard.actor.getSnapshot().context.status.clusterServices).toEqual({status: 'skipped', reason: 'not the last node: pmg2 still to upgrade'});
		expect((await again.host.run({argv: ['systemctl', 'is-enabled', 'pmgmirror', 'pmgtunnel']})).stdout).toBe('masked\nmasked\n');
		await again.transcript.close();
	});

	it('cluster-last-node: the last node starts the daemons on every node and waits for pmgcm to show all in sync', async () => {
		const run = await openRun(machine, pmgProbes, scenario('cluster-last-node'));
		const seen: string[] = [];
		// pmg2's wizard masked them everywhere already: nothing to run, pmg3 typed by name.
		await drive(run, w => w === 'reboot.waiting', {}, seen);
		expect(seen).not.toContain('cluster.review');
		expect(seen).toContain('cluster.confirmNode');
		await run.wizard.flushed();
		await run.transcript.close();
		const again = await openRun(machine, pmgProbes, scenario('cluster-last-node'), run.dir);
		const screens: string[] = [];
		const at = await drive(again, w => w === 'clusterServices.review', {}, screens);
		expect(at).toBe('clusterServices.review');
		expect(screens).toContain('clusterServices.confirmNode');
		const text = screenModel({machine: pmgUpgradeMachine() as never, snapshot: again.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: again.wizard.output.snapshot(), hostLabel: ''}).body.map(lineText).join('\n').replace(/\n +(?=pmgmirror)/g, ' ');
		expect(text).toContain('$ systemctl unmask pmgmirror pmgtunnel');
		expect(text).toContain("on pmg2: ssh -o BatchMode=yes root@192.0.2.11 -- 'systemctl start pmgmirror pmgtunnel'");
		const end = await drive(again, w => w === 'clusterServices.passed', {}, screens);
		expect(end).toBe('clusterServices.passed');
		const pmg2 = await SimulatedHost.open(path.resolve('scenarios/pmg/servers/pmg2-upgraded.yaml'), {stateFile: path.join(run.dir, 'host-pmg2.json'), speed: 0});
		expect((await pmg2.run({argv: ['systemctl', 'is-active', 'pmgmirror', 'pmgtunnel']})).stdout).toBe('active\nactive\n');
		expect((await again.host.run({argv: ['systemctl', 'is-enabled', 'pmgmirror', 'pmgtunnel']})).stdout).toBe('enabled\nenabled\n');
		await again.transcript.close();
	});

	it('cluster-other-node-upgrading: refuses the dist-upgrade while pmg2 is being upgraded, naming pmg2 and its step', async () => {
		const {where, text, run} = await stopsAt('cluster-other-node-upgrading');
		expect(where).toBe('clusterGate.blocked');
		expect(text.replace(/\s+/g, ' ')).toContain('pmg2 is being upgraded: it is at "Upgrade the system: apt dist-upgrade" (step distUpgrade) since 2026-11-22 08:40.');
		expect(await run.host.readFile('/var/lib/upgrade-wizard/cluster-progress.json')).toBeNull();
		expect((await run.host.readFile('/etc/debian_version'))!.trim()).toBe('12.12');
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
