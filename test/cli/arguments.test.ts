import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';

/*
 * Bad input to the built CLI: each gives one line that says what is wrong
 * and what to do, and the documented exit status. No terminal here (stdin
 * is not a TTY), which is itself one of the cases.
 */

const cli = path.resolve('dist/cli.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-args-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

const run = (...args: string[]) => {
	const result = spawnSync(process.execPath, [cli, ...args], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, HOME: dir}});
	return {status: result.status, stdout: result.stdout, stderr: result.stderr};
};

describe('the command line', () => {
	it.each([
		[[], /name the product to upgrade, e\.g\. upgrade-wizard pmg/],
		[['postfix'], /unknown product "postfix"\. Available: pmg, vmm, puremessage/],
		// Names every object has (Object.prototype's) are no product or command either.
		[['constructor'], /unknown product "constructor"\. Available: pmg, vmm, puremessage/],
		[['check', 'toString'], /check: unknown product "toString"\. Products with a check: pmg/],
		[['docs', '__proto__'], /docs: unknown product "__proto__"\. Available: pmg, vmm, puremessage/],
		[['vmm', '--simulate', 'nosuch'], /no bundled scenario "nosuch" for vmm\. Bundled: clean, dovecot-1\.1, from-0\.6\.0/],
		[['pmg', '--bogus'], /unknown option --bogus\. See upgrade-wizard --help/],
		[['pmg', '--simulate'], /--simulate needs a value/],
		[['pmg', '--simulate', 'nosuch'], /no bundled scenario "nosuch" for pmg\. Bundled: .*clean.*low-disk/],
		[['pmg', '--simulate', path.join('missing', 'file.yaml')], /scenario file missing\/file\.yaml does not exist/],
	])('%j: exit 2 and says what is wrong', (args, message) => {
		const {status, stderr, stdout} = run(...(args as string[]));
		expect(status).toBe(2);
		expect(stderr).toMatch(message);
		expect(stderr.trim().split('\n')).toHaveLength(1);
		expect(stdout).toBe('');
	});

	it('without a terminal: exit 3, and says where to run it', () => {
		const {status, stderr} = run('pmg');
		expect(status).toBe(3);
		expect(stderr).toContain('the wizard needs a terminal');
	});

	it('--help: the usage, the products and the keys, exit 0', () => {
		const {status, stdout} = run('--help');
		expect(status).toBe(0);
		expect(stdout).toContain('upgrade-wizard pmg [--simulate SCENARIO]');
		expect(stdout).toContain('q leave');
	});

	it('a bundled scenario name that is a path is read as a file, spaces and all', () => {
		const file = path.join(dir, 'my scenario; $(rm -rf x).yaml');
		writeFileSync(file, 'extends: clean.yaml\ntitle: Mine\n');
		// Found and read (its error names the file as given), never handed to a shell.
		const {status, stderr} = run('pmg', '--simulate', file);
		expect(stderr).toContain(file);
		expect([2, 3]).toContain(status);
	});

	it.each([
		['a YAML error', 'product: pmg\nfiles: [unclosed\n', /:3: YAML syntax error/],
		['an unknown key', 'product: pmg\nfilez: {}\n', /:2: filez: unknown key "filez" — did you mean "files"\?/],
		['a missing field', 'product: pmg\n', /:1: title: missing required field/],
		[
			'a bad regular expression',
			'product: pmg\ntitle: T\ndescription: D\ndifficulty: easy\nhost: {hostname: h}\ncommands:\n  - match: "([a-"\n    stdout: x\n',
			/:7: commands\[0\]\.match: invalid regular expression/,
		],
	])('a scenario file with %s: exit 2, the file, line and field named', (_what, text, detail) => {
		const file = path.join(dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
		writeFileSync(file, text);
		const {status, stderr} = run('pmg', '--simulate', file);
		expect(status).toBe(2);
		expect(stderr).toContain(file);
		expect(stderr).toMatch(detail);
	});
});
