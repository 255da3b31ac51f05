import {describe, expect, it} from 'vitest';
import {entryKind, planSources} from '../../source/runtime/pmg-sources.ts';

const entry = (uri: string) => ({path: '/etc/apt/sources.list', line: 1, enabled: true, types: ['deb'], uris: [uri], suites: ['bookworm'], components: ['main'], options: {}});

describe('who publishes a repository entry', () => {
	it.each([
		['http://deb.debian.org/debian', 'debian'],
		['http://security.debian.org/debian-security/', 'debian'],
		['http://ftp.de.debian.org/debian/', 'debian'],
		['https://enterprise.proxmox.com/debian/pmg', 'pmg'],
		['http://download.proxmox.com/debian/pmg/', 'pmg'],
		['http://download.proxmox.com/debian/pve', 'proxmox'],
		// Paths ending in /debian are not Debian's: these vendors decide about trixie themselves.
		['https://download.docker.com/linux/debian', 'third-party'],
		['http://mirror.example.lan/debian', 'third-party'],
		['https://deb.debian.org.evil.example/debian', 'third-party'],
	])('%s is %s', (uri, kind) => {
		expect(entryKind(entry(uri))).toBe(kind);
	});

	it('switches only Debian and Proxmox entries by itself; other vendors only when the operator says so', () => {
		const text = [
			'deb http://deb.debian.org/debian bookworm main',
			'deb https://download.docker.com/linux/debian bookworm stable',
			'',
		].join('\n');
		const input = [{path: '/etc/apt/sources.list', text}];
		const left = planSources(input, {}, null);
		expect(left.plan[0]!.after).toBe(text.replace('debian bookworm main', 'debian trixie main'));
		expect(left.thirdParty.map(t => t.uri)).toEqual(['https://download.docker.com/linux/debian']);
		const switched = planSources(input, {thirdParty: 'switch'}, null);
		expect(switched.plan[0]!.after).not.toContain('bookworm');
		const disabled = planSources(input, {thirdParty: 'disable'}, null);
		expect(disabled.plan[0]!.after).toMatch(/^# ?deb https:\/\/download\.docker\.com\/linux\/debian bookworm stable$/m);
		expect(disabled.plan[0]!.after).toContain('deb http://deb.debian.org/debian trixie main');
	});
});
