import {spawn, spawnSync} from 'node:child_process';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {freePort, startSshd, type SshdSet} from '../host/sshd.ts';

/*
 * The fleet playbook (source/ansible/fleet-check.yml) run by Debian's real
 * ansible-playbook, one run for all, against gateways that are real sshd servers on
 * 127.0.0.1 (test/host/sshd.ts), each checking a different simulated PMG
 * host through the wizard's own `check pmg --json`:
 *   gw-ready   a scenario with nothing to act on; gets the executable copied
 *              to its own /opt (a directory of the test bound over /opt),
 *              named by a path relative to where ansible-playbook runs
 *   gw-warn    the bundled clean scenario: a WARN (pending updates)
 *   gw-fail    the bundled old-version scenario: a FAIL (PMG version)
 *   gw-broken  a scenario file with a mistake: the wizard exits 2, no report
 *   gw-gone    a port where nothing listens: unreachable
 * The test compares the fleet report with what the wizard itself reports
 * for each scenario, and reads the play's exit status and recap. At the same
 * time the rolling example (source/ansible/rolling-upgrade.yml, serial: 1)
 * runs on three of the same servers as a cluster whose second node fails.
 */

const ANSIBLE = '/usr/bin/ansible-playbook';
const PLAYBOOK = path.resolve('source/ansible/fleet-check.yml');
const ROLLING = path.resolve('source/ansible/rolling-upgrade.yml');
const LEVELS = ['PASS', 'INFO', 'SKIP', 'NOTICE', 'WARN', 'FAIL'] as const;
type Finding = {key: string; severity: string; title: string; detail: string; remediation: {hint: string; command: string | null} | null};
type Report = {host: string; status: number; counts: Record<string, number>; findings: Finding[]};

let dir = '';
let sshd: SshdSet | undefined;
let play = {status: -1 as number | null, output: ''};
let rolling = {status: -1 as number | null, output: ''};
let opt = '';
let wrapper = '';
let markdown = '';
let html = '';
const scenario: Record<string, string> = {};
const expected: Record<string, Report> = {};

/** What the wizard reports for a scenario when run directly, without Ansible. */
const direct = (simulate: string): Report => {
	const result = spawnSync(process.execPath, [path.resolve('dist/cli.js'), 'check', 'pmg', '--simulate', simulate, '--json'], {encoding: 'utf8'});
	return JSON.parse(result.stdout) as Report;
};

/** A play, stopped after two minutes: a hanging ssh must not outlive the test. */
const run = (command: string, args: string[], options: {cwd: string; env: NodeJS.ProcessEnv}) =>
	new Promise<{status: number | null; output: string}>((resolve, reject) => {
		const child = spawn(command, args, {...options, stdio: ['ignore', 'pipe', 'pipe']});
		let output = '';
		const timer = setTimeout(() => {
			output += '\n(stopped by the test after 120 s)\n';
			child.kill('SIGTERM');
		}, 120_000);
		child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
		child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
		child.on('error', reject);
		child.on('close', status => {
			clearTimeout(timer);
			resolve({status, output});
		});
	});

/** The table rows of the Markdown report, each split into its cells. */
const mdRows = (text: string) =>
	text
		.split('\n')
		.filter(line => line.startsWith('| ') && !line.startsWith('| Host') && !line.startsWith('| ---'))
		.map(line => line.slice(2, -2).split(/(?<!\\) \| /));

/** The <tr> rows of the HTML report's body: class and the cells' inner HTML. */
const htmlRows = (text: string) =>
	[...text.matchAll(/<tr class="(\w+)">(.*?)<\/tr>/g)].map(m => ({state: m[1]!, cells: [...m[2]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map(c => c[1]!)}));

beforeAll(async () => {
	if (!existsSync(ANSIBLE)) throw new Error(`${ANSIBLE} is missing: install Debian's ansible (apt-get install -y ansible) to run the fleet test`);
	dir = mkdtempSync(path.join(os.tmpdir(), 'muw-ansible-'));
	// The "installed" wizard: node running this build's dist/cli.js.
	wrapper = path.join(dir, 'upgrade-wizard');
	writeFileSync(wrapper, `#!/bin/sh\nexec ${process.execPath} ${path.resolve('dist/cli.js')} "$@"\n`);
	chmodSync(wrapper, 0o755);
	// Ready: the clean host with the 8.2 updates already installed.
	scenario.ready = path.join(dir, 'ready.yaml');
	writeFileSync(
		scenario.ready,
		[
			`extends: ${path.resolve('scenarios/pmg/clean.yaml')}`,
			'title: PMG 8.2 host, up to date',
			'difficulty: easy',
			'description: Nothing to act on before the upgrade.',
			'commands:',
			"  - match: '^apt list --upgradable$'",
			'    stdout: "Listing...\\n"',
			'',
		].join('\n'),
	);
	scenario.warn = 'clean';
	scenario.fail = 'old-version';
	// A trainer's mistake: the wizard refuses the file and says why, quoting it.
	scenario.broken = path.join(dir, 'broken.yaml');
	writeFileSync(scenario.broken, `extends: ${path.resolve('scenarios/pmg/clean.yaml')}\ntitle: broken\ndifficulty: easy\ndescription: x\nhost:\n  hostname: "gw<1>&co"\n`);
	for (const name of ['ready', 'warn', 'fail']) expected[name] = direct(scenario[name]!);
	// The scenarios are what the test says they are.
	expect([expected.ready!.status, expected.warn!.status, expected.fail!.status]).toEqual([0, 5, 6]);

	opt = path.join(dir, 'ready-opt');
	mkdirSync(opt);
	sshd = await startSshd([{hostname: 'gw-ready.test', binds: {'/opt': opt}}, {hostname: 'gw-warn.test'}, {hostname: 'gw-fail.test'}], 'fleet-ansible');
	const closed = await freePort();
	const [ready, warn, fail] = sshd.ports;
	const common = [
		'  vars:',
		'    ansible_host: 127.0.0.1',
		'    ansible_user: root',
		`    ansible_ssh_private_key_file: ${sshd.key}`,
		`    ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=${path.join(dir, 'known_hosts')} -o ConnectTimeout=5`,
		'    ansible_python_interpreter: /usr/bin/python3',
		`    upgrade_wizard_command: ${wrapper}`,
		'  hosts:',
	];
	const inventory = path.join(dir, 'inventory.yml');
	writeFileSync(
		inventory,
		[
			'all:',
			...common,
			`    gw-ready: {ansible_port: ${ready}, upgrade_wizard_simulate: ${scenario.ready}, upgrade_wizard_executable: ../upgrade-wizard, upgrade_wizard_install_path: /opt/upgrade-wizard}`,
			`    gw-warn: {ansible_port: ${warn}, upgrade_wizard_simulate: ${scenario.warn}}`,
			`    gw-fail: {ansible_port: ${fail}, upgrade_wizard_simulate: ${scenario.fail}}`,
			`    gw-broken: {ansible_port: ${warn}, upgrade_wizard_simulate: ${scenario.broken}}`,
			`    gw-gone: {ansible_port: ${closed}}`,
			'',
		].join('\n'),
	);
	// A cluster in the order the rolling play takes it: the FAIL node second, so the third is never reached.
	const cluster = path.join(dir, 'cluster.yml');
	writeFileSync(
		cluster,
		[
			'all:',
			...common,
			// Each sshd has a hostname of its own: the verify command shows which node answered.
			`    node1: {ansible_port: ${ready}, upgrade_wizard_simulate: ${scenario.ready}, upgrade_wizard_verify_command: hostname}`,
			`    node2: {ansible_port: ${fail}, upgrade_wizard_simulate: ${scenario.fail}}`,
			`    node3: {ansible_port: ${warn}, upgrade_wizard_simulate: ${scenario.warn}}`,
			'',
		].join('\n'),
	);
	const config = path.join(dir, 'ansible.cfg');
	writeFileSync(config, '');
	const reports = path.join(dir, 'reports');
	mkdirSync(reports);
	const env = (name: string) => {
		mkdirSync(path.join(dir, `cp-${name}`));
		return {
			...process.env,
			HOME: dir,
			ANSIBLE_CONFIG: config,
			ANSIBLE_NOCOLOR: '1',
			ANSIBLE_FORCE_COLOR: '0',
			ANSIBLE_PIPELINING: 'True',
			ANSIBLE_HOST_KEY_CHECKING: 'False',
			ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(dir, `cp-${name}`),
			ANSIBLE_LOCAL_TEMP: path.join(dir, `local-tmp-${name}`),
			ANSIBLE_REMOTE_TEMP: path.join(dir, `remote-tmp-${name}`),
		};
	};
	// Both plays at once (ansible mostly waits). The fleet check as an admin runs it from a shell in the
	// directory the report goes to (the role's default: $PWD); the rolling play without a terminal.
	[play, rolling] = await Promise.all([
		run(ANSIBLE, ['-i', inventory, PLAYBOOK], {cwd: reports, env: {...env('fleet'), PWD: reports}}),
		run(ANSIBLE, ['-i', cluster, ROLLING], {cwd: dir, env: {...env('rolling'), PWD: dir}}),
	]);
	const read = (file: string) => (existsSync(path.join(reports, file)) ? readFileSync(path.join(reports, file), 'utf8') : '');
	markdown = read('fleet-report.md');
	html = read('fleet-report.html');
}, 180_000);

afterAll(() => {
	// Ansible's ssh connection masters first (they would keep a session of each sshd alive), then the servers.
	for (const name of ['fleet', 'rolling']) {
		const cp = dir && path.join(dir, `cp-${name}`);
		if (cp && existsSync(cp)) for (const socket of readdirSync(cp)) spawnSync('ssh', ['-o', `ControlPath=${path.join(cp, socket)}`, '-O', 'exit', 'x'], {stdio: 'ignore'});
	}
	sshd?.stop();
	if (dir) rmSync(dir, {recursive: true, force: true});
});

describe('ansible-playbook fleet-check.yml against five gateways over real sshd', () => {
	it('the play fails (exit 2) for the FAIL host and the two that could not be checked, and only for them', () => {
		const log = `${play.output}\n${sshd?.logs.join('\n')}`;
		expect(play.status, log).toBe(2);
		const recap = Object.fromEntries([...play.output.matchAll(/^(gw-\w+)\s+:\s+ok=(\d+)\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)/gm)].map(m => [m[1]!, {ok: Number(m[2]), unreachable: Number(m[3]), failed: Number(m[4])}]));
		expect(Object.keys(recap).sort(), log).toEqual(['gw-broken', 'gw-fail', 'gw-gone', 'gw-ready', 'gw-warn']);
		expect(recap['gw-ready']!.failed).toBe(0);
		expect(recap['gw-warn']!.failed).toBe(0);
		expect(recap['gw-fail']!.failed).toBe(1);
		expect(recap['gw-broken']!.failed).toBe(1);
		expect(recap['gw-gone']!.failed).toBe(1);
	});

	it("the FAIL host fails with its first FAIL as the message, as the wizard's finding line says it", () => {
		const fail = expected.fail!.findings.find(f => f.severity === 'FAIL')!;
		expect(fail.title).toBe('PMG version');
		const line = play.output.split('\n').find(l => l.startsWith('fatal: [gw-fail]')) ?? '';
		expect(line, play.output).toContain(`"msg": "[FAIL] ${fail.title}: ${fail.detail} -> ${fail.remediation!.hint} $ ${fail.remediation!.command}"`);
		// The last word on each host (gw-gone's connection attempt before it was ignored: the report still lists it).
		const last = (host: string) => play.output.split('\n').filter(l => l.startsWith(`fatal: [${host}]`)).at(-1) ?? '';
		expect(last('gw-gone'), play.output).toMatch(/"msg": "not checked: unreachable: .*127\.0\.0\.1/);
		expect(last('gw-broken'), play.output).toContain('"msg": "not checked: upgrade-wizard check exited with status 2: upgrade-wizard check: ');
	});

	it('copied the executable onto gw-ready (its /opt) and ran it from there', () => {
		const copied = path.join(opt, 'upgrade-wizard');
		expect(readFileSync(copied, 'utf8')).toBe(readFileSync(wrapper, 'utf8'));
		expect(statSync(copied).mode & 0o777).toBe(0o755);
	});

	it('the Markdown report: one row per host in inventory order, counts and first finding as the wizard reports them', () => {
		expect(markdown, play.output).toContain('# upgrade-wizard check pmg: fleet report');
		expect(markdown).toContain('5 hosts: 1 ready, 1 with warnings, 1 failing, 2 not checked.');
		const rows = mdRows(markdown);
		expect(rows.map(r => r[0])).toEqual(['gw-ready', 'gw-warn', 'gw-fail', 'gw-broken', 'gw-gone']);
		expect(rows.map(r => r[2])).toEqual(['ready', 'WARN', 'FAIL', 'not checked', 'not checked']);
		expect(rows.map(r => r[1]).slice(3)).toEqual(['', '']);
		for (const [i, name] of (['ready', 'warn', 'fail'] as const).entries()) {
			const report = expected[name]!;
			expect(rows[i]![1]).toBe(report.host);
			expect(rows[i]!.slice(3, 9).map(Number), name).toEqual(LEVELS.map(l => report.counts[l]));
		}
		expect(rows[0]![9]).toBe('none');
		const warn = expected.warn!.findings.find(f => f.severity === 'WARN')!;
		expect(rows[1]![9]).toBe(`\\[WARN\\] **${warn.title}**: ${warn.detail} → ${warn.remediation!.hint} \`${warn.remediation!.command}\``);
		const fail = expected.fail!.findings.find(f => f.severity === 'FAIL')!;
		// The FAIL comes first even where a WARN is listed before it.
		expect(rows[2]![9]).toBe(`\\[FAIL\\] **${fail.title}**: ${fail.detail} → ${fail.remediation!.hint} \`${fail.remediation!.command}\``);
		// Markup in what the wizard said is escaped, one line per row.
		expect(rows[3]![9]).toMatch(/^upgrade-wizard check exited with status 2: .*host\.hostname: "gw\\<1\\>\\&co" is not a host name/);
		expect(rows[4]![9]).toMatch(/^unreachable: .*127\.0\.0\.1/);
		for (const row of rows) expect(row.slice(3, 9).every(c => c === '' || /^\d+$/.test(c)), row.join(' | ')).toBe(true);
	});

	it('the HTML report: the same rows, every text from a host escaped', () => {
		expect(html, play.output).toMatch(/^<!DOCTYPE html>/);
		const rows = htmlRows(html);
		expect(rows.map(r => r.state)).toEqual(['ready', 'warn', 'fail', 'error', 'error']);
		expect(rows.map(r => r.cells[2])).toEqual(['ready', 'WARN', 'FAIL', 'not checked', 'not checked']);
		expect(rows.map(r => r.cells[0])).toEqual(['gw-ready', 'gw-warn', 'gw-fail', 'gw-broken', 'gw-gone']);
		expect(rows[2]!.cells[1]).toBe('pmg1.example.lan (simulated)');
		expect(rows[2]!.cells.slice(3, 9).map(Number)).toEqual(LEVELS.map(l => expected.fail!.counts[l]));
		const fail = expected.fail!.findings.find(f => f.severity === 'FAIL')!;
		expect(rows[2]!.cells[9]).toBe(`[FAIL] <b>${fail.title}</b>: ${fail.detail} &rarr; ${fail.remediation!.hint} <code>apt update &amp;&amp; apt dist-upgrade</code>`);
		expect(rows[3]!.cells[9]).toContain('host.hostname: &#34;gw&lt;1&gt;&amp;co&#34; is not a host name');
		// Nothing but the template's own tags: no tag came from a host.
		const tags = new Set([...html.matchAll(/<\/?([a-zA-Z0-9!]+)/g)].map(m => m[1]!.toLowerCase()));
		expect([...tags].sort()).toEqual(['!doctype', 'b', 'body', 'code', 'h1', 'head', 'html', 'meta', 'p', 'style', 'table', 'tbody', 'td', 'th', 'thead', 'title', 'tr']);
	});
});

describe('ansible-playbook rolling-upgrade.yml: one node after another (serial: 1)', () => {
	it('checks node1, asks the admin to run the wizard there, waits for it, verifies it; then stops the play at node2 with its FAIL; node3 is never touched', () => {
		const log = `${rolling.output}\n${sshd?.logs.join('\n')}`;
		expect(rolling.status, log).toBe(2);
		const lines = rolling.output.split('\n');
		// Every line that names a node, in order: node1's tasks all come before node2's first.
		const named = lines.map(l => /^(?:ok|changed|fatal|skipping): \[(node\d)\]/.exec(l)?.[1]).filter(Boolean);
		expect(named.length, log).toBeGreaterThan(0);
		const firstNode2 = named.indexOf('node2');
		expect(firstNode2, log).toBeGreaterThan(0);
		expect(named.slice(0, firstNode2).every(n => n === 'node1'), log).toBe(true);
		expect(named.slice(firstNode2).every(n => n === 'node2'), log).toBe(true);
		expect(rolling.output, log).toContain('node1: ready, nothing to act on\n');
		expect(rolling.output).toMatch(new RegExp(`In another terminal: ssh -p ${sshd!.ports[0]} root@127\\.0\\.0\\.1 and run\\n  ${wrapper} pmg\\n`));
		expect(lines.filter(l => l.startsWith('ok: [node1]')).length, log).toBeGreaterThanOrEqual(5);
		// After the wait, the verify command from the inventory ran on node1 itself.
		expect(rolling.output, log).toMatch(/ok: \[node1\] => \{\n\s+"upgrade_wizard_verify.stdout_lines": \[\n\s+"gw-ready\.test"\n\s+\]/);
		const fail = expected.fail!.findings.find(f => f.severity === 'FAIL')!;
		expect(lines.find(l => l.startsWith('fatal: [node2]')), log).toContain(`"msg": "[FAIL] ${fail.title}: ${fail.detail}`);
		expect(rolling.output).not.toMatch(/\bnode3\b/);
	});
});
