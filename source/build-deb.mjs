/**
 * `npm run build:deb`: dist/upgrade-wizard_<version>_amd64.deb, made with
 * dpkg-deb from the single executable (`npm run build:binary`, built here
 * when missing): /usr/bin/upgrade-wizard, the scenarios under
 * /usr/share/upgrade-wizard, the man page and the bash completion
 * (`npm run build`), copyright, changelog and the Ansible playbooks
 * (examples/ansible) under /usr/share/doc.
 */
import {execFileSync} from 'node:child_process';
import {chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {gzipSync} from 'node:zlib';
import {fileURLToPath} from 'node:url';
import {buildInfo} from './build-plugins.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const {version} = buildInfo();
const run = (cmd, args) => execFileSync(cmd, args, {cwd: root, stdio: ['ignore', 'inherit', 'inherit']});

if (!existsSync(path.join(dist, 'upgrade-wizard-linux-x64'))) run(process.execPath, ['source/build-binary.mjs']);
if (!existsSync(path.join(dist, 'upgrade-wizard.1'))) run(process.execPath, ['source/build.mjs']);

const tree = path.join(dist, 'deb', 'upgrade-wizard');
rmSync(path.join(dist, 'deb'), {recursive: true, force: true});
const dir = p => {
	mkdirSync(path.join(tree, p), {recursive: true, mode: 0o755});
	return path.join(tree, p);
};
const file = (p, content, mode = 0o644) => {
	writeFileSync(path.join(dir(path.dirname(p)), path.basename(p)), content);
	chmodSync(path.join(tree, p), mode);
};

file('usr/bin/upgrade-wizard', readFileSync(path.join(dist, 'upgrade-wizard-linux-x64')), 0o755);
cpSync(path.join(root, 'scenarios'), dir('usr/share/upgrade-wizard/scenarios'), {recursive: true});
// The Ansible playbooks and their role, as examples to copy next to an inventory (Debian's place for them).
cpSync(path.join(root, 'source/ansible'), dir('usr/share/doc/upgrade-wizard/examples/ansible'), {recursive: true, filter: src => !/(^|\/)(__pycache__|.*\.pyc)$/.test(src)});
file('usr/share/man/man1/upgrade-wizard.1.gz', gzipSync(readFileSync(path.join(dist, 'upgrade-wizard.1')), {level: 9}));
file('usr/share/bash-completion/completions/upgrade-wizard', readFileSync(path.join(dist, 'upgrade-wizard.bash')));
const year = new Date().getUTCFullYear();
file(
	'usr/share/doc/upgrade-wizard/copyright',
	`Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: upgrade-wizard
Source: mail-upgrade-wizard

Files: *
Copyright: ${year} the mail-upgrade-wizard authors
License: Expat
 Permission is hereby granted, free of charge, to any person obtaining a
 copy of this software and associated documentation files (the "Software"),
 to deal in the Software without restriction, including without limitation
 the rights to use, copy, modify, merge, publish, distribute, sublicense,
 and/or sell copies of the Software, and to permit persons to whom the
 Software is furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included
 in all copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL
 THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING
 FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
 DEALINGS IN THE SOFTWARE.
`,
);
const date = execFileSync('date', ['-R', '-u'], {encoding: 'utf8'}).trim();
file(
	'usr/share/doc/upgrade-wizard/changelog.gz',
	gzipSync(`upgrade-wizard (${version}) unstable; urgency=medium\n\n  * Version ${version} of mail-upgrade-wizard.\n\n -- mail-upgrade-wizard maintainers <maintainers@example.org>  ${date}\n`, {level: 9}),
);
// Each override says why the tag does not apply to a single executable made from Node's own binary.
file(
	'usr/share/lintian/overrides/upgrade-wizard',
	`# Node carries its own zlib, statically linked into the single executable.
upgrade-wizard: embedded-library zlib [usr/bin/upgrade-wizard]
# The executable is Node's release binary with the wizard injected (postject): not compiled here.
upgrade-wizard: hardening-no-pie [usr/bin/upgrade-wizard]
# The wizard only stats dpkg's and apt's lock files to name who holds them (/proc/locks); it never reads the database.
upgrade-wizard: uses-dpkg-database-directly [usr/bin/upgrade-wizard]
`,
);
for (const d of ['usr', 'usr/share/upgrade-wizard']) chmodSync(path.join(tree, d), 0o755);
// Copied trees get Debian's modes whatever the checkout's umask was: 0755 directories, 0644 files.
const normalize = p => {
	const full = path.join(tree, p);
	if (statSync(full).isDirectory()) {
		chmodSync(full, 0o755);
		for (const name of readdirSync(full)) normalize(path.join(p, name));
	} else chmodSync(full, 0o644);
};
normalize('usr/share/doc/upgrade-wizard/examples');
normalize('usr/share/upgrade-wizard/scenarios');

const size = Math.ceil(Number(execFileSync('du', ['-sk', '--apparent-size', path.join(tree, 'usr')], {encoding: 'utf8'}).split('\t')[0]));
file(
	'DEBIAN/control',
	`Package: upgrade-wizard
Version: ${version}
Architecture: amd64
Maintainer: mail-upgrade-wizard maintainers <maintainers@example.org>
Installed-Size: ${size}
Depends: libc6 (>= 2.28), libstdc++6 (>= 8), libgcc-s1
Recommends: tmux
Section: admin
Priority: optional
Description: step-by-step wizard for major upgrades of mail systems
 A terminal wizard that walks an administrator through a major-version
 upgrade of a mail system, one explicit step at a time. It covers Proxmox
 Mail Gateway 8 to 9, vmm 0.5 to 0.6 and Sophos PureMessage 5.6 to 6, runs
 on a simulated host for training, and has a read-only pre-flight check
 (upgrade-wizard check) for monitoring.
`,
);
const deb = path.join(dist, `upgrade-wizard_${version}_amd64.deb`);
execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', tree, deb], {stdio: ['ignore', 'ignore', 'inherit']});
process.stdout.write(`${path.relative(root, deb)}: ${(statSync(deb).size / 2 ** 20).toFixed(1)} MiB\n`);
