import {execFileSync, spawnSync} from 'node:child_process';
import path from 'node:path';
import {describe, expect, it} from 'vitest';

/*
 * The man page and the bash completion that `npm run build` writes
 * (dist/upgrade-wizard.1, dist/upgrade-wizard.bash): the page renders with
 * man-db and names every option each command's --help names; the completion,
 * sourced in bash, completes commands, options and scenario names.
 */

const cli = path.resolve('dist/cli.js');
const page = path.resolve('dist/upgrade-wizard.1');
const completion = path.resolve('dist/upgrade-wizard.bash');

const help = (...args: string[]) => execFileSync(process.execPath, [cli, ...args, '--help'], {encoding: 'utf8'});
/** The options a help text lists: its rows that begin with an option. */
const optionsIn = (text: string) => [...text.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map(m => m[1]!);

const rendered = () => {
	const result = spawnSync('man', ['--warnings', '-E', 'UTF-8', '-l', page], {encoding: 'utf8', env: {...process.env, MANWIDTH: '80', MAN_KEEP_FORMATTING: '', PAGER: 'cat'}});
	return {status: result.status, stdout: result.stdout.replace(/.\x08/g, ''), stderr: result.stderr};
};

describe.runIf(spawnSync('man', ['--version']).status === 0)('the man page upgrade-wizard(1)', () => {
	it('renders with man -l and no warnings', () => {
		const {status, stdout, stderr} = rendered();
		expect(status).toBe(0);
		expect(stderr).toBe('');
		expect(stdout).toMatch(/^UPGRADE-WIZARD\(1\) +User Commands/);
		for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'PRODUCTS', 'COMMANDS', 'OPTIONS', 'KEYS', 'EXIT STATUS', 'FILES', 'ENVIRONMENT']) expect(stdout).toMatch(new RegExp(`^${section}$`, 'm'));
	});

	it.each([[[]], [['check']], [['docs']], [['train']]])('names every option of %j --help', args => {
		const options = optionsIn(help(...args));
		expect(options.length).toBeGreaterThan(2);
		const {stdout} = rendered();
		for (const option of options) expect(stdout).toContain(option);
	});

	it('names the products, every exit status, the files under /var/lib and /var/log and the environment', () => {
		const {stdout} = rendered();
		for (const word of ['pmg', 'vmm', 'puremessage', '/var/lib/upgrade-wizard/PRODUCT/', '/var/log/upgrade-wizard/PRODUCT.log', 'XDG_STATE_HOME', 'NO_COLOR']) expect(stdout).toContain(word);
		for (const code of ['0', '1', '2', '3', '4', '5', '6', '7', '8']) expect(stdout).toMatch(new RegExp(`^ {7}${code}\\b`, 'm'));
	});
});

/** What bash completes for the words after the program; the last one is the word being typed. */
function complete(...words: string[]): string[] {
	const script = `source ${JSON.stringify(completion)}
COMP_WORDS=(upgrade-wizard "$@"); COMP_CWORD=$#
_upgrade_wizard
printf '%s\\n' "\${COMPREPLY[@]}"`;
	const out = execFileSync('bash', ['--norc', '--noprofile', '-c', script, 'bash', ...words], {encoding: 'utf8', cwd: path.resolve('.')});
	return out.split('\n').filter(Boolean);
}

describe('the bash completion', () => {
	it('registers itself for upgrade-wizard', () => {
		expect(execFileSync('bash', ['--norc', '--noprofile', '-c', `source ${JSON.stringify(completion)}; complete -p upgrade-wizard`], {encoding: 'utf8'}).trim()).toBe(
			'complete -F _upgrade_wizard upgrade-wizard',
		);
	});

	it.each([
		[['ch'], ['check']],
		[['p'], ['pmg', 'puremessage']],
		[[''], ['pmg', 'vmm', 'puremessage', 'check', 'docs', 'train']],
		[['pmg', '--s'], ['--simulate', '--state-dir']],
		[['check', 'pmg', '--'], ['--json', '--simulate', '--deployment', '--ssh-config', '--help', '--version']],
		[['check', ''], ['pmg', 'vmm', 'puremessage']],
		[['pmg', '--simulate', 'low'], ['low-disk']],
		[['vmm', '--simulate', 'dove'], ['dovecot-1.1']],
		[['docs', 'pmg', '--o'], ['--out']],
		[['train', '--l'], ['--list']],
		[['train', 'low-d'], ['low-disk']],
	])('%j -> %j', (words, expected) => {
		expect(complete(...words)).toEqual(expected);
	});

	it('completes folders after --out and --state-dir', () => {
		expect(complete('docs', 'pmg', '--out', 'scen')).toEqual(['scenarios']);
		expect(complete('pmg', '--state-dir', 'scen')).toEqual(['scenarios']);
	});
});
