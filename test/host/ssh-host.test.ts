import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {SshHost} from '../../source/host/ssh-host.ts';
import {chunkLines} from '../../source/host/types.ts';
import {computePlan, type PmContext} from '../../machines/puremessage-5.6-to-6.ts';
import type {Server} from '../../source/probes/pm-deployment.ts';
import {pmProbes} from '../../source/runtime/pm-probes.ts';
import {parseIpAddr} from '../../source/probes/preflight.ts';
import {LocalHost} from '../../source/host/local-host.ts';

/*
 * SshHost against a real sshd (Debian's openssh-server) that this test
 * starts on a loopback port with a throwaway host key and user key, and
 * stops afterwards. It never connects anywhere but 127.0.0.1.
 */

const SSHD = '/usr/sbin/sshd';
let dir = '';
let sshd: ChildProcess | null = null;
let port = 0;
let host: SshHost;
let sshdLog = '';

const freePort = () =>
	new Promise<number>((resolve, reject) => {
		const server = net.createServer();
		server.listen(0, '127.0.0.1', () => {
			const {port: p} = server.address() as net.AddressInfo;
			server.close(() => resolve(p));
		});
		server.on('error', reject);
	});

const listening = async (p: number, ms: number) => {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline) {
		const up = await new Promise<boolean>(resolve => {
			const socket = net.connect(p, '127.0.0.1', () => {
				socket.end();
				resolve(true);
			});
			socket.on('error', () => resolve(false));
		});
		if (up) return;
		await new Promise(r => setTimeout(r, 50));
	}
	throw new Error(`sshd did not listen on 127.0.0.1:${p} within ${ms} ms:\n${sshdLog}`);
};

beforeAll(async () => {
	if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: install Debian's openssh-server (apt-get install -y openssh-server) to run the SSH host test`);
	if (process.getuid?.() !== 0) throw new Error('the SSH host test logs in as root over a throwaway sshd and must run as root (as in CI)');
	dir = mkdtempSync(path.join(os.tmpdir(), 'muw-sshd-'));
	for (const [file, type] of [['host_key', 'ed25519'], ['user_key', 'ed25519']] as const) {
		const made = spawnSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path.join(dir, file)], {encoding: 'utf8'});
		if (made.status !== 0) throw new Error(`ssh-keygen failed: ${made.stderr}`);
	}
	writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(path.join(dir, 'user_key.pub')), {mode: 0o600});
	port = await freePort();
	writeFileSync(
		path.join(dir, 'sshd_config'),
		[
			`Port ${port}`,
			'ListenAddress 127.0.0.1',
			`HostKey ${path.join(dir, 'host_key')}`,
			`AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
			`PidFile ${path.join(dir, 'sshd.pid')}`,
			'PermitRootLogin prohibit-password',
			'PasswordAuthentication no',
			'KbdInteractiveAuthentication no',
			'StrictModes no',
			'UsePAM no',
			'UseDNS no',
			'',
		].join('\n'),
	);
	// sshd refuses to start without its privilege separation directory.
	mkdirSync('/run/sshd', {recursive: true, mode: 0o755});
	sshd = spawn(SSHD, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], {stdio: ['ignore', 'ignore', 'pipe']});
	sshd.stderr!.setEncoding('utf8').on('data', (d: string) => (sshdLog += d));
	await listening(port, 10_000);
	host = new SshHost(
		{destination: 'root@127.0.0.1', port, identity: path.join(dir, 'user_key')},
		{extra: ['-o', 'StrictHostKeyChecking=no', '-o', `UserKnownHostsFile=${path.join(dir, 'known_hosts')}`, '-o', 'LogLevel=ERROR']},
	);
});

afterAll(() => {
	sshd?.kill('SIGTERM');
	if (dir) rmSync(dir, {recursive: true, force: true});
});

describe('SshHost against a real sshd on 127.0.0.1', {timeout: 90_000}, () => {
	it('shows the exact ssh command: batch mode, the key, the port, the remote command quoted for its shell', () => {
		const argv = host.argvFor(['pmx', 'status']);
		expect(argv.slice(0, 3)).toEqual(['ssh', '-o', 'BatchMode=yes']);
		expect(argv).toContain(String(port));
		expect(argv.slice(-3)).toEqual(['root@127.0.0.1', '--', 'pmx status']);
	});

	it('runs a command with awkward arguments, which arrive exactly as given', async () => {
		const awkward = ["it's", 'two words', '$(touch /tmp/muw-ssh-pwned)', 'a;b', '*', '"q"', ''];
		const result = await host.run({argv: ['printf', '[%s]\\n', ...awkward]}, {capture: 'all'});
		expect(result.exitCode, result.stderr + sshdLog).toBe(0);
		expect(result.stdout).toBe(awkward.map(a => `[${a}]\n`).join(''));
		expect(existsSync('/tmp/muw-ssh-pwned')).toBe(false);
	});

	it('streams output and reports the remote exit status', async () => {
		const lines: string[] = [];
		const result = await host.run({argv: ['sh', '-c', 'echo one; echo two >&2; exit 7']}, {onOutput: c => lines.push(...chunkLines(c).map(line => `${c.stream}:${line}`))});
		expect(result.exitCode).toBe(7);
		expect(lines).toEqual(expect.arrayContaining(['stdout:one', 'stderr:two']));
	});

	it('before apt on the server: names the process that holds a package lock there and starts apt only once it is released', async () => {
		const lock = path.join(dir, 'lock-frontend');
		writeFileSync(lock, '');
		const holder = spawn('python3', ['-c', `import fcntl,sys,time\nf=open(${JSON.stringify(lock)},'w')\nfcntl.lockf(f,fcntl.LOCK_EX)\nprint('locked',flush=True)\ntime.sleep(3)`], {stdio: ['ignore', 'pipe', 'inherit']});
		await new Promise(resolve => holder.stdout!.once('data', resolve));
		// A stand-in apt on the server that says when it started.
		const apt = path.join(dir, 'bin', 'apt');
		mkdirSync(path.dirname(apt), {recursive: true});
		writeFileSync(apt, '#!/bin/sh\ndate +%s%N\n', {mode: 0o755});
		const locked = new SshHost(
			{destination: 'root@127.0.0.1', port, identity: path.join(dir, 'user_key')},
			{extra: ['-o', 'StrictHostKeyChecking=no', '-o', `UserKnownHostsFile=${path.join(dir, 'known_hosts')}`, '-o', 'LogLevel=ERROR'], packageLocks: [lock, path.join(dir, 'absent')], lockPollMs: 200},
		);
		expect(await locked.lockHolders()).toEqual([{file: lock, pid: holder.pid, command: expect.stringMatching(/python3 -c import fcntl,sys,time f=open/)}]);
		const notices: string[] = [];
		const asked = Date.now();
		const result = await locked.run({argv: [apt, 'update']}, {onNotice: text => notices.push(text)});
		expect(result.exitCode, result.stderr).toBe(0);
		const startedAt = Number(BigInt(result.stdout.trim()) / 1_000_000n);
		expect(notices[0]).toContain(`waiting: on root@127.0.0.1, ${lock} is held by pid ${holder.pid} (`);
		expect(notices[0]).toMatch(/python3 -c import fcntl/);
		expect(notices.at(-1)).toContain('free now');
		// It ran after the holder let go (~3 s), not next to it.
		expect(startedAt - asked).toBeGreaterThan(2000);
		expect(holder.exitCode).not.toBeNull();
		expect(await locked.lockHolders()).toEqual([]);
	});

	it('a keyed run leaves a record on the server, outlives its ssh client, and is followed (not started again) by the next run of the same key', async () => {
		const runDir = path.join(dir, 'remote-runs');
		const keyed = new SshHost(
			{destination: 'root@127.0.0.1', port, identity: path.join(dir, 'user_key')},
			{extra: ['-o', 'StrictHostKeyChecking=no', '-o', `UserKnownHostsFile=${path.join(dir, 'known_hosts')}`, '-o', 'LogLevel=ERROR'], runDir},
		);
		const started = path.join(dir, 'started');
		const command = {argv: ['sh', '-c', `echo $$ >>${started}; echo one; sleep 3; echo two; echo oops >&2; exit 3`]};
		const seen: string[] = [];
		const first = keyed.run(command, {key: 'dump.1.0', onOutput: c => seen.push(...chunkLines(c))});
		for (const deadline = Date.now() + 15_000; !seen.includes('one'); await new Promise(r => setTimeout(r, 50))) if (Date.now() > deadline) throw new Error(`no output: ${sshdLog}`);
		// The wizard dies: its ssh client with it (SIGKILL).
		const clients = spawnSync('pgrep', ['-P', String(process.pid), '-x', 'ssh'], {encoding: 'utf8'}).stdout.trim().split('\n').filter(Boolean);
		expect(clients).toHaveLength(1);
		process.kill(Number(clients[0]), 'SIGKILL');
		await first;
		const running = await keyed.runRecords('dump.1.');
		expect(running).toEqual([expect.objectContaining({key: 'dump.1.0', argv: command.argv, state: 'running', exitCode: null, tail: ['one']})]);
		const notices: string[] = [];
		const lines: string[] = [];
		const followed = await keyed.run(command, {key: 'dump.1.0', onOutput: c => lines.push(...chunkLines(c)), onNotice: t => notices.push(t)});
		expect(notices[0]).toMatch(/^following the run started .* on root@127\.0\.0\.1 \(pid \d+\)$/);
		expect(followed.exitCode).toBe(3);
		expect(followed.stdout).toBe('one\ntwo\n');
		expect(followed.stderr).toBe('oops\n');
		expect(lines).toEqual(expect.arrayContaining(['one', 'two', 'oops']));
		// Started once, on the server.
		expect(readFileSync(started, 'utf8').trim().split('\n')).toHaveLength(1);
		expect(await keyed.runRecords('dump.')).toEqual([expect.objectContaining({state: 'finished', exitCode: 3, tail: ['one', 'two']})]);
		// A finished record is read, not run again; a later step clears it.
		expect((await keyed.run(command, {key: 'dump.1.0'})).exitCode).toBe(3);
		expect(readFileSync(started, 'utf8').trim().split('\n')).toHaveLength(1);
		await keyed.clearRuns('next.');
		expect(await keyed.runRecords('')).toEqual([]);
	});

	it('writes and reads a file on the server, and says when one is missing', async () => {
		const file = path.join(dir, 'remote dir', "it's a file.txt");
		mkdirSync(path.dirname(file), {recursive: true});
		await host.writeFile(file, 'first line\n$HOME stays literal\n', 0o600);
		expect(readFileSync(file, 'utf8')).toBe('first line\n$HOME stays literal\n');
		expect(await host.readFile(file)).toBe('first line\n$HOME stays literal\n');
		expect((await host.stat(file))?.isFile).toBe(true);
		expect(await host.listDir(path.dirname(file))).toEqual(["it's a file.txt"]);
		await host.removeFile(file);
		expect(await host.readFile(file)).toBeNull();
		expect(await host.stat(file)).toBeNull();
	});

	it('reads identity and disk space on the server', async () => {
		const id = await host.identity();
		expect(id.uid).toBe(0);
		expect(id.hostname).toBe(os.hostname());
		const space = await host.diskSpace(dir);
		expect(space.totalBytes).toBeGreaterThan(0);
		expect(space.availableBytes).toBeLessThanOrEqual(space.totalBytes);
	});

	it('fails, without asking for a password, when the key is not accepted', async () => {
		const stranger = new SshHost({destination: 'root@127.0.0.1', port, identity: path.join(dir, 'host_key')}, {extra: ['-o', 'StrictHostKeyChecking=no', '-o', `UserKnownHostsFile=${path.join(dir, 'known_hosts')}`, '-o', 'LogLevel=ERROR']});
		const result = await stranger.run({argv: ['true']}, {capture: 'all'});
		expect(result.exitCode).toBe(255);
		expect(result.stderr).toMatch(/Permission denied/);
	});

	it('carries the PureMessage probes to a server reached over SSH: root, hostname and addresses, /opt/pmx6', async () => {
		const server: Server = {name: 'mta1', hostname: 'mta1.example.lan', addresses: [], roles: ['mta', 'filter'], access: 'ssh', ssh: host.target};
		const db: Server = {name: 'db1', hostname: 'db1.example.lan', addresses: [], roles: ['database', 'csm'], access: 'local', ssh: null};
		const plan = computePlan([db, server]);
		const context = {facts: {deployment: {file: 'x', servers: [db, server]}}, plan, current: 'upgrade:mta1', diskPassed: [], choices: {}} as unknown as PmContext;
		const reached: string[] = [];
		const env = {processEnv: {}, hostFor: async (target: {name: string}) => (reached.push(target.name), host)};
		const local = new LocalHost();
		const {identityNow} = (await pmProbes.identity!(local, context, env)) as {identityNow: {server: string; hostname: string; addresses: string[]}};
		expect(reached).toEqual(['mta1']);
		expect(identityNow.server).toBe('mta1');
		expect(identityNow.hostname).toBe(spawnSync('hostname', {encoding: 'utf8'}).stdout.trim());
		const here = parseIpAddr(spawnSync('ip', ['-o', 'addr', 'show'], {encoding: 'utf8'}).stdout).filter(a => a.ifname !== 'lo' && !a.address.startsWith('fe80:'));
		expect(identityNow.addresses).toEqual([...new Set(here.map(a => a.address))].sort());
		const {identities} = (await pmProbes.preconditions!(local, context, env)) as {identities: Record<string, {uid: number}>};
		expect(identities.mta1!.uid).toBe(0);
		const {installed} = (await pmProbes.installed!(local, context, env)) as {installed: {pmx6: boolean}};
		expect(installed.pmx6).toBe(existsSync('/opt/pmx6'));
	});
});
