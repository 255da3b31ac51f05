import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {LocalHost, writeFileAtomic} from '../../source/host/local-host.ts';
import {chunkLines, displayCommand} from '../../source/host/types.ts';

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

	it('streams output in whole lines, stdout and stderr apart, and reports the exit status', async () => {
		const lines: string[] = [];
		const result = await host.run(
			{argv: ['sh', '-c', 'echo one; echo two >&2; printf three; exit 3']},
			{onOutput: c => lines.push(...chunkLines(c).map(line => `${c.stream}:${line}`))},
		);
		expect(result.exitCode).toBe(3);
		expect(lines.filter(l => l.startsWith('stdout:'))).toEqual(['stdout:one', 'stdout:three']);
		expect(lines.filter(l => l.startsWith('stderr:'))).toEqual(['stderr:two']);
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

	it("hands on a bulk command's output many lines at a time, every line once and in order, and keeps only a bounded tail", async () => {
		let calls = 0;
		let expected = 1;
		let wrong = 0;
		const result = await host.run(
			{argv: ['seq', '1', '200000']},
			{
				capture: 'tail',
				onOutput: c => {
					calls++;
					for (const line of chunkLines(c)) if (line !== String(expected++)) wrong++;
				},
			},
		);
		expect(wrong).toBe(0);
		expect(expected - 1).toBe(200000);
		// 1.3 MB of output in pieces of up to 64 KB, not a call per line.
		expect(calls).toBeLessThan(1000);
		expect(Buffer.byteLength(result.stdout)).toBeLessThanOrEqual(64 * 1024);
		expect(result.stdout.endsWith('199999\n200000\n')).toBe(true);
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
