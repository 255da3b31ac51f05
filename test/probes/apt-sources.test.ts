import {describe, expect, it} from 'vitest';
import {
	aptEnabled,
	disableEntries,
	findSuiteEntries,
	lineDiff,
	parseSourcesFile,
	renameSuite,
	rewriteSuites,
	signedByConflicts,
} from '../../source/probes/apt-sources.ts';
import {sample} from './samples.ts';

const LIST = '/etc/apt/sources.list';
const SOURCES = '/etc/apt/sources.list.d/debian.sources';

// A PMG 8 host as the ISO installs it, plus what admins tend to add.
const PMG_LIST = `# deb http://ftp.debian.org/debian bookworm main contrib
deb http://ftp.debian.org/debian bookworm main contrib
deb http://ftp.debian.org/debian bookworm-updates main contrib

# security updates
deb http://security.debian.org bookworm-security main contrib

# PMG pmg-no-subscription repository provided by proxmox.com,
# NOT recommended for production use
deb http://download.proxmox.com/debian/pmg bookworm pmg-no-subscription
`;

describe('apt sources, one-line style', () => {
	it('reads deb lines with their 1-based line numbers and skips comments and blank lines', () => {
		const file = parseSourcesFile(LIST, PMG_LIST);
		expect(file.format).toBe('list');
		expect(file.errors).toEqual([]);
		expect(file.entries.map(e => [e.line, e.uris[0], e.suites[0], e.components.join(' ')])).toEqual([
			[2, 'http://ftp.debian.org/debian', 'bookworm', 'main contrib'],
			[3, 'http://ftp.debian.org/debian', 'bookworm-updates', 'main contrib'],
			[6, 'http://security.debian.org', 'bookworm-security', 'main contrib'],
			[10, 'http://download.proxmox.com/debian/pmg', 'bookworm', 'pmg-no-subscription'],
		]);
		expect(file.entries.every(e => e.enabled && e.types[0] === 'deb' && e.path === LIST)).toBe(true);
	});

	it('does not count a commented "# deb ..." line as an entry', () => {
		const file = parseSourcesFile(LIST, '# deb http://deb.debian.org/debian bookworm main\n#deb-src http://deb.debian.org/debian bookworm main\n');
		expect(file.entries).toEqual([]);
		expect(file.errors).toEqual([]);
	});

	it('reads deb-src and an option block with spaces', () => {
		const [entry] = parseSourcesFile(LIST, 'deb-src [ arch=amd64 signed-by=/usr/share/keyrings/x.gpg ] https://example.org/debian bookworm main\n').entries;
		expect(entry).toMatchObject({types: ['deb-src'], options: {arch: 'amd64', 'signed-by': '/usr/share/keyrings/x.gpg'}, uris: ['https://example.org/debian']});
	});

	it('reads an option block written [arch=amd64] without spaces', () => {
		const [entry] = parseSourcesFile(LIST, 'deb [arch=amd64,arm64 trusted=yes] http://example.org/debian bookworm main\n').entries;
		expect(entry?.options).toEqual({arch: 'amd64,arm64', trusted: 'yes'});
		expect(entry?.suites).toEqual(['bookworm']);
	});

	it('keeps a # inside [ ] and drops a trailing comment, as apt does', () => {
		const [entry] = parseSourcesFile(LIST, 'deb [ signed-by=/x#y.gpg ] http://example.org/two bookworm main # comment\n').entries;
		expect(entry?.options['signed-by']).toBe('/x#y.gpg');
		expect(entry?.components).toEqual(['main']);
	});

	it('reads indented lines, tabs and CRLF line ends', () => {
		const file = parseSourcesFile(LIST, ' deb\thttp://example.org/three bookworm-updates main contrib\t# tab comment\r\ndeb http://example.org/six bookworm main\r\n');
		expect(file.errors).toEqual([]);
		expect(file.entries.map(e => [e.suites[0], e.components])).toEqual([
			['bookworm-updates', ['main', 'contrib']],
			['bookworm', ['main']],
		]);
	});

	it('reads an exact-path suite ending in / without components', () => {
		const [entry] = parseSourcesFile(LIST, 'deb http://example.org/five exact/path/\n').entries;
		expect(entry).toMatchObject({suites: ['exact/path/'], components: []});
	});

	it('reports a deb line without URI, suite or components with what to do', () => {
		const file = parseSourcesFile(LIST, '# ok\n\ndeb http://deb.debian.org/debian\n');
		expect(file.entries).toEqual([]);
		expect(file.errors).toEqual([
			{
				path: LIST,
				line: 3,
				message: 'line 3: a deb line needs a URI, a suite and (unless the suite ends in /) components; apt stops at this line: fix it, or comment it out with #',
			},
		]);
	});

	it('reports each kind of line apt refuses', () => {
		const cases: Array<[string, RegExp]> = [
			['deb[arch=amd64] http://example.org/x bookworm main', /needs a space between deb and \[/],
			['deb http://example.org/x bookworm', /suite "bookworm" has no component/],
			['deb http://example.org/x exact/ main', /ends in \/ .*takes no components/],
			['deb [arch=amd64 http://example.org/x bookworm main', /option "http:\/\/example.org\/x" in \[ \] needs the form name=value/],
			['deb [arch=amd64', /not closed/],
			['deb [arch] http://example.org/x bookworm main', /option "arch"/],
			['deb example.org bookworm main', /"example.org" is not a URI/],
			['rpm http://example.org/x bookworm main', /"rpm" is not deb or deb-src/],
			['deb', /needs a URI/],
			['bookworm main', /"bookworm" is not deb or deb-src/],
		];
		for (const [line, message] of cases) {
			const file = parseSourcesFile(LIST, `${line}\n`);
			expect(file.entries, line).toEqual([]);
			expect(file.errors[0]?.message, line).toMatch(message);
			expect(file.errors[0]?.line).toBe(1);
		}
	});

	it('reads an empty file and a file of comments as no entries and no errors', () => {
		expect(parseSourcesFile(LIST, '')).toEqual({path: LIST, format: 'list', entries: [], errors: []});
		expect(parseSourcesFile(LIST, '\n\n# nothing here\n   \n').entries).toEqual([]);
	});

	it('reports garbage line by line without giving up on the good lines', () => {
		const file = parseSourcesFile(LIST, '\u0000\u0001\u0002\nhello world\ndeb http://deb.debian.org/debian bookworm main\n');
		expect(file.entries).toHaveLength(1);
		expect(file.errors.map(e => e.line)).toEqual([1, 2]);
	});

	it('reads a file whose last line has no newline', () => {
		expect(parseSourcesFile(LIST, 'deb http://deb.debian.org/debian bookworm main').entries).toHaveLength(1);
	});

	it('uses one-line style for every name that does not end in .sources', () => {
		expect(parseSourcesFile('/etc/apt/sources.list.d/pmg-enterprise.list', 'deb http://x.org/d bookworm main').format).toBe('list');
		expect(parseSourcesFile('/etc/apt/sources.list.d/x.sources.bak', 'deb http://x.org/d bookworm main').format).toBe('list');
	});
});

describe('apt sources, deb822 style', () => {
	it('reads the real debian.sources of the bookworm image, comments inside stanzas included', () => {
		const file = parseSourcesFile(SOURCES, sample('debian.sources'));
		expect(file.format).toBe('deb822');
		expect(file.errors).toEqual([]);
		expect(file.entries.map(e => ({line: e.line, uris: e.uris, suites: e.suites, components: e.components}))).toEqual([
			{line: 1, uris: ['http://deb.debian.org/debian'], suites: ['bookworm', 'bookworm-updates'], components: ['main']},
			{line: 8, uris: ['http://deb.debian.org/debian-security'], suites: ['bookworm-security'], components: ['main']},
		]);
		expect(file.entries[0]?.options).toEqual({'signed-by': '/usr/share/keyrings/debian-archive-keyring.gpg'});
	});

	it('treats Enabled: no, false, No, off, 0 and 0x0 as disabled', () => {
		for (const value of ['no', 'false', 'No', 'FALSE', 'off', 'disable', 'without', '0', '0x0', '00']) {
			const [entry] = parseSourcesFile(SOURCES, `Types: deb\nURIs: http://x.org/d\nSuites: bookworm\nComponents: main\nEnabled: ${value}\n`).entries;
			expect(entry?.enabled, value).toBe(false);
		}
	});

	it('treats any other value of Enabled as enabled, as apt does (checked with apt 2.6.1)', () => {
		for (const value of ['yes', 'Yes', 'true', '1', 'maybe', '2', 'nope', '']) {
			const [entry] = parseSourcesFile(SOURCES, `Types: deb\nURIs: http://x.org/d\nSuites: bookworm\nComponents: main\nEnabled: ${value}\n`).entries;
			expect(entry?.enabled, JSON.stringify(value)).toBe(true);
		}
		expect(aptEnabled('maybe')).toBe(true);
		expect(aptEnabled('0x1')).toBe(true);
		expect(aptEnabled('08')).toBe(true);
	});

	it('reads field names in any case', () => {
		const [entry] = parseSourcesFile(SOURCES, 'types: deb deb-src\nURIS: http://x.org/d\nsuites: bookworm\nCOMPONENTS: main contrib\nenabled: NO\n').entries;
		expect(entry).toMatchObject({types: ['deb', 'deb-src'], suites: ['bookworm'], components: ['main', 'contrib'], enabled: false});
	});

	it('reads a multi-line Signed-By key block and names options like the one-line style', () => {
		const text = `Types: deb
URIs: http://download.proxmox.com/debian/pmg
Suites: bookworm
Components: pmg-no-subscription
Architectures: amd64
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBGSQYcABEADR0N5XJgyCQtOxd3A3mSoGJyPJDhgf4k2IfrsZx7Q5D1+bTCRi
 -----END PGP PUBLIC KEY BLOCK-----
`;
		const file = parseSourcesFile(SOURCES, text);
		expect(file.errors).toEqual([]);
		expect(file.entries[0]?.options).toEqual({
			arch: 'amd64',
			'signed-by': '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGSQYcABEADR0N5XJgyCQtOxd3A3mSoGJyPJDhgf4k2IfrsZx7Q5D1+bTCRi\n-----END PGP PUBLIC KEY BLOCK-----',
		});
	});

	it('does not make an entry of a stanza that is commented out as a whole', () => {
		const text = `# Types: deb
# URIs: http://download.proxmox.com/debian/pmg
# Suites: bookworm
# Components: pmg-no-subscription

Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
`;
		const file = parseSourcesFile(SOURCES, text);
		expect(file.errors).toEqual([]);
		expect(file.entries.map(e => e.line)).toEqual([6]);
	});

	it('takes a # after a value as part of the value, as apt does', () => {
		const [entry] = parseSourcesFile(SOURCES, 'Types: deb\nURIs: http://x.org/d\nSuites: bookworm # old\nComponents: main\n').entries;
		expect(entry?.suites).toEqual(['bookworm', '#', 'old']);
	});

	it('takes an indented # line as a continuation, not a comment, as apt does', () => {
		const [entry] = parseSourcesFile(SOURCES, 'Types: deb\nURIs: http://x.org/d\nSuites: bookworm\n  # indented hash\nComponents: main\n').entries;
		expect(entry?.suites).toEqual(['bookworm', '#', 'indented', 'hash']);
	});

	it('reads several suites, continuation lines of Suites, and comments between them', () => {
		const [entry] = parseSourcesFile(SOURCES, 'Types: deb\nURIs: http://x.org/d\nSuites: bookworm\n bookworm-updates\n# bookworm-backports\n bookworm-security\nComponents: main\n').entries;
		expect(entry?.suites).toEqual(['bookworm', 'bookworm-updates', 'bookworm-security']);
	});

	it('reads CRLF line ends', () => {
		const file = parseSourcesFile(SOURCES, 'Types: deb\r\nURIs: http://x.org/d\r\nSuites: bookworm\r\nComponents: main\r\n\r\nTypes: deb\r\nURIs: http://x.org/e\r\nSuites: trixie\r\nComponents: main\r\n');
		expect(file.errors).toEqual([]);
		expect(file.entries.map(e => [e.line, e.uris[0], e.suites[0], e.components[0]])).toEqual([
			[1, 'http://x.org/d', 'bookworm', 'main'],
			[6, 'http://x.org/e', 'trixie', 'main'],
		]);
	});

	it('reports a line of only spaces between stanzas, which apt does not take as a separator', () => {
		const file = parseSourcesFile(SOURCES, 'Types: deb\nURIs: http://x.org/d\nSuites: bookworm\nComponents: main\n   \nTypes: deb\nURIs: http://x.org/e\nSuites: bookworm\nComponents: main\n');
		expect(file.errors).toHaveLength(1);
		expect(file.errors[0]).toMatchObject({line: 5});
		expect(file.errors[0]?.message).toMatch(/only spaces or tabs does not separate stanzas/);
	});

	it('reports a stanza without Types even when it is disabled, as apt does', () => {
		const file = parseSourcesFile(SOURCES, 'URIs: http://x.org/d\nSuites: bookworm\nComponents: main\nEnabled: no\n');
		expect(file.entries).toEqual([]);
		expect(file.errors[0]?.message).toMatch(/line 1: the stanza has no Types field/);
	});

	it('accepts a disabled stanza without Components, which apt never looks at', () => {
		const file = parseSourcesFile(SOURCES, 'Types: deb\nURIs: http://x.org/d\nSuites: bookworm\nEnabled: no\n');
		expect(file.errors).toEqual([]);
		expect(file.entries[0]?.enabled).toBe(false);
	});

	it('reports what an enabled stanza lacks, at the stanza start', () => {
		const file = parseSourcesFile(SOURCES, '# header\n\nTypes: deb\nSuites: bookworm\n\nTypes: deb\nURIs: http://x.org/d\nSuites: bookworm\n');
		expect(file.entries).toEqual([]);
		expect(file.errors.map(e => e.message)).toEqual([
			'line 3: the stanza has no URIs field (e.g. "URIs: http://deb.debian.org/debian")',
			'line 3: the stanza has no Components field (e.g. "Components: main")',
			'line 6: the stanza has no Components field (e.g. "Components: main")',
		]);
	});

	it('reports lines that are not fields, continuations without a field, and doubled fields', () => {
		const file = parseSourcesFile(SOURCES, ' stray\nTypes: deb\nURIs: http://x.org/d\nthis is not a field\nSuites: bookworm\nSuites: trixie\nComponents: main\n');
		expect(file.errors.map(e => e.line)).toEqual([1, 4, 2]);
		expect(file.errors[2]?.message).toMatch(/field suites appears twice/);
	});

	it('reads an empty file, a file of comments, and a truncated stanza', () => {
		expect(parseSourcesFile(SOURCES, '')).toEqual({path: SOURCES, format: 'deb822', entries: [], errors: []});
		expect(parseSourcesFile(SOURCES, '# only\n# comments\n').entries).toEqual([]);
		const truncated = parseSourcesFile(SOURCES, 'Types: deb\nURIs: http://x.org/d\nSui');
		expect(truncated.entries).toEqual([]);
		expect(truncated.errors.length).toBeGreaterThan(0);
	});
});

describe('findSuiteEntries', () => {
	it('finds enabled bookworm, bookworm-updates, bookworm-security and bookworm/updates entries', () => {
		const list = parseSourcesFile(
			LIST,
			`deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://security.debian.org/debian-security bookworm-security main
deb http://security.debian.org bookworm/updates main
deb http://deb.debian.org/debian trixie main
deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main
deb http://mirror.example.org/bookworm/debian stable main
# deb http://deb.debian.org/debian bookworm-backports main
`,
		);
		const sources = parseSourcesFile(SOURCES, 'Types: deb\nURIs: http://x.org/d\nSuites: bookworm trixie\nComponents: main\n\nTypes: deb\nURIs: http://x.org/e\nSuites: bookworm\nComponents: main\nEnabled: no\n');
		const found = findSuiteEntries([list, sources], 'bookworm');
		expect(found.map(f => [f.entry.path, f.entry.line, f.suites])).toEqual([
			[LIST, 1, ['bookworm']],
			[LIST, 2, ['bookworm-updates']],
			[LIST, 3, ['bookworm-security']],
			[LIST, 4, ['bookworm/updates']],
			[SOURCES, 1, ['bookworm']],
		]);
	});

	it('finds nothing in no files', () => {
		expect(findSuiteEntries([], 'bookworm')).toEqual([]);
	});
});

describe('renameSuite', () => {
	it('maps each bookworm suite to its trixie counterpart', () => {
		expect(renameSuite('bookworm', 'bookworm', 'trixie')).toBe('trixie');
		expect(renameSuite('bookworm-updates', 'bookworm', 'trixie')).toBe('trixie-updates');
		expect(renameSuite('bookworm-security', 'bookworm', 'trixie')).toBe('trixie-security');
		expect(renameSuite('bookworm-backports', 'bookworm', 'trixie')).toBe('trixie-backports');
		expect(renameSuite('bookworm/updates', 'bookworm', 'trixie')).toBe('trixie-security');
		expect(renameSuite('cloud-sdk-bookworm', 'bookworm', 'trixie')).toBe('cloud-sdk-bookworm');
		expect(renameSuite('stable', 'bookworm', 'trixie')).toBe('stable');
	});
});

describe('rewriteSuites', () => {
	it('moves a sources.list to trixie and leaves comments and the rest byte-identical', () => {
		const text = `# bookworm main sources, see https://wiki.debian.org/bookworm
# deb http://deb.debian.org/debian bookworm-backports main
deb [signed-by=/usr/share/keyrings/bookworm.gpg] http://mirror.example.org/bookworm-archive/debian   bookworm  main contrib # keep bookworm here
deb http://security.debian.org bookworm/updates main
deb-src http://deb.debian.org/debian bookworm-updates main
deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main
`;
		const result = rewriteSuites(LIST, text, 'bookworm', 'trixie');
		expect(result.text).toBe(`# bookworm main sources, see https://wiki.debian.org/bookworm
# deb http://deb.debian.org/debian bookworm-backports main
deb [signed-by=/usr/share/keyrings/bookworm.gpg] http://mirror.example.org/bookworm-archive/debian   trixie  main contrib # keep bookworm here
deb http://security.debian.org trixie-security main
deb-src http://deb.debian.org/debian trixie-updates main
deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main
`);
		expect(result.changedLines).toEqual([3, 4, 5]);
	});

	it('moves the suites of enabled deb822 stanzas only, comments and keys untouched', () => {
		const text = `# bookworm sources
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
# Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/bookworm-archive.gpg

Types: deb
URIs: http://download.proxmox.com/debian/pmg
Suites: bookworm
Components: pmg-test
Enabled: no
`;
		const result = rewriteSuites(SOURCES, text, 'bookworm', 'trixie');
		expect(result.text).toBe(text.replace('Suites: bookworm bookworm-updates', 'Suites: trixie trixie-updates'));
		expect(result.changedLines).toEqual([4]);
	});

	it('rewrites a Suites field that continues on the next lines', () => {
		const text = 'Types: deb\nURIs: http://x.org/d\nSuites:\n  bookworm\n\tbookworm-security   # odd\nComponents: main\n';
		const result = rewriteSuites(SOURCES, text, 'bookworm', 'trixie');
		expect(result.text).toBe('Types: deb\nURIs: http://x.org/d\nSuites:\n  trixie\n\ttrixie-security   # odd\nComponents: main\n');
		expect(result.changedLines).toEqual([4, 5]);
	});

	it('keeps CRLF line ends and a missing final newline', () => {
		expect(rewriteSuites(LIST, 'deb http://x.org/d bookworm main\r\ndeb http://x.org/d bookworm-updates main', 'bookworm', 'trixie').text).toBe(
			'deb http://x.org/d trixie main\r\ndeb http://x.org/d trixie-updates main',
		);
		expect(rewriteSuites(SOURCES, 'Types: deb\r\nURIs: http://x.org/d\r\nSuites: bookworm\r\nComponents: main\r\n', 'bookworm', 'trixie').text).toBe(
			'Types: deb\r\nURIs: http://x.org/d\r\nSuites: trixie\r\nComponents: main\r\n',
		);
	});

	it('leaves lines apt refuses alone', () => {
		const text = 'deb http://x.org/d bookworm\ndeb http://x.org/d bookworm main\n';
		const result = rewriteSuites(LIST, text, 'bookworm', 'trixie');
		expect(result.text).toBe('deb http://x.org/d bookworm\ndeb http://x.org/d trixie main\n');
		expect(result.changedLines).toEqual([2]);
	});

	it('changes only the entries the filter accepts', () => {
		const result = rewriteSuites(LIST, PMG_LIST, 'bookworm', 'trixie', e => !e.uris[0]!.includes('proxmox.com'));
		expect(result.changedLines).toEqual([2, 3, 6]);
		expect(result.text).toContain('deb http://download.proxmox.com/debian/pmg bookworm pmg-no-subscription');
	});

	it('changes nothing the second time', () => {
		const once = rewriteSuites(LIST, PMG_LIST, 'bookworm', 'trixie');
		const twice = rewriteSuites(LIST, once.text, 'bookworm', 'trixie');
		expect(twice).toEqual({text: once.text, changedLines: []});
	});

	it('changes nothing in an empty file', () => {
		expect(rewriteSuites(LIST, '', 'bookworm', 'trixie')).toEqual({text: '', changedLines: []});
	});
});

describe('disableEntries', () => {
	it('comments out the chosen one-line entries', () => {
		const result = disableEntries(LIST, PMG_LIST, e => e.uris[0]!.includes('proxmox.com'));
		expect(result.changedLines).toEqual([10]);
		expect(result.text.split('\n')[9]).toBe('# deb http://download.proxmox.com/debian/pmg bookworm pmg-no-subscription');
		expect(parseSourcesFile(LIST, result.text).entries).toHaveLength(3);
	});

	it('sets an existing Enabled field to no and adds one where there is none', () => {
		const text = 'Types: deb\nURIs: http://x.org/a\nSuites: bookworm\nComponents: main\nenabled:   yes\n\n# second\nTypes: deb\r\nURIs: http://x.org/b\r\nSuites: bookworm\r\nComponents: main\r\n';
		const result = disableEntries(SOURCES, text, () => true);
		expect(result.text).toBe(
			'Types: deb\nURIs: http://x.org/a\nSuites: bookworm\nComponents: main\nenabled: no\n\n# second\nEnabled: no\r\nTypes: deb\r\nURIs: http://x.org/b\r\nSuites: bookworm\r\nComponents: main\r\n',
		);
		expect(result.changedLines).toEqual([5, 8]);
		expect(parseSourcesFile(SOURCES, result.text).entries.map(e => e.enabled)).toEqual([false, false]);
	});

	it('numbers changed lines after the lines it inserted', () => {
		const text = 'Types: deb\nURIs: http://x.org/a\nSuites: bookworm\nComponents: main\n\nTypes: deb\nURIs: http://x.org/b\nSuites: bookworm\nComponents: main\nEnabled: yes\n';
		const result = disableEntries(SOURCES, text, () => true);
		expect(result.changedLines).toEqual([1, 11]);
		expect(result.text.split('\n')[10]).toBe('Enabled: no');
	});
});

describe('lineDiff', () => {
	it('shows a changed line with one line of context around it', () => {
		const before = 'a\nb\nc\nd\ne\n';
		const after = 'a\nb\nC\nd\ne\n';
		expect(lineDiff(before, after, '/etc/apt/sources.list')).toBe(
			['--- /etc/apt/sources.list', '+++ /etc/apt/sources.list (new)', '@@ -2,3 +2,3 @@', ' b', '-c', '+C', ' d'].join('\n'),
		);
	});

	it('makes separate hunks for changes far apart and joins near ones', () => {
		const before = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].join('\n');
		const far = lineDiff(before, before.replace('2', 'two').replace('8', 'eight'), 'f');
		expect(far.split('\n').filter(l => l.startsWith('@@'))).toEqual(['@@ -1,3 +1,3 @@', '@@ -7,3 +7,3 @@']);
		const near = lineDiff(before, before.replace('2', 'two').replace('4', 'four'), 'f');
		expect(near.split('\n').filter(l => l.startsWith('@@'))).toEqual(['@@ -1,5 +1,5 @@']);
	});

	it('shows a new file as all additions and a removed file as all deletions', () => {
		expect(lineDiff('', 'x\ny\n', 'new.sources')).toBe('--- new.sources\n+++ new.sources (new)\n@@ -0,0 +1,2 @@\n+x\n+y');
		expect(lineDiff('x\n', '', 'old.list')).toBe('--- old.list\n+++ old.list (new)\n@@ -1,1 +0,0 @@\n-x');
		// A file made or removed as a whole says so in its headers, not "(new)".
		expect(lineDiff('', 'x\n', 'new.sources', 'create')).toBe('--- /dev/null\n+++ new.sources (new file)\n@@ -0,0 +1,1 @@\n+x');
		expect(lineDiff('x\n', '', 'old.list', 'remove')).toBe('--- old.list\n+++ /dev/null (old.list removed)\n@@ -1,1 +0,0 @@\n-x');
	});

	it('gives only the header for identical texts', () => {
		expect(lineDiff(PMG_LIST, PMG_LIST, LIST)).toBe(`--- ${LIST}\n+++ ${LIST} (new)`);
	});

	it('shows an inserted line between its neighbours', () => {
		expect(lineDiff('a\nb\n', 'a\nX\nb\n', 'f')).toBe('--- f\n+++ f (new)\n@@ -1,2 +1,3 @@\n a\n+X\n b');
	});

	it('shows what rewriteSuites changed, and is the same every time', () => {
		const after = rewriteSuites(LIST, PMG_LIST, 'bookworm', 'trixie').text;
		const diff = lineDiff(PMG_LIST, after, LIST);
		expect(diff).toContain('-deb http://ftp.debian.org/debian bookworm main contrib\n-deb http://ftp.debian.org/debian bookworm-updates main contrib\n+deb http://ftp.debian.org/debian trixie main contrib\n+deb http://ftp.debian.org/debian trixie-updates main contrib');
		expect(lineDiff(PMG_LIST, after, LIST)).toBe(diff);
	});

	it('leaves carriage returns out of the shown lines', () => {
		expect(lineDiff('a\r\n', 'b\r\n', 'f')).toBe('--- f\n+++ f (new)\n@@ -1,1 +1,1 @@\n-a\n+b');
	});

	it('shows two files with nothing in common as one block replaced, however long', () => {
		const before = Array.from({length: 5000}, (_, i) => `deb http://old.example/debian s${i} main`).join('\n');
		const after = Array.from({length: 5000}, (_, i) => `deb http://new.example/debian s${i} main`).join('\n');
		const lines = lineDiff(`keep\n${before}\n`, `keep\n${after}\n`, 'f').split('\n');
		expect(lines.slice(0, 4)).toEqual(['--- f', '+++ f (new)', '@@ -1,5001 +1,5001 @@', ' keep']);
		expect(lines.slice(4, 5004).every(l => l.startsWith('-deb http://old.example/'))).toBe(true);
		expect(lines.slice(5004).every(l => l.startsWith('+deb http://new.example/'))).toBe(true);
		expect(lines).toHaveLength(10004);
	});
});

describe('signedByConflicts: one source, two Signed-By values (apt refuses every update)', () => {
	const list = (text: string) => parseSourcesFile('/etc/apt/sources.list.d/pmg-no-subscription.list', text);
	const deb822 = (text: string) => parseSourcesFile('/etc/apt/sources.list.d/proxmox.sources', text);
	const stanza = (suite: string, signedBy?: string) =>
		`Types: deb\nURIs: http://download.proxmox.com/debian/pmg\nSuites: ${suite}\nComponents: pmg-no-subscription\n${signedBy ? `Signed-By: ${signedBy}\n` : ''}`;

	it('two keyrings for the same URI and suite, in a .list and a .sources: refused (as apt 2.6 refuses it), both files named', () => {
		const errors = signedByConflicts([
			list('deb [signed-by=/etc/apt/trusted.gpg.d/proxmox-release-bookworm.gpg] http://download.proxmox.com/debian/pmg bookworm pmg-no-subscription\n'),
			deb822(stanza('bookworm', '/usr/share/keyrings/proxmox-archive-keyring.gpg')),
		]);
		expect(errors).toHaveLength(1);
		expect(errors[0]!.refused).toBe(true);
		expect(errors[0]!.message).toContain('http://download.proxmox.com/debian/pmg bookworm');
		expect(errors[0]!.message).toContain('/etc/apt/sources.list.d/pmg-no-subscription.list:1 (Signed-By /etc/apt/trusted.gpg.d/proxmox-release-bookworm.gpg)');
		expect(errors[0]!.message).toContain('/etc/apt/sources.list.d/proxmox.sources:1 (Signed-By /usr/share/keyrings/proxmox-archive-keyring.gpg)');
		expect(errors[0]!.message).toMatch(/keep one of them/);
	});

	it('one entry without Signed-By beside one with: named, not refused (apt 2.6 takes it)', () => {
		const errors = signedByConflicts([list('deb http://download.proxmox.com/debian/pmg bookworm pmg-no-subscription\n'), deb822(stanza('bookworm', '/usr/share/keyrings/proxmox-archive-keyring.gpg'))]);
		expect(errors).toHaveLength(1);
		expect(errors[0]!.refused).toBe(false);
		expect(errors[0]!.message).toContain('(Signed-By not set)');
		expect(errors[0]!.message).toMatch(/remove the duplicate/);
	});

	it('also within one file, and a trailing slash on the URI is the same source', () => {
		const errors = signedByConflicts([
			list('deb [signed-by=/etc/apt/keyrings/a.gpg] http://download.proxmox.com/debian/pmg/ trixie pmg-no-subscription\ndeb [signed-by=/etc/apt/keyrings/b.gpg] http://download.proxmox.com/debian/pmg trixie pmg-test\n'),
		]);
		expect(errors).toHaveLength(1);
		expect(errors[0]!.line).toBe(1);
	});

	it('is quiet for the same Signed-By twice, other suites, and disabled entries', () => {
		const key = '/usr/share/keyrings/proxmox-archive-keyring.gpg';
		expect(signedByConflicts([list(`deb [signed-by=${key}] http://download.proxmox.com/debian/pmg trixie pmg-no-subscription\n`), deb822(stanza('trixie', key))])).toEqual([]);
		expect(signedByConflicts([list('deb http://download.proxmox.com/debian/pmg bookworm pmg-no-subscription\n'), deb822(stanza('trixie', key))])).toEqual([]);
		expect(signedByConflicts([list('# deb http://download.proxmox.com/debian/pmg trixie pmg-no-subscription\n'), deb822(stanza('trixie', key))])).toEqual([]);
		expect(signedByConflicts([deb822(`Enabled: no\n${stanza('trixie')}`), deb822(stanza('trixie', key))])).toEqual([]);
	});
});
