/**
 * The PMG 8.2 host of the real-host tests, set up as an admin's would be:
 * a booted bookworm container whose Proxmox packages (the stand-ins) come
 * by apt from the local signed repository, reached as download.proxmox.com
 * through the test's proxy; enterprise.proxmox.com answers 401 over https
 * with the test CA, as without a subscription. PostgreSQL 15 holds a
 * Proxmox_ruledb with rows the tests check after the upgrade.
 */
import {execFileSync, spawn, type ChildProcess} from 'node:child_process';
import {chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {cachedRoot, Container, hostBootId, requirements} from './container.ts';

const here = path.dirname(new URL(import.meta.url).pathname);

/** The rows the test puts in the rule database, checked after the upgrade. */
export const RULE_ROWS = ['block executables', 'quarantine spam', 'wizard real-host test'];

export type Pmg8Host = {
	container: Container;
	root: string;
	dir: string;
	/** The proxy's request log: every request the container made for a Proxmox name. */
	proxyLog: string;
	port: number;
	stop(): Promise<void>;
};

function startProxy(www: string, ca: string, log: string): Promise<{proxy: ChildProcess; port: number}> {
	const proxy = spawn(process.execPath, [path.join(here, 'proxy-server.mjs'), www, ca, log], {stdio: ['ignore', 'pipe', 'inherit']});
	return new Promise((resolve, reject) => {
		proxy.stdout!.once('data', d => resolve({proxy, port: Number(String(d).trim())}));
		proxy.once('exit', code => reject(new Error(`the proxy exited (${code})`)));
	});
}

/** Boot a bookworm container and make it a PMG 8.2 host; `name` keeps parallel runs apart. */
export async function pmg8Host(name: string, options: {variant?: 'removes-pmg'} = {}): Promise<Pmg8Host> {
	const missing = requirements();
	if (missing.length) throw new Error(`the real-host test cannot run here: ${missing.join('; ')}`);
	const binary = path.resolve('dist/upgrade-wizard-linux-x64');
	if (!existsSync(binary)) throw new Error('dist/upgrade-wizard-linux-x64 is missing: npm run test:realhost builds it (npm run build:binary)');
	// The container shares this machine's network (nspawn without a private
	// network, so that it reaches the Debian mirror): its PostgreSQL and
	// postfix need these ports free here, and two such containers cannot run
	// at once.
	// A container of the test file before may still be shutting down: its ports get a minute to go.
	let taken = listeningPorts();
	for (let i = 0; i < 60 && [25, 5432, 5433].some(port => taken.has(port)); i++) {
		await new Promise(resolve => setTimeout(resolve, 1000));
		taken = listeningPorts();
	}
	for (const port of [25, 5432, 5433]) {
		if (taken.has(port)) throw new Error(`port ${port} is in use on this machine (ss -ltnp names the process): the real-host container shares this machine's network and needs it for its PostgreSQL or postfix; stop that server (or the other real-host test) first`);
	}
	const tarball = cachedRoot();
	const dir = mkdtempSync(path.join(os.tmpdir(), `realhost-${name}-`));
	const root = path.join(dir, 'root');
	mkdirSync(root);
	execFileSync('tar', ['--numeric-owner', '-xf', tarball, '-C', root]);
	hostBootId(root);
	const repo = path.join(dir, 'repo');
	execFileSync(path.join(here, 'make-repo.sh'), [repo], {env: {...process.env, REALHOST_VARIANT: options.variant ?? ''}});
	const proxyLog = path.join(dir, 'proxy.log');
	writeFileSync(proxyLog, '');
	const {proxy, port} = await startProxy(path.join(repo, 'www'), path.join(repo, 'ca'), proxyLog);

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
	copyFileSync(binary, path.join(root, 'usr/local/bin/upgrade-wizard'));
	chmodSync(path.join(root, 'usr/local/bin/upgrade-wizard'), 0o755);

	// The .debs apt downloads are kept between runs (a warm run fetches only
	// what changed on the mirror); apt itself works as on any host.
	const archives = path.join(path.dirname(tarball), 'apt-archives');
	mkdirSync(path.join(archives, 'partial'), {recursive: true});
	// Except the stand-ins: they are built anew each run with a new signing
	// key, and apt takes a cached .deb of the same name and size without
	// checking its hash (seen: the old run's keyring installed).
	for (const name of readdirSync(archives)) {
		if (/^(proxmox-archive-keyring|pmg-api|proxmox-mailgateway)_/.test(name)) rmSync(path.join(archives, name));
	}
	const container = new Container(root, dir, name, [`${archives}:/var/cache/apt/archives`]);
	const stop = async () => {
		await container.stop();
		proxy.kill();
		if (!process.env.REALHOST_KEEP) rmSync(dir, {recursive: true, force: true});
	};
	try {
		await container.start();
		container.exec(['update-ca-certificates']);
		container.exec(['apt-get', 'update']);
		container.exec(['apt-get', 'install', '-y', 'proxmox-mailgateway'], {env: {DEBIAN_FRONTEND: 'noninteractive'}});
		const rows = RULE_ROWS.map(r => `('${r}')`).join(',');
		container.exec(['su', 'postgres', '-c', 'psql -q -v ON_ERROR_STOP=1'], {
			input: `CREATE DATABASE "Proxmox_ruledb";\n\\c Proxmox_ruledb\nCREATE TABLE rule (id serial PRIMARY KEY, name text NOT NULL);\nINSERT INTO rule (name) VALUES ${rows};\n`,
		});
	} catch (error) {
		await stop();
		throw error;
	}
	return {container, root, dir, proxyLog, port, stop};
}

/** TCP ports something listens on here, from the kernel's own tables (no tool needed). */
function listeningPorts(): Set<number> {
	const ports = new Set<number>();
	for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
		if (!existsSync(table)) continue;
		for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
			const [, local, , state] = line.trim().split(/\s+/);
			// State 0A is LISTEN; the local address ends in :PORT in hex.
			if (state === '0A' && local) ports.add(parseInt(local.split(':').at(-1)!, 16));
		}
	}
	return ports;
}

/** Requests the proxy refused (any host but the two Proxmox names): the tests expect none. */
export function refusedRequests(host: Pmg8Host): string[] {
	return readFileSync(host.proxyLog, 'utf8').split('\n').filter(l => / 403 /.test(l));
}
