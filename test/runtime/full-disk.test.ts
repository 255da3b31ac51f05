import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {build} from 'esbuild';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {EXIT} from '../../source/products.ts';

/*
 * A full disk and a read-only file system, for real: a tmpfs of 1 MiB (or
 * mounted read-only) in a mount namespace of its own (unshare -m), so
 * nothing outside the test sees it. The saved place and the transcript are
 * the wizard's own (test/fixtures/full-disk-probe.ts, bundled with esbuild).
 */

/** Root and unshare: a mount namespace of the test's own. */
const canUseNamespace = process.getuid?.() === 0 && existsSync('/usr/bin/unshare');

const work = mkdtempSync(path.join(os.tmpdir(), 'muw-full-disk-'));
const probe = path.join(work, 'probe.mjs');
afterAll(() => rmSync(work, {recursive: true, force: true}));

beforeAll(async () => {
	if (!canUseNamespace) return;
	await build({entryPoints: ['test/fixtures/full-disk-probe.ts'], outfile: probe, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning', banner: {js: "import {createRequire} from 'node:module'; const require = createRequire(import.meta.url);"}});
});

/** `command` in a mount namespace where `dir` is a fresh tmpfs mounted with `options`. */
const onTmpfs = (dir: string, options: string, command: string) => {
	mkdirSync(dir, {recursive: true});
	return spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs -o ${options} tmpfs '${dir}' && ${command}`], {encoding: 'utf8', timeout: 30_000});
};

describe.skipIf(!canUseNamespace)('a full disk while a step runs (needs root and unshare)', () => {
	it('leaves no .state.json/.host.json temp file, keeps the last saved place, and the transcript says what it missed once space is back', () => {
		const dir = path.join(work, 'full');
		const result = onTmpfs(dir, 'size=1m', `'${process.execPath}' '${probe}' full '${dir}'`);
		expect(result.stderr).toBe('');
		const out = JSON.parse(result.stdout) as {failures: string[]; whileFull: string[]; after: string[]; saved: {step: string}; transcript: string};
		expect(out.failures).toEqual(expect.arrayContaining(['transcript: ENOSPC', 'state: ENOSPC', 'host: ENOSPC']));
		for (const listing of [out.whileFull, out.after]) expect(listing.filter(n => n.endsWith('.tmp'))).toEqual([]);
		expect(out.saved).toEqual({step: 'before'});
		const lines = out.transcript.split('\n');
		expect(lines[0]).toMatch(/ run: apt dist-upgrade$/);
		expect(lines[1]).toBe('| Reading package lists...');
		// The note on what is missing, on a line of its own, before what came after the space was back.
		const note = lines.findIndex(l => / transcript: \d+ bytes \(\d+ lines\) between \S+ and \S+ could not be written \(ENOSPC: no space left on device, write\): the output, exit statuses and decisions of that time are missing above$/.test(l));
		expect(note, out.transcript.slice(-600)).toBeGreaterThan(1);
		expect(lines[note]).toMatch(/^# /);
		expect(lines[note + 1]).toMatch(/^# \S+ step passed: upgrade$/);
	});
});

describe.skipIf(!canUseNamespace)('a state directory on a read-only file system (needs root and unshare)', () => {
	it('the error is EROFS, not ENOENT, for the saved place and the transcript', () => {
		const dir = path.join(work, 'ro');
		const result = onTmpfs(dir, 'ro,size=64k', `'${process.execPath}' '${probe}' readonly '${dir}'`);
		expect(result.stderr).toBe('');
		const out = JSON.parse(result.stdout) as Record<string, string>;
		expect(out.store).toMatch(/^EROFS: EROFS: read-only file system, mkdir '.*\/ro\/state'$/);
		expect(out.transcript).toBe('EROFS');
	});

	it('the wizard names it and what to do, exit status 4', () => {
		const dir = path.join(work, 'ro-cli');
		const wizard = `stty cols 80 rows 24; '${process.execPath}' '${path.resolve('dist/cli.js')}' pmg --simulate clean --state-dir '${dir}/state'`;
		const result = onTmpfs(dir, 'ro,size=64k', `script -qfec "${wizard.replace(/"/g, '\\"')}" /dev/null; echo "exit=$?"`);
		expect(result.stdout).toContain('EROFS: read-only file system');
		expect(result.stdout).not.toContain('ENOENT');
		expect(result.stdout).toContain('mounted read-only: choose a directory on a writable one with --state-dir');
		expect(result.stdout).toMatch(new RegExp(`exit=${EXIT.state}`));
	});
});
