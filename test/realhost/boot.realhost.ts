import {mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {afterAll, describe, expect, it} from 'vitest';
import {cachedRoot, Container, hostBootId, requirements} from './container.ts';

/*
 * The container itself: it boots with systemd, and `systemctl reboot` inside
 * reboots it in place with the same root, a fresh /run and (as in LXC, the host
 * kernel's) the same boot id: which is why the wizard keeps a
 * marker under /run.
 */

let dir = '';
let container: Container | null = null;

afterAll(async () => {
	await container?.stop();
	if (dir) rmSync(dir, {recursive: true, force: true});
});

describe('the real-host container', () => {
	it('boots, and reboots in place on systemctl reboot', async () => {
		expect(requirements(), 'what this test needs').toEqual([]);
		const tarball = cachedRoot();
		dir = mkdtempSync(path.join(os.tmpdir(), 'realhost-boot-'));
		const root = path.join(dir, 'root');
		mkdirSync(root);
		execFileSync('tar', ['--numeric-owner', '-xf', tarball, '-C', root]);
		hostBootId(root);
		container = new Container(root, dir, `pmgboot${process.pid}`);
		await container.start();
		expect(container.exec(['cat', '/etc/debian_version'])).toMatch(/^12\./);
		const bootId = container.exec(['cat', '/proc/sys/kernel/random/boot_id']);
		expect(bootId).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'));
		container.exec(['sh', '-c', 'echo here > /run/boot-test; echo kept > /root/kept']);
		const leader = container.leader();

		container.exec(['systemctl', 'reboot'], {allowFail: true});
		await container.waitRebooted(1);
		expect(container.boots()).toBe(2);
		expect(container.leader()).not.toBe(leader);
		expect(container.exec(['cat', '/root/kept'])).toBe('kept\n');
		expect(container.run(['test', '-e', '/run/boot-test']).status).toBe(1);
		// As in LXC, the kernel's boot id is unchanged by the container's reboot.
		expect(container.exec(['cat', '/proc/sys/kernel/random/boot_id'])).toBe(bootId);
	});
});
