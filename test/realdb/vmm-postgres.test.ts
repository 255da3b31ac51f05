import {execFileSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {AnyStateMachine} from 'xstate';
import {dumpPath, SCRIPT_DOVECOT_12, vmmGuards, vmmUpgradeMachine, type VmmContext} from '../../machines/vmm-0.5-to-0.6.ts';
import {LocalHost} from '../../source/host/local-host.ts';
import {position, Wizard} from '../../source/runtime/runtime.ts';
import {StateStore} from '../../source/runtime/store.ts';
import {Transcript} from '../../source/runtime/transcript.ts';
import {vmmProbes} from '../../source/runtime/vmm-probes.ts';
import {freshUi, screenModel} from '../../source/ui/screen.ts';
import {lineText} from '../../source/ui/text.ts';
import {drive, settled, type Run} from '../runtime/drive.ts';
import {TmuxSession} from '../e2e/tmux.ts';

/*
 * The vmm machine through LocalHost against a real PostgreSQL server: a
 * throwaway one this test starts in a temporary directory, on a Unix socket
 * there (no TCP), as the postgres system user when the test runs as root,
 * with password authentication (scram-sha-256). Real: the server, psql,
 * pg_dump, createdb/dropdb, the dump, the restore, the transaction.
 *
 * Stand-ins, because Python 2 is not to be had on Debian bookworm/trixie and
 * no Dovecot is installed here: a `python` that reports 2.7.18 and runs the
 * fixture's set-permissions.py (a POSIX sh script taking vmm's options) with
 * /bin/sh, and a `dovecot` that prints 2.1.7. They come first on PATH.
 *
 * The steps before the backup (stopping Postfix and Dovecot) are not run:
 * this machine has no mail services. The wizard starts at the backup step
 * with the facts the real probes give here (source directory, tools, Dovecot).
 * The password comes from PGPASSWORD in the host's environment, or, in the
 * last test, is typed at pg_dump's and psql's own prompts in a tmux pane.
 */

const FIXTURES = path.resolve('test/fixtures/vmm');
const PASSWORD = `vmm-pw-${randomBytes(8).toString('hex')}`;
const SUPER_PASSWORD = `super-${randomBytes(8).toString('hex')}`;

function serverBin(): string {
	const root = '/usr/lib/postgresql';
	const versions = existsSync(root) ? readdirSync(root).filter(v => existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
	if (versions.length === 0) {
		throw new Error('PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin: install postgresql (apt-get install postgresql) to run the vmm tests against a real server');
	}
	return path.join(root, versions[0]!, 'bin');
}

let bin = '';
let base = '';
let socketDir = '';
let dataDir = '';
let standins = '';
/** The source directory as an operator might have named it: blanks, quotes, `;`, `$()`. */
let sourceDir = '';
const asRoot = process.getuid?.() === 0;

/** A server program, as the postgres user when we are root (the server refuses to run as root). */
function server(program: string, args: string[]) {
	const argv = asRoot ? ['runuser', '-u', 'postgres', '--', path.join(bin, program), ...args] : [path.join(bin, program), ...args];
	return execFileSync(argv[0]!, argv.slice(1), {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
}

/** psql as the test itself, for setting up and for looking at the database afterwards. */
function sql(database: string, query: string, user = 'vmm', password = PASSWORD): string {
	return execFileSync(path.join(bin, 'psql'), ['-h', socketDir, '-U', user, '-d', database, '-w', '-v', 'ON_ERROR_STOP=1', '-At', '-c', query], {
		encoding: 'utf8',
		env: {PATH: process.env.PATH ?? '/usr/bin:/bin', PGPASSWORD: password},
	}).trim();
}

beforeAll(() => {
	bin = serverBin();
	base = mkdtempSync(path.join(os.tmpdir(), 'muw-vmm-pg-'));
	socketDir = path.join(base, 'socket');
	dataDir = path.join(base, 'data');
	mkdirSync(socketDir);
	const pwfile = path.join(base, 'pwfile');
	writeFileSync(pwfile, `${SUPER_PASSWORD}\n`, {mode: 0o600});
	if (asRoot) {
		const uid = Number(execFileSync('id', ['-u', 'postgres'], {encoding: 'utf8'}).trim());
		const gid = Number(execFileSync('id', ['-g', 'postgres'], {encoding: 'utf8'}).trim());
		for (const p of [base, socketDir, pwfile]) chownSync(p, uid, gid);
	}
	server('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C']);
	server('pg_ctl', ['-D', dataDir, '-l', path.join(base, 'server.log'), '-w', '-o', `-c listen_addresses='' -c unix_socket_directories='${socketDir}' -p 5432`, 'start']);
	// Root reads the socket directory; the dumps and the wizard's state live apart from it.
	chmodSync(base, 0o755);
	sql('postgres', `CREATE ROLE vmm LOGIN CREATEDB PASSWORD '${PASSWORD}'; CREATE ROLE dovecot LOGIN; CREATE ROLE postfix LOGIN;`, 'postgres', SUPER_PASSWORD);
	sql('postgres', 'CREATE DATABASE mailsys OWNER vmm', 'postgres', SUPER_PASSWORD);
	execFileSync(path.join(bin, 'psql'), ['-h', socketDir, '-U', 'vmm', '-d', 'mailsys', '-w', '-v', 'ON_ERROR_STOP=1', '-q', '-f', path.join(FIXTURES, 'mailsys-0.5.2.sql')], {
		env: {PATH: process.env.PATH ?? '/usr/bin:/bin', PGPASSWORD: PASSWORD},
	});

	standins = path.join(base, 'standins');
	mkdirSync(standins);
	writeFileSync(
		path.join(standins, 'python'),
		[
			'#!/bin/sh',
			'# Stand-in for Python 2.7, which Debian bookworm/trixie do not have: answers the',
			"# wizard's version and driver checks and runs the fixture's set-permissions.py (sh).",
			'case "$1" in',
			'  -c) case "$2" in *version_info*) echo 2.7.18 ;; "import psycopg2") exit 0 ;; *) echo "stand-in python: cannot run $2" >&2; exit 1 ;; esac ;;',
			'  *) script=$1; shift; exec /bin/sh "$script" "$@" ;;',
			'esac',
			'',
		].join('\n'),
		{mode: 0o755},
	);
	writeFileSync(path.join(standins, 'dovecot'), '#!/bin/sh\n# Stand-in: no Dovecot here.\necho 2.1.7\n', {mode: 0o755});
	sourceDir = path.join(base, `vmm 0.6.2 'src'; $(touch pwned)`);
	cpSync(path.join(FIXTURES, 'source'), sourceDir, {recursive: true});
}, 120_000);

afterAll(() => {
	if (dataDir && existsSync(dataDir)) {
		try {
			server('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
		} catch (error) {
			process.stderr.write(`could not stop the test server: ${String(error)}\n`);
		}
	}
	if (base) rmSync(base, {recursive: true, force: true});
});

const hostEnv = () => ({
	PATH: `${standins}:${bin}:/usr/local/bin:/usr/bin:/bin`,
	LANG: 'C.UTF-8',
	HOME: base,
	PGPASSWORD: PASSWORD,
});

/** The facts the earlier steps would have: from the real probes on this host. */
async function contextBefore(host: LocalHost, choices: Record<string, string>): Promise<VmmContext> {
	let context: VmmContext = {
		startedAt: Date.now(),
		facts: {vmm: {version: '0.5.2', raw: 'vmm, version 0.5.2'}},
		status: {},
		lastRun: null,
		error: null,
		choices: {route: 'upgrade', sourceDir, dbHost: socketDir, dbUser: 'vmm', dbName: 'mailsys', dovecotUser: 'dovecot', postfixUser: 'postfix', password: 'env', ...choices},
		confirmations: {},
	};
	for (const probe of ['sourceDir', 'tools', 'dovecot', 'environment']) {
		context = {...context, facts: {...context.facts, ...(await vmmProbes[probe]!(host, context, {processEnv: {}}))}};
	}
	// No mail services on this machine: what the stop step's check would have found after stopping them.
	return {...context, facts: {...context.facts, services: {postfix: 'stopped', dovecot: 'stopped'}}};
}

/** A wizard on this host, started at `at` with `context`. */
async function openAt(at: Record<string, string>, context: VmmContext, dir: string): Promise<Run & {host: LocalHost}> {
	mkdirSync(dir, {recursive: true});
	const host = new LocalHost(hostEnv(), {runDir: path.join(dir, 'runs')});
	const store = new StateStore(dir, 'vmm', 1);
	await store.prepare();
	const transcript = await Transcript.open(path.join(dir, 'transcript.log'));
	const snapshot = JSON.parse(JSON.stringify(vmmUpgradeMachine().getPersistedSnapshot(vmmUpgradeMachine().resolveState({value: at, context}))));
	const wizard = new Wizard({machine: vmmUpgradeMachine() as never, host, store, transcript, probes: vmmProbes, processEnv: {}, snapshot});
	await wizard.start();
	return {wizard, host: host as never, dir, store, transcript};
}

const screenText = (run: Run) => {
	const snapshot = run.wizard.actor.getSnapshot();
	const {step, screen} = position(snapshot.value);
	return screenModel({machine: vmmUpgradeMachine() as unknown as AnyStateMachine, snapshot: snapshot as never, ui: freshUi(`${step}.${screen}`), output: run.wizard.output.snapshot(), hostLabel: ''})
		.body.map(lineText)
		.join('\n');
};

/** Everything the wizard wrote in its state directory, as text. */
const everythingWritten = (dir: string): string =>
	readdirSync(dir, {recursive: true, withFileTypes: true})
		.filter(e => e.isFile())
		.map(e => readFileSync(path.join(e.parentPath, e.name), 'utf8'))
		.join('\n');

const views = () => sql('mailsys', "SELECT string_agg(viewname, ',' ORDER BY viewname) FROM pg_views WHERE schemaname = 'public'");
const functions = () => sql('mailsys', "SELECT string_agg(proname, ',' ORDER BY proname) FROM pg_proc WHERE pronamespace = 'public'::regnamespace");

describe('vmm against a real PostgreSQL server', () => {
	it('the probes find the fixture source behind a name with blanks, quotes and ;, the tools and Dovecot', async () => {
		const context = await contextBefore(new LocalHost(hostEnv()), {});
		expect(context.facts.source).toMatchObject({dir: sourceDir, missing: [], postfixFiles: ['pgsql-transport_maps.cf'], dovecotSample: 'dovecot-sql.conf.ext', driver: 'psycopg2'});
		expect(vmmGuards.sourceDirValid({context})).toBe(true);
		expect(context.facts.tools).toMatchObject({python: '2.7.18', driver: true, psql: true, pgDump: true, dovecot: true});
		expect(vmmGuards.toolsPresent({context})).toBe(true);
		expect(context.facts.dovecot?.version).toBe('2.1.7');
		expect(context.facts.passwordInEnv).toBe(true);
		expect(existsSync(path.join(base, 'pwned'))).toBe(false);
	});

	it('an update script that fails half way leaves the database as it was', async () => {
		const broken = path.join(base, 'broken source');
		cpSync(sourceDir, broken, {recursive: true});
		const script = path.join(broken, 'pgsql', SCRIPT_DOVECOT_12);
		const text = readFileSync(script, 'utf8');
		// After the views are dropped and the first function is made: an error.
		writeFileSync(script, text.replace('CREATE TYPE dovecotuser', 'SELECT no_such_function_in_vmm();\nCREATE TYPE dovecotuser'));
		const before = {views: views(), functions: functions(), users: sql('mailsys', 'SELECT count(*) FROM users')};
		expect(before.views.split(',')).toHaveLength(8);

		const host = new LocalHost(hostEnv());
		const context = await contextBefore(host, {sourceDir: broken});
		// As if the backup had been verified: this test is about the transaction.
		const verified: VmmContext = {
			...context,
			facts: {...context.facts, dump: {path: dumpPath(context), exists: true, size: 1, complete: true}, restore: {source: ['users BASE TABLE'], restored: ['users BASE TABLE']}},
		};
		const run = await openAt({update: 'review'}, verified, path.join(base, 'state-broken'));
		run.wizard.send({type: 'operator.continue'});
		await settled(run.wizard, 30_000);
		expect(position(run.wizard.actor.getSnapshot().value)).toEqual({step: 'update', screen: 'failed'});
		expect(screenText(run)).toContain('no_such_function_in_vmm');
		expect({views: views(), functions: functions(), users: sql('mailsys', 'SELECT count(*) FROM users')}).toEqual(before);
		await run.wizard.flushed();
		await run.transcript.close();
	});

	it('dumps, verifies the dump by a restore, updates in one transaction and sets the permissions; the password is written nowhere', async () => {
		const host = new LocalHost(hostEnv());
		const context = await contextBefore(host, {dumpFile: path.join(base, 'backups', 'mailsys 0.5.2.sql')});
		mkdirSync(path.join(base, 'backups'));
		const dir = path.join(base, 'state');
		const run = await openAt({backup: 'review'}, context, dir);
		const seen: string[] = [];
		const where = await drive(run, w => w.startsWith('config.'), {}, seen);
		expect(seen).not.toContainEqual(expect.stringMatching(/\.(blocked|failed)$/));
		expect(where).toMatch(/^config\./);
		expect(seen).toEqual(expect.arrayContaining(['backup.passed', 'restoreTest.passed', 'update.done', 'permissions.done']));

		const dump = readFileSync(dumpPath(run.wizard.actor.getSnapshot().context as VmmContext), 'utf8');
		expect(dump).toContain('-- PostgreSQL database dump complete');
		expect(dump).toContain('CREATE VIEW public.postfix_transport');
		// The scratch database is gone again.
		expect(sql('postgres', "SELECT count(*) FROM pg_database WHERE datname = 'mailsys_verify'")).toBe('0');
		// The database itself: views gone, functions there, rows kept, permissions granted.
		expect(views()).toBe('');
		expect(functions().split(',')).toEqual(['dovecotpassword', 'dovecotuser', 'postfix_transport_map', 'postfix_virtual_alias_map']);
		expect(sql('mailsys', 'SELECT count(*) FROM users')).toBe('3');
		expect(sql('mailsys', 'SELECT count(*) FROM alias')).toBe('2');
		expect(sql('mailsys', "SELECT userid FROM dovecotpassword('a.user', 'example.org')")).toBe('a.user@example.org');
		expect(sql('mailsys', "SELECT has_table_privilege('dovecot', 'users', 'SELECT'), has_table_privilege('postfix', 'transport', 'SELECT')")).toBe('t|t');

		await run.wizard.flushed();
		await run.transcript.close();
		const transcript = readFileSync(path.join(dir, 'transcript.log'), 'utf8');
		expect(transcript).toContain(`--single-transaction -f '${sourceDir.replaceAll("'", `'\\''`)}/pgsql/${SCRIPT_DOVECOT_12}'`);
		expect(transcript).toContain('permissions set for dovecot and postfix');
		const written = everythingWritten(dir);
		expect(written).toContain('"dbUser":"vmm"');
		expect(written).not.toContain(PASSWORD);
		expect(written).not.toContain(SUPER_PASSWORD);
		expect(existsSync(path.join(base, 'pwned'))).toBe(false);
	}, 60_000);

	it('a truncated or an empty dump fails backupVerified and says what was found', async () => {
		const host = new LocalHost(hostEnv());
		const file = path.join(base, 'backups', 'cut.sql');
		// A real dump of the (now updated) database, cut in the middle.
		execFileSync(path.join(bin, 'pg_dump'), ['-h', socketDir, '-U', 'vmm', '-w', '-f', file, 'mailsys'], {env: hostEnv()});
		const whole = readFileSync(file, 'utf8');
		for (const [name, content] of [['truncated', whole.slice(0, Math.floor(whole.length / 2))], ['empty', '']] as const) {
			writeFileSync(file, content);
			const context = await contextBefore(host, {dumpFile: file});
			// From the blocked screen, r looks at the file again: the probe runs on this host.
			const run = await openAt({backup: 'blocked'}, context, path.join(base, `state-${name}`));
			run.wizard.send({type: 'operator.recheck'});
			await settled(run.wizard);
			const snapshot = run.wizard.actor.getSnapshot();
			expect(position(snapshot.value), name).toEqual({step: 'backup', screen: 'blocked'});
			expect(vmmGuards.backupVerified({context: snapshot.context as VmmContext})).toBe(false);
			expect(screenText(run)).toContain(name === 'empty' ? 'cut.sql: empty' : 'cut off');
			await run.wizard.flushed();
			await run.transcript.close();
		}
		expect(statSync(file).size).toBe(0);
	});

	it('typed at pg_dump\'s and psql\'s own prompts (on a terminal, tmux), the password is written nowhere', async () => {
		const harness = path.join(base, 'prompt-walk.js');
		execFileSync(process.execPath, ['source/build.mjs', 'test/realdb/fixtures/prompt-walk.ts', harness]);
		const {PGPASSWORD: _none, ...env} = hostEnv();
		const host = new LocalHost(env);
		const context = await contextBefore(host, {password: 'prompt', dumpFile: path.join(base, 'backups', 'typed.sql')});
		expect(context.facts.passwordInEnv).toBe(false);
		const dir = path.join(base, 'state-prompt');
		mkdirSync(dir);
		const job = path.join(base, 'prompt-job.json');
		writeFileSync(job, JSON.stringify({dir, env, context, at: {backup: 'review'}}));
		const session = new TmuxSession();
		try {
			// A tall pane: the restore's output must not push the earlier prompts off it, they are counted.
			session.start([process.execPath, harness, job], {LANG: 'C.UTF-8', HOME: base}, {columns: 120, rows: 400});
			// pg_dump, then the restore check's six commands: each asks once.
			for (let prompt = 1; prompt <= 7; prompt++) {
				await session.waitFor(s => (s.match(/Password/g) ?? []).length >= prompt, 20_000);
				session.type(PASSWORD);
				session.send('Enter');
			}
			const end = await session.waitFor(s => s.includes('RESULT '), 30_000);
			expect(end).toContain('RESULT {"at":"restoreTest.passed"}');
			expect(end).not.toContain(PASSWORD);
		} finally {
			session.kill();
		}
		const transcript = readFileSync(path.join(dir, 'transcript.log'), 'utf8');
		expect(transcript).toMatch(/run: pg_dump -h \S+ -U vmm -W -f /);
		expect(transcript).toContain('exit status 0 after');
		expect(everythingWritten(dir)).not.toContain(PASSWORD);
		expect(readFileSync(path.join(base, 'backups', 'typed.sql'), 'utf8')).toContain('-- PostgreSQL database dump complete');
	}, 90_000);
});
