import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {escapeControls} from '../../source/probes/ansi.ts';
import {EXIT} from '../../source/products.ts';

/*
 * Input that used to get through (issue 17, section 4): a scenario of
 * another product, and control bytes from files and commands' errors
 * reaching the terminal raw. Through the built CLI, without a terminal.
 */

const cli = path.resolve('dist/cli.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-bad-input-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

const run = (...args: string[]) => {
	const result = spawnSync(process.execPath, [cli, ...args], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, HOME: dir, XDG_STATE_HOME: dir, NO_COLOR: '1'}});
	return {status: result.status, stdout: result.stdout, stderr: result.stderr};
};

/** Any control character a terminal would obey: everything below space but newline and tab, DEL, C1. */
const RAW_CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

describe('a scenario of another product', () => {
	it('the wizard refuses it at load: the file, the line of its product:, and the command that plays it', () => {
		const result = run('pmg', '--simulate', 'scenarios/vmm/clean.yaml');
		expect(result.status).toBe(EXIT.usage);
		expect(result.stderr.trim().split('\n')).toHaveLength(1);
		expect(result.stderr).toMatch(/^upgrade-wizard: \S+scenarios\/vmm\/clean\.yaml:10: product: vmm, a scenario of vmm, not of pmg — run it as: upgrade-wizard vmm --simulate scenarios\/vmm\/clean\.yaml$/m);
		// Refused before the terminal is asked for: no "needs a terminal".
		expect(result.stderr).not.toContain('terminal');
	});

	it('check refuses it too, and names the file the product comes from when the scenario extends it', () => {
		const vmm = run('check', 'pmg', '--simulate', 'scenarios/vmm/clean.yaml');
		expect(vmm.status).toBe(EXIT.usage);
		expect(vmm.stdout).toBe('');
		expect(vmm.stderr).toMatch(/^upgrade-wizard check: \S+scenarios\/vmm\/clean\.yaml:10: product: vmm, a scenario of vmm, not of pmg — run it as: upgrade-wizard check vmm --simulate scenarios\/vmm\/clean\.yaml$/m);
		const extended = run('check', 'vmm', '--simulate', 'scenarios/pmg/low-disk.yaml');
		expect(extended.status).toBe(EXIT.usage);
		expect(extended.stderr).toMatch(/low-disk\.yaml: product: pmg \(from \S+scenarios\/pmg\/clean\.yaml:12\), a scenario of pmg, not of vmm — run it as: upgrade-wizard check pmg --simulate scenarios\/pmg\/low-disk\.yaml$/m);
	});

	it('a scenario of the right product is still taken', () => {
		expect(run('check', 'vmm', '--simulate', 'scenarios/vmm/clean.yaml').status).toBe(EXIT.ok);
	});
});

describe('control bytes from files and commands are shown escaped, never sent raw', () => {
	it('escapeControls writes every control character but newline and tab as \\xHH', () => {
		expect(escapeControls('a\u001b[31mred\u0007\u0000\u007f\u009b\tb\nc')).toBe('a\\x1b[31mred\\x07\\x00\\x7f\\x9b\tb\nc');
		expect(escapeControls('plain — ünïcode')).toBe('plain — ünïcode');
	});

	it('a scenario key with ESC in it: the error quotes it escaped', () => {
		const file = path.join(dir, 'esc-key.yaml');
		writeFileSync(file, 'product: pmg\ntitle: x\nti\u001b[31mtle: y\n');
		for (const args of [['check', 'pmg', '--simulate', file], ['pmg', '--simulate', file]]) {
			const result = run(...args);
			expect(result.status).toBe(EXIT.usage);
			expect(result.stderr).toContain('unknown key "ti\\x1b[31mtle"');
			expect(result.stderr).not.toMatch(RAW_CONTROL);
		}
	});

	it("a binary file given as the scenario: its bytes are not echoed", () => {
		const file = path.join(dir, 'binary.yaml');
		writeFileSync(file, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x1b, 0x5b, 0x32, 0x4a, 0xc2, 0x9b, 0x31, 0x6d, 0x0a]));
		const result = run('check', 'pmg', '--simulate', file);
		expect(result.status).toBe(EXIT.usage);
		expect(result.stderr).toContain('\\x7fELF\\x02\\x01\\x00\\x1b[2J\\x9b1m');
		expect(result.stderr).not.toMatch(RAW_CONTROL);
	});

	it('a file name from the command line with ESC in it', () => {
		const result = run('check', 'pmg', '--simulate', path.join(dir, 'no\u001b]0;owned\u0007such.yaml'));
		expect(result.status).toBe(EXIT.usage);
		expect(result.stderr).toContain('no\\x1b]0;owned\\x07such.yaml does not exist');
		expect(result.stderr).not.toMatch(RAW_CONTROL);
	});

	it("the check's text report quotes a repository line with ESC in it escaped; --json keeps it as JSON escapes", () => {
		const file = path.join(dir, 'esc-sources.yaml');
		writeFileSync(file, `extends: ${path.resolve('scenarios/pmg/clean.yaml')}\ntitle: esc\nfiles:\n  /etc/apt/sources.list.d/odd.list: "deb http://deb.debian.org/debian bookworm\\e[31m main\\n"\n`);
		const text = run('check', 'pmg', '--simulate', file);
		expect(text.stdout).toContain('bookworm\\x1b[31m');
		expect(text.stdout).not.toMatch(RAW_CONTROL);
		const json = run('check', 'pmg', '--simulate', file, '--json');
		expect(json.stdout).not.toMatch(RAW_CONTROL);
		expect(JSON.stringify(JSON.parse(json.stdout))).toContain('bookworm\\u001b[31m');
	});
});

/** The program on a pseudo-terminal (script(1)), with every byte it writes to it. */
const onTerminal = (env: Record<string, string>, ...args: string[]) => {
	const line = ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, cli, ...args].map(a => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
	const result = spawnSync('script', ['-qfec', line, '/dev/null'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000, env: {...process.env, HOME: dir, XDG_STATE_HOME: dir}});
	return {status: result.status, output: result.stdout};
};

describe('TERM=dumb: nothing that moves the cursor', () => {
	it('the wizard does not start: it says why and what to do, exit status 3, with no escape sequence at all', () => {
		const result = onTerminal({TERM: 'dumb'}, 'pmg', '--simulate', 'clean');
		expect(result.status).toBe(EXIT.notTerminal);
		expect(result.output).toContain('TERM=dumb: this terminal cannot move the cursor');
		expect(result.output).toContain('upgrade-wizard check pmg');
		expect(result.output).not.toContain('\u001b');
	});

	it('train lists the scenarios as text instead of drawing its picker; check prints its report plainly', () => {
		const train = onTerminal({TERM: 'dumb'}, 'train');
		expect(train.status).toBe(EXIT.ok);
		expect(train.output).toContain('Start one with: upgrade-wizard train NAME');
		expect(train.output).not.toContain('\u001b');
		const check = onTerminal({TERM: 'dumb'}, 'check', 'pmg', '--simulate', 'upgraded');
		expect(check.status).toBe(EXIT.ok);
		expect(check.output).not.toContain('\u001b');
	});

	it('on a terminal that can (TERM=linux) the wizard still starts and draws', () => {
		// At 80x24; the first screen is enough, the timeout ends it.
		const result = spawnSync('script', ['-qfec', `stty cols 80 rows 24; env TERM=linux '${process.execPath}' '${cli}' pmg --simulate clean`, '/dev/null'], {encoding: 'utf8', input: '', timeout: 4000, env: {...process.env, HOME: dir, XDG_STATE_HOME: dir}});
		expect(result.stdout).toContain('\u001b[');
		expect(result.stdout).toContain('Preconditions');
	});
});
