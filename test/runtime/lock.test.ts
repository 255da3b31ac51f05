import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {acquireLock, LockedError} from '../../source/runtime/lock.ts';

/*
 * Two real processes: one holds the lock, the other is refused with its pid;
 * once the holder is killed (SIGKILL: no chance to clean up), the lock is
 * taken over and the takeover is reported.
 */

const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-lock-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

/** A process that writes the lock file as the wizard would, then sleeps. */
function holder(): Promise<ChildProcess> {
	const child = spawn(process.execPath, ['-e', `require('node:fs').writeFileSync(${JSON.stringify(path.join(dir, 'lock'))}, process.pid + '\\n', {flag: 'wx'}); console.log('held'); setInterval(() => {}, 1000);`], {stdio: ['ignore', 'pipe', 'inherit']});
	return new Promise((resolve, reject) => {
		child.stdout!.once('data', () => resolve(child));
		child.once('exit', code => reject(new Error(`holder exited ${code}`)));
	});
}

describe('one wizard at a time', () => {
	it('refuses while another live process holds the lock, naming its pid, and takes over a dead one', async () => {
		const first = await holder();
		try {
			const refused = await acquireLock(dir).then(
				() => null,
				(error: unknown) => error,
			);
			expect(refused).toBeInstanceOf(LockedError);
			expect((refused as LockedError).pid).toBe(first.pid);
			expect((refused as Error).message).toContain(`another wizard (pid ${first.pid}) is running`);
			expect(readFileSync(path.join(dir, 'lock'), 'utf8').trim()).toBe(String(first.pid));
		} finally {
			first.kill('SIGKILL');
			await new Promise(resolve => first.once('exit', resolve));
		}
		const lock = await acquireLock(dir);
		expect(lock.tookOverFrom).toBe(first.pid);
		expect(readFileSync(path.join(dir, 'lock'), 'utf8').trim()).toBe(String(process.pid));
		await lock.release();
		expect(existsSync(path.join(dir, 'lock'))).toBe(false);
	});

	it('release leaves a lock that another process took meanwhile', async () => {
		const lock = await acquireLock(dir);
		// Someone removed ours and took it (e.g. after deciding ours was stale).
		rmSync(path.join(dir, 'lock'));
		const other = spawnSync(process.execPath, ['-e', `require('node:fs').writeFileSync(${JSON.stringify(path.join(dir, 'lock'))}, '1\\n')`]);
		expect(other.status).toBe(0);
		await lock.release();
		expect(readFileSync(path.join(dir, 'lock'), 'utf8')).toBe('1\n');
		rmSync(path.join(dir, 'lock'));
	});
});
