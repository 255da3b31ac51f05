import {describe, expect, it} from 'vitest';
import {parsePmgVersion} from '../../source/probes/pmgversion.ts';

// Shaped like pmg-api's pmgversion.pm prints them: the meta-package first
// with API and kernel, then pmg-api, pmg-gui, installed kernels and the
// sorted list of other packages.
const VERBOSE = `proxmox-mailgateway: 8.2.0 (API: 8.2.7/3e5a2d5d, running kernel: 6.8.12-4-pve)
pmg-api: 8.2.7
pmg-gui: 4.2.2
proxmox-kernel-helper: 8.1.0
libarchive-perl: 3.6.2
libjs-extjs: 7.0.0-4
libjs-framework7: 4.4.7-1
libpve-apiclient-perl: 3.3.2
libpve-common-perl: 8.2.9
libpve-http-server-perl: 5.1.2
libxdgmime-perl: 1.1.0
lvm2: 2.03.16-2
pmg-docs: 8.1.3
proxmox-mini-journalreader: 1.4.0
proxmox-spamassassin: 4.0.0-6
proxmox-widget-toolkit: 4.3.3
pve-firmware: 3.14-1
pve-xtermjs: 5.3.0-3
vncterm: 1.8.0
zfsutils-linux: not correctly installed
`;

describe('pmgversion', () => {
	it('reads pmg-api 8.2.7 from the verbose listing', () => {
		const facts = parsePmgVersion(VERBOSE);
		expect(facts.pmgApi).toBe('8.2.7');
		expect(facts.runningKernel).toBe('6.8.12-4-pve');
		expect(facts.problems).toEqual([]);
	});

	it('lists every package line, the meta-package with its own version', () => {
		const facts = parsePmgVersion(VERBOSE);
		expect(facts.packages['proxmox-mailgateway']).toBe('8.2.0');
		expect(facts.packages['libjs-extjs']).toBe('7.0.0-4');
		expect(facts.packages['zfsutils-linux']).toBe('not correctly installed');
		expect(Object.keys(facts.packages)).toHaveLength(20);
	});

	it('reads the short form pmg-api/VERSION/REPOID (running kernel: ...)', () => {
		const facts = parsePmgVersion('pmg-api/8.2.7/3e5a2d5d (running kernel: 6.8.12-4-pve)\n');
		expect(facts.pmgApi).toBe('8.2.7');
		expect(facts.runningKernel).toBe('6.8.12-4-pve');
		expect(facts.packages).toEqual({});
		expect(facts.problems).toEqual([]);
	});

	it('reads the container meta-package, whose kernel is the host one', () => {
		const facts = parsePmgVersion('proxmox-mailgateway-container: 8.2.0 (API: 8.2.7/3e5a2d5d, running kernel: 6.8.12-2-pve)\npmg-api: 8.2.7\n');
		expect(facts.pmgApi).toBe('8.2.7');
		expect(facts.runningKernel).toBe('6.8.12-2-pve');
		expect(facts.packages['proxmox-mailgateway-container']).toBe('8.2.0');
	});

	it('still finds the API version when the meta-package is not correctly installed', () => {
		const facts = parsePmgVersion('proxmox-mailgateway: not correctly installed (API: 8.2.7/3e5a2d5d, running kernel: 6.8.12-4-pve)\npmg-api: 8.2.7\n');
		expect(facts.pmgApi).toBe('8.2.7');
		expect(facts.packages['proxmox-mailgateway']).toBe('not correctly installed');
	});

	it('reports pmg-api itself half-installed as a problem', () => {
		const facts = parsePmgVersion('pmg-api: not correctly installed\npmg-gui: 4.2.2\n');
		expect(facts.pmgApi).toBeNull();
		expect(facts.problems.join()).toMatch(/pmg-api is not correctly installed.*dpkg --configure -a/);
	});

	it('falls back to the pmg-api line when the first line is missing', () => {
		expect(parsePmgVersion('pmg-api: 8.1.4\npmg-gui: 4.1.0\n').pmgApi).toBe('8.1.4');
	});

	it('reads PMG 9 output the same way', () => {
		const facts = parsePmgVersion('proxmox-mailgateway: 9.0.0 (API: 9.0.1/a1b2c3d4, running kernel: 6.14.8-2-pve)\npmg-api: 9.0.1\n');
		expect(facts.pmgApi).toBe('9.0.1');
		expect(facts.runningKernel).toBe('6.14.8-2-pve');
	});

	it('ignores the perl locale warnings a broken locale adds to the output', () => {
		const text = `perl: warning: Setting locale failed.
perl: warning: Please check that your locale settings:
	LANGUAGE = (unset),
	LC_ALL = (unset),
	LANG = "de_DE.UTF-8"
    are supported and installed on your system.
perl: warning: Falling back to the standard locale ("C").
${VERBOSE}`;
		const facts = parsePmgVersion(text);
		expect(facts.pmgApi).toBe('8.2.7');
		expect(facts.packages.perl).toBeUndefined();
		expect(facts.problems).toEqual([]);
	});

	it('reads CRLF output and output with colour codes', () => {
		const facts = parsePmgVersion(`\u001b[1m${VERBOSE.replace(/\n/g, '\r\n')}\u001b[0m`);
		expect(facts.pmgApi).toBe('8.2.7');
		expect(facts.runningKernel).toBe('6.8.12-4-pve');
	});

	it('gives pmgApi null and a problem for empty output', () => {
		for (const text of ['', '\n\n', '   ']) {
			const facts = parsePmgVersion(text);
			expect(facts.pmgApi).toBeNull();
			expect(facts.problems).toHaveLength(1);
			expect(facts.problems[0]).toMatch(/printed nothing/);
		}
	});

	it('gives pmgApi null and a problem for garbage', () => {
		for (const text of ['bash: pmgversion: command not found', 'pveversion: pve-manager/8.2.4/faa83925c9641325 (running kernel: 6.8.8-2-pve)', '\u0000\u0001binary']) {
			const facts = parsePmgVersion(text);
			expect(facts.pmgApi).toBeNull();
			expect(facts.problems[0]).toMatch(/no pmg-api version/);
		}
	});

	it('does not trust a truncated first line', () => {
		const facts = parsePmgVersion('proxmox-mailgateway: 8.2.0 (API: 8.2.7/3e5a');
		expect(facts.pmgApi).toBeNull();
		expect(facts.problems).toHaveLength(1);
	});

	// pmg-api 9.1's pmgversion.pm and PMG::API2::APT->versions: the meta-package,
	// pmg-api, pmg-gui, the installed kernel packages newest version first
	// (proxmox-kernel-helper's 9.x sorts above the kernels), then the fixed
	// list sorted by name; a package removed but not purged is "residual config".
	it('reads PMG 9 on trixie, with a package left as residual config', () => {
		const text = [
			'proxmox-mailgateway: 9.0.0 (API: 9.0.3/f1c2a9e4, running kernel: 6.14.11-4-pve)',
			'pmg-api: 9.0.3',
			'pmg-gui: 5.0.2',
			'proxmox-kernel-helper: 9.0.4',
			'proxmox-kernel-6.14.11-4-pve-signed: 6.14.11-4',
			'proxmox-kernel-6.14: 6.14.11-4',
			'proxmox-kernel-6.8.12-15-pve-signed: 6.8.12-15',
			'clamav-daemon: 1.4.3+dfsg-1',
			'ifupdown2: 3.3.0-1+pmx10',
			'libjs-extjs: 7.0.0-5',
			'libproxmox-acme-perl: 1.7.0',
			'libpve-common-perl: 9.0.11',
			'pmg-log-tracker: 3.0.0',
			'postgresql-13: residual config',
			'proxmox-spamassassin: 4.0.1-2',
			'zfsutils-linux: 2.3.4-pve1',
			'',
		].join('\n');
		const facts = parsePmgVersion(text);
		expect(facts.pmgApi).toBe('9.0.3');
		expect(facts.runningKernel).toBe('6.14.11-4-pve');
		expect(facts.packages['proxmox-mailgateway']).toBe('9.0.0');
		expect(facts.packages['proxmox-kernel-6.14.11-4-pve-signed']).toBe('6.14.11-4');
		expect(facts.packages['postgresql-13']).toBe('residual config');
		expect(Object.keys(facts.packages)).toHaveLength(16);
		expect(facts.problems).toEqual([]);
	});

	it('reads the PMG 9 short form', () => {
		expect(parsePmgVersion('pmg-api/9.0.3/f1c2a9e4 (running kernel: 6.14.11-4-pve)\n')).toMatchObject({pmgApi: '9.0.3', runningKernel: '6.14.11-4-pve'});
	});
});
