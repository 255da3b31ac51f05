import {spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
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
		// Every command parses the same way, and says the same way what is wrong and where the help is.
		[['pmg', '--simualte', 'clean'], /^upgrade-wizard: unknown option --simualte \(did you mean --simulate\?\)\. See upgrade-wizard --help\.$/],
		[['pmg', '--dry-run=yes'], /^upgrade-wizard: --dry-run takes no value \(got --dry-run=yes\)/],
		[['pmg', '--simulate', '--dry-run'], /^upgrade-wizard: --simulate needs a value \(SCENARIO\), e\.g\. --simulate low-disk/],
		[['pmg', 'vmm'], /^upgrade-wizard: one product at a time: got pmg and vmm/],
		[['pgm'], /^upgrade-wizard: unknown product "pgm" \(did you mean pmg\?\)\. Available: pmg, vmm, puremessage\. See upgrade-wizard --help\.$/],
		[['chek', 'pmg'], /^upgrade-wizard: unknown product "chek" \(did you mean check\?\)/],
		[['vmm', '--deployment', 'd.yaml'], /^upgrade-wizard: --deployment is for upgrade-wizard puremessage/],
		[['-x'], /^upgrade-wizard: unknown option -x\. See upgrade-wizard --help\.$/],
		[['check'], /^upgrade-wizard check: name the product, e\.g\. upgrade-wizard check pmg\. Products with a check: pmg, vmm, puremessage\. See upgrade-wizard check --help\.$/],
		[['check', 'pgm'], /^upgrade-wizard check: unknown product "pgm" \(did you mean pmg\?\)\. Products with a check: pmg/],
		[['check', 'vmn'], /^upgrade-wizard check: unknown product "vmn".*vmm/],
		[['check', 'pmg', 'pmg'], /^upgrade-wizard check: one product at a time/],
		[['check', 'pmg', '--jsn'], /^upgrade-wizard check: unknown option --jsn \(did you mean --json\?\)\. See upgrade-wizard check --help\.$/],
		[['check', 'pmg', '--json=1'], /^upgrade-wizard check: --json takes no value/],
		[['check', 'pmg', '--simulate'], /^upgrade-wizard check: --simulate needs a value \(SCENARIO\)/],
		[['check', 'pmg', '--simulate', 'nosuch'], /^upgrade-wizard check: no bundled scenario "nosuch" for pmg/],
		[['docs'], /^upgrade-wizard docs: name the product, e\.g\. upgrade-wizard docs pmg --out docs\/pmg/],
		[['docs', 'vmn', '--out', 'x'], /^upgrade-wizard docs: unknown product "vmn" \(did you mean vmm\?\)/],
		[['docs', 'pmg'], /^upgrade-wizard docs: say where the files go: upgrade-wizard docs pmg --out DIR\. See upgrade-wizard docs --help\.$/],
		[['docs', 'pmg', '--out'], /^upgrade-wizard docs: --out needs a value \(DIR\), e\.g\. --out docs\/pmg/],
		[['docs', 'pmg', '--ot', 'x'], /^upgrade-wizard docs: unknown option --ot \(did you mean --out\?\)/],
		[['train', '--lst'], /^upgrade-wizard train: unknown option --lst \(did you mean --list\?\)\. See upgrade-wizard train --help\.$/],
		[['train', 'low-disk', 'clean'], /^upgrade-wizard train: one scenario at a time: got low-disk and clean/],
		[['train', 'low-disk', '--scenario', 'x.yaml'], /^upgrade-wizard train: give a scenario name or --scenario FILE, not both/],
		[['train', '--state-dir'], /^upgrade-wizard train: --state-dir needs a value \(DIR\)/],
		[['train', 'lowdisk'], /^upgrade-wizard train: no training scenario "lowdisk" \(did you mean low-disk\?\)/],
	])('%j: exit 2 and says what is wrong', (args, message) => {
		const {status, stderr, stdout} = run(...(args as string[]));
		expect(status).toBe(2);
		expect(stderr.trim()).toMatch(message);
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

	it('--help names every command with a line of its own, and where their options are', () => {
		const {stdout} = run('--help');
		for (const command of ['check', 'docs', 'train']) expect(stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
		expect(stdout).toContain('upgrade-wizard <command> --help');
		expect(stdout.split('\n').every(l => l.length <= 80)).toBe(true);
	});

	it.each([
		[['--help'], ['--simulate SCENARIO', '--dry-run', '--state-dir DIR', '--reset', '--deployment FILE', '--help', '--version']],
		[['pmg', '-h'], ['--simulate SCENARIO', '--dry-run', '--state-dir DIR', '--reset', '--deployment FILE']],
		[['check', '--help'], ['--json', '--simulate SCENARIO', '--help', '--version']],
		[['docs', '--help'], ['--out DIR', '--help', '--version']],
		[['train', '-h'], ['--list', '--scenario FILE', '--reset', '--state-dir DIR', '--help', '--version']],
	])('%j lists every option of the command, exit 0', (args, options) => {
		const {status, stdout, stderr} = run(...args);
		expect(status).toBe(0);
		expect(stderr).toBe('');
		for (const option of options) expect(stdout).toMatch(new RegExp(`^  (-\\w, )?${option.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}  `, 'm'));
	});

	const version = (JSON.parse(readFileSync('package.json', 'utf8')) as {version: string}).version;
	it.each([[['--version']], [['-V']], [['pmg', '--version']], [['check', '-V']], [['docs', '--version']], [['train', '-V']], [['nosuch', '--version']]])(
		'%j: the version of package.json and the commit it was built from, exit 0',
		args => {
			const {status, stdout, stderr} = run(...args);
			expect(status).toBe(0);
			expect(stderr).toBe('');
			// The build runs in a git checkout here: the commit is known, and no path of the build machine shows.
			expect(stdout).toMatch(new RegExp(`^upgrade-wizard ${version.replaceAll('.', '\\.')} \\(commit [0-9a-f]{12}(-dirty)?\\)\n$`));
		},
	);

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
