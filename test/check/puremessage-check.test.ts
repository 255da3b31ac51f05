import {spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {Ajv} from 'ajv';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import schema from '../../source/check/check-report.schema.json' with {type: 'json'};
import {checkHosts} from '../../source/commands/check.ts';
import {exitStatus, type Finding, type Report} from '../../source/check/findings.ts';
import {pmChecks, READ_ONLY_COMMANDS} from '../../source/check/puremessage.ts';
import {loadScenario} from '../../source/host/scenario.ts';
import {SimulatedHost} from '../../source/host/simulated-host.ts';
import type {Host} from '../../source/host/types.ts';
import {EXIT, resolveScenario} from '../../source/products.ts';
import {freePort, startSshd, type SshdSet} from '../host/sshd.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-pm-check-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));
const validate = new Ajv({allErrors: true}).compile(schema);
const byKey = (findings: Finding[]) => Object.fromEntries(findings.map(f => [f.key, f]));

/** Every host the check gets (this one and the servers'), with the calls each got. */
async function checkOn(scenarioFile: string) {
	const scenario = await loadScenario(scenarioFile);
	const calls: Array<{host: string; method: string; args: unknown[]}> = [];
	const record = (host: Host): Host =>
		new Proxy(host, {
			get(target, property, receiver) {
				const value = Reflect.get(target, property, receiver);
				if (typeof value !== 'function') return value;
				return (...args: unknown[]) => {
					calls.push({host: target.label, method: String(property), args});
					return value.apply(target, args);
				};
			},
		});
	const host = record(await SimulatedHost.open(scenarioFile, {scenario, speed: 0}));
	const servers = checkHosts(scenario, null);
	const findings = await pmChecks(host, {hostFor: async target => record(await servers(target))});
	return {findings, calls};
}

function scenarioFile(name: string, yaml: string): string {
	const file = path.join(dir, `${name}.yaml`);
	writeFileSync(file, `extends: ${resolveScenario('puremessage', 'three-servers')}\ntitle: ${name}\n${yaml}`);
	return file;
}

describe('check puremessage on a simulated deployment', () => {
	it('three servers: each one reached where the file says, the manual one skipped, nothing written anywhere', async () => {
		const {findings, calls} = await checkOn(resolveScenario('puremessage', 'three-servers'));
		expect(findings.map(f => `${f.severity} ${f.key}`)).toEqual([
			'PASS deployment',
			'PASS reach.db1', 'PASS root.db1', 'PASS identity.db1', 'PASS pmx.db1', 'PASS disk.db1',
			'PASS reach.mta1', 'PASS root.mta1', 'PASS identity.mta1', 'PASS pmx.mta1', 'PASS disk.mta1',
			'SKIP reach.euwi1',
		]);
		expect(byKey(findings)['identity.mta1']!.detail).toContain('mta1.example.lan 192.0.2.21');
		// mta1's facts came from mta1's host, not from db1's.
		expect(calls.some(c => c.host.startsWith('mta1') && c.method === 'run')).toBe(true);
		for (const c of calls) expect(['writeFile', 'removeFile', 'runInteractive', 'clearRuns'], `${c.host} ${c.method}`).not.toContain(c.method);
		for (const c of calls.filter(x => x.method === 'run')) {
			const command = (c.args[0] as {argv: string[]}).argv.join(' ');
			expect(READ_ONLY_COMMANDS.some(p => command === p || command.startsWith(`${p} `)), command).toBe(true);
		}
		expect(exitStatus(findings)).toBe(EXIT.ok);
	});

	it('the free space against the size check\'s figure the simulated deployment plays: too little on mta1 fails', async () => {
		const f = byKey((await checkOn(resolveScenario('puremessage', 'filter-low-disk'))).findings);
		expect(f['disk.db1']).toMatchObject({severity: 'PASS', detail: '24.0 GiB free for /opt; the size check needs 12.0 GiB (12G, simulated)'});
		expect(f['disk.mta1']).toMatchObject({severity: 'FAIL', detail: '3.0 GiB free for /opt; the size check needs 12.0 GiB (12G, simulated)'});
		expect(f['disk.mta1']!.remediation!.hint).toContain('Free space on the file system that holds /opt');
	});

	it('mta1 renamed: its identity fails, naming the hostname the file says', async () => {
		const server = path.join(dir, 'mta1-new.yaml');
		writeFileSync(server, `extends: ${path.resolve('scenarios/puremessage/servers/mta1.yaml')}\ntitle: mta1 renamed\ncommands:\n  - match: '^hostname$'\n    stdout: "mta1-new.example.lan\\n"\n`);
		const file = scenarioFile('renamed', `servers:\n  mta1: ${server}\n`);
		const f = byKey((await checkOn(file)).findings);
		expect(f['identity.mta1']).toMatchObject({severity: 'FAIL', detail: 'hostname is mta1-new.example.lan, the deployment file says mta1.example.lan'});
	});

	it('a broken deployment file: one failure with file, line and field, and no server checked', async () => {
		const file = scenarioFile('broken', "files:\n  /etc/upgrade-wizard/puremessage-deployment.yaml: |\n    servers:\n      - name: db1\n        hostname: db1.example.lan\n        roles: [database]\n        access: telnet\n");
		const {findings} = await checkOn(file);
		expect(findings).toHaveLength(1);
		expect(findings[0]).toMatchObject({key: 'deployment', severity: 'FAIL', detail: expect.stringMatching(/puremessage-deployment\.yaml:5: servers\[0\]\.access: "telnet" is not allowed/)});
	});
});

describe('check puremessage over real sshd servers on 127.0.0.1', {timeout: 60_000}, () => {
	let sshd: SshdSet;
	let deployment = '';
	beforeAll(async () => {
		// mta1 has PureMessage 5.6.1 in its /opt; filter2 answers with another hostname than the file's and has none.
		const opt1 = path.join(dir, 'mta1-opt');
		mkdirSync(path.join(opt1, 'pmx/bin'), {recursive: true});
		writeFileSync(path.join(opt1, 'pmx/bin/pmx'), '(PureMessage 5.6.1)\n');
		const opt2 = path.join(dir, 'filter2-opt');
		mkdirSync(opt2, {recursive: true});
		sshd = await startSshd([{hostname: 'mta1.test', binds: {'/opt': opt1}}, {hostname: 'other.test', binds: {'/opt': opt2}}], 'fleet-pm');
		const closed = await freePort();
		const ssh = (port: number) => `{ destination: root@127.0.0.1, port: ${port}, identity: ${sshd.key} }`;
		deployment = path.join(dir, 'deployment.yaml');
		writeFileSync(
			deployment,
			[
				'servers:',
				`  - { name: mta1, hostname: mta1.test, roles: [database, csm, mta, filter], access: ssh, ssh: ${ssh(sshd.ports[0]!)} }`,
				`  - { name: filter2, hostname: filter2.test, roles: [filter], access: ssh, ssh: ${ssh(sshd.ports[1]!)} }`,
				`  - { name: gone, hostname: gone.test, roles: [filter], access: ssh, ssh: ${ssh(closed)} }`,
				'  - { name: euwi1, hostname: euwi1.test, roles: [euwi], addresses: [192.0.2.30], access: manual }',
				'',
			].join('\n'),
		);
	});
	afterAll(() => sshd?.stop());

	it('the JSON report names each server: ready, renamed, unreachable, by hand; exit 6; valid against the schema', () => {
		const cli = path.resolve('dist/cli.js');
		const result = spawnSync(process.execPath, [cli, 'check', 'puremessage', '--deployment', deployment, '--ssh-config', sshd.config, '--json'], {encoding: 'utf8'});
		expect(result.stderr).toBe('');
		expect(result.status, result.stdout + sshd.logs.join('')).toBe(EXIT.checkFail);
		const report = JSON.parse(result.stdout) as Report;
		expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
		const f = byKey(report.findings);
		expect(Object.keys(f), result.stdout).toContain('reach.mta1');
		expect(f['reach.mta1']).toMatchObject({severity: 'PASS', detail: 'over ssh root@127.0.0.1'});
		expect(f['root.mta1']!.severity).toBe('PASS');
		expect(f['identity.mta1']).toMatchObject({severity: 'PASS', detail: expect.stringMatching(/^mta1\.test /)});
		expect(f['pmx.mta1']).toMatchObject({severity: 'PASS', detail: '5.6.1 in /opt/pmx'});
		// A real server plays no size check: its free space, to compare with the check's figure by hand.
		expect(f['disk.mta1']).toMatchObject({severity: 'INFO', detail: expect.stringMatching(/^\d+\.\d GiB free for \/opt$/)});
		expect(f['identity.filter2']).toMatchObject({severity: 'FAIL', detail: 'hostname is other.test, the deployment file says filter2.test'});
		expect(f['pmx.filter2']!.severity).toBe('FAIL');
		expect(f['reach.gone']).toMatchObject({severity: 'FAIL', detail: expect.stringContaining('not reached over ssh root@127.0.0.1 port')});
		expect(f['reach.gone']!.remediation!.command).toMatch(/^ssh -o BatchMode=yes -i \S+ -p \d+ root@127\.0\.0\.1 true$/);
		expect(f['reach.euwi1']!.severity).toBe('SKIP');
		expect(report.counts.FAIL).toBe(3);
	});
});
