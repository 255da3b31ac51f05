import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {parseSourcesFile} from '../../source/probes/apt-sources.ts';
import {baseSuite, parseDkmsStatus, parseGetentHosts, parseIpAddr, parseUpgradable, parseX509Key, suiteMix, weakSshCiphers} from '../../source/probes/preflight.ts';

const sample = (name: string) => readFileSync(new URL(`samples/${name}`, import.meta.url), 'utf8');

describe('apt list --upgradable', () => {
	it('reads every package of real output (Debian 12 with pending updates), skipping "Listing..."', () => {
		const list = parseUpgradable(sample('apt-list-upgradable.txt'));
		expect(list).toHaveLength(11);
		expect(list[0]).toEqual({name: 'appstream', version: '0.16.1-2+b1', from: '0.16.1-2'});
		expect(list.map(p => p.name)).toContain('apt-transport-https');
		expect(list.find(p => p.name === 'ca-certificates')).toEqual({name: 'ca-certificates', version: '20250419~deb12u2', from: '20230311+deb12u1'});
	});

	it('reads nothing from an empty list, apt\'s warning, or text that is not a package line', () => {
		expect(parseUpgradable('Listing...\n')).toEqual([]);
		expect(parseUpgradable(sample('apt-list-upgradable.stderr'))).toEqual([]);
		expect(parseUpgradable('E: Could not open lock file /var/lib/dpkg/lock-frontend\n')).toEqual([]);
		// A line cut off in the middle still names its package.
		expect(parseUpgradable('Listing...\nzlib1g/oldstable 1:1.2.13 amd64\n')).toEqual([{name: 'zlib1g', version: '1:1.2.13', from: null}]);
	});
});

describe('ip -o addr show', () => {
	it('reads each address with its interface from real output, IPv4 and IPv6', () => {
		const addresses = parseIpAddr(sample('ip-o-addr.txt'));
		expect(addresses).toContainEqual({ifname: 'lo', address: '127.0.0.1'});
		expect(addresses).toContainEqual({ifname: 'lo', address: '::1'});
		expect(addresses.filter(a => a.ifname === 'eth0').length).toBe(3);
	});

	it('names a veth or VLAN interface without its @peer, and ignores link lines', () => {
		const text = '5: vmbr0.20@vmbr0    inet 198.51.100.7/24 brd 198.51.100.255 scope global vmbr0.20\\       valid_lft forever preferred_lft forever\n3: veth1@if2: <BROADCAST> mtu 1500 qdisc noqueue\n';
		expect(parseIpAddr(text)).toEqual([{ifname: 'vmbr0.20', address: '198.51.100.7'}]);
	});
});

describe('getent hosts', () => {
	it('takes the first address of the first line, and null when nothing resolved', () => {
		expect(parseGetentHosts('192.0.2.10      pmg1.example.lan pmg1\n')).toBe('192.0.2.10');
		expect(parseGetentHosts('2001:DB8::10    pmg1\n192.0.2.10 pmg1\n')).toBe('2001:db8::10');
		expect(parseGetentHosts('')).toBeNull();
	});
});

describe('openssl x509 -noout -text', () => {
	it('reads the key type and size of real certificates made with openssl 3.0', () => {
		expect(parseX509Key(sample('x509-rsa2048.txt'))).toEqual({type: 'RSA', algorithm: 'rsaEncryption', bits: 2048});
		expect(parseX509Key(sample('x509-rsa1024.txt'))).toEqual({type: 'RSA', algorithm: 'rsaEncryption', bits: 1024});
		expect(parseX509Key(sample('x509-ec256.txt'))).toEqual({type: 'EC', algorithm: 'id-ecPublicKey', bits: 256});
	});

	it('says nothing for what is not a certificate, and has no size when the line is missing', () => {
		expect(parseX509Key('Could not read certificate from bad.pem\nUnable to load certificate\n')).toBeNull();
		expect(parseX509Key('        Public Key Algorithm: ED25519\n            ED25519 Public-Key:\n')).toEqual({type: 'other', algorithm: 'ED25519', bits: null});
	});
});

describe('dkms status', () => {
	it('one entry per module line; none for empty output', () => {
		expect(parseDkmsStatus('')).toEqual([]);
		expect(parseDkmsStatus('\n')).toEqual([]);
		const text = 'r8168/8.052.01, 6.8.12-15-pve, x86_64: installed\nzfs/2.2.7, 6.8.12-15-pve, x86_64: installed (WARNING! Diff between built and installed module!)\n';
		expect(parseDkmsStatus(text)).toEqual(['r8168/8.052.01, 6.8.12-15-pve, x86_64: installed', 'zfs/2.2.7, 6.8.12-15-pve, x86_64: installed (WARNING! Diff between built and installed module!)']);
	});
});

describe('ciphers in /root/.ssh/config', () => {
	it('finds the ciphers the new OpenSSH lacks, with their line, in any case and with + or - prefixes', () => {
		const config = 'Host old-switch\n    Ciphers aes128-ctr,3des-cbc\n# Ciphers arcfour (commented)\nHost *\n  ciphers=+blowfish-cbc\n  Ciphers aes256-gcm@openssh.com\n';
		expect(weakSshCiphers(config)).toEqual([
			{line: 2, cipher: '3des-cbc'},
			{line: 5, cipher: 'blowfish-cbc'},
		]);
		expect(weakSshCiphers('Host *\n  Ciphers chacha20-poly1305@openssh.com\n')).toEqual([]);
		expect(weakSshCiphers('')).toEqual([]);
	});
});

describe('suites of the apt sources', () => {
	it('takes the pocket off a suite', () => {
		expect(['bookworm-security', 'bookworm-updates', 'bookworm-proposed-updates', 'bookworm-backports', 'debian-trixie', 'trixie'].map(baseSuite)).toEqual([
			'bookworm',
			'bookworm',
			'bookworm',
			'bookworm',
			'trixie',
			'trixie',
		]);
	});

	it('finds old and new suites mixed across .list and .sources files, and suites that are neither; disabled entries do not count', () => {
		const list = parseSourcesFile('/etc/apt/sources.list', 'deb http://deb.debian.org/debian bookworm main\n# deb http://deb.debian.org/debian trixie main\n');
		const sources = parseSourcesFile(
			'/etc/apt/sources.list.d/debian.sources',
			'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie trixie-updates\nComponents: main\n\nTypes: deb\nURIs: http://example.com/repo\nSuites: stable\nComponents: main\n\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: sid\nComponents: main\nEnabled: no\n',
		);
		const mix = suiteMix([...list.entries, ...sources.entries], 'bookworm', 'trixie');
		expect(mix.old).toEqual(['/etc/apt/sources.list:1']);
		expect(mix.next).toEqual(['/etc/apt/sources.list.d/debian.sources:1', '/etc/apt/sources.list.d/debian.sources:1']);
		expect(mix.unusual).toEqual(['/etc/apt/sources.list.d/debian.sources:6 (stable)']);
	});
});
