import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {pmgUpgradeMachine} from '../../machines/pmg-8-to-9.ts';
import {trainings, whatGoesWrong} from '../../source/commands/train.ts';
import {pmgProbes} from '../../source/runtime/pmg-probes.ts';
import {trainingSummary} from '../../source/training/summary.ts';
import {freshUi, screenModel} from '../../source/ui/screen.ts';
import {lineText} from '../../source/ui/text.ts';
import {drive, openRun, removeRuns} from '../runtime/drive.ts';
import {TmuxSession} from '../e2e/tmux.ts';

const cli = path.resolve('dist/cli.js');
const temp = mkdtempSync(path.join(os.tmpdir(), 'muw-train-'));
afterAll(() => {
	removeRuns();
	rmSync(temp, {recursive: true, force: true});
});

/** The summary with its wrapped lines joined again (a continuation is indented deeper than "  - "). */
const unwrap = (text: string) => text.replace(/\n {4,}/g, ' ').replace(/(\S)\n(?=[a-z"])/g, '$1 ');

const train = (...args: string[]) => {
	try {
		const stdout = execFileSync(process.execPath, [cli, 'train', ...args], {encoding: 'utf8', stdio: 'pipe', env: {...process.env, XDG_STATE_HOME: temp}});
		return {status: 0, stdout, stderr: ''};
	} catch (error) {
		const e = error as {status: number; stdout: string; stderr: string};
		return {status: e.status, stdout: e.stdout, stderr: e.stderr};
	}
};

describe('upgrade-wizard train: the list', () => {
	it('lists every bundled scenario with its name, difficulty, title and what goes wrong', async () => {
		if (!existsSync(cli)) throw new Error('dist/cli.js is missing: npm test builds it first');
		const list = await trainings();
		const names = list.map(t => t.name);
		for (const name of ['clean', 'cluster-master', 'low-disk', 'old-version', 'bad-locale', 'bookworm-leftovers', 'kernel-meta', 'systemd-boot', 'cluster-daemons-running', 'custom-templates', 'avast']) {
			expect(names).toContain(name);
		}
		const {status, stdout} = train('--list');
		expect(status).toBe(0);
		for (const t of list) {
			expect(t.scenario.difficulty, t.name).not.toBeNull();
			expect(t.scenario.description.length, t.name).toBeGreaterThan(100);
			expect(stdout).toMatch(new RegExp(`\\d+\\. ${t.name} +${t.scenario.difficulty} +${t.product}: ${t.scenario.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
		}
		// What goes wrong, without the lesson the summary is for.
		expect(stdout).toContain('The wizard stops at the free space check.');
		expect(stdout).not.toContain('Learn to read df -h /');
		expect(whatGoesWrong('It breaks. Learn to fix it.')).toBe('It breaks.');
		// Each product's easy ones first.
		for (const product of new Set(list.map(t => t.product))) {
			const difficulties = list.filter(t => t.product === product).map(t => t.scenario.difficulty);
			expect(difficulties.indexOf('hard'), product).toBeGreaterThan(difficulties.lastIndexOf('easy'));
		}
	});

	it('without a terminal, lists and says how to start one', () => {
		const {status, stdout} = train();
		expect(status).toBe(0);
		expect(stdout).toContain('Start one with: upgrade-wizard train NAME');
	});
});

describe('upgrade-wizard train --scenario FILE: a trainer\'s own file', () => {
	it('names the line and the field of a mistake, with exit status 2, before anything starts', () => {
		const file = path.join(temp, 'mine.yaml');
		writeFileSync(
			file,
			['extends: ' + path.resolve('scenarios/pmg/clean.yaml'), 'title: My scenario', 'commands:', "  - match: '^pmgversion -v$'", '    stdot: |', '      pmg-api: 8.2.1', ''].join('\n'),
		);
		const {status, stderr} = train('--scenario', file);
		expect(status).toBe(2);
		expect(stderr).toContain(`${file}:5: commands[0].stdot: unknown key "stdot"`);
		expect(stderr).toContain('did you mean "stdout"?');
	});

	it('names a YAML syntax error with its line, and a missing file', () => {
		const file = path.join(temp, 'broken.yaml');
		writeFileSync(file, 'product: pmg\ntitle: Broken\nhost:\n  hostname: [pmg1\n');
		const broken = train('--scenario', file);
		expect(broken.status).toBe(2);
		expect(broken.stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: `));
		const missing = train('--scenario', path.join(temp, 'nosuch.yaml'));
		expect(missing.status).toBe(2);
		expect(missing.stderr).toContain('nosuch.yaml');
	});

	it('refuses an unknown scenario name and lists the known ones, by product', () => {
		const {status, stderr} = train('nosuch');
		expect(status).toBe(2);
		expect(stderr).toMatch(/^upgrade-wizard train: no training scenario "nosuch"\. Known: pmg: avast, .*\blow-disk\b.*; vmm: clean, .*; puremessage: filter-low-disk, .*web-first \(where products share a name, add the product: vmm\/clean\); or --scenario FILE\./);
	});

	it('a product\'s name instead of a scenario: its scenarios, and how to start one or pick from the list', () => {
		const {status, stdout, stderr} = train('puremessage');
		expect(status).toBe(2);
		expect(stdout).toBe('');
		expect(stderr.trim()).toBe(
			'upgrade-wizard train: "puremessage" is a product, not a scenario: start one of its scenarios with upgrade-wizard train puremessage/NAME (filter-low-disk, five-servers, hostname-changed, migration-mismatch, over-ssh, single, three-servers, web-first), or pick from the list with upgrade-wizard train.',
		);
	});
});

describe('training mode', () => {
	it('says on every screen of a step why it exists, also where the screen would not', async () => {
		const run = await openRun(pmgUpgradeMachine() as never, pmgProbes, path.resolve('scenarios/pmg/low-disk.yaml'));
		await drive(run, (_w, view) => view === 'blocked');
		const model = (training: boolean) =>
			screenModel({machine: pmgUpgradeMachine() as never, snapshot: run.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: run.wizard.output.snapshot(), hostLabel: 'pmg1', training})
				.body.map(lineText)
				.join('\n');
		expect(model(true)).toContain('The upgrade needs at least 10 GB free on the root file system');
		expect(model(false)).not.toContain('The upgrade needs at least 10 GB free');
		expect(model(true)).toContain('9.5 GiB available on /');
		await run.transcript.close();
	});

	it('ends with a summary: the guards that stopped the trainee, what they did and what they skipped', async () => {
		const run = await openRun(pmgUpgradeMachine() as never, pmgProbes, path.resolve('scenarios/pmg/low-disk.yaml'));
		// The old backup, overridden; then the disk check stops.
		await drive(run, w => w === 'backup.choose');
		run.wizard.send({type: 'operator.choose', value: '/var/lib/pmg/backup/pmg-backup_2026_08_09_6A77DF20.tgz'});
		await drive(run, (_w, view) => view === 'blocked');
		run.wizard.send({type: 'operator.override', text: 'old backup'});
		const at = await drive(run, (_w, view) => view === 'blocked');
		expect(at).toBe('diskSpace.blocked');
		run.wizard.send({type: 'operator.recheck'});
		await drive(run, (_w, view) => view === 'blocked');
		await run.wizard.flushed();
		await run.transcript.close();
		const text = trainingSummary({
			machine: pmgUpgradeMachine() as never,
			scenarioTitle: 'PMG 8.2 host with 9.5 GiB free on /',
			transcript: readFileSync(path.join(run.dir, 'transcript.log'), 'utf8'),
			snapshot: run.wizard.actor.getSnapshot() as never,
			again: 'upgrade-wizard train low-disk',
		});
		for (const l of text.split('\n')) expect(l.length, l).toBeLessThanOrEqual(78);
		const summary = unwrap(text);
		expect(summary).toContain('You stopped at step "Free space on /". To go on from there: upgrade-wizard train low-disk');
		expect(summary).toMatch(/Guards that stopped you:\n {2}- Make and verify a backup \(backupVerified\): passed with the override "old backup"\n {2}- Free space on \/ \(diskAtLeast10GB\): not passed yet \(you are at this step\)\n/);
		expect(summary).toContain('  - Make and verify a backup: overrode the check by typing "old backup"');
		expect(summary).toContain('  - Make and verify a backup: confirmed by typing "stored"');
		expect(summary).toContain('  - Free space on /: checked again (r)');
		expect(summary).toMatch(/What you did \(\d+ commands ran on the simulated host/);
		expect(summary).toContain('What you skipped, and why:\n  nothing');
	});

	it('lists skips with their reasons and failed commands with their exit status', async () => {
		const run = await openRun(pmgUpgradeMachine() as never, pmgProbes, path.resolve('scenarios/pmg/cluster-daemons-running.yaml'));
		await drive(run, w => w === 'updateCurrent.review');
		run.wizard.send({type: 'operator.skip', reason: 'updated yesterday'});
		const failed = await drive(run, (_w, view) => view === 'failed');
		expect(failed).toBe('cluster.failed');
		run.wizard.send({type: 'operator.retry'});
		await drive(run, w => w === 'cluster.stuck');
		await run.wizard.flushed();
		await run.transcript.close();
		const summary = unwrap(trainingSummary({
			machine: pmgUpgradeMachine() as never,
			scenarioTitle: 'Cluster daemons still running',
			transcript: readFileSync(path.join(run.dir, 'transcript.log'), 'utf8'),
			snapshot: run.wizard.actor.getSnapshot() as never,
			again: 'upgrade-wizard train cluster-daemons-running',
		}));
		expect(summary).toContain('Commands that failed:\n  - Cluster: stop and mask the cluster daemons on every node: systemctl stop pmgmirror pmgtunnel (exit 1); not passed yet (you are at this step)');
		expect(summary).toContain('  - Cluster: stop and mask the cluster daemons on every node: tried again (r)');
		expect(summary).toContain('What you skipped, and why:\n  - Bring PMG 8.2 up to date: "updated yesterday"');
		expect(summary).toContain('  - Bring PMG 8.2 up to date: skipped it: "updated yesterday"');
	});
});

describe('upgrade-wizard train in a real terminal (tmux 80x24)', () => {
	it('shows the scenario first, why on each screen, and the summary when the trainee leaves', async () => {
		const session = new TmuxSession();
		try {
			session.start([process.execPath, cli, 'train', 'low-disk', '--state-dir', path.join(temp, 'tmux')], {
				UPGRADE_WIZARD_SIM_SPEED: '0',
				TERM: 'linux',
				NO_COLOR: '1',
				LANG: 'C.UTF-8',
				HOME: temp,
			});
			const first = await session.waitFor(s => s.includes('Training: PMG 8.2 host with 9.5 GiB free on / (easy)'));
			expect(first).toContain('training');
			expect(first).toContain('The root file system has only 9.5 GiB free');
			session.send('Enter');
			// A passed screen, which in training says why its step exists.
			const passed = await session.waitFor(s => s.includes('running as root'));
			expect(passed).toContain('The upgrade runs as root from a console that survives it');
			session.send('q');
			const end = await session.waitFor(s => s.includes('[exit 0]'));
			expect(end).toContain('Training summary: PMG 8.2 host with 9.5 GiB free on /');
			expect(end).toContain('Guards that stopped you:');
			for (const l of end.split('\n')) expect(l.length).toBeLessThanOrEqual(80);
		} finally {
			session.kill();
		}
	}, 30_000);

	it('without a name, lists the scenarios on one 80x24 screen, shows what goes wrong in the highlighted one, and starts the chosen one', async () => {
		const session = new TmuxSession();
		try {
			session.start([process.execPath, cli, 'train'], {UPGRADE_WIZARD_SIM_SPEED: '0', TERM: 'linux', NO_COLOR: '1', LANG: 'C.UTF-8', XDG_STATE_HOME: path.join(temp, 'picker')});
			const list = await session.waitFor(s => s.includes('Enter start'));
			const rows = list.split('\n');
			// The title line is on screen: nothing scrolled off the top.
			expect(rows[0]).toContain('Training: the wizard on a simulated host');
			expect(list).toMatch(/^\[>\] +1\. clean +easy +pmg: Clean single-node PMG 8\.2 host$/m);
			expect(list).toContain('A single Proxmox Mail Gateway 8.2.7 on Debian bookworm');
			for (const l of rows) expect(l.length).toBeLessThanOrEqual(80);

			// Down twice, sent as one burst: both count.
			session.send('Down', 'Down');
			const third = await session.waitFor(s => /^\[>\] +3\. /m.test(s));
			const name = /^\[>\] +3\. (\S+)/m.exec(third)![1]!;
			const chosen = (await trainings())[2]!;
			expect(name).toBe(chosen.name);
			expect(third).toContain(whatGoesWrong(chosen.scenario.description).slice(0, 60));

			// A number jumps to that scenario; Enter starts it on a clean screen.
			session.type('2');
			await session.waitFor(s => /^\[>\] +2\. low-disk/m.test(s));
			session.send('Enter');
			const started = await session.waitFor(s => s.includes('Training: PMG 8.2 host with 9.5 GiB free on / (easy)'));
			expect(started.split('\n')[0]).toMatch(/^ PMG 8 -> 9 +\| +pmg1\.example\.lan \(simulated\) training +step 1\/\d+ *$/);
			session.send('q');
			const end = await session.waitFor(s => s.includes('[exit 0]'));
			expect(end.replace(/\s+/g, " ")).toMatch(/To go on from there: node \S*cli\.js train low-disk/);
		} finally {
			session.kill();
		}
	}, 30_000);

	it('q on the list leaves without starting anything', async () => {
		const session = new TmuxSession();
		try {
			const state = path.join(temp, 'picker-q');
			session.start([process.execPath, cli, 'train'], {UPGRADE_WIZARD_SIM_SPEED: '0', TERM: 'linux', NO_COLOR: '1', XDG_STATE_HOME: state});
			await session.waitFor(s => s.includes('Enter start'));
			session.send('q');
			await session.waitFor(s => s.includes('[exit 0]'));
			expect(existsSync(path.join(state, 'upgrade-wizard'))).toBe(false);
		} finally {
			session.kill();
		}
	}, 30_000);
});
