import {execFileSync} from 'node:child_process';
import {chmodSync, mkdirSync, symlinkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {waitFor} from 'xstate';
import {LocalHost} from '../../source/host/local-host.ts';
import {displayCommand} from '../../source/host/types.ts';
import {Wizard} from '../../source/runtime/runtime.ts';
import {StateStore} from '../../source/runtime/store.ts';
import {Transcript} from '../../source/runtime/transcript.ts';
import {oneStepMachine} from '../fixtures/one-step.ts';

/*
 * A password handed to a command through its environment (PGPASSWORD for
 * pg_dump) appears nowhere: not in the command shown, not in the screen's
 * output, not in the transcript, not in the saved state, even when the
 * command prints it.
 */

const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-secrets-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));
const SECRET = 'Corr3ct-Horse';
const command = {argv: ['sh', '-c', 'echo "connecting with $PGPASSWORD"; echo "denied for $PGPASSWORD" >&2'], env: {PGPASSWORD: SECRET}};

const machine = oneStepMachine({product: 'secret', title: 'Secret', stepTitle: 'Dump', why: 'w', commands: [command], done: 'd'});

describe('secrets', () => {
	it('never shows or stores a password given through the environment', async () => {
		expect(displayCommand(command)).toBe(`env PGPASSWORD=*** sh -c 'echo "connecting with $PGPASSWORD"; echo "denied for $PGPASSWORD" >&2'`);
		const store = new StateStore(path.join(dir, 'state'), 'secret', 1);
		await store.prepare();
		const transcript = await Transcript.open(path.join(dir, 'state', 'transcript.log'));
		const wizard = new Wizard({machine: machine as never, host: new LocalHost(process.env, {runDir: path.join(dir, 'runs')}), store, transcript, probes: {}});
		await wizard.start();
		wizard.send({type: 'operator.continue'});
		await waitFor(wizard.actor, s => JSON.stringify(s.value).includes('done'), {timeout: 10_000});
		const shown = wizard.output.snapshot().lines.join('\n');
		await wizard.flushed();
		await transcript.close();
		const logged = readFileSync(path.join(dir, 'state', 'transcript.log'), 'utf8');
		const saved = readFileSync(path.join(dir, 'state', 'state.json'), 'utf8');
		expect(logged).toContain('connecting with ***');
		expect(logged).toContain('denied for ***');
		expect(shown).toContain('connecting with ***');
		for (const text of [logged, saved, shown]) expect(text).not.toContain(SECRET);
		expect(statSync(path.join(dir, 'state')).mode & 0o777).toBe(0o700);
		expect(statSync(path.join(dir, 'state', 'transcript.log')).mode & 0o777).toBe(0o600);
	});

	// Where the reads end does not matter, and no pause decides it: every place a read can end is
	// tried without a process in test/host/line-masker.test.ts. Here the same on a real process.
	it('masks a password written in two parts and one after 65,530 bytes, on screen and in the transcript', async () => {
		// The password's first 5 characters and the rest, cut by the shell (neither is in the command line).
		const head = '"${PGPASSWORD%"${PGPASSWORD#?????}"}"';
		const rest = '"${PGPASSWORD#?????}"';
		const script = [
			// Written in two writes: a read may end between them.
			`printf "connecting with %s" ${head}; printf "%s, accepted\\n" ${rest}`,
			// A line of 65,530 bytes and the password: the output file's first 64 KB read ends inside it.
			'head -c 65530 /dev/zero | tr "\\0" x; echo "$PGPASSWORD"',
			`printf "denied for %s" ${head} >&2; printf "%s\\n" ${rest} >&2`,
			'seq 1 3000',
		].join('; ');
		const split = {argv: ['sh', '-c', script], env: {PGPASSWORD: SECRET}, bulk: true};
		const state = path.join(dir, 'state-split');
		const store = new StateStore(state, 'secret', 1);
		await store.prepare();
		const transcript = await Transcript.open(path.join(state, 'transcript.log'));
		const splitMachine = oneStepMachine({product: 'secret', title: 'Secret', stepTitle: 'Dump', why: 'w', commands: [split], done: 'd'});
		const wizard = new Wizard({machine: splitMachine as never, host: new LocalHost(process.env, {runDir: path.join(state, 'runs')}), store, transcript, probes: {}});
		// Every line handed to the screen's buffer (the screen itself shows the last ones, 5 times a second:
		// which of them it drew would depend on timing).
		const shown: string[] = [];
		const push = wizard.output.pushBytes.bind(wizard.output);
		wizard.output.pushBytes = (bytes: Buffer) => {
			shown.push(...bytes.toString('utf8').split('\n'));
			push(bytes);
		};
		await wizard.start();
		wizard.send({type: 'operator.continue'});
		await waitFor(wizard.actor, s => JSON.stringify(s.value).includes('done'), {timeout: 30_000});
		await wizard.flushed();
		await transcript.close();
		const logged = readFileSync(path.join(state, 'transcript.log'), 'utf8');
		expect(logged).toContain('| connecting with ***, accepted\n');
		expect(logged).toContain(`| ${'x'.repeat(65530)}***\n`);
		expect(logged).toContain('! denied for ***\n');
		expect(logged).toContain('| 3000\n');
		expect(shown).toContain('connecting with ***, accepted');
		expect(shown).toContain('denied for ***');
		for (const text of [logged, shown.join('\n')]) {
			expect(text).not.toContain('Corr3');
			expect(text).not.toContain('ct-Horse');
		}
	});

	it('masks a password of the wizard environment (PGPASSWORD) that pg_dump prints; apt never gets it', async () => {
		// Stand-ins on PATH, real processes: pg_dump prints what it got, apt says whether it got anything.
		const state = path.join(dir, 'state-env');
		const bin = path.join(dir, 'bin');
		mkdirSync(bin, {recursive: true});
		writeFileSync(path.join(bin, 'pg_dump'), '#!/bin/sh\necho "pg_dump: connecting with password $PGPASSWORD"\necho "pg_dump: error: $PGPASSWORD rejected" >&2\nexit 1\n');
		writeFileSync(path.join(bin, 'apt'), '#!/bin/sh\necho "apt: PGPASSWORD=${PGPASSWORD-unset} API_TOKEN=${API_TOKEN-unset}"\n');
		chmodSync(path.join(bin, 'pg_dump'), 0o755);
		chmodSync(path.join(bin, 'apt'), 0o755);
		const env = {...process.env, PATH: `${bin}:${process.env.PATH}`, PGPASSWORD: SECRET, API_TOKEN: 'tok-abcdef-1'};
		const envMachine = oneStepMachine({product: 'secret', title: 'Secret', stepTitle: 'Dump', why: 'w', commands: [{argv: ['apt', 'update']}, {argv: ['pg_dump', 'mailsys']}], done: 'd'});
		const store = new StateStore(state, 'secret', 1);
		await store.prepare();
		const transcript = await Transcript.open(path.join(state, 'transcript.log'));
		const wizard = new Wizard({machine: envMachine as never, host: new LocalHost(env, {runDir: path.join(state, 'runs')}), store, transcript, probes: {}});
		const shown: string[] = [];
		wizard.output.subscribe(() => shown.push(...wizard.output.snapshot().lines));
		await wizard.start();
		wizard.send({type: 'operator.continue'});
		await waitFor(wizard.actor, s => JSON.stringify(s.value).includes('failed'), {timeout: 10_000});
		await wizard.flushed();
		await transcript.close();
		const logged = readFileSync(path.join(state, 'transcript.log'), 'utf8');
		const saved = readFileSync(path.join(state, 'state.json'), 'utf8');
		const runs = readdirSync(path.join(state, 'runs'), {recursive: true, encoding: 'utf8'})
			.map(name => path.join(state, 'runs', name))
			.filter(file => statSync(file).isFile())
			.map(file => readFileSync(file, 'utf8'))
			.join('\n');
		expect(shown).toContain('apt: PGPASSWORD=unset API_TOKEN=unset');
		expect(shown).toContain('pg_dump: connecting with password ***');
		expect(logged).toContain('| pg_dump: connecting with password ***');
		expect(logged).toContain('! pg_dump: error: *** rejected');
		// The failed command's last lines, kept in the saved place.
		expect(saved).toContain('pg_dump: connecting with password ***');
		expect(runs).toContain('pg_dump: connecting with password ***');
		for (const [what, text] of Object.entries({logged, saved, runs, shown: shown.join('\n')})) expect(text, what).not.toContain(SECRET);
	});

	it('masks the records of runs a killed wizard left, at the next start', async () => {
		const state = path.join(dir, 'state-left');
		const runDir = path.join(state, 'runs');
		const env = {...process.env, DB_PASSWORD: 'left-behind-pw'};
		// A run as a wizard that was killed before it ended would have left it.
		await new LocalHost(env, {runDir}).run({argv: ['sh', '-c', 'echo "using $DB_PASSWORD"'], env: {DB_PASSWORD: 'left-behind-pw'}}, {key: 'dump.0.0'});
		const stdout = path.join(runDir, 'run-dump.0.0', 'stdout');
		expect(readFileSync(stdout, 'utf8')).toBe('using left-behind-pw\n');
		const store = new StateStore(state, 'secret', 1);
		await store.prepare();
		const transcript = await Transcript.open(path.join(state, 'transcript.log'));
		const wizard = new Wizard({machine: machine as never, host: new LocalHost(env, {runDir}), store, transcript, probes: {}});
		await wizard.start();
		await transcript.close();
		expect(readFileSync(stdout, 'utf8')).toBe('using ***\n');
	});

	it('masks a run\'s files under runs/ already while the command runs, not only after it ended', async () => {
		const runDir = path.join(dir, 'state-live', 'runs');
		const gate = path.join(dir, 'gate');
		execFileSync('mkfifo', [gate]);
		const secret = 'live-run-pw-77';
		const host = new LocalHost({...process.env, DB_PASSWORD: secret}, {runDir});
		// It prints the password on both streams, then waits until the test opens the gate.
		const script = `echo "using $DB_PASSWORD"; echo "denied for $DB_PASSWORD" >&2; read x <${gate}; echo "done with $DB_PASSWORD"; printf 'a\\0b %s' "$DB_PASSWORD"`;
		const running = host.run({argv: ['sh', '-c', script], env: {DB_PASSWORD: secret}}, {key: 'dump.0.0', mask: [secret]});
		const files = {stdout: path.join(runDir, 'run-dump.0.0', 'stdout'), stderr: path.join(runDir, 'run-dump.0.0', 'stderr')};
		const read = (file: string) => {
			try {
				return readFileSync(file, 'utf8');
			} catch {
				return '';
			}
		};
		for (const deadline = Date.now() + 20_000; !(read(files.stdout).includes('\n') && read(files.stderr).includes('\n')); ) {
			if (Date.now() > deadline) throw new Error('the command wrote nothing');
			await new Promise(resolve => setTimeout(resolve, 20));
		}
		// Still running (it waits at the gate): its files hold no password.
		expect((await host.runRecords('dump.0.0')).map(r => r.state)).toEqual(['running']);
		expect(read(files.stdout)).toBe('using ***\n');
		expect(read(files.stderr)).toBe('denied for ***\n');
		// Nor does any other file under runs/ (the command line, the record of its process); the
		// pipes to the filters (stdout.fifo, stderr.fifo) are not files, and reading one would take its output.
		const names = readdirSync(path.join(runDir, 'run-dump.0.0')).filter(name => statSync(path.join(runDir, 'run-dump.0.0', name)).isFile());
		expect(names.sort()).toEqual(['command', 'status.pid', 'stderr', 'stdout']);
		for (const name of names) expect(read(path.join(runDir, 'run-dump.0.0', name)), name).not.toContain(secret);
		writeFileSync(gate, 'go\n');
		const result = await running;
		expect(result.exitCode).toBe(0);
		// Every byte kept (a NUL, a last line without newline), the password masked.
		expect(result.stdout).toBe('using ***\ndone with ***\na\0b ***');
		expect(read(files.stdout)).toBe('using ***\ndone with ***\na\0b ***');
		expect(readdirSync(path.join(runDir, 'run-dump.0.0')).sort()).toEqual(['command', 'status', 'status.pid', 'stderr', 'stdout']);
	}, 30_000);

	it('without perl on the host, awk masks the files while the command runs', async () => {
		// A PATH with what the run's shell needs, and no perl.
		const bin = path.join(dir, 'no-perl-bin');
		mkdirSync(bin, {recursive: true});
		for (const tool of ['sh', 'awk', 'mawk', 'grep', 'mkfifo', 'rm', 'mv', 'sleep', 'cat', 'echo']) {
			const found = execFileSync('sh', ['-c', `command -v ${tool} || true`], {encoding: 'utf8'}).trim();
			if (found.startsWith('/')) symlinkSync(found, path.join(bin, tool));
		}
		const runDir = path.join(dir, 'state-no-perl', 'runs');
		const secret = 'no-perl-pw-42';
		const host = new LocalHost({...process.env, PATH: bin, DB_PASSWORD: secret}, {runDir});
		const result = await host.run({argv: ['sh', '-c', 'command -v perl || echo "no perl"; echo "using $DB_PASSWORD"'], env: {DB_PASSWORD: secret}}, {key: 'noperl.0.0', mask: [secret]});
		expect(result.exitCode).toBe(0);
		expect(result.stdout).toBe('no perl\nusing ***\n');
		expect(readFileSync(path.join(runDir, 'run-noperl.0.0', 'stdout'), 'utf8')).toBe('no perl\nusing ***\n');
	}, 30_000);
});
