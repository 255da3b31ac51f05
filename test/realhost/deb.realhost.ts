import {execFileSync, spawnSync} from 'node:child_process';
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

/*
 * The Debian package as an admin meets it: `npm run build:deb` makes it,
 * lintian accepts it, and `apt install ./upgrade-wizard_<version>_amd64.deb`
 * in a clean bookworm root (test/deb/bookworm-root.sh: debootstrap minbase
 * with man-db, cached) installs it; there it answers --version, has its man
 * page and completion, and runs check pmg on the simulated host exactly as
 * the single executable it carries does here. In `npm run test:realhost`,
 * not `npm test`: it needs root (chroot, mount), lintian and the Debian
 * mirror for the root, and xz-compressing the 85 MiB executable alone takes
 * a minute or more.
 */

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const {version} = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as {version: string};
const debName = `upgrade-wizard_${version}_amd64.deb`;
const deb = path.join(repo, 'dist', debName);

let dir = '';
let root = '';
let procMounted = false;

/** What the test cannot run without: say which is missing, never skip. */
function requirements(): string[] {
	const missing: string[] = [];
	if (process.getuid?.() !== 0) missing.push('must run as root (chroot, mount)');
	for (const [tool, pkg] of [
		['dpkg-deb', 'dpkg'],
		['lintian', 'lintian'],
		['debootstrap', 'debootstrap'],
		['chroot', 'coreutils'],
		['ansible-playbook', 'ansible'],
	]) {
		if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) missing.push(`${tool} is missing (apt-get install ${pkg})`);
	}
	if (!existsSync(path.join(repo, 'dist', 'upgrade-wizard-linux-x64'))) missing.push('dist/upgrade-wizard-linux-x64 is missing (npm run build:binary)');
	return missing;
}

/** Paths of the files under dir, relative to it, sorted (no byte-compiled Python). */
function filesUnder(dir: string, prefix = ''): string[] {
	return readdirSync(path.join(dir, prefix), {withFileTypes: true})
		.flatMap(e => (e.isDirectory() ? (e.name === '__pycache__' ? [] : filesUnder(dir, path.join(prefix, e.name))) : [path.join(prefix, e.name)]))
		.sort();
}

/** A command in the root, with a clean environment as a login shell of root would have it. */
function inRoot(argv: string[]) {
	const result = spawnSync('chroot', [root, 'env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'LANG=C.UTF-8', 'TERM=dumb', ...argv], {
		encoding: 'utf8',
		env: {...process.env, DEBIAN_FRONTEND: 'noninteractive'},
	});
	return {status: result.status, stdout: result.stdout, stderr: result.stderr, all: `${result.stdout}${result.stderr}`};
}

beforeAll(() => {
	expect(requirements(), 'what this test needs').toEqual([]);
	// The package from the single executable that test:realhost has just built.
	execFileSync(process.execPath, ['source/build-deb.mjs'], {cwd: repo, stdio: ['ignore', 'inherit', 'inherit']});
	const built = spawnSync(path.join(repo, 'test/deb/bookworm-root.sh'), [], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']});
	if (built.status !== 0) throw new Error(`building the clean bookworm root failed (exit ${built.status}): see the output above`);
	const tarball = built.stdout.trim().split('\n').at(-1)!;
	dir = mkdtempSync(path.join(os.tmpdir(), 'deb-install-'));
	root = path.join(dir, 'root');
	mkdirSync(root);
	execFileSync('tar', ['--numeric-owner', '-xf', tarball, '-C', root]);
	// A Debian system has /proc; the executable finds itself through /proc/self/exe.
	execFileSync('mount', ['-t', 'proc', 'proc', path.join(root, 'proc')]);
	procMounted = true;
});

afterAll(() => {
	if (procMounted) spawnSync('umount', [path.join(root, 'proc')]);
	if (dir) rmSync(dir, {recursive: true, force: true});
});

describe('the Debian package', () => {
	it('has the files the issue asks for, and lintian reports no errors', () => {
		const contents = execFileSync('dpkg-deb', ['--contents', deb], {encoding: 'utf8'});
		for (const file of [
			'./usr/bin/upgrade-wizard',
			'./usr/share/upgrade-wizard/scenarios/',
			'./usr/share/man/man1/upgrade-wizard.1.gz',
			'./usr/share/bash-completion/completions/upgrade-wizard',
			'./usr/share/doc/upgrade-wizard/copyright',
			'./usr/share/doc/upgrade-wizard/changelog.gz',
		]) {
			expect(contents, file).toContain(` ${file}`);
		}
		expect(contents).toMatch(/^-rwxr-xr-x root\/root .* \.\/usr\/bin\/upgrade-wizard$/m);
		expect(execFileSync('dpkg-deb', ['--field', deb, 'Package', 'Version', 'Architecture'], {encoding: 'utf8'})).toBe(
			`Package: upgrade-wizard\nVersion: ${version}\nArchitecture: amd64\n`,
		);
		// The Ansible playbooks and their role, whole, as examples to copy beside an inventory.
		const examples = 'usr/share/doc/upgrade-wizard/examples/ansible';
		const shipped = contents
			.split('\n')
			.filter(l => l.startsWith('-'))
			.map(l => l.split(' ./').at(-1)!)
			.filter(p => p.startsWith(`${examples}/`))
			.map(p => p.slice(examples.length + 1))
			.sort();
		expect(shipped).toEqual(filesUnder(path.join(repo, 'source/ansible')));
		expect(contents).toMatch(new RegExp(`^-rw-r--r-- root/root .* \\./${examples}/fleet-check\\.yml$`, 'm'));
		expect(contents).toMatch(new RegExp(`^drwxr-xr-x root/root .* \\./${examples}/roles/$`, 'm'));
		// ansible-playbook takes them as they are unpacked (the role beside the playbooks).
		const unpacked = mkdtempSync(path.join(os.tmpdir(), 'deb-examples-'));
		try {
			execFileSync('dpkg-deb', ['-x', deb, unpacked]);
			for (const playbook of ['fleet-check.yml', 'rolling-upgrade.yml']) {
				const check = spawnSync('ansible-playbook', ['--syntax-check', '-i', 'inventory.example.ini', playbook], {cwd: path.join(unpacked, examples), encoding: 'utf8', env: {...process.env, ANSIBLE_NOCOLOR: '1'}});
				expect(check.status, `${playbook}: ${check.stdout}${check.stderr}`).toBe(0);
			}
		} finally {
			rmSync(unpacked, {recursive: true, force: true});
		}

		const lintian = spawnSync('lintian', ['--fail-on', 'error', deb], {encoding: 'utf8'});
		const report = `${lintian.stdout}${lintian.stderr}`;
		expect(report.split('\n').filter(line => line.startsWith('E: ')), report).toEqual([]);
		expect(lintian.status, report).toBe(0);
	});

	it('installs with apt install ./upgrade-wizard_<version>_amd64.deb into a clean bookworm root and runs there', () => {
		expect(readFileSync(path.join(root, 'etc/debian_version'), 'utf8')).toMatch(/^12\./);
		expect(inRoot(['sh', '-c', 'command -v upgrade-wizard node nodejs']).stdout).toBe('');
		copyFileSync(deb, path.join(root, 'root', debName));
		const install = inRoot(['sh', '-c', `cd /root && apt install -y ./${debName}`]);
		expect(install.status, install.all).toBe(0);
		expect(install.stdout).toMatch(/Setting up upgrade-wizard \(/);
		expect(inRoot(['dpkg-query', '-W', '-f', '${Status} ${Version}', 'upgrade-wizard']).stdout).toBe(`install ok installed ${version}`);

		// No node in the root: the package's executable is all it takes.
		const versionRun = inRoot(['upgrade-wizard', '--version']);
		expect(versionRun.status, versionRun.all).toBe(0);
		expect(versionRun.stdout).toMatch(new RegExp(`^upgrade-wizard ${version.replaceAll('.', '\\.')}( \\(commit [0-9a-f]+\\))?\\n$`));

		const manual = inRoot(['man', '-w', 'upgrade-wizard']);
		expect(manual.status, manual.all).toBe(0);
		expect(manual.stdout).toBe('/usr/share/man/man1/upgrade-wizard.1.gz\n');
		const page = inRoot(['sh', '-c', 'MANWIDTH=80 man upgrade-wizard']);
		expect(page.status, page.all).toBe(0);
		expect(page.stdout).toMatch(/^NAME\n\s+upgrade-wizard - /m);

		const completion = inRoot(['bash', '-c', '. /usr/share/bash-completion/completions/upgrade-wizard && complete -p upgrade-wizard']);
		expect(completion.status, completion.all).toBe(0);
		expect(completion.stdout).toMatch(/^complete .* upgrade-wizard$/m);

		// check pmg on the simulated host: the same report and exit status as
		// the single executable gives on this machine.
		const check = inRoot(['upgrade-wizard', 'check', 'pmg', '--simulate', 'clean']);
		const here = spawnSync(path.join(repo, 'dist/upgrade-wizard-linux-x64'), ['check', 'pmg', '--simulate', 'clean'], {
			encoding: 'utf8',
			env: {PATH: '/usr/bin:/bin', HOME: '/root', LANG: 'C.UTF-8', TERM: 'dumb'},
		});
		expect(check.stdout).toMatch(/^upgrade-wizard check pmg on .* \(simulated\)\n/);
		expect(check.stdout).toMatch(/^\d+ checks: \d+ PASS, /m);
		expect(check.stderr).toBe('');
		expect(check.stdout).toBe(here.stdout);
		expect(check.status).toBe(here.status);

		// And it goes again without a trace of its files.
		const removal = inRoot(['dpkg', '--purge', 'upgrade-wizard']);
		expect(removal.status, removal.all).toBe(0);
		for (const gone of ['usr/bin/upgrade-wizard', 'usr/share/upgrade-wizard', 'usr/share/man/man1/upgrade-wizard.1.gz', 'usr/share/doc/upgrade-wizard']) {
			expect(existsSync(path.join(root, gone)), gone).toBe(false);
		}
	});
});
