import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {WIZARD_BACKUP_DIR} from '../../machines/kit.ts';
import {vmmUpgradeMachine} from '../../machines/vmm-0.5-to-0.6.ts';
import {vmmProbes} from '../../source/runtime/vmm-probes.ts';
import {handleKey} from '../../source/ui/keys.ts';
import {screenModel, freshUi} from '../../source/ui/screen.ts';
import {lineText} from '../../source/ui/text.ts';
import {drive, openRun, removeRuns, settled, type Answers, type Run} from './drive.ts';

/*
 * The real runtime and probes on each bundled vmm scenario: an operator
 * presses on with the defaults, and each fault scenario must stop where it
 * is about, with the advice for it on screen.
 */

const scenario = (name: string) => path.resolve('scenarios/vmm', `${name}.yaml`);
const machine = vmmUpgradeMachine() as never;
const SOURCE = {'sourceDir.ask': '/root/vmm-0.6.2'};

const screenText = (run: Run, where: string) =>
	screenModel({
		machine,
		snapshot: run.wizard.actor.getSnapshot() as never,
		ui: freshUi(where),
		output: run.wizard.output.snapshot(),
		hostLabel: '',
	})
		.body.map(lineText)
		.join('\n');

/** Walk a scenario; with `snapshotAt`, the saved place is read when the walk passes that screen. */
async function walk(name: string, answers: Answers, stop: (where: string, view: string) => boolean = () => false, snapshotAt?: string) {
	const run = await openRun(machine, vmmProbes, scenario(name));
	const seen: string[] = [];
	let state = '';
	if (snapshotAt) {
		await drive(run, w => w === snapshotAt, {...SOURCE, ...answers}, seen);
		await run.wizard.flushed();
		state = readFileSync(path.join(run.dir, 'state.json'), 'utf8');
		seen.pop();
	}
	const where = await drive(run, stop, {...SOURCE, ...answers}, seen);
	const text = screenText(run, where);
	await run.wizard.flushed();
	await run.transcript.close();
	const transcript = readFileSync(path.join(run.dir, 'transcript.log'), 'utf8');
	return {run, where, seen, text, transcript, state};
}

afterAll(removeRuns);

describe('vmm scenarios on the simulated host', () => {
	it('over SSH without tmux: offers the relaunch first; declined, it warns once more before the first command that stops a service', async () => {
		const {where, seen, transcript} = await walk('over-ssh', {'session.sessionWarning': 'continue'});
		expect(where).toBe('finished.');
		expect(seen[0]).toBe('session.sessionWarning');
		const reminders = seen.filter(w => w.endsWith('.sshReminder'));
		expect(reminders).toHaveLength(1);
		expect(seen.find(w => w.endsWith('.sshReminder') || w.endsWith('.running'))).toBe(reminders[0]);
		expect(transcript).toContain('run: /etc/init.d/postfix stop');
	});

	it('not over SSH: no session screen at all', async () => {
		const {seen} = await walk('clean', {}, w => w.startsWith('version.'));
		expect(seen.filter(w => w.startsWith('session.'))).toEqual([]);
	});

	it('clean 0.5.2 with Dovecot 2.1.7: the whole upgrade, with the Dovecot 1.2.x script, to the end', async () => {
		const {run, where, seen, transcript, state} = await walk('clean', {}, () => false, 'config.review');
		expect(where).toBe('finished.');
		expect(seen).not.toContainEqual(expect.stringMatching(/\.(blocked|failed)$/));
		expect(transcript).toContain('run: /etc/init.d/postfix stop');
		expect(transcript).toMatch(/run: pg_dump -h localhost -U vmm -W -f \/root\/mailsys-0\.5\.2-\d{8}-\d{4}\.sql mailsys/);
		expect(transcript).toContain('--single-transaction -f /root/vmm-0.6.2/pgsql/update_tables_0.5.x-0.6-dovecot-1.2.x.pgsql');
		expect(transcript).toContain('run: python /root/vmm-0.6.2/pgsql/set-permissions.py -a -H localhost -U vmm -n mailsys -D dovecot -M postfix');
		expect(transcript).toContain('run: ./upgrade.sh');
		// The queries now use the functions; the site's password lines stayed.
		const transport = await run.host.readFile('/etc/postfix/pgsql-transport_maps.cf');
		expect(transport).toContain("postfix_transport_map('%u', '%d')");
		expect(transport).toContain('password = Pf-2009-secret');
		expect(await run.host.readFile(`${WIZARD_BACKUP_DIR}/vmm/config/etc/postfix/pgsql-transport_maps.cf`)).toContain('FROM postfix_transport WHERE');
		// The old file holds the Postfix database password: its copy is for root alone.
		const files = (JSON.parse(readFileSync(path.join(run.dir, 'host.json'), 'utf8')) as {files: Record<string, {mode?: number}>}).files;
		expect(files[`${WIZARD_BACKUP_DIR}/vmm/config/etc/postfix/pgsql-transport_maps.cf`]?.mode).toBe(0o600);
		const dovecot = await run.host.readFile('/etc/dovecot/dovecot-sql.conf.ext');
		expect(dovecot).toContain("dovecotpassword('%Ln', '%Ld')");
		expect(dovecot).toContain('password=Dc-2009-secret');
		// The diff preview, the transcript and the saved place (at the preview, with the files in it) hold no password.
		expect(state).toContain('password = ***');
		for (const secret of ['Pf-2009-secret', 'Dc-2009-secret']) {
			expect(transcript).not.toContain(secret);
			expect(state).not.toContain(secret);
		}
		expect(await run.host.readFile('/usr/local/share/vmm/VERSION')).toBe('0.6.2\n');
	});

	it('dovecot-1.1: picks update_tables_0.5.x-0.6.pgsql, says why, and reaches the end', async () => {
		const {text} = await walk('dovecot-1.1', {}, w => w === 'dovecotVersion.passed');
		expect(text).toContain('update script: pgsql/update_tables_0.5.x-0.6.pgsql');
		expect(text).toContain('because Dovecot 1.1.16 is v1.0.x/v1.1.x');
		const end = await walk('dovecot-1.1', {});
		expect(end.where).toBe('finished.');
		expect(end.transcript).toContain('--single-transaction -f /root/vmm-0.6.2/pgsql/update_tables_0.5.x-0.6.pgsql');
		expect(end.transcript).not.toContain('dovecot-1.2.x.pgsql');
	});

	it('from-0.6.0: backs up, runs the transport fix with its row count, replaces dovecotpassword() from the named file, runs upgrade.sh', async () => {
		const {where, seen, transcript} = await walk('from-0.6.0', {});
		expect(where).toBe('finished.');
		expect(seen).not.toContain('update.review');
		expect(seen).not.toContain('stopServices.review');
		expect(seen).toEqual(expect.arrayContaining(['backup.passed', 'restoreTest.passed', 'transportFix.done', 'dovecotPassword.explain', 'dovecotPassword.done', 'upgradeSh.done']));
		expect(transcript).toContain("-c 'UPDATE users SET tid = NULL WHERE tid = (SELECT tid FROM transport WHERE transport = '\\''domain'\\'')'");
		expect(transcript).toContain('| UPDATE 2');
		expect(transcript).toContain('--single-transaction -f /root/dovecotpassword.pgsql');
	});

	it('from-0.6.0: the dovecotpassword() screen names the file in the 0.6.x source and writes no SQL of its own', async () => {
		const {text} = await walk('from-0.6.0', {}, w => w === 'dovecotPassword.explain');
		expect(text).toContain('/root/vmm-0.6.2/pgsql/create_tables.pgsql');
		expect(text).toContain('CREATE OR REPLACE FUNCTION dovecotpassword(...)');
		expect(text).not.toMatch(/service_set\.ssid\s*=/);
	});

	it('from-0.6.1: upgrade.sh only, and its report on the done screen', async () => {
		const {where, seen, text} = await walk('from-0.6.1', {}, w => w === 'upgradeSh.done');
		expect(where).toBe('upgradeSh.done');
		expect(seen).not.toContainEqual(expect.stringMatching(/^(database|backup|update|permissions)\./));
		expect(text).toContain('M   misc.dovecot_version = 2.1.7');
		expect(text).toContain('Removed option "gid_mail" from section "misc" (obsolte)');
	});

	it('from-0.6.1, Dovecot route: backs up, applies dovecot_update_v1.2+.pgsql, sets permissions, no upgrade.sh', async () => {
		const {where, seen, transcript} = await walk('from-0.6.1', {'route.choose': 'dovecot12'});
		expect(where).toBe('finished.');
		expect(seen).toEqual(expect.arrayContaining(['stopServices.passed', 'restoreTest.passed', 'layoutUpdate.done', 'permissions.done', 'startServices.passed']));
		expect(transcript).toContain('--single-transaction -f /root/vmm-0.6.2/pgsql/dovecot_update_v1.2+.pgsql');
		expect(transcript).not.toContain('run: ./upgrade.sh');
	});

	it('old-0.4: says to upgrade to 0.5.2 first and stops; nothing runs', async () => {
		const {where, text, transcript} = await walk('old-0.4', {});
		expect(where).toBe('tooOld.info');
		expect(text).toContain('Upgrade vmm to 0.5.2 first');
		expect(transcript).not.toMatch(/\nrun: /);
	});

	it('postfix-running: stops at mailServicesStopped before the database, naming postfix', async () => {
		const {where, text, transcript} = await walk('postfix-running', {}, (_w, view) => view === 'blocked');
		expect(where).toBe('stopServices.blocked');
		expect(text).toContain('[FAIL]   postfix: running');
		expect(text).toContain('[PASS]   dovecot: stopped');
		expect(transcript).not.toContain('run: pg_dump');
	});

	it('truncated-dump: the dump without pg_dump\'s last line fails the backup check; nothing is updated', async () => {
		const {where, text, transcript} = await walk('truncated-dump', {}, (_w, view) => view === 'blocked');
		expect(where).toBe('backup.blocked');
		expect(text).toContain('does not end with "-- PostgreSQL database dump complete": cut off');
		expect(transcript).not.toContain('createdb');
		expect(transcript).not.toContain('update_tables');
	});

	it('asks for the version when vmm does not answer, and takes the route of the answer', async () => {
		const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-vmm-scenario-'));
		const file = path.join(dir, 'no-vmm.yaml');
		writeFileSync(file, `extends: ${scenario('from-0.6.1')}\ntitle: vmm not on PATH\ncommands:\n  - match: '^vmm version$'\n    stderr: "sh: vmm: not found\\n"\n    exit: 127\n`);
		const run = await openRun(machine, vmmProbes, file);
		const seen: string[] = [];
		const where = await drive(run, w => w === 'upgradeSh.review', {...SOURCE, 'version.ask': '0.6.1'}, seen);
		await run.transcript.close();
		rmSync(dir, {recursive: true, force: true});
		expect(seen.slice(0, 3)).toEqual(['version.ask', 'version.passed', 'route.choose']);
		expect(where).toBe('upgradeSh.review');
		expect(seen).not.toContain('database.host');
	});

	it('suggests the unpacked source it finds: Enter on an empty line takes /root/vmm-0.6.2', async () => {
		const run = await openRun(machine, vmmProbes, scenario('clean'));
		const seen: string[] = [];
		const where = await drive(run, w => w === 'sourceDir.passed', {}, seen);
		const text = screenText(run, 'sourceDir.ask');
		await run.transcript.close();
		expect(where).toBe('sourceDir.passed');
		expect(run.wizard.actor.getSnapshot().context.choices.sourceDir).toBe('/root/vmm-0.6.2');
		expect(text).toContain('[PASS]   upgrade.sh');
	});

	it('the step counter counts the path taken: it never jumps, and its total is the count of the steps walked at the end', async () => {
		const run = await openRun(machine, vmmProbes, scenario('clean'));
		const counters: Array<{where: string; n: number; of: number}> = [];
		const stop = (where: string) => {
			const model = screenModel({machine, snapshot: run.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: run.wizard.output.snapshot(), hostLabel: ''});
			if (counters.at(-1)?.where !== where) counters.push({where, n: model.stepNumber, of: model.stepCount});
			return false;
		};
		expect(await drive(run, stop, SOURCE)).toBe('finished.');
		await run.transcript.close();
		for (const [k, c] of counters.entries()) {
			if (k === 0) continue;
			const step = (x: {n: number}) => x.n;
			expect(step(c) - step(counters[k - 1]!), `${counters[k - 1]!.where} (${counters[k - 1]!.n}/${counters[k - 1]!.of}) -> ${c.where} (${c.n}/${c.of})`).toBeLessThanOrEqual(1);
		}
		const last = counters.at(-1)!;
		expect(last.n).toBe(last.of);
		// Off SSH the session check passes without a screen: the first screen is step 1, not 2.
		expect(counters.find(c => !c.where.startsWith('session.'))).toMatchObject({where: 'version.passed', n: 1});
	});

	it('over SSH without tmux the session check shows its screen, and counts: it is step 1, the version step 2', async () => {
		const run = await openRun(machine, vmmProbes, scenario('over-ssh'));
		const counter = () => {
			const model = screenModel({machine, snapshot: run.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: run.wizard.output.snapshot(), hostLabel: ''});
			return `${model.stepNumber}/${model.stepCount}`;
		};
		expect(await drive(run, w => w === 'session.sessionWarning')).toBe('session.sessionWarning');
		const first = counter();
		expect(first).toMatch(/^1\//);
		expect(await drive(run, w => w === 'version.passed', {'session.sessionWarning': 'continue'})).toBe('version.passed');
		expect(counter()).toMatch(/^2\//);
		await run.transcript.close();
	});

	it('on an input screen of the simulated host, ! as the first key opens its command line; typed later, it is text', async () => {
		const run = await openRun(machine, vmmProbes, scenario('clean'));
		expect(await drive(run, w => w === 'sourceDir.ask')).toBe('sourceDir.ask');
		const model = (text: string) =>
			screenModel({machine, snapshot: run.wizard.actor.getSnapshot() as never, ui: {...freshUi('sourceDir.ask'), text}, output: run.wizard.output.snapshot(), hostLabel: '', shell: true});
		expect(model('').keys.map(k => `${k.key} ${k.label}`)).toContain('! shell');
		const sent: string[] = [];
		handleKey({name: 'char', char: '!'}, model(''), freshUi('sourceDir.ask'), {send: e => sent.push(e.type), leave: () => undefined});
		expect(sent).toEqual(['operator.shell']);
		// With text in the field, ! is part of it, and not offered.
		expect(model('/ro').keys.map(k => k.key)).not.toContain('!');
		const typed = handleKey({name: 'char', char: '!'}, model('/ro'), {...freshUi('sourceDir.ask'), text: '/ro'}, {send: e => sent.push(e.type), leave: () => undefined});
		expect(typed.text).toBe('/ro!');
		expect(sent).toEqual(['operator.shell']);
		await run.wizard.flushed();
		await run.transcript.close();
	});

	it('a source directory that does not exist is said so; after r the one found is a single Enter away again', async () => {
		const run = await openRun(machine, vmmProbes, scenario('clean'));
		expect(await drive(run, w => w === 'sourceDir.ask')).toBe('sourceDir.ask');
		const model = () => screenModel({machine, snapshot: run.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: run.wizard.output.snapshot(), hostLabel: ''});
		const text = () => model().body.map(lineText).join('\n');
		run.wizard.send({type: 'operator.input', value: '/root/vmm-0.6.2-typo'});
		await settled(run.wizard);
		expect(text()).toMatch(/\[FAIL\] +\/root\/vmm-0\.6\.2-typo: this directory does not exist/);
		expect(text()).toContain('Enter on the empty line: /root/vmm-0.6.2');
		run.wizard.send({type: 'operator.recheck'});
		await settled(run.wizard);
		expect(text()).toContain('Found: /root/vmm-0.6.2');
		expect(text()).toContain('Typed before: /root/vmm-0.6.2-typo (this directory does not exist).');
		expect(model().inputDefault).toBe('/root/vmm-0.6.2');
		run.wizard.send({type: 'operator.input', value: model().inputDefault!});
		await settled(run.wizard);
		expect(run.wizard.actor.getSnapshot().context.choices.sourceDir).toBe('/root/vmm-0.6.2');
		expect(text()).toContain('[PASS]   upgrade.sh');
		await run.wizard.flushed();
		await run.transcript.close();
	});

	it('on a host with systemd, stops and starts the services with systemctl and checks them with is-active', async () => {
		const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-vmm-scenario-'));
		const file = path.join(dir, 'systemd.yaml');
		writeFileSync(
			file,
			[`extends: ${scenario('clean')}`, 'title: vmm on a systemd host', 'files:', '  /run/systemd/system/.sim: "(a directory systemd makes at boot)\\n"', 'services:', '  postfix: { active: true, enabled: true }', '  dovecot: { active: true, enabled: true }', ''].join('\n'),
		);
		const run = await openRun(machine, vmmProbes, file);
		const seen: string[] = [];
		const where = await drive(run, w => w === 'startServices.passed', SOURCE, seen);
		await run.wizard.flushed();
		await run.transcript.close();
		const transcript = readFileSync(path.join(run.dir, 'transcript.log'), 'utf8');
		rmSync(dir, {recursive: true, force: true});
		expect(where).toBe('startServices.passed');
		expect(seen).toContain('stopServices.passed');
		expect(transcript).toContain('run: systemctl stop postfix');
		expect(transcript).toContain('run: systemctl stop dovecot');
		expect(transcript).toContain('run: systemctl start dovecot');
		expect(transcript).not.toContain('/etc/init.d/');
		expect((await run.host.run({argv: ['systemctl', 'is-active', 'postfix', 'dovecot']})).stdout).toBe('active\nactive\n');
	});

	it('writes a configuration file with the password it has when written; refuses one whose query changed since the preview', async () => {
		const run = await openRun(machine, vmmProbes, scenario('clean'));
		expect(await drive(run, w => w === 'config.review', SOURCE)).toBe('config.review');
		const file = '/etc/postfix/pgsql-transport_maps.cf';
		const original = (await run.host.readFile(file))!;
		// Someone edits the query by hand meanwhile: the preview no longer holds.
		const edited = original.replace("address='%s'", "address = '%s'");
		await run.host.writeFile(file, edited);
		run.wizard.send({type: 'operator.continue'});
		const where = await drive(run, (_w, view) => view === 'failed');
		expect(where).toBe('config.failed');
		expect(screenText(run, where)).toContain(`${file} changed since the preview`);
		expect(await run.host.readFile(file)).toBe(edited);
		// r looks again; meanwhile the password changed too: it is kept as it is in the file then.
		await run.host.writeFile(file, edited.replace('Pf-2009-secret', 'Pf-2026-new'));
		run.wizard.send({type: 'operator.retry'});
		expect(await drive(run, w => w === 'config.review')).toBe('config.review');
		run.wizard.send({type: 'operator.continue'});
		expect(await drive(run, w => w === 'config.passed')).toBe('config.passed');
		const written = (await run.host.readFile(file))!;
		expect(written).toContain('password = Pf-2026-new');
		expect(written).toContain("postfix_transport_map('%u', '%d')");
		expect(await run.host.readFile(`${WIZARD_BACKUP_DIR}/vmm/config${file}`)).toContain('password = Pf-2026-new');
		await run.transcript.close();
	});
});
