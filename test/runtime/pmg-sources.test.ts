import {describe, expect, it} from 'vitest';
import {entryKind, planModernize, planSources} from '../../source/runtime/pmg-sources.ts';
import {sample} from '../probes/samples.ts';

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

describe('what apt 3\'s modernize-sources will do, before the operator answers', () => {
	const trixie = (text: string) => text.replaceAll('bookworm', 'trixie');
	const list = 'deb http://deb.debian.org/debian trixie main\ndeb http://deb.debian.org/debian trixie-updates main\n# security\ndeb http://deb.debian.org/debian-security trixie-security main\n';

	it('sources.list with Debian entries goes to debian.sources: appended to the image\'s own, each entry there twice', () => {
		const plan = planModernize(
			[
				{path: '/etc/apt/sources.list', text: list},
				{path: '/etc/apt/sources.list.d/debian.sources', text: trixie(sample('debian.sources'))},
			],
			new Set(['/etc/apt/sources.list.bak']),
		);
		expect(plan.conversions).toEqual([
			{from: '/etc/apt/sources.list', to: '/etc/apt/sources.list.d/debian.sources', entries: 3, appends: true, backup: '/etc/apt/sources.list.bak', replacesBackup: true},
		]);
		expect(plan.duplicates.map(d => `${d.from}:${d.line} ${d.suite} = ${d.to}:${d.toLine}`)).toEqual([
			'/etc/apt/sources.list:1 trixie = /etc/apt/sources.list.d/debian.sources:1',
			'/etc/apt/sources.list:2 trixie-updates = /etc/apt/sources.list.d/debian.sources:1',
			'/etc/apt/sources.list:4 trixie-security = /etc/apt/sources.list.d/debian.sources:8',
		]);
	});

	it('other vendors\' lines in sources.list go to moved-from-main.sources; NAME.list to NAME.sources; .sources files stay', () => {
		const plan = planModernize([
			{path: '/etc/apt/sources.list', text: 'deb https://download.docker.com/linux/debian trixie stable\n'},
			{path: '/etc/apt/sources.list.d/pmg-enterprise.list', text: 'deb https://enterprise.proxmox.com/debian/pmg trixie pmg-enterprise\n'},
			{path: '/etc/apt/sources.list.d/proxmox.sources', text: 'Types: deb\nURIs: http://download.proxmox.com/debian/pmg\nSuites: trixie\nComponents: pmg-no-subscription\n'},
		]);
		expect(plan.conversions.map(c => [c.from, c.to, c.appends, c.replacesBackup])).toEqual([
			['/etc/apt/sources.list', '/etc/apt/sources.list.d/moved-from-main.sources', false, false],
			['/etc/apt/sources.list.d/pmg-enterprise.list', '/etc/apt/sources.list.d/pmg-enterprise.sources', false, false],
		]);
		expect(plan.duplicates).toEqual([]);
	});

	it('a disabled twin, another component or only comments: no duplicate, nothing to convert', () => {
		const sources = 'Types: deb\nURIs: http://deb.debian.org/debian/\nSuites: trixie\nComponents: contrib\n\nTypes: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie-updates\nComponents: main\nEnabled: no\n';
		const plan = planModernize([
			{path: '/etc/apt/sources.list', text: list},
			{path: '/etc/apt/sources.list.d/debian.sources', text: sources},
		]);
		expect(plan.conversions[0]!.appends).toBe(true);
		expect(plan.duplicates).toEqual([]);
		expect(planModernize([{path: '/etc/apt/sources.list', text: '# all in .sources now\n'}]).conversions).toEqual([]);
	});
});
