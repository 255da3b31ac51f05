/**
 * Real OpenSSH servers for tests: each one Debian's sshd on a free loopback
 * port, with a throwaway host key, one user key for all, and an ssh config
 * file (-F) that trusts them without touching root's known_hosts. Only
 * 127.0.0.1 is ever contacted. Needs root (it logs in as root) and
 * openssh-server.
 */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const SSHD = '/usr/sbin/sshd';

export const freePort = () =>
	new Promise<number>((resolve, reject) => {
		const server = net.createServer();
		server.listen(0, '127.0.0.1', () => {
			const {port} = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
		server.on('error', reject);
	});

async function listening(port: number, ms: number, log: () => string) {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline) {
		const up = await new Promise<boolean>(resolve => {
			const socket = net.connect(port, '127.0.0.1', () => {
				socket.end();
				resolve(true);
			});
			socket.on('error', () => resolve(false));
		});
		if (up) return;
		await new Promise(r => setTimeout(r, 50));
	}
	throw new Error(`sshd did not listen on 127.0.0.1:${port} within ${ms} ms:\n${log()}`);
}

export type SshdSet = {
	dir: string;
	/** The private key every server accepts for root. */
	key: string;
	/** An ssh config file: pass it as ssh -F (StrictHostKeyChecking off, a throwaway known_hosts). */
	config: string;
	ports: number[];
	/** Each server's sshd log (stderr). */
	logs: string[];
	stop(): void;
};

/**
 * What makes one server look like its own machine: sshd runs in a mount and
 * UTS namespace of its own (unshare), with its own hostname, directories of
 * the test bound over paths of this machine (binds: path -> directory), and
 * environment variables for its sessions (SetEnv, e.g. a PATH that starts
 * with the node's own commands).
 */
export type ServerSpec = {hostname?: string; env?: Record<string, string>; binds?: Record<string, string>};

/** Starts one sshd per spec. */
export async function startSshd(specs: ServerSpec[], name: string): Promise<SshdSet> {
	const count = specs.length;
	if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: install Debian's openssh-server (apt-get install -y openssh-server) to run the SSH tests`);
	if (process.getuid?.() !== 0) throw new Error('the SSH tests log in as root over throwaway sshd servers and must run as root (as in CI)');
	const dir = mkdtempSync(path.join(os.tmpdir(), `${name}-sshd-`));
	for (const file of ['host_key', 'user_key']) {
		const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, file)], {encoding: 'utf8'});
		if (made.status !== 0) throw new Error(`ssh-keygen failed: ${made.stderr}`);
	}
	writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(path.join(dir, 'user_key.pub')), {mode: 0o600});
	mkdirSync('/run/sshd', {recursive: true, mode: 0o755});
	const children: ChildProcess[] = [];
	const ports: number[] = [];
	const logs: string[] = [];
	for (let i = 0; i < count; i++) {
		const port = await freePort();
		const spec = specs[i]!;
		const env = Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`);
		const conf = path.join(dir, `sshd_config.${i}`);
		writeFileSync(
			conf,
			[
				`Port ${port}`,
				'ListenAddress 127.0.0.1',
				`HostKey ${path.join(dir, 'host_key')}`,
				`AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
				`PidFile ${path.join(dir, `sshd.${i}.pid`)}`,
				'PermitRootLogin prohibit-password',
				'PasswordAuthentication no',
				'KbdInteractiveAuthentication no',
				'StrictModes no',
				'UsePAM no',
				'UseDNS no',
				...(env.length > 0 ? [`SetEnv ${env.join(' ')}`] : []),
				'',
			].join('\n'),
		);
		// Inside the namespaces: the hostname, then each bind mount, then sshd itself (exec: its pid is the child's).
		const binds = Object.entries(spec.binds ?? {});
		const script = [
			'set -e',
			'[ -z "$1" ] || hostname "$1"',
			// Over existing directories only (/opt, /var/lib): nothing is created outside the namespace.
			...binds.map((_, b) => `mount --bind "\${${2 * b + 2}}" "\${${2 * b + 3}}"`),
			`exec ${SSHD} -D -e -f "\${${2 * binds.length + 2}}"`,
		].join('\n');
		const args = ['--mount', '--uts', '--propagation', 'private', 'sh', '-c', script, 'sh', spec.hostname ?? '', ...binds.flatMap(([target, source]) => [source, target]), conf];
		const child = spawn('unshare', args, {stdio: ['ignore', 'ignore', 'pipe']});
		logs.push('');
		child.stderr!.setEncoding('utf8').on('data', (d: string) => (logs[i] += d));
		children.push(child);
		ports.push(port);
		await listening(port, 10_000, () => logs[i]!);
	}
	const config = path.join(dir, 'ssh_config');
	writeFileSync(config, ['Host *', '  StrictHostKeyChecking no', `  UserKnownHostsFile ${path.join(dir, 'known_hosts')}`, '  LogLevel ERROR', '  ConnectTimeout 5',
		// One connection per server for all the commands of a test (an ssh login costs about a second here); the masters end with their sshd.
		'  ControlMaster auto', `  ControlPath ${path.join(dir, 'cm-%C')}`, '  ControlPersist 60', ''].join('\n'));
	return {
		dir,
		key: path.join(dir, 'user_key'),
		config,
		ports,
		logs,
		stop() {
			// The connection masters first (they would outlive the sshd that serves them), then the servers.
			for (const port of ports) spawnSync('ssh', ['-F', config, '-p', String(port), '-O', 'exit', 'root@127.0.0.1'], {stdio: 'ignore'});
			for (const child of children) child.kill('SIGTERM');
			rmSync(dir, {recursive: true, force: true});
		},
	};
}
