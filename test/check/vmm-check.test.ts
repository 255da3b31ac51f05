import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {exitStatus, type Finding} from '../../source/check/findings.ts';
import {READ_ONLY_COMMANDS, vmmChecks} from '../../source/check/vmm.ts';
import {SimulatedHost} from '../../source/host/simulated-host.ts';
import {EXIT, resolveScenario} from '../../source/products.ts';
import {recording} from './recording.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-vmm-check-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

async function checkOn(scenario: string) {
	const file = scenario.includes('/') ? scenario : resolveScenario('vmm', scenario);
	const simulated = await SimulatedHost.open(file, {speed: 0});
	const {host, calls} = recording(simulated);
	return {findings: await vmmChecks(host), calls};
}

const byKey = (findings: Finding[]) => Object.fromEntries(findings.map(f => [f.key, f]));

function scenarioFile(name: string, yaml: string): string {
	const file = path.join(dir, `${name}.yaml`);
	writeFileSync(file, `extends: ${resolveScenario('vmm', 'clean')}\ntitle: ${name}\n${yaml}`);
	return file;
}

describe('check vmm changes nothing', () => {
	it('writes no file and runs only reading commands, on every bundled scenario', async () => {
		for (const scenario of ['clean', 'dovecot-1.1', 'from-0.6.0', 'from-0.6.1', 'old-0.4', 'over-ssh', 'postfix-running', 'truncated-dump']) {
			const {calls} = await checkOn(scenario);
			const methods = new Set(calls.map(c => c.method));
			for (const changing of ['writeFile', 'removeFile', 'runInteractive', 'clearRuns']) expect(methods.has(changing), `${scenario}: ${changing}`).toBe(false);
			const commands = calls.filter(c => c.method === 'run').map(c => (c.args[0] as {argv: string[]}).argv.join(' '));
			expect(commands.length).toBeGreaterThan(5);
			for (const command of commands) expect(READ_ONLY_COMMANDS.some(p => command === p || command.startsWith(`${p} `)), `${scenario}: ${command}`).toBe(true);
		}
	});

	it('the allowlist holds only commands that read', () => {
		for (const command of READ_ONLY_COMMANDS) expect(command).not.toMatch(/\b(install|remove|stop|start|restart|psql -d|dropdb|createdb|pg_dump -f|upgrade\.sh|rm|mv)\b/);
	});
});

describe('check vmm finds what each scenario is about', () => {
	it('clean: nothing fails, the running services and the queries on removed views are notices, exit 0', async () => {
		const {findings} = await checkOn('clean');
		const f = byKey(findings);
		expect(findings.map(x => x.key)).toEqual(['version', 'source', 'tools', 'dovecot', 'services', 'pgpassword', 'config']);
		expect(f.version).toMatchObject({severity: 'PASS', detail: expect.stringContaining('0.5.2')});
		expect(f.source).toMatchObject({severity: 'PASS', detail: expect.stringContaining('/root/vmm-0.6.2')});
		expect(f.dovecot).toMatchObject({severity: 'PASS', detail: expect.stringContaining('update_tables_0.5.x-0.6-dovecot-1.2.x.pgsql')});
		expect(f.services).toMatchObject({severity: 'NOTICE', detail: 'running: postfix, dovecot'});
		expect(f.config).toMatchObject({severity: 'NOTICE', detail: expect.stringContaining('/etc/postfix/pgsql-transport_maps.cf')});
		expect(exitStatus(findings)).toBe(EXIT.ok);
	});

	it.each([
		['old-0.4', 'version', 'FAIL', /0\.4-r41: the 0\.6 update scripts expect 0\.5\.2/],
		['from-0.6.1', 'version', 'INFO', /only upgrade\.sh/],
		['dovecot-1.1', 'dovecot', 'PASS', /1\.1\.16: update_tables_0\.5\.x-0\.6\.pgsql .*layout update comes after/],
	] as const)('%s: %s is %s', async (scenario, key, severity, detail) => {
		const f = byKey((await checkOn(scenario)).findings)[key];
		expect(f?.severity).toBe(severity);
		expect(f?.detail).toMatch(detail);
	});

	it('no unpacked source: a warning that says where to unpack it, and the queries are skipped', async () => {
		const file = scenarioFile('no-source', 'files:\n  /root/vmm-0.6.2/upgrade.sh: null\n');
		const {findings} = await checkOn(file);
		const f = byKey(findings);
		expect(f.source).toMatchObject({severity: 'WARN', remediation: {hint: expect.stringContaining('Unpack'), command: expect.stringContaining('tar')}});
		expect(f.config?.severity).toBe('SKIP');
		expect(exitStatus(findings)).toBe(EXIT.checkWarn);
	});

	it('python 3 without the driver and no pg_dump: one failure naming each', async () => {
		const file = scenarioFile(
			'no-tools',
			["commands:", "  - match: '^python -c ''import sys; print'", '    stdout: "3.11.2\\n"', "  - match: '^python -c ''import psycopg2''$'", '    exit: 1', "  - match: '^pg_dump --version$'", '    exit: 127', ''].join('\n'),
		);
		const f = byKey((await checkOn(file)).findings);
		expect(f.tools).toMatchObject({severity: 'FAIL', detail: 'missing: python 2 (python is 3.11.2), the python module psycopg2, pg_dump'});
	});
});

describe('upgrade-wizard check vmm through the built CLI', () => {
	const check = (...args: string[]) => spawnSync(process.execPath, [path.resolve('dist/cli.js'), 'check', ...args], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}});

	it('old-0.4: the failure in 80 columns and exit 6; clean: exit 0', () => {
		const bad = check('vmm', '--simulate', 'old-0.4');
		expect(bad.status).toBe(EXIT.checkFail);
		expect(bad.stdout).toMatch(/^\[FAIL\] +vmm version: vmm 0\.4-r41/m);
		expect(bad.stdout).toMatch(/^7 checks: 4 PASS, 0 INFO, 0 SKIP, 2 NOTICE, 0 WARN, 1 FAIL\.$/m);
		for (const line of bad.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
		expect(check('vmm', '--simulate', 'clean').status).toBe(EXIT.ok);
	});

	it('--deployment is refused for vmm with a usage error', () => {
		const result = check('vmm', '--deployment', 'x.yaml');
		expect(result.status).toBe(EXIT.usage);
		expect(result.stderr).toBe('upgrade-wizard check: --deployment and --ssh-config are for check puremessage. See upgrade-wizard check --help.\n');
	});
});
