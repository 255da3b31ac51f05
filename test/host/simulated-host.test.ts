import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {SimulatedHost} from '../../source/host/simulated-host.ts';
import {chunkText, type OutputChunk} from '../../source/host/types.ts';

/*
 * The simulated host against small scenario files written here: matching,
 * conditions, effects, streaming, the built-in systemctl and reboot, files,
 * disk figures, the clock, and the state file across two opens.
 */

const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-sim-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));
let counter = 0;

const HEADER = `product: pmg
title: Test host
host: { hostname: sim1.example.lan }
env: { LANG: C.UTF-8 }
filesystems:
  - { mount: /, size: 32G, free: 20G }
  - { mount: /var/lib, size: 100G, free: 60G }
services:
  postfix: { active: true, enabled: true }
  pmgproxy: { active: true, enabled: true }
  pmgmirror: { active: false, enabled: false }
`;

/** A scenario file in the temp folder; returns its path. */
function scenario(body: string, header = HEADER): string {
	const file = path.join(dir, `s${++counter}.yaml`);
	writeFileSync(file, header + body);
	return file;
}

const open = (file: string, stateFile?: string, speed = 0) => SimulatedHost.open(file, {speed, processEnv: {}, ...(stateFile ? {stateFile} : {})});

describe('commands', () => {
	const file = scenario(`files:
  /etc/apt/sources.list: |
    deb http://deb.debian.org/debian bookworm main
commands:
  - match: '^pmgversion -v$'
    when: { file_contains: { path: /etc/apt/sources.list, text: trixie } }
    stdout: "pmg-api: 9.0.3\\n"
  - match: '^pmgversion -v$'
    stdout: "pmg-api: 8.2.7\\n"
  - match: '^switch$'
    effects:
      - write: { path: /etc/apt/sources.list, content: "deb http://deb.debian.org/debian trixie main\\n" }
  - match: '^check$'
    when: [{ file_exists: /etc/marker }, { not_file_contains: { path: /etc/marker, text: bad } }]
    stdout: "marker ok\\n"
  - match: '^check$'
    when: { file_missing: /etc/marker }
    stdout: "no marker\\n"
    exit: 4
  - match: '^talk$'
    stdout: "one\\ntwo\\nthree"
    stderr: "warn 1\\nwarn 2\\n"
    exit: 2
  - match: '^slow$'
    duration: 2
    stdout: "a\\nb\\nc\\nd\\n"
  - match: '^big$'
    stdout: "${'x'.repeat(1023)}\\n${'y'.repeat(1023)}\\n"
  - match: '^tar -tzf (/var/[^ ]+)$'
    when: { file_exists: $1 }
    stdout: "./\\n./version.txt\\n"
  - match: '^tar -tzf (.+)$'
    stderr: "tar: $1: Cannot open: No such file or directory\\nprice: $$5\\n"
    exit: 2
  - match: '^env -u LC_ALL pg_upgradecluster -v 17 15 main$'
    stdout: "cleaned\\n"
  - match: 'pg_upgradecluster -v 17 15 main$'
    stdout: "as is\\n"
  - match: '^systemctl stop postfix$'
    stdout: "overridden by the scenario\\n"
    exit: 9
`);

	it('the first entry whose match and conditions hold answers; effects change later answers', async () => {
		const host = await open(file);
		const before = await host.run({argv: ['pmgversion', '-v']});
		expect(before).toMatchObject({exitCode: 0, stdout: 'pmg-api: 8.2.7\n', stderr: ''});
		expect((await host.run({argv: ['switch']})).exitCode).toBe(0);
		expect((await host.run({argv: ['pmgversion', '-v']})).stdout).toBe('pmg-api: 9.0.3\n');
		expect(host.matchingEntry('pmgversion -v')?.origin.index).toBe(0);
	});

	it('file_exists, file_missing and not_file_contains', async () => {
		const host = await open(file);
		expect(await host.run({argv: ['check']})).toMatchObject({exitCode: 4, stdout: 'no marker\n'});
		await host.writeFile('/etc/marker', 'bad');
		// Neither entry holds: not simulated.
		expect((await host.run({argv: ['check']})).exitCode).toBe(127);
		await host.writeFile('/etc/marker', 'good');
		expect(await host.run({argv: ['check']})).toMatchObject({exitCode: 0, stdout: 'marker ok\n'});
	});

	it('streams stdout then stderr line by line, in order, with speed 0', async () => {
		const host = await open(file);
		const chunks: Array<{stream: OutputChunk['stream']; text: string}> = [];
		const result = await host.run({argv: ['talk']}, {onOutput: c => chunks.push({stream: c.stream, text: chunkText(c)})});
		expect(chunks).toEqual([
			{stream: 'stdout', text: 'one'},
			{stream: 'stdout', text: 'two'},
			{stream: 'stdout', text: 'three'},
			{stream: 'stderr', text: 'warn 1'},
			{stream: 'stderr', text: 'warn 2'},
		]);
		expect(result).toMatchObject({exitCode: 2, stdout: 'one\ntwo\nthree', stderr: 'warn 1\nwarn 2\n'});
	});

	it('spreads the output over duration x speed and moves the clock by the full duration', async () => {
		const host = await open(file, undefined, 0.1);
		const times: number[] = [];
		const clock = host.now();
		const started = Date.now();
		const result = await host.run({argv: ['slow']}, {onOutput: () => times.push(Date.now() - started)});
		expect(times).toHaveLength(4);
		expect(times[0]!).toBeGreaterThanOrEqual(40);
		expect(times[3]!).toBeGreaterThanOrEqual(190);
		expect(host.now() - clock).toBe(2000);
		expect(Date.parse(result.endedAt) - Date.parse(result.startedAt)).toBe(2000);
	});

	it('UPGRADE_WIZARD_SIM_SPEED overrides the speed option; a bad value is refused', async () => {
		expect((await SimulatedHost.open(file, {speed: 1, processEnv: {UPGRADE_WIZARD_SIM_SPEED: '0'}})).speed).toBe(0);
		expect((await SimulatedHost.open(file, {processEnv: {}})).speed).toBe(1);
		await expect(SimulatedHost.open(file, {processEnv: {UPGRADE_WIZARD_SIM_SPEED: 'fast'}})).rejects.toThrow(/UPGRADE_WIZARD_SIM_SPEED="fast": expected a number >= 0/);
	});

	it('an unmatched command exits 127 and says so', async () => {
		const host = await open(file);
		const chunks: Array<{stream: OutputChunk['stream']; text: string}> = [];
		const result = await host.run({argv: ['pmgfoo', '--bar', 'a b']}, {onOutput: c => chunks.push({stream: c.stream, text: chunkText(c)})});
		const message = `pmgfoo: not simulated in scenario Test host (no commands[] entry matches "pmgfoo --bar 'a b'")`;
		expect(result).toMatchObject({exitCode: 127, stdout: '', stderr: `${message}\n`});
		expect(chunks).toEqual([{stream: 'stderr', text: message}]);
	});

	it("matches the displayed command line, environment changes included", async () => {
		const host = await open(file);
		expect((await host.run({argv: ['pg_upgradecluster', '-v', '17', '15', 'main'], env: {LC_ALL: null}})).stdout).toBe('cleaned\n');
		expect((await host.run({argv: ['pg_upgradecluster', '-v', '17', '15', 'main']})).stdout).toBe('as is\n');
		expect((await host.run({argv: ['pg_upgradecluster', '-v', '17', '15', 'main'], env: {LANG: null}})).stdout).toBe('as is\n');
	});

	it('fills $1 of the match into conditions and output', async () => {
		const host = await open(file);
		await host.writeFile('/var/b.tgz', 'x');
		expect((await host.run({argv: ['tar', '-tzf', '/var/b.tgz']})).stdout).toBe('./\n./version.txt\n');
		expect(await host.run({argv: ['tar', '-tzf', '/var/none.tgz']})).toMatchObject({
			exitCode: 2,
			stderr: 'tar: /var/none.tgz: Cannot open: No such file or directory\nprice: $5\n',
		});
	});

	it("capture: 'tail' keeps the last 64 KiB", async () => {
		const big = scenario(`commands:\n  - match: '^big$'\n    stdout: "${'0123456789abcdef'.repeat(8192)}END\\n"\n`);
		const host = await open(big);
		const all = await host.run({argv: ['big']}, {capture: 'all'});
		const tail = await host.run({argv: ['big']}, {capture: 'tail'});
		expect(all.stdout.length).toBe(16 * 8192 + 4);
		expect(Buffer.byteLength(tail.stdout)).toBe(64 * 1024);
		expect(tail.stdout.endsWith('END\n')).toBe(true);
	});

	it('runInteractive answers like run', async () => {
		const host = await open(file);
		expect((await host.runInteractive({argv: ['pmgversion', '-v']})).stdout).toBe('pmg-api: 8.2.7\n');
	});

	it('a scenario entry wins over the built-in systemctl', async () => {
		const host = await open(file);
		expect(await host.run({argv: ['systemctl', 'stop', 'postfix']})).toMatchObject({exitCode: 9, stdout: 'overridden by the scenario\n'});
		expect(host.serviceState('postfix')?.active).toBe(true);
	});
});

describe('effects', () => {
	const file = scenario(`files:
  /etc/old: "old\\n"
commands:
  - match: '^change$'
    duration: 30
    effects:
      - write: { path: /var/lib/pmg/backup/new.tgz, content: "backup", mode: 0600, size: 2.5M }
      - remove: /etc/old
      - move: { from: /etc/moveme, to: /etc/moved }
      - free: { mount: /var/lib, free: -10G }
      - free: { mount: /, free: 8G }
      - service: { unit: pmgmirror, active: true, enabled: true }
      - service: { unit: newunit, masked: true }
  - match: '^boot$'
    effects:
      - reboot: true
`);

	it('applies write, remove, move, free, service in order, dated by the simulated clock', async () => {
		const host = await open(file);
		await host.writeFile('/etc/moveme', 'moving');
		const start = host.now();
		await host.run({argv: ['change']});
		expect(host.now()).toBe(start + 30_000);
		expect(await host.readFile('/var/lib/pmg/backup/new.tgz')).toBe('backup');
		expect(await host.stat('/var/lib/pmg/backup/new.tgz')).toEqual({size: 2.5 * 1024 ** 2, mtimeMs: start + 30_000, isFile: true, isDirectory: false});
		expect(await host.readFile('/etc/old')).toBeNull();
		expect(await host.readFile('/etc/moveme')).toBeNull();
		expect(await host.readFile('/etc/moved')).toBe('moving');
		expect(await host.diskSpace('/var/lib/pmg')).toEqual({totalBytes: 100 * 1024 ** 3, availableBytes: 50 * 1024 ** 3, freeBytes: 50 * 1024 ** 3});
		expect((await host.diskSpace('/')).availableBytes).toBe(8 * 1024 ** 3);
		expect(host.serviceState('pmgmirror')).toEqual({active: true, enabled: true, masked: false});
		expect(host.serviceState('newunit')).toEqual({active: false, enabled: false, masked: true});
	});

	it('a reboot effect gives a new boot id, moves the clock, and starts units as enabled', async () => {
		const host = await open(file);
		await host.run({argv: ['systemctl', 'stop', 'postfix']});
		await host.run({argv: ['systemctl', 'mask', 'pmgproxy']});
		const before = await host.bootId();
		const clock = host.now();
		await host.run({argv: ['boot']});
		expect(await host.bootId()).not.toBe(before);
		expect(host.now()).toBe(clock + 60_000);
		expect(host.serviceState('postfix')?.active).toBe(true);
		expect(host.serviceState('pmgproxy')).toEqual({active: false, enabled: true, masked: true});
		expect(host.serviceState('pmgmirror')?.active).toBe(false);
	});
});

describe('built-in systemctl and reboot', () => {
	const file = scenario('');
	const sc = (host: SimulatedHost, ...args: string[]) => host.run({argv: ['systemctl', ...args]});

	it('stop, is-active: one word per unit, exit 0 when any is active', async () => {
		const host = await open(file);
		expect(await sc(host, 'is-active', 'postfix', 'pmgproxy')).toMatchObject({exitCode: 0, stdout: 'active\nactive\n'});
		expect(await sc(host, 'stop', 'postfix')).toMatchObject({exitCode: 0, stdout: '', stderr: ''});
		expect(await sc(host, 'is-active', 'postfix', 'pmgproxy', 'nosuch')).toMatchObject({exitCode: 0, stdout: 'inactive\nactive\ninactive\n'});
		expect(await sc(host, 'stop', 'pmgproxy.service')).toMatchObject({exitCode: 0});
		expect(await sc(host, 'is-active', 'postfix', 'pmgproxy')).toMatchObject({exitCode: 3, stdout: 'inactive\ninactive\n'});
		expect(await sc(host, '--quiet', 'is-active', 'postfix')).toMatchObject({exitCode: 3, stdout: ''});
		expect(await sc(host, 'stop', 'nosuch')).toMatchObject({exitCode: 5, stderr: 'Failed to stop nosuch.service: Unit nosuch.service not loaded.\n'});
	});

	it('mask, then start fails like systemd; unmask, then start works', async () => {
		const host = await open(file);
		await sc(host, 'stop', 'postfix', 'pmgproxy');
		expect(await sc(host, 'mask', 'postfix', 'pmgproxy')).toMatchObject({
			exitCode: 0,
			stderr: 'Created symlink /etc/systemd/system/postfix.service → /dev/null.\nCreated symlink /etc/systemd/system/pmgproxy.service → /dev/null.\n',
		});
		// Masking again changes nothing and says nothing.
		expect(await sc(host, 'mask', 'postfix')).toMatchObject({exitCode: 0, stderr: ''});
		expect(await sc(host, 'is-enabled', 'postfix', 'pmgproxy', 'pmgmirror')).toMatchObject({exitCode: 1, stdout: 'masked\nmasked\ndisabled\n'});
		expect(await sc(host, 'start', 'postfix')).toMatchObject({exitCode: 1, stderr: 'Failed to start postfix.service: Unit postfix.service is masked.\n'});
		expect(await sc(host, 'restart', 'pmgproxy')).toMatchObject({exitCode: 1, stderr: 'Failed to restart pmgproxy.service: Unit pmgproxy.service is masked.\n'});
		expect(host.serviceState('postfix')?.active).toBe(false);
		expect(await sc(host, 'unmask', 'postfix')).toMatchObject({exitCode: 0, stderr: 'Removed "/etc/systemd/system/postfix.service".\n'});
		expect(await sc(host, 'unmask', 'postfix')).toMatchObject({exitCode: 0, stderr: ''});
		expect(await sc(host, 'start', 'postfix')).toMatchObject({exitCode: 0, stderr: ''});
		expect(await sc(host, 'is-enabled', 'postfix')).toMatchObject({exitCode: 0, stdout: 'enabled\n'});
		expect(await sc(host, 'is-active', 'postfix')).toMatchObject({exitCode: 0, stdout: 'active\n'});
	});

	it('is-enabled stops at a unit without a unit file; start of an unknown unit fails', async () => {
		const host = await open(file);
		expect(await sc(host, 'is-enabled', 'postfix', 'nosuch', 'pmgproxy')).toMatchObject({
			exitCode: 1,
			stdout: 'enabled\n',
			stderr: 'Failed to get unit file state for nosuch.service: No such file or directory\n',
		});
		expect(await sc(host, 'start', 'nosuch')).toMatchObject({exitCode: 5, stderr: 'Failed to start nosuch.service: Unit nosuch.service not found.\n'});
		// Masking works for any unit name, as in systemd; other unit types keep their suffix.
		expect(await sc(host, 'mask', 'apt-daily.timer')).toMatchObject({exitCode: 0, stderr: 'Created symlink /etc/systemd/system/apt-daily.timer → /dev/null.\n'});
		expect((await sc(host, 'is-enabled', 'apt-daily.timer')).stdout).toBe('masked\n');
	});

	it('status, enable and disable', async () => {
		const host = await open(file);
		const status = await sc(host, 'status', 'postfix', 'pmgmirror');
		expect(status.exitCode).toBe(3);
		expect(status.stdout).toContain('● postfix.service');
		expect(status.stdout).toContain('○ pmgmirror.service');
		expect(status.stdout).toContain('Active: inactive (dead)');
		expect(await sc(host, 'enable', 'pmgmirror')).toMatchObject({exitCode: 0, stderr: 'Created symlink /etc/systemd/system/multi-user.target.wants/pmgmirror.service → /lib/systemd/system/pmgmirror.service.\n'});
		expect((await sc(host, 'is-enabled', 'pmgmirror')).stdout).toBe('enabled\n');
		expect(await sc(host, 'disable', 'pmgmirror')).toMatchObject({exitCode: 0, stderr: 'Removed "/etc/systemd/system/multi-user.target.wants/pmgmirror.service".\n'});
	});

	it('an unknown systemctl verb is not simulated', async () => {
		const host = await open(file);
		expect((await sc(host, 'isolate', 'rescue.target')).exitCode).toBe(127);
	});

	it('reboot gives a new boot id, which stays until the next reboot', async () => {
		const host = await open(file);
		const first = await host.bootId();
		expect(first).toMatch(/^[0-9a-f-]{36}$/);
		expect(await host.bootId()).toBe(first);
		expect(await host.run({argv: ['reboot']})).toMatchObject({exitCode: 0, stdout: '', stderr: ''});
		const second = await host.bootId();
		expect(second).not.toBe(first);
		await host.run({argv: ['reboot']});
		expect(await host.bootId()).not.toBe(second);
	});

	it('cat and ls', async () => {
		const host = await open(scenario('files:\n  /etc/apt/sources.list: "deb x\\n"\n  /etc/apt/sources.list.d/a.list: "deb y\\n"\n'));
		expect(await host.run({argv: ['cat', '/etc/apt/sources.list']})).toMatchObject({exitCode: 0, stdout: 'deb x\n'});
		expect(await host.run({argv: ['cat', '/etc/none']})).toMatchObject({exitCode: 1, stderr: 'cat: /etc/none: No such file or directory\n'});
		expect(await host.run({argv: ['ls', '/etc/apt']})).toMatchObject({exitCode: 0, stdout: 'sources.list\nsources.list.d\n'});
		expect((await host.run({argv: ['ls', '/nope']})).exitCode).toBe(2);
	});
});

describe('files, disk, identity, clock', () => {
	const file = scenario(`files:
  /etc/apt/sources.list: "deb http://deb.debian.org/debian bookworm main\\n"
  /etc/apt/sources.list.d/pmg-enterprise.list: "deb https://enterprise.proxmox.com/debian/pmg bookworm pmg-enterprise\\n"
  /var/lib/pmg/backup/old.tgz: { content: "old", mtime: 2026-01-10T02:00:00Z, size: 3M }
`);

	it('reads, writes, removes and lists files; directories follow from the paths', async () => {
		const host = await open(file);
		expect(await host.readFile('/etc/apt/sources.list')).toContain('bookworm');
		expect(await host.readFile('/etc/nothing')).toBeNull();
		expect(await host.listDir('/etc/apt')).toEqual(['sources.list', 'sources.list.d']);
		expect(await host.listDir('/etc/apt/sources.list.d')).toEqual(['pmg-enterprise.list']);
		expect(await host.listDir('/etc/pmg/templates')).toEqual([]);
		expect(await host.stat('/etc/apt/sources.list.d')).toMatchObject({isFile: false, isDirectory: true});
		expect(await host.stat('/etc/nothing')).toBeNull();
		await expect(host.readFile('/etc/apt')).rejects.toThrow(/EISDIR/);

		await host.writeFile('/etc/apt/sources.list.d/proxmox.sources', 'Types: deb\n');
		await host.removeFile('/etc/apt/sources.list.d/pmg-enterprise.list');
		await host.removeFile('/etc/apt/sources.list.d/never-there.list');
		expect(await host.listDir('/etc/apt/sources.list.d/')).toEqual(['proxmox.sources']);
		await host.removeFile('/etc/apt/sources.list.d/proxmox.sources');
		// An emptied directory is still there.
		expect(await host.listDir('/etc/apt/sources.list.d')).toEqual([]);
		expect(await host.stat('/etc/apt/sources.list.d')).toMatchObject({isDirectory: true});
		await expect(host.writeFile('/etc/apt/sources.list/x', 'y')).rejects.toThrow(/ENOTDIR/);
	});

	it('stat: size and mtime from the scenario; written files are dated now; undated files a day before the start', async () => {
		const host = await open(file);
		expect(await host.stat('/var/lib/pmg/backup/old.tgz')).toEqual({size: 3 * 1024 ** 2, mtimeMs: Date.parse('2026-01-10T02:00:00Z'), isFile: true, isDirectory: false});
		const undated = await host.stat('/etc/apt/sources.list');
		expect(undated!.size).toBe(Buffer.byteLength('deb http://deb.debian.org/debian bookworm main\n'));
		expect(undated!.mtimeMs).toBe(host.now() - 24 * 3600 * 1000);
		await host.writeFile('/var/lib/pmg/backup/new.tgz', 'new');
		expect((await host.stat('/var/lib/pmg/backup/new.tgz'))!.mtimeMs).toBe(host.now());
	});

	it('diskSpace: the longest mount prefix; available = free', async () => {
		const host = await open(file);
		expect(await host.diskSpace('/')).toEqual({totalBytes: 32 * 1024 ** 3, availableBytes: 20 * 1024 ** 3, freeBytes: 20 * 1024 ** 3});
		expect((await host.diskSpace('/var/lib')).totalBytes).toBe(100 * 1024 ** 3);
		expect((await host.diskSpace('/var/lib/pmg/backup')).totalBytes).toBe(100 * 1024 ** 3);
		expect((await host.diskSpace('/var/library')).totalBytes).toBe(32 * 1024 ** 3);
		expect((await host.diskSpace('/var')).totalBytes).toBe(32 * 1024 ** 3);
	});

	it('identity, label, env', async () => {
		const host = await open(file);
		expect(host.kind).toBe('simulated');
		expect(host.label).toBe('sim1.example.lan (simulated)');
		expect(await host.identity()).toEqual({uid: 0, user: 'root', hostname: 'sim1.example.lan'});
		const env = host.env();
		env.LANG = 'changed';
		expect(host.env()).toEqual({LANG: 'C.UTF-8'});
	});

	it('the clock starts at the real time and advances with durations only', async () => {
		const before = Date.now();
		const host = await open(scenario("commands:\n  - { match: '^wait$', duration: 90 }\n"));
		expect(host.now()).toBeGreaterThanOrEqual(before);
		expect(host.now()).toBeLessThanOrEqual(Date.now());
		const t = host.now();
		await host.run({argv: ['wait']});
		expect(host.now()).toBe(t + 90_000);
	});
});

describe('state file', () => {
	const file = scenario(`files:
  /etc/apt/sources.list: "deb http://deb.debian.org/debian bookworm main\\n"
  /etc/remove-me: "x"
commands:
  - match: '^pmgbackup backup$'
    duration: 5
    effects:
      - write: { path: /var/lib/pmg/backup/b.tgz, content: "b" }
      - free: { mount: /, free: -1G }
`);

	it('keeps written and removed files, services, disk figures, boot id and clock across two opens', async () => {
		const stateFile = path.join(dir, 'state', 'nested', 'host.json');
		const first = await open(file, stateFile);
		await first.writeFile('/etc/apt/sources.list', 'deb http://deb.debian.org/debian trixie main\n', 0o600);
		await first.removeFile('/etc/remove-me');
		await first.run({argv: ['pmgbackup', 'backup']});
		await first.run({argv: ['systemctl', 'stop', 'postfix']});
		await first.run({argv: ['systemctl', 'mask', 'postfix']});
		await first.run({argv: ['reboot']});
		const bootId = await first.bootId();
		const clock = first.now();
		const backup = await first.stat('/var/lib/pmg/backup/b.tgz');

		const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as {format: string; bootId: string};
		expect(saved.format).toBe('mail-upgrade-wizard simulated host');
		expect(saved.bootId).toBe(bootId);

		const second = await open(file, stateFile);
		expect(await second.readFile('/etc/apt/sources.list')).toContain('trixie');
		expect(await second.readFile('/etc/remove-me')).toBeNull();
		expect(await second.stat('/var/lib/pmg/backup/b.tgz')).toEqual(backup);
		expect(second.serviceState('postfix')).toEqual({active: false, enabled: true, masked: true});
		expect(second.serviceState('pmgproxy')?.active).toBe(true);
		expect((await second.diskSpace('/')).availableBytes).toBe(19 * 1024 ** 3);
		expect(await second.bootId()).toBe(bootId);
		expect(second.now()).toBe(clock);
		expect((await second.run({argv: ['systemctl', 'start', 'postfix']})).exitCode).toBe(1);
	});

	it('a fresh open writes the state file at once; without a state file nothing is kept', async () => {
		const stateFile = path.join(dir, 'fresh.json');
		const host = await open(file, stateFile);
		expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toMatchObject({bootId: await host.bootId(), files: {}});
		const memory = await open(file);
		await memory.writeFile('/etc/x', 'y');
		expect(await (await open(file)).readFile('/etc/x')).toBeNull();
	});

	it('a state file that is not one is reported, not overwritten', async () => {
		const stateFile = path.join(dir, 'broken.json');
		writeFileSync(stateFile, '{"format": "something else"}');
		await expect(open(file, stateFile)).rejects.toThrow(/broken\.json: the simulated host's saved state cannot be used \(not a simulated host state file\)/);
		writeFileSync(stateFile, '{ half');
		await expect(open(file, stateFile)).rejects.toThrow(/not JSON/);
		expect(readFileSync(stateFile, 'utf8')).toBe('{ half');
	});

	it('saves atomically: no temporary files are left next to the state file', async () => {
		const folder = path.join(dir, 'atomic');
		const host = await open(file, path.join(folder, 'host.json'));
		await Promise.all([host.writeFile('/a', '1'), host.writeFile('/b', '2'), host.run({argv: ['reboot']})]);
		const {readdirSync} = await import('node:fs');
		expect(readdirSync(folder)).toEqual(['host.json']);
		const again = await open(file, path.join(folder, 'host.json'));
		expect(await again.readFile('/a')).toBe('1');
		expect(await again.readFile('/b')).toBe('2');
		expect(await again.bootId()).toBe(await host.bootId());
	});
});

describe('docs/scenarios.md', () => {
	it('its complete small example loads and behaves as the text says', async () => {
		const text = readFileSync(path.resolve('docs/scenarios.md'), 'utf8');
		const example = /## A complete small example\n\n```yaml\n([\s\S]*?)```/.exec(text)?.[1];
		expect(example).toBeDefined();
		const host = await open(scenario(example!, ''));
		expect((await host.run({argv: ['pmgversion', '-v']})).stdout).toContain('pmg-api: 8.2.7');
		const upgrade = await host.run({argv: ['apt', 'dist-upgrade']});
		expect(upgrade.exitCode).toBe(0);
		expect((await host.run({argv: ['pmgversion', '-v']})).stdout).toContain('pmg-api: 8.2.8');
		expect((await host.diskSpace('/')).availableBytes).toBe(20 * 1024 ** 3 - 200 * 1024 ** 2);
		expect(await host.run({argv: ['systemctl', 'stop', 'postfix']})).toMatchObject({exitCode: 0});
		expect((await host.run({argv: ['systemctl', 'is-active', 'postfix']})).stdout).toBe('inactive\n');
		expect(await host.run({argv: ['pmgfoo', '-x']})).toMatchObject({
			exitCode: 127,
			stderr: 'pmgfoo: not simulated in scenario Tiny PMG host that upgrades its version (no commands[] entry matches "pmgfoo -x")\n',
		});
		expect(await host.stat('/var/lib/pmg/backup/pmg-backup_2026_08_09_6A77DF20.tgz')).toMatchObject({size: Math.floor(2.3 * 1024 ** 2)});
	});
});
