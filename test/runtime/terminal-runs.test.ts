import {spawn} from 'node:child_process';
import {chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {LocalHost, terminalLine} from '../../source/host/local-host.ts';
import {chunkLines} from '../../source/host/types.ts';
import {Transcript} from '../../source/runtime/transcript.ts';

/*
 * Commands on the terminal (under script(1)) leave the same run record as
 * captured ones, on real processes: a second host (a wizard started again)
 * follows the running one and never starts it twice. apt and dpkg wait for
 * another process holding the package locks (fcntl, as apt takes them).
 */

const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-terminal-runs-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));
const env = {PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8'};

const walk = (root: string): string[] =>
	readdirSync(root, {withFileTypes: true}).flatMap(e => {
		const p = path.join(root, e.name);
		return e.isDirectory() ? [p, ...walk(p)] : [p];
	});

describe('runs on the terminal', () => {
	it('leave a record (pid, group, start, status, output as text), files 0600, and a second wizard follows instead of starting again', async () => {
		const runDir = path.join(dir, 'runs');
		const pids = path.join(dir, 'pids');
		const apt = path.join(dir, 'apt');
		writeFileSync(apt, `#!/bin/sh\necho "$$ $*" >>${pids}\nfor i in 1 2 3 4 5 6; do printf '\\033[32mpart\\033[0m %s\\r\\n' $i; sleep 0.7; done\nexit 3\n`);
		chmodSync(apt, 0o755);
		const first = new LocalHost(env, {runDir, packageLocks: []});
		const firstLines: string[] = [];
		const running = first.runInteractive({argv: [apt, 'dist-upgrade']}, {key: 'updateCurrent.1.1', onOutput: c => firstLines.push(...chunkLines(c))});
		// Once its shell has written its record (zx and bash take a moment to start).
		let record;
		for (let i = 0; i < 100 && record?.state !== 'running'; i++) {
			await new Promise(resolve => setTimeout(resolve, 100));
			[record] = await new LocalHost(env, {runDir}).runRecords('updateCurrent.1.');
		}
		expect(record).toMatchObject({key: 'updateCurrent.1.1', state: 'running', interactive: true, argv: [apt, 'dist-upgrade']});
		expect(record!.pid).toBeGreaterThan(0);
		expect(record!.pgid).toBeGreaterThan(0);
		expect(Date.parse(record!.startedAt!)).toBeGreaterThan(Date.now() - 10_000);
		// The wizard started again: same key, same command. It follows.
		const followed: string[] = [];
		const second = await new LocalHost(env, {runDir, packageLocks: []}).runInteractive({argv: [apt, 'dist-upgrade']}, {key: 'updateCurrent.1.1', onOutput: c => followed.push(...chunkLines(c))});
		expect(second.exitCode).toBe(3);
		expect(second.startedAt).toBe(record!.startedAt);
		expect((await running).exitCode).toBe(3);
		expect(readFileSync(pids, 'utf8').trim().split('\n')).toHaveLength(1);
		// Text, escapes and script's own lines gone.
		expect(followed).toEqual(['part 1', 'part 2', 'part 3', 'part 4', 'part 5', 'part 6']);
		expect(firstLines).toEqual(followed);
		const [done] = await first.runRecords('updateCurrent.1.');
		expect(done).toMatchObject({state: 'finished', exitCode: 3, tail: ['part 2', 'part 3', 'part 4', 'part 5', 'part 6']});
		for (const file of walk(runDir)) expect((statSync(file).mode & 0o777).toString(8), file).toBe(statSync(file).isDirectory() ? '700' : '600');
	}, 30_000);

	it('keep no secret under runs/ once it ended: the typescript is masked, also one a killed wizard left (maskRuns)', async () => {
		const SECRET = 'Typed-S3cret-77';
		const runDir = path.join(dir, 'runs-secret');
		const apt = path.join(dir, 'apt-secret');
		// The secret in two writes, a pause between them: script(1) flushes each on its own.
		writeFileSync(apt, `#!/bin/sh\nprintf 'the password: ${SECRET.slice(0, 7)}'\nsleep 0.3\nprintf '${SECRET.slice(7)}\\n'\necho done\n`);
		chmodSync(apt, 0o755);
		const host = new LocalHost(env, {runDir, packageLocks: []});
		const masked = await host.runInteractive({argv: [apt, 'dist-upgrade']}, {key: 'distUpgrade.1.1', mask: [SECRET], onOutput: () => undefined});
		expect(masked.exitCode).toBe(0);
		// Unmasked, as a wizard that was killed before the end leaves it; the next one masks what no longer runs.
		await host.runInteractive({argv: [apt, 'dist-upgrade']}, {key: 'distUpgrade.2.1', onOutput: () => undefined});
		const typescripts = () => walk(runDir).filter(f => f.endsWith('/typescript')).map(f => readFileSync(f, 'utf8'));
		expect(typescripts()).toHaveLength(2);
		expect(typescripts().filter(t => t.includes(SECRET))).toHaveLength(1);
		await host.maskRuns([SECRET]);
		for (const text of typescripts()) {
			expect(text).toContain('the password: ***');
			expect(text).not.toContain(SECRET.slice(0, 7));
			expect(text).not.toContain(SECRET.slice(7));
		}
		const records = await host.runRecords('distUpgrade.');
		expect(records.map(r => r.tail)).toEqual([['the password: ***', 'done'], ['the password: ***', 'done']]);
		for (const file of walk(runDir)) if (!statSync(file).isDirectory()) expect((statSync(file).mode & 0o777).toString(8), file).toBe('600');
	}, 30_000);

	it('terminal lines: a CR writes over the line, erase-line cuts it, titles and cursor moves are dropped', () => {
		expect(terminalLine('\u001B]0;TITLE\u0007Reading 0%\rReading 100%')).toBe('Reading 100%');
		expect(terminalLine('Progress: [ 40%]\r\u001B[KSetting up x')).toBe('Setting up x');
		expect(terminalLine('abc\u0008d\u001B7\u001B[24;1Hok\u001B8')).toBe('abdok');
	});
});

describe('the package locks', () => {
	it('names the process that holds an fcntl lock on them and starts apt only once it is released', async () => {
		const lock = path.join(dir, 'lock-frontend');
		writeFileSync(lock, '');
		const holder = spawn('python3', ['-c', `import fcntl,sys,time\nf=open(${JSON.stringify(lock)},'w')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('locked',flush=True)\ntime.sleep(3)`], {stdio: ['ignore', 'pipe', 'inherit']});
		await new Promise(resolve => holder.stdout.once('data', resolve));
		const apt = path.join(dir, 'bin', 'apt');
		await import('node:fs').then(fs => fs.mkdirSync(path.dirname(apt), {recursive: true}));
		writeFileSync(apt, `#!/bin/sh\ndate +%s%N\n`);
		chmodSync(apt, 0o755);
		const notices: string[] = [];
		const host = new LocalHost(env, {runDir: path.join(dir, 'runs-lock'), packageLocks: [lock, path.join(dir, 'absent')]});
		const asked = Date.now();
		const result = await host.run({argv: [apt, 'update']}, {onNotice: text => notices.push(text)});
		const startedAt = Number(BigInt(result.stdout.trim()) / 1_000_000n);
		expect(notices[0]).toContain(`${lock} is held by pid ${holder.pid} (`);
		expect(notices[0]).toMatch(/python3 -c import fcntl/);
		expect(notices.at(-1)).toContain('free now');
		// It ran after the holder let go (~3 s), not next to it.
		expect(startedAt - asked).toBeGreaterThan(2000);
		expect(holder.exitCode).not.toBeNull();
	}, 30_000);
});

describe('a followed run in the transcript', () => {
	it('finds the run line written before the restart and counts the output lines already there', async () => {
		const file = path.join(dir, 'transcript.log');
		const t = await Transcript.open(file);
		await t.note('run: apt update');
		await t.writeLines('| ', Buffer.from('Hit:1\nHit:2'));
		await t.note('run: apt dist-upgrade');
		await t.writeLines('| ', Buffer.from('part 1\npart 2'));
		await t.writeLines('! ', Buffer.from('W: x'));
		await t.note('wizard started at updateCurrent.interrupted');
		expect(await t.transcribed('apt dist-upgrade')).toEqual({stdout: 2, stderr: 1});
		expect(await t.transcribed('apt update')).toEqual({stdout: 4, stderr: 1});
		expect(await t.transcribed('apt install x')).toBeNull();
		await t.close();
	});
});
