import {execFileSync, spawn, type ChildProcess} from 'node:child_process';
import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {parseChecklist} from '../../source/probes/pmg8to9.ts';
import {parsePmgVersion} from '../../source/probes/pmgversion.ts';
import {existsSync} from 'node:fs';
import {cachedRoot, Container, hostBootId, requirements} from './container.ts';

/*
 * The PMG 8.2 host of the real-host test, set up for real: the stand-in
 * packages installed by apt from the local signed repository, reached as
 * download.proxmox.com through the test's proxy; enterprise.proxmox.com
 * answers 401 over https with the test CA. What the wizard's parsers read
 * from it is checked here.
 */

const here = path.dirname(new URL(import.meta.url).pathname);
let dir = '';
let container: Container | null = null;
let proxy: ChildProcess | null = null;

afterAll(async () => {
	await container?.stop();
	proxy?.kill();
	if (dir) rmSync(dir, {recursive: true, force: true});
});

async function startProxy(www: string, ca: string, log: string): Promise<number> {
	proxy = spawn(process.execPath, [path.join(here, 'proxy-server.mjs'), www, ca, log], {stdio: ['ignore', 'pipe', 'inherit']});
	return new Promise((resolve, reject) => {
		proxy!.stdout!.once('data', d => resolve(Number(String(d).trim())));
		proxy!.once('exit', code => reject(new Error(`the proxy exited (${code})`)));
	});
}

describe('the PMG 8.2 stand-in host', () => {
	it('installs from the local repository and answers as PMG 8.2 does', async () => {
		expect(requirements(), 'what this test needs').toEqual([]);
		if (!existsSync('dist/upgrade-wizard-linux-x64')) throw new Error('dist/upgrade-wizard-linux-x64 is missing: npm run test:realhost builds it (npm run build:binary)');
		const tarball = cachedRoot();
		dir = mkdtempSync(path.join(os.tmpdir(), 'realhost-pmg8-'));
		const root = path.join(dir, 'root');
		mkdirSync(root);
		execFileSync('tar', ['--numeric-owner', '-xf', tarball, '-C', root]);
		hostBootId(root);
		const repo = path.join(dir, 'repo');
		execFileSync(path.join(here, 'make-repo.sh'), [repo]);
		const log = path.join(dir, 'proxy.log');
		writeFileSync(log, '');
		const port = await startProxy(path.join(repo, 'www'), path.join(repo, 'ca'), log);

		// Never a real Proxmox host: the names point here, apt goes through the proxy.
		writeFileSync(path.join(root, 'etc/hosts'), '127.0.0.1 localhost\n127.0.1.1 pmg.example.test pmg\n127.0.0.1 download.proxmox.com enterprise.proxmox.com\n');
		writeFileSync(
			path.join(root, 'etc/apt/apt.conf.d/00realhost-proxy'),
			`Acquire::http::Proxy::download.proxmox.com "http://127.0.0.1:${port}/";\nAcquire::https::Proxy::enterprise.proxmox.com "http://127.0.0.1:${port}/";\n`,
		);
		copyFileSync(path.join(repo, 'ca/ca.crt'), path.join(root, 'usr/local/share/ca-certificates/realhost-test-ca.crt'));
		copyFileSync(path.join(repo, 'keyring.gpg'), path.join(root, 'etc/apt/trusted.gpg.d/proxmox-release-bookworm.gpg'));
		writeFileSync(path.join(root, 'etc/apt/sources.list.d/pmg-no-subscription.list'), 'deb http://download.proxmox.com/debian/pmg bookworm pmg-no-subscription\n');
		writeFileSync(path.join(root, 'etc/apt/sources.list.d/pmg-enterprise.list'), '# deb https://enterprise.proxmox.com/debian/pmg bookworm pmg-enterprise\n');

		container = new Container(root, dir, `pmg8${process.pid}`);
		await container.start();
		container.exec(['update-ca-certificates']);
		container.exec(['apt-get', 'update']);
		container.exec(['apt-get', 'install', '-y', 'proxmox-mailgateway'], {env: {DEBIAN_FRONTEND: 'noninteractive'}});

		const version = parsePmgVersion(container.exec(['pmgversion', '-v']));
		expect(version.problems).toEqual([]);
		expect(version.pmgApi).toBe('8.2.7');
		expect(version.packages['proxmox-mailgateway']).toBe('8.2.0');
		expect(container.exec(['pmgversion'])).toMatch(/^pmg-api\/8\.2\.7\/[0-9a-f]{8} \(running kernel: \S+\)\n$/);

		const checklist = parseChecklist(container.exec(['pmg8to9']));
		expect(checklist.findings.filter(f => f.level === 'FAIL')).toEqual([]);
		expect(checklist.findings.map(f => f.text)).toContain('Before upgrade and running postgres version is 15.');

		const units = ['postfix', 'pmg-smtp-filter', 'pmgpolicy', 'pmgdaemon', 'pmgproxy', 'pmgmirror', 'pmgtunnel'];
		expect(container.exec(['systemctl', 'is-active', ...units]).trim().split('\n')).toEqual(units.map(() => 'active'));
		expect(container.exec(['dpkg-query', '-W', '-f=${Conffiles}', 'pmg-api'])).toContain('/etc/pmg/smtp-filter.conf');

		// enterprise.proxmox.com: https with the test CA, 401 without a subscription.
		const enterprise = container.run(['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--proxy', `http://127.0.0.1:${port}`, 'https://enterprise.proxmox.com/debian/pmg/dists/bookworm/InRelease']);
		expect(enterprise.stdout).toBe('401');
		// The wizard's single executable (bookworm's Node is 18; it brings its
		// own): `check pmg` on the real host, read-only.
		const binary = path.resolve('dist/upgrade-wizard-linux-x64');
		copyFileSync(binary, path.join(root, 'usr/local/bin/upgrade-wizard'));
		execFileSync('chmod', ['755', path.join(root, 'usr/local/bin/upgrade-wizard')]);
		const check = container.run(['upgrade-wizard', 'check', 'pmg', '--json']);
		const report = JSON.parse(check.stdout) as unknown;
		expect(JSON.stringify(report), check.stderr).toContain('8.2.7');
		const text = container.run(['upgrade-wizard', 'check', 'pmg']);
		expect(text.stdout, text.stderr).toMatch(/8\.2\.7/);

		// Nothing was asked for that the proxy refused (no other host).
		expect(readFileSync(log, 'utf8')).not.toMatch(/ 403 /);
	});
});
