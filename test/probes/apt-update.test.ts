import {describe, expect, it} from 'vitest';
import {describeFailures, isNeededRepository, parseAptUpdate} from '../../source/probes/apt-update.ts';
import {sample} from './samples.ts';

const both = (name: string) => `${sample(`${name}.stdout`)}\n${sample(`${name}.stderr`)}`;

describe('apt update: the repositories it could not read', () => {
	it('an unreachable repository (apt 2.6 warns and exits 0): named with its suite and apt\'s reason', () => {
		const report = parseAptUpdate(both('apt-update-unreachable'));
		expect(report.failures).toEqual([
			{uri: 'http://127.0.0.1:1/debian', suite: 'bookworm', level: 'warning', reason: 'Could not connect to 127.0.0.1:1 (127.0.0.1). - connect (111: Connection refused)'},
			{uri: 'http://127.0.0.1:1/debian-security', suite: 'bookworm-security', level: 'warning', reason: 'Unable to connect to 127.0.0.1:1:'},
		]);
		expect(report.staleLists).toBe(true);
		expect(report.errors).toEqual([]);
	});

	it('a 401, an unsigned and a missing Release (exit 100): errors, each repository once', () => {
		const report = parseAptUpdate(both('apt-update-refused'));
		const byUri = Object.fromEntries(report.failures.map(f => [f.uri.replace(/^http:\/\/[^/]+/, ''), f]));
		expect(Object.keys(byUri).sort()).toEqual(['/auth/debian/pmg', '/debian', '/missing/debian', '/unsigned/debian']);
		expect(byUri['/auth/debian/pmg']).toMatchObject({suite: 'bookworm', level: 'error'});
		expect(byUri['/auth/debian/pmg']!.reason).toContain('401  Unauthorized'.replace(/\s+/g, ' '));
		expect(byUri['/auth/debian/pmg']!.reason).toContain('is not signed');
		expect(byUri['/missing/debian']!.reason).toContain('404 Not Found');
		expect(byUri['/missing/debian']!.reason).toContain('does not have a Release file');
		expect(byUri['/unsigned/debian']).toMatchObject({level: 'error', reason: 'is not signed'});
		// Only in stdout, as Err: with its reason; apt printed no W: line for it.
		expect(byUri['/debian']!.reason).toContain('Connection refused');
	});

	it('a clean run (Hit/Get lines, apt 3 summary) has no failure', () => {
		const text = [
			'Hit:1 http://deb.debian.org/debian trixie InRelease',
			'Get:2 http://security.debian.org/debian-security trixie-security InRelease [43.4 kB]',
			'Ign:3 http://repo.example.com/deb trixie InRelease',
			'Fetched 43.4 kB in 1s (40 kB/s)',
			'All packages are up to date.',
			'N: Repository \'Debian trixie\' changed its \'firmware component\' value',
		].join('\n');
		expect(parseAptUpdate(text)).toEqual({failures: [], errors: [], staleLists: false});
		expect(parseAptUpdate('')).toEqual({failures: [], errors: [], staleLists: false});
	});

	it('apt 3 spelled-out prefixes, colour, CRLF and a reason on indented lines', () => {
		const text = [
			'\u001b[31mErr:\u001b[0m1 https://enterprise.proxmox.com/debian/pmg trixie InRelease',
			'  401  Unauthorized [IP: 212.224.123.70 443]',
			'\u001b[1;31mError: \u001b[0mFailed to fetch https://enterprise.proxmox.com/debian/pmg/dists/trixie/InRelease  401  Unauthorized [IP: 212.224.123.70 443]\r',
			'\u001b[1;33mWarning: \u001b[0mFailed to fetch http://archive.example.org/debian/dists/trixie/InRelease',
			'  Could not connect to proxy.lan:8000 (10.0.8.2).',
			'    - connect (113: No route to host)',
			'Error: Conflicting values set for option Signed-By regarding source http://deb.debian.org/debian/ trixie: /usr/share/keyrings/debian-archive-keyring.gpg != ',
			'Error: The list of sources could not be read.',
		].join('\n');
		const report = parseAptUpdate(text);
		expect(report.failures).toEqual([
			{uri: 'https://enterprise.proxmox.com/debian/pmg', suite: 'trixie', level: 'error', reason: '401 Unauthorized [IP: 212.224.123.70 443]'},
			{uri: 'http://archive.example.org/debian', suite: 'trixie', level: 'warning', reason: 'Could not connect to proxy.lan:8000 (10.0.8.2). - connect (113: No route to host)'},
		]);
		expect(report.errors).toHaveLength(2);
		expect(report.errors[0]).toContain('Conflicting values set for option Signed-By');
	});

	it('a GPG error names the repository and the missing key', () => {
		const report = parseAptUpdate(
			'W: GPG error: http://download.proxmox.com/debian/pmg trixie InRelease: The following signatures couldn\'t be verified because the public key is not available: NO_PUBKEY A7BCD1420BFE778E\n' +
				"E: The repository 'http://download.proxmox.com/debian/pmg trixie InRelease' is not signed.\n",
		);
		expect(report.failures).toHaveLength(1);
		expect(report.failures[0]).toMatchObject({uri: 'http://download.proxmox.com/debian/pmg', suite: 'trixie', level: 'error'});
		expect(report.failures[0]!.reason).toContain('NO_PUBKEY A7BCD1420BFE778E');
		expect(report.failures[0]!.reason).toContain('is not signed');
	});

	it('needed repositories by host, subdomains included, never by a look-alike', () => {
		const needed = ['debian.org', 'proxmox.com'];
		expect(isNeededRepository('http://deb.debian.org/debian', needed)).toBe(true);
		expect(isNeededRepository('https://enterprise.proxmox.com/debian/pmg', needed)).toBe(true);
		expect(isNeededRepository('http://user:pw@ftp.de.debian.org:80/debian', needed)).toBe(true);
		expect(isNeededRepository('http://notdebian.org/debian', needed)).toBe(false);
		expect(isNeededRepository('https://repo.avast.example/lin/repo', needed)).toBe(false);
		expect(isNeededRepository('cdrom:[Debian]/', needed)).toBe(false);
	});

	it('describes each failure for the screen: which repository, that it is needed, and why', () => {
		const lines = describeFailures(parseAptUpdate(both('apt-update-unreachable')), ['127.0.0.1']);
		expect(lines[0]).toBe('http://127.0.0.1:1/debian bookworm could not be read: Could not connect to 127.0.0.1:1 (127.0.0.1). - connect (111: Connection refused)');
		expect(describeFailures(parseAptUpdate(both('apt-update-unreachable')), ['debian.org'])[0]).toContain('(not needed for the upgrade)');
	});
});
