import {spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {exitStatus, type Finding} from '../../source/check/findings.ts';
import {pmgChecks, READ_ONLY_COMMANDS} from '../../source/check/pmg.ts';
import {SimulatedHost} from '../../source/host/simulated-host.ts';
import type {Host} from '../../source/host/types.ts';
import {EXIT, resolveScenario} from '../../source/products.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-check-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

type Call = {method: string; args: unknown[]};

/** The host, with every call it gets written down. */
function recording(host: Host): {host: Host; calls: Call[]} {
	const calls: Call[] = [];
	const proxy = new Proxy(host, {
		get(target, property, receiver) {
			const value = Reflect.get(target, property, receiver);
			if (typeof value !== 'function') return value;
			return (...args: unknown[]) => {
				calls.push({method: String(property), args});
				return value.apply(target, args);
			};
		},
	});
	return {host: proxy, calls};
}

async function checkOn(scenario: string) {
	const file = scenario.includes('/') ? scenario : resolveScenario('pmg', scenario);
	const simulated = await SimulatedHost.open(file, {speed: 0});
	const {host, calls} = recording(simulated);
	const findings = await pmgChecks(host);
	return {findings, calls, simulated};
}

const byKey = (findings: Finding[]) => Object.fromEntries(findings.map(f => [f.key, f]));

/** A scenario of the test's own: clean, and whatever it changes. */
function scenarioFile(name: string, yaml: string): string {
	const file = path.join(dir, `${name}.yaml`);
	writeFileSync(file, `extends: ${resolveScenario('pmg', 'clean')}\ntitle: ${name}\n${yaml}`);
	return file;
}

describe('check pmg changes nothing', () => {
	it('writes no file, runs nothing interactive, and runs only reading commands, on every bundled scenario', async () => {
		for (const scenario of ['clean', 'low-disk', 'old-version', 'bad-locale', 'bookworm-leftovers', 'kernel-meta', 'cluster-master', 'systemd-boot', 'custom-templates', 'avast', 'cluster-daemons-running', 'not-root']) {
			const {calls, simulated} = await checkOn(scenario);
			const methods = new Set(calls.map(c => c.method));
			for (const changing of ['writeFile', 'removeFile', 'runInteractive', 'clearRuns']) expect(methods.has(changing), `${scenario}: ${changing}`).toBe(false);
			const commands = calls.filter(c => c.method === 'run').map(c => (c.args[0] as {argv: string[]}).argv.join(' '));
			expect(commands.length).toBeGreaterThan(10);
			for (const command of commands) {
				expect(READ_ONLY_COMMANDS.some(prefix => command === prefix || command.startsWith(`${prefix} `)), `${scenario}: ${command}`).toBe(true);
			}
			// No keyed run: nothing a later wizard could mistake for a step it ran.
			for (const call of calls.filter(c => c.method === 'run')) expect((call.args[1] as {key?: string} | undefined)?.key).toBeUndefined();
			// The simulated host says the same: every service as it was, no file changed.
			expect(await simulated.readFile('/etc/apt/sources.list')).toContain('bookworm');
		}
	});

	it('the allowlist itself holds only commands that read', () => {
		for (const command of READ_ONLY_COMMANDS) expect(command).not.toMatch(/\b(install|remove|purge|upgrade|dist-upgrade|update$|stop|start|mask|restart|backup|rm|mv|tee)\b/);
	});
});

describe('check pmg finds what each scenario is about', () => {
	it.each([
		['low-disk', 'disk', 'FAIL', /9\.5 GiB available/],
		['old-version', 'version', 'FAIL', /8\.2\.3 is older than 8\.2\.5/],
		['kernel-meta', 'kernel-meta', 'FAIL', /linux-image-amd64 is installed/],
		['systemd-boot', 'systemd-boot', 'WARN', /systemd-boot meta-package is installed/],
		['bad-locale', 'locale', 'WARN', /LC_ALL=de_DE\.UTF-8/],
		['custom-templates', 'templates', 'NOTICE', /main\.cf\.in/],
		['bookworm-leftovers', 'sources.third-party', 'NOTICE', /extra\.list/],
	] as const)('%s: %s is %s', async (scenario, key, severity, detail) => {
		const {findings} = await checkOn(scenario);
		const f = byKey(findings)[key];
		expect(f, JSON.stringify(findings, null, 1)).toBeDefined();
		expect(f!.severity).toBe(severity);
		expect(f!.detail).toMatch(detail);
	});

	it('clean: the pending 8.2 updates warn, nothing fails, and the running services are expected', async () => {
		const {findings} = await checkOn('clean');
		const f = byKey(findings);
		expect(f.updates!.severity).toBe('WARN');
		expect(f.updates!.remediation).toEqual({hint: expect.stringContaining('first step'), command: 'apt update && apt dist-upgrade'});
		expect(f.services!.severity).toBe('NOTICE');
		expect(f.pmg8to9!.severity).toBe('NOTICE');
		expect(findings.filter(x => x.severity === 'FAIL')).toEqual([]);
		for (const key of ['version', 'kernel', 'postgres', 'time-sync', 'disk', 'hostname', 'certificates.pmg-api.pem', 'sources', 'kernel-meta', 'dkms', 'locale', 'templates']) {
			expect(f[key]?.severity, key).toBe('PASS');
		}
		expect(exitStatus(findings)).toBe(EXIT.checkWarn);
	});

	it('not root: says so first, as a notice', async () => {
		const {findings} = await checkOn('not-root');
		expect(findings[0]).toMatchObject({key: 'root', severity: 'NOTICE', detail: expect.stringContaining('not root')});
		const clean = await checkOn('clean');
		expect(clean.findings.some(f => f.key === 'root')).toBe(false);
	});

	it('a host with nothing to act on passes with exit status 0', async () => {
		const file = scenarioFile('ready', "commands:\n  - match: '^apt list --upgradable$'\n    stdout: \"Listing...\\n\"\n");
		const {findings} = await checkOn(file);
		expect(findings.filter(x => x.severity === 'WARN' || x.severity === 'FAIL')).toEqual([]);
		expect(exitStatus(findings)).toBe(EXIT.ok);
	});

	it('fails on a weak SSH cipher, a 1024-bit certificate, mixed suites, and a hostname no interface has', async () => {
		const weak = readFileSync(new URL('../probes/samples/x509-rsa1024.txt', import.meta.url), 'utf8');
		const file = scenarioFile(
			'broken',
			[
				'files:',
				'  /root/.ssh/config: |',
				'    Host *',
				'      Ciphers aes128-ctr,3des-cbc',
				'  /etc/apt/sources.list.d/new.list: |',
				'    deb http://deb.debian.org/debian trixie main',
				'commands:',
				"  - match: '^openssl x509 -noout -text -in /etc/pmg/pmg-api\\.pem$'",
				'    stdout: |',
				...weak.trimEnd().split('\n').map(l => `      ${l}`),
				"  - match: '^getent hosts pmg1$'",
				"    stdout: \"203.0.113.9 pmg1\\n\"",
				'',
			].join('\n'),
		);
		const f = byKey((await checkOn(file)).findings);
		expect(f['ssh-ciphers']).toMatchObject({severity: 'FAIL', detail: expect.stringContaining('3des-cbc (line 2)')});
		expect(f['certificates.pmg-api.pem']).toMatchObject({severity: 'FAIL', detail: expect.stringContaining('RSA 1024 bit')});
		expect(f.sources).toMatchObject({severity: 'FAIL', detail: expect.stringContaining('trixie at /etc/apt/sources.list.d/new.list:1')});
		expect(f.hostname).toMatchObject({severity: 'FAIL', detail: expect.stringContaining('203.0.113.9, which no interface has')});
	});
});

describe('upgrade-wizard check through the built CLI', () => {
	const cli = path.resolve('dist/cli.js');
	const check = (...args: string[]) => spawnSync(process.execPath, [cli, 'check', ...args], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}});

	it('prints one block per finding within 80 columns, the counts, and exits 6 on a failure', () => {
		const result = check('pmg', '--simulate', 'low-disk');
		expect(result.status).toBe(EXIT.checkFail);
		// A finding's wrapped lines joined again (its hint starts with ->).
		const joined = result.stdout.replace(/\n {9}(?!->| )/g, ' ');
		expect(joined).toMatch(/^\[FAIL\] +free space on \/: 9\.5 GiB available of 32\.0 GiB; the upgrade needs 10\.0 GiB$/m);
		expect(result.stdout).toMatch(/^\d+ checks: \d+ PASS, \d+ INFO, \d+ SKIP, \d+ NOTICE, \d+ WARN, 1 FAIL\.$/m);
		for (const line of result.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
		expect(result.stderr).toBe('');
	});

	it('--json: the same findings with stable keys, the counts and the status', () => {
		const result = check('pmg', '--simulate', 'clean', '--json');
		expect(result.status).toBe(EXIT.checkWarn);
		const report = JSON.parse(result.stdout) as {product: string; host: string; status: number; counts: Record<string, number>; findings: Finding[]};
		expect(report.product).toBe('pmg');
		expect(report.host).toBe('pmg1.example.lan (simulated)');
		expect(report.status).toBe(EXIT.checkWarn);
		expect(report.findings.map(f => f.key)).toEqual([
			'version', 'updates', 'kernel', 'cluster', 'postgres', 'services', 'ssh-ciphers', 'time-sync', 'disk', 'hostname',
			'certificates.pmg-api.pem', 'sources', 'bootloader', 'kernel-meta', 'dkms', 'locale', 'templates', 'pmg8to9',
		]);
		for (const f of report.findings) {
			expect(Object.keys(f).sort()).toEqual(['detail', 'key', 'remediation', 'severity', 'title']);
			expect(['PASS', 'INFO', 'SKIP', 'NOTICE', 'WARN', 'FAIL']).toContain(f.severity);
		}
		expect(Object.values(report.counts).reduce((a, b) => a + b, 0)).toBe(report.findings.length);
	});

	it('usage errors: exit 2 with one line that says what to do', () => {
		for (const args of [[], ['pmg', '--bogus'], ['nothing'], ['pmg', '--simulate', 'no-such-scenario']]) {
			const result = check(...args);
			expect(result.status, args.join(' ')).toBe(EXIT.usage);
			expect(result.stderr.trim().split('\n')).toHaveLength(1);
			expect(result.stderr).toMatch(/^upgrade-wizard check: /);
		}
	});

	it('without a terminal the wizard points to check', () => {
		const result = spawnSync(process.execPath, [cli, 'pmg'], {encoding: 'utf8', input: ''});
		expect(result.status).toBe(EXIT.notTerminal);
		expect(result.stderr).toContain('upgrade-wizard check pmg');
	});
});

