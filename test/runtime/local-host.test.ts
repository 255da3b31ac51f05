import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {LocalHost, writeFileAtomic} from '../../source/host/local-host.ts';
import {displayCommand} from '../../source/host/types.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-local-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));
const host = new LocalHost({PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', KEEP: 'kept'});

describe('LocalHost', () => {
	it('passes an operator path with spaces, quotes, $() and ; literally, never to a shell', async () => {
		const hostile = path.join(dir, `it's a "dir"; $(touch ${path.join(dir, 'pwned')}) \`id\``);
		const result = await host.run({argv: ['mkdir', '-p', hostile]});
		expect(result.exitCode).toBe(0);
		expect(statSync(hostile).isDirectory()).toBe(true);
		expect(() => statSync(path.join(dir, 'pwned'))).toThrow();
		const listed = await host.run({argv: ['ls', dir]});
		expect(listed.stdout).toContain(`it's a "dir"; $(touch`);
	});

	it('streams output line by line, stdout and stderr apart, and reports the exit status', async () => {
		const chunks: string[] = [];
		const result = await host.run(
			{argv: ['sh', '-c', 'echo one; echo two >&2; printf three; exit 3']},
			{onOutput: c => chunks.push(`${c.stream}:${c.text}`)},
		);
		expect(result.exitCode).toBe(3);
		expect(chunks).toEqual(expect.arrayContaining(['stdout:one', 'stderr:two', 'stdout:three']));
		expect(result.stdout).toBe('one\nthree');
	});

	it('says 127 for a program that does not exist', async () => {
		expect((await host.run({argv: ['no-such-program-here']})).exitCode).toBe(127);
	});

	it('removes and sets environment variables for one command only', async () => {
		const result = await host.run({argv: ['sh', '-c', 'echo "[$LANG][$KEEP][$NEW]"'], env: {LANG: null, NEW: 'x'}});
		expect(result.stdout.trim()).toBe('[][kept][x]');
		expect(displayCommand({argv: ['pg_upgradecluster', '-v', '17'], env: {LC_ALL: null, LANG: null}})).toBe('env -u LC_ALL -u LANG pg_upgradecluster -v 17');
		expect(displayCommand({argv: ['apt', 'policy'], env: {PAGER: 'cat'}})).toBe('env PAGER=cat apt policy');
	});

	it('keeps only a bounded tail of a bulk command in memory', async () => {
		let lines = 0;
		const result = await host.run({argv: ['seq', '1', '200000']}, {capture: 'tail', onOutput: () => lines++});
		expect(lines).toBe(200000);
		expect(result.stdout.length).toBeLessThanOrEqual(64 * 1024 + 8192);
		expect(result.stdout.trim().endsWith('200000')).toBe(true);
	});

	it('reads the file system figures from statfs', async () => {
		const space = await host.diskSpace(dir);
		expect(space.totalBytes).toBeGreaterThan(0);
		expect(space.availableBytes).toBeLessThanOrEqual(space.freeBytes);
	});

	it('writes atomically and keeps the mode of an existing file', async () => {
		const file = path.join(dir, 'sources.list');
		writeFileSync(file, 'old\n', {mode: 0o640});
		await writeFileAtomic(file, 'new\n');
		expect(readFileSync(file, 'utf8')).toBe('new\n');
		expect(statSync(file).mode & 0o777).toBe(0o640);
		expect(await host.readFile(path.join(dir, 'missing'))).toBeNull();
	});
});
