import {execFileSync, spawnSync} from 'node:child_process';
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {isAscii} from 'node:buffer';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

/*
 * dist/cli.js runs the bundle with the code cache `npm run build` makes
 * (source/launch.ts). The cache must be one V8 takes, and a cache that does
 * not fit, or none, must only cost time. Checked in a plain `node`, as an
 * operator starts it: vitest's own process may run with other V8 flags.
 */

const dist = path.resolve('dist');
const work = mkdtempSync(path.join(os.tmpdir(), 'muw-code-cache-'));
const probe = path.join(work, 'probe.js');
afterAll(() => rmSync(work, {recursive: true, force: true}));

beforeAll(() => {
	if (!existsSync(path.join(dist, 'wizard.cjs'))) throw new Error('dist/wizard.cjs is missing: npm test builds it first (npm run build)');
	execFileSync(process.execPath, ['source/build.mjs', 'test/fixtures/code-cache-probe.ts', probe]);
});

const cacheOf = (bundle: string, cache: string) => execFileSync(process.execPath, [probe, bundle, cache], {encoding: 'utf8'}).trim();

/** dist/ copied elsewhere, with `cache` as its code cache (null: none), and the scenarios beside it as in the repository. */
function copyOfDist(name: string, cache: Buffer | null): string {
	const dir = path.join(work, name, 'dist');
	mkdirSync(dir, {recursive: true});
	for (const file of ['cli.js', 'package.json', 'wizard.cjs']) copyFileSync(path.join(dist, file), path.join(dir, file));
	if (cache) writeFileSync(path.join(dir, 'wizard.cjs.cache'), cache);
	return dir;
}

const check = (cli: string) =>
	spawnSync(process.execPath, [cli, 'check', 'pmg', '--simulate', path.resolve('scenarios/pmg/clean.yaml')], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}});

describe('the code cache of the built CLI', () => {
	it('is one V8 takes for the bundle, in a plain node', () => {
		expect(cacheOf(path.join(dist, 'wizard.cjs'), path.join(dist, 'wizard.cjs.cache'))).toBe('used');
	});

	it('is made for an ASCII bundle, which the launcher reads without decoding UTF-8', () => {
		expect(isAscii(readFileSync(path.join(dist, 'wizard.cjs')))).toBe(true);
	});

	it('that does not fit is rejected, and the CLI works as with it', () => {
		const dir = copyOfDist('garbage', Buffer.from('not a code cache of this bundle\n'.repeat(100)));
		expect(cacheOf(path.join(dir, 'wizard.cjs'), path.join(dir, 'wizard.cjs.cache'))).toBe('rejected');
		const withCache = check(path.join(dist, 'cli.js'));
		const rejected = check(path.join(dir, 'cli.js'));
		// The clean host has pending 8.2 updates: a warning, exit 5; the report the same.
		expect(withCache.status).toBe(5);
		expect(rejected.status).toBe(5);
		expect(rejected.stderr).toBe('');
		expect(rejected.stdout).toBe(withCache.stdout);
	});

	it('that is missing costs nothing but time', () => {
		const dir = copyOfDist('none', null);
		expect(cacheOf(path.join(dir, 'wizard.cjs'), path.join(dir, 'wizard.cjs.cache'))).toBe('none');
		const result = spawnSync(process.execPath, [path.join(dir, 'cli.js'), '--help'], {encoding: 'utf8'});
		expect(result.status).toBe(0);
		expect(result.stdout).toMatch(/^upgrade-wizard: walks you through a major-version upgrade/);
	});
});
