import {describe, expect, it} from 'vitest';
import {compareDebianVersions, isValidDebianVersion, parseDebianRelease, versionAtLeast} from '../../source/probes/debian-version.ts';

const order = (a: string, b: string) => Math.sign(compareDebianVersions(a, b));

describe('compareDebianVersions', () => {
	it('compares digit runs as numbers, so 8.2.10 is newer than 8.2.5', () => {
		expect(order('8.2.10', '8.2.5')).toBe(1);
		expect(order('8.2.5', '8.2.10')).toBe(-1);
	});

	it('lets the epoch win over everything else: 1:1.0 > 2.0', () => {
		expect(order('1:1.0', '2.0')).toBe(1);
		expect(order('0:2.0', '2.0')).toBe(0);
	});

	it('sorts ~ before everything, even the end of the string', () => {
		expect(order('1.0~rc1', '1.0')).toBe(-1);
		expect(order('1.0~~', '1.0~')).toBe(-1);
		expect(order('1.0~rc1', '1.0~rc2')).toBe(-1);
		expect(order('9.0~beta1-1', '8.9-1')).toBe(1);
	});

	it('sorts letters before non-letters', () => {
		expect(order('1.0a', '1.0+')).toBe(-1);
		expect(order('1.0+deb12u1', '1.0')).toBe(1);
		expect(order('1.0a', '1.0')).toBe(1);
	});

	it('ignores leading zeros in digit runs', () => {
		expect(order('1.010', '1.10')).toBe(0);
		expect(order('1.002', '1.2')).toBe(0);
	});

	it('treats a missing revision like -0', () => {
		expect(order('1.0', '1.0-0')).toBe(0);
		expect(order('1.0', '1.0-1')).toBe(-1);
	});

	it('splits the revision at the last hyphen', () => {
		expect(order('1.0-beta-2', '1.0-beta-10')).toBe(-1);
	});

	it('orders real Proxmox and Debian versions as apt does', () => {
		expect(order('8.2.7', '8.1.4')).toBe(1);
		expect(order('252.38-1~deb12u1', '252.38-1')).toBe(-1);
		expect(order('6.8.12-4', '6.8.12-10')).toBe(-1);
		expect(order('248+deb12u1', '248')).toBe(1);
		expect(order('2.36-9+deb12u10', '2.36-9+deb12u9')).toBe(1);
	});

	it('handles digit runs longer than a JavaScript number', () => {
		expect(order('1.123456789012345678901', '1.123456789012345678900')).toBe(1);
	});
});

describe('isValidDebianVersion', () => {
	it('accepts ordinary versions with epoch and revision', () => {
		for (const v of ['8.2.7', '1:2.36-9+deb12u10', '252.38-1~deb12u1', '7.0.0-4', '1.0~rc1', '2:1.2.3+dfsg-1.1'])
			expect(isValidDebianVersion(v), v).toBe(true);
	});

	it('rejects empty, blank, garbage and malformed versions', () => {
		for (const v of ['', ' ', 'not correctly installed', 'abc', '1.0-', ':1.0', 'x:1.0', '1.0 2', '1.0-a_b', '-1', ' 1.0'])
			expect(isValidDebianVersion(v), JSON.stringify(v)).toBe(false);
	});
});

describe('versionAtLeast', () => {
	it('says 8.2.7 is at least 8.2.0 and 8.1.9 is not', () => {
		expect(versionAtLeast('8.2.7', '8.2.0')).toBe(true);
		expect(versionAtLeast('8.2.0', '8.2.0')).toBe(true);
		expect(versionAtLeast('8.1.9', '8.2.0')).toBe(false);
	});

	it('never says a missing or malformed version is new enough', () => {
		expect(versionAtLeast('', '0')).toBe(false);
		expect(versionAtLeast('not correctly installed', '8.2.0')).toBe(false);
	});
});

// /etc/debian_version and /etc/os-release as base-files 12.4+deb12u12 and 13.8+deb13u1 install them.
const OS_RELEASE_12 = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n';
const OS_RELEASE_13 = 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nNAME="Debian GNU/Linux"\nVERSION_ID="13"\nVERSION="13 (trixie)"\nVERSION_CODENAME=trixie\nDEBIAN_VERSION_FULL=13.2\nID=debian\n';
const OS_RELEASE_TESTING = 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nNAME="Debian GNU/Linux"\nVERSION_CODENAME=trixie\nID=debian\n';

describe('parseDebianRelease', () => {
	it('reads a point release of bookworm and of trixie', () => {
		expect(parseDebianRelease('12.12\n', OS_RELEASE_12)).toEqual({major: 12, codename: 'bookworm', version: '12.12'});
		expect(parseDebianRelease('13.2\n', OS_RELEASE_13)).toEqual({major: 13, codename: 'trixie', version: '13.2'});
		// Right after the dist-upgrade, before the first point release.
		expect(parseDebianRelease('13.0\n', null)).toEqual({major: 13, codename: 'trixie', version: '13.0'});
	});

	it('reads testing ("trixie/sid"): a codename, no number', () => {
		expect(parseDebianRelease('trixie/sid\n', OS_RELEASE_TESTING)).toEqual({major: null, codename: 'trixie', version: 'trixie/sid'});
	});

	it('falls back to os-release when debian_version is missing, and says nothing when both are', () => {
		expect(parseDebianRelease(null, OS_RELEASE_13)).toEqual({major: 13, codename: 'trixie', version: null});
		expect(parseDebianRelease(null, null)).toEqual({major: null, codename: null, version: null});
		expect(parseDebianRelease('', "VERSION_ID='x'\n")).toEqual({major: null, codename: null, version: null});
	});

	it('believes debian_version over a hand-edited os-release', () => {
		expect(parseDebianRelease('12.12\n', OS_RELEASE_13)).toMatchObject({major: 12, codename: 'bookworm'});
	});
});
