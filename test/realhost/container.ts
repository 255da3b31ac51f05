/**
 * A booted Debian container for the real-host test: systemd-nspawn --boot on
 * a throwaway copy of the cached root, restarted in place when it reboots
 * (nspawn exits with status 133 on a reboot inside; the loop here plays the
 * part systemd-nspawn@.service plays on a host that runs systemd). Commands
 * run in it through nsenter into all namespaces of its PID 1.
 */
import {execFileSync, spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {closeSync, existsSync, mkdirSync, openSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);

/** Path of the cached bookworm root tarball (built on the first run). */
export function cachedRoot(): string {
	const result = spawnSync(path.join(here, 'build-root.sh'), [], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']});
	if (result.status !== 0) throw new Error(`building the bookworm root failed (exit ${result.status}): see the output above`);
	return result.stdout.trim().split('\n').at(-1)!;
}

/** What the test cannot run without: say which is missing, never skip. */
export function requirements(): string[] {
	const missing: string[] = [];
	if (process.getuid?.() !== 0) missing.push('must run as root (debootstrap, systemd-nspawn, nsenter)');
	for (const [tool, pkg] of [
		['debootstrap', 'debootstrap'],
		['systemd-nspawn', 'systemd-container'],
		['nsenter', 'util-linux'],
		['dpkg-deb', 'dpkg'],
		['dpkg-scanpackages', 'dpkg-dev'],
		['gpg', 'gpg'],
		['openssl', 'openssl'],
		['tmux', 'tmux'],
	]) {
		if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) missing.push(`${tool} is missing (apt-get install ${pkg})`);
	}
	return missing;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

export class Container {
	private loop: ChildProcess | null = null;
	readonly log: string;

	constructor(
		readonly root: string,
		readonly dir: string,
		readonly name = 'pmgrealhost',
		/** host:container bind mounts (the apt archive cache). */
		readonly binds: string[] = [],
	) {
		this.log = path.join(dir, 'console.log');
	}

	/** Boot it; returns once systemd inside says running (or degraded). */
	async start(timeoutMs = 120_000) {
		// These machines run no systemd: nspawn needs a tmpfs here to clean
		// up its propagation directory, else it exits at once.
		if (spawnSync('mountpoint', ['-q', '/run/systemd/nspawn']).status !== 0) {
			mkdirSync('/run/systemd/nspawn', {recursive: true});
			execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', '/run/systemd/nspawn']);
		}
		const out = openSync(this.log, 'a');
		const script = [
			'while :; do',
			`  systemd-nspawn --boot --register=no --keep-unit --console=read-only -D '${this.root}' -M '${this.name}'${this.binds.map(b => ` '--bind=${b}'`).join('')}`,
			'  rc=$?; echo "[nspawn exit $rc]"',
			'  [ "$rc" = 133 ] || exit "$rc"',
			'done',
		].join('\n');
		this.loop = spawn('bash', ['-c', script], {stdio: ['ignore', out, out], detached: true});
		closeSync(out);
		await this.waitUp(timeoutMs);
	}

	/** Times the container has booted so far (1 before any reboot). */
	boots(): number {
		return 1 + (readFileSync(this.log, 'utf8').match(/\[nspawn exit 133\]/g)?.length ?? 0);
	}

	/** PID (on this machine) of the container's systemd, or null while it is down. */
	leader(): number | null {
		if (!this.loop?.pid) return null;
		const nspawn = spawnSync('pgrep', ['-P', String(this.loop.pid), '-x', 'systemd-nspawn'], {encoding: 'utf8'}).stdout.trim();
		if (!nspawn) return null;
		const pid = spawnSync('pgrep', ['-P', nspawn.split('\n')[0]!], {encoding: 'utf8'}).stdout.trim().split('\n')[0];
		return pid ? Number(pid) : null;
	}

	/** Wait until a booted systemd answers; fail with the console's tail if not. */
	async waitUp(timeoutMs = 120_000) {
		const deadline = Date.now() + timeoutMs;
		let state = '';
		while (Date.now() < deadline) {
			if (this.loop && this.loop.exitCode !== null) break;
			const pid = this.leader();
			if (pid) {
				const r = spawnSync('nsenter', ['-t', String(pid), '-a', '--', 'systemctl', 'is-system-running'], {encoding: 'utf8'});
				state = r.stdout.trim();
				if (state === 'running' || state === 'degraded') return;
			}
			await sleep(300);
		}
		const tail = existsSync(this.log) ? readFileSync(this.log, 'utf8').slice(-3000) : '(no console output)';
		throw new Error(`the container did not boot within ${timeoutMs / 1000} s (systemd state: ${state || 'none'}; nspawn ${this.loop?.exitCode === null ? 'still running' : `exited ${this.loop?.exitCode}`}). Console:\n${tail}`);
	}

	/** Run a command in the container as root with a clean environment; returns stdout, throws on failure. */
	exec(argv: string[], options: {input?: string; env?: Record<string, string>; allowFail?: boolean; timeoutMs?: number} = {}): string {
		const r = this.run(argv, options);
		if (r.status !== 0 && !options.allowFail) throw new Error(`in the container: ${argv.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
		return r.stdout;
	}

	run(argv: string[], options: {input?: string; env?: Record<string, string>; timeoutMs?: number} = {}) {
		const pid = this.leader();
		if (!pid) throw new Error(`the container is not running (console: ${this.log})`);
		const env = {PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8', TERM: 'linux', ...options.env};
		const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
		const r = spawnSync('nsenter', ['-t', String(pid), '-a', '--', 'env', '-i', ...envArgs, ...argv], {
			encoding: 'utf8',
			input: options.input,
			timeout: options.timeoutMs ?? 600_000,
			maxBuffer: 64 * 1024 * 1024,
		});
		return {status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? ''};
	}

	/** Wait for a reboot started inside to have happened and the container to be up again. */
	async waitRebooted(bootsBefore: number, timeoutMs = 180_000) {
		const deadline = Date.now() + timeoutMs;
		while (this.boots() <= bootsBefore) {
			if (Date.now() > deadline) throw new Error(`the container did not reboot within ${timeoutMs / 1000} s; console:\n${readFileSync(this.log, 'utf8').slice(-2000)}`);
			if (this.loop && this.loop.exitCode !== null) throw new Error(`nspawn stopped instead of rebooting (exit ${this.loop.exitCode}); console:\n${readFileSync(this.log, 'utf8').slice(-2000)}`);
			await sleep(300);
		}
		await this.waitUp(Math.max(10_000, deadline - Date.now()));
	}

	/** Power it off; kill what is left. */
	async stop() {
		const loop = this.loop;
		if (!loop?.pid) return;
		const pid = this.leader();
		// The loop must not boot it again.
		try {
			process.kill(loop.pid, 'SIGTERM');
		} catch {}
		if (pid) spawnSync('nsenter', ['-t', String(pid), '-a', '--', 'systemctl', 'poweroff'], {timeout: 10_000});
		const deadline = Date.now() + 30_000;
		while (Date.now() < deadline && spawnSync('pgrep', ['-f', `-D ${this.root} `]).status === 0) await sleep(300);
		const left = spawnSync('pgrep', ['-f', `systemd-nspawn --boot --register=no --keep-unit --console=read-only -D ${this.root} `], {encoding: 'utf8'}).stdout.trim();
		// Not shut down in time: its init first (that ends every process of its PID namespace, postfix
		// and PostgreSQL with their ports included), then nspawn. Killing nspawn alone leaves them running.
		for (const p of [...(pid ? [pid] : []), ...left.split('\n').filter(Boolean).map(Number)]) {
			try {
				process.kill(p, 'SIGKILL');
			} catch {}
		}
		for (let i = 0; i < 100 && pid && existsSync(`/proc/${pid}`); i++) await sleep(100);
		this.loop = null;
	}
}

/**
 * systemd-nspawn gives each boot of a container a random boot id of its own
 * (mounted over /proc/sys/kernel/random/boot_id), but LXC (Proxmox VE's
 * containers, where many PMG run) shows the host kernel's, which a reboot of
 * the container does not change. This unit makes the nspawn container behave
 * like LXC: early in every boot it removes nspawn's mounts, so that the host
 * kernel's boot id shows and only the marker under /run can tell the wizard
 * that a reboot happened.
 */
export function hostBootId(root: string) {
	const unit = [
		'[Unit]',
		'Description=Boot id of the host kernel, as in an LXC container (real-host test)',
		'DefaultDependencies=no',
		'Before=sysinit.target systemd-journald.service',
		'',
		'[Service]',
		'Type=oneshot',
		'RemainAfterExit=yes',
		"ExecStart=/bin/sh -c 'while umount /proc/sys/kernel/random/boot_id 2>/dev/null; do :; done'",
		'',
		'[Install]',
		'WantedBy=sysinit.target',
		'',
	].join('\n');
	writeFileSync(path.join(root, 'etc/systemd/system/lxc-host-boot-id.service'), unit);
	mkdirSync(path.join(root, 'etc/systemd/system/sysinit.target.wants'), {recursive: true});
	symlinkSync('/etc/systemd/system/lxc-host-boot-id.service', path.join(root, 'etc/systemd/system/sysinit.target.wants/lxc-host-boot-id.service'));
}
