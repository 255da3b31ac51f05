import {describe, expect, it} from 'vitest';
import {parseDpkgQueryStatus} from '../../source/probes/dpkg.ts';
import {sample} from './samples.ts';

describe('dpkg-query status', () => {
	it('reads the real output: installed, known-but-not-installed, and unknown on stderr', () => {
		expect(parseDpkgQueryStatus(sample('dpkg-query.stdout'), sample('dpkg-query.stderr'))).toEqual({
			dpkg: 'installed',
			libc6: 'installed',
			'systemd-boot': 'not-installed',
			'linux-image-amd64': 'not-installed',
		});
	});

	it('reads a package removed but not purged as config-files', () => {
		expect(parseDpkgQueryStatus('linux-image-amd64\tconfig-files\nsystemd-boot\tinstalled\n', '')).toEqual({
			'linux-image-amd64': 'config-files',
			'systemd-boot': 'installed',
		});
	});

	it('passes half-installed states through', () => {
		expect(parseDpkgQueryStatus('pmg-api\thalf-configured\nlibc6\tunpacked\n', '')).toEqual({'pmg-api': 'half-configured', libc6: 'unpacked'});
	});

	it('lets the more installed of two architectures win', () => {
		expect(parseDpkgQueryStatus('libfoo\tinstalled\nlibfoo\tnot-installed\n', '')).toEqual({libfoo: 'installed'});
		expect(parseDpkgQueryStatus('libfoo\tconfig-files\nlibfoo\tinstalled\n', '')).toEqual({libfoo: 'installed'});
	});

	it('names an arch-qualified request without its architecture', () => {
		expect(parseDpkgQueryStatus('', 'dpkg-query: no packages found matching libfoo:i386\n')).toEqual({libfoo: 'not-installed'});
	});

	it('marks requested names no line mentions, for a translated stderr', () => {
		const stderr = 'dpkg-query: Kein Paket gefunden, das auf linux-image-amd64 passt\n';
		expect(parseDpkgQueryStatus('systemd-boot\tinstalled\n', stderr, ['linux-image-amd64', 'systemd-boot'])).toEqual({
			'systemd-boot': 'installed',
			'linux-image-amd64': 'not-installed',
		});
	});

	it('reads CRLF and ignores lines without a tab', () => {
		expect(parseDpkgQueryStatus('dpkg\tinstalled\r\ngarbage line\r\n\tno-name\r\n', '')).toEqual({dpkg: 'installed'});
	});

	it('gives nothing for empty output', () => {
		expect(parseDpkgQueryStatus('', '')).toEqual({});
	});
});
