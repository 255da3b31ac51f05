import path from 'node:path';
import {describe, expect, it} from 'vitest';
import {parseScenario, parseSize, ScenarioError, type Scenario} from '../../source/host/scenario.ts';

/*
 * The scenario format: what a trainer writes, how files extend each other,
 * and that each mistake is reported with its file, line and field.
 */

/** parseScenario over an in-memory folder of files. */
function folder(files: Record<string, string>) {
	const read = async (file: string) => {
		const text = files[path.normalize(file)];
		if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${file}'`), {code: 'ENOENT'});
		return text;
	};
	return (name: string) => parseScenario(files[name]!, name, read);
}

/** The ScenarioError a load fails with. */
async function rejected(loading: Promise<Scenario>): Promise<ScenarioError> {
	try {
		await loading;
	} catch (error) {
		expect(error).toBeInstanceOf(ScenarioError);
		return error as ScenarioError;
	}
	throw new Error('the scenario was accepted');
}

async function failure(text: string, file = 'scenarios/x.yaml'): Promise<ScenarioError> {
	try {
		await parseScenario(text, file, async () => {
			throw new Error('no other files here');
		});
	} catch (error) {
		expect(error).toBeInstanceOf(ScenarioError);
		return error as ScenarioError;
	}
	throw new Error('the scenario was accepted');
}

const minimal = `product: pmg
title: Minimal
host: { hostname: pmg1.example.lan }
`;

describe('parseScenario', () => {
	it('reads every field of a complete scenario, with the documented defaults', async () => {
		const text = `product: pmg
title: Everything
description: |
  Two lines
  of text.
difficulty: hard
host: { hostname: pmg1.example.lan }
env: { LANG: C.UTF-8, COLUMNS: 80 }
filesystems:
  - { mount: /, size: 32G, free: 9.5G }
  - { mount: /var/, size: 1073741824, free: 512M }
files:
  /etc/plain: |
    text
  /var/lib/x.tgz: { content: "x", mtime: 2026-01-10T02:00:00Z, mode: 0600, size: 2.5M }
  /etc/zoned: { content: "", mtime: '2026-01-10 03:00:00+01:00', mode: '0o640' }
services:
  postfix: { active: false }
  pmgproxy:
commands:
  - match: '^tar -tzf (?<file>/\\S+)$'
    when:
      - file_exists: $<file>
      - file_contains: { path: /etc/plain, text: tex }
    stdout: "a\\n"
    stderr: b
    exit: 3
    duration: 0.5
    effects:
      - write: { path: /etc/new, content: "n", mode: 0640 }
      - remove: /etc/plain
      - move: { from: /etc/a, to: /etc/b }
      - free: { mount: /, free: -1.5G }
      - free: { mount: /var, free: 100M }
      - service: { unit: postfix.service, masked: true }
      - reboot: true
`;
		const s = await parseScenario(text, 'all.yaml');
		expect(s).toMatchObject({product: 'pmg', title: 'Everything', description: 'Two lines\nof text.\n', difficulty: 'hard'});
		expect(s.host).toEqual({hostname: 'pmg1.example.lan', user: 'root', uid: 0});
		expect(s.env).toEqual({LANG: 'C.UTF-8', COLUMNS: '80'});
		expect(s.filesystems).toEqual([
			{mount: '/', sizeBytes: 32 * 1024 ** 3, freeBytes: 9.5 * 1024 ** 3},
			{mount: '/var', sizeBytes: 1024 ** 3, freeBytes: 512 * 1024 ** 2},
		]);
		expect(s.files['/etc/plain']).toEqual({content: 'text\n', mtimeMs: null, mode: 0o644, size: null});
		expect(s.files['/var/lib/x.tgz']).toEqual({content: 'x', mtimeMs: Date.parse('2026-01-10T02:00:00Z'), mode: 0o600, size: 2.5 * 1024 ** 2});
		expect(s.files['/etc/zoned']).toEqual({content: '', mtimeMs: Date.parse('2026-01-10T02:00:00Z'), mode: 0o640, size: null});
		expect(s.services).toEqual({postfix: {active: false, enabled: true, masked: false}, pmgproxy: {active: true, enabled: true, masked: false}});
		const [entry] = s.commands;
		expect(entry!.match.source).toBe('^tar -tzf (?<file>\\/\\S+)$');
		expect(entry!.when).toEqual([
			{kind: 'file_exists', path: '$<file>'},
			{kind: 'file_contains', path: '/etc/plain', text: 'tex'},
		]);
		expect(entry).toMatchObject({stdout: 'a\n', stderr: 'b', exit: 3, duration: 0.5, origin: {path: 'all.yaml', line: 21, index: 0}});
		expect(entry!.effects).toEqual([
			{kind: 'write', path: '/etc/new', content: 'n', mode: 0o640, size: null},
			{kind: 'remove', path: '/etc/plain'},
			{kind: 'move', from: '/etc/a', to: '/etc/b'},
			{kind: 'free', mount: '/', bytes: -1.5 * 1024 ** 3, relative: true},
			{kind: 'free', mount: '/var', bytes: 100 * 1024 ** 2, relative: false},
			{kind: 'service', unit: 'postfix', masked: true},
			{kind: 'reboot'},
		]);
	});

	it('lists file systems by mount in code-unit order, the same on every host whatever its locale', async () => {
		const s = await parseScenario(`${minimal}filesystems:\n  - { mount: /var, size: 1G, free: 1G }\n  - { mount: /boot/efi, size: 1G, free: 1G }\n  - { mount: /Data, size: 1G, free: 1G }\n  - { mount: /, size: 1G, free: 1G }\n  - { mount: /boot, size: 1G, free: 1G }\n`, 'x.yaml');
		// A locale's collation would put /Data after /boot; code units put capitals first.
		expect(s.filesystems.map(f => f.mount)).toEqual(['/', '/Data', '/boot', '/boot/efi', '/var']);
	});

	it('reads sizes in bytes and binary units with decimals', () => {
		expect(parseSize('9.5G')).toBe(10200547328);
		expect(parseSize('1k')).toBe(1024);
		expect(parseSize('2T')).toBe(2 * 1024 ** 4);
		expect(parseSize('123')).toBe(123);
		expect(parseSize('9,5G')).toBeNull();
		expect(parseSize('5 GB')).toBeNull();
	});

	it('accepts anchors and aliases', async () => {
		const s = await parseScenario(`${minimal}commands:\n  - match: a\n    stdout: &out "same\\n"\n  - match: b\n    stdout: *out\n`, 'a.yaml');
		expect(s.commands.map(c => c.stdout)).toEqual(['same\n', 'same\n']);
	});
});

describe('extends', () => {
	const files: Record<string, string> = {
		'base/base.yaml': `product: pmg
title: Base
description: the base
difficulty: easy
host: { hostname: base.example.lan, user: admin, uid: 1000 }
env: { A: '1', B: '2' }
filesystems:
  - { mount: /, size: 32G, free: 20G }
  - { mount: /var, size: 10G, free: 5G }
files:
  /etc/one: "1"
  /etc/two: "2"
services:
  postfix: { active: true, enabled: false }
  pmgproxy: { active: true }
commands:
  - { match: b1, stdout: base first }
  - { match: b2, stdout: base second }
`,
		'base/middle.yaml': `extends: base.yaml
title: Middle
env: { B: '3', C: '4' }
files:
  /etc/one: null
  /etc/three: "3"
services:
  postfix: { active: false }
commands:
  - { match: m1, stdout: middle }
`,
		'top.yaml': `extends: base/middle.yaml
title: Top
host: { uid: 0 }
filesystems:
  - { mount: /, size: 32G, free: 9.5G }
files:
  /etc/two: "two"
commands:
  - { match: t1, stdout: top }
`,
	};
	const load = folder(files);

	it('merges maps key by key, replaces file systems per mount, and puts the extending commands first', async () => {
		const s: Scenario = await load('top.yaml');
		expect(s.chain).toEqual([path.join('base', 'base.yaml'), path.join('base', 'middle.yaml'), 'top.yaml']);
		expect(s.product).toBe('pmg');
		expect(s).toMatchObject({title: 'Top', description: '', difficulty: null});
		expect(s.host).toEqual({hostname: 'base.example.lan', user: 'admin', uid: 0});
		expect(s.env).toEqual({A: '1', B: '3', C: '4'});
		expect(s.filesystems).toEqual([
			{mount: '/', sizeBytes: 32 * 1024 ** 3, freeBytes: 9.5 * 1024 ** 3},
			{mount: '/var', sizeBytes: 10 * 1024 ** 3, freeBytes: 5 * 1024 ** 3},
		]);
		expect(Object.keys(s.files).sort()).toEqual(['/etc/three', '/etc/two']);
		expect(s.files['/etc/two']!.content).toBe('two');
		expect(s.services.postfix).toEqual({active: false, enabled: false, masked: false});
		expect(s.services.pmgproxy).toEqual({active: true, enabled: true, masked: false});
		expect(s.commands.map(c => c.stdout)).toEqual(['top', 'middle', 'base first', 'base second']);
		expect(s.commands.map(c => c.origin.path)).toEqual(['top.yaml', path.join('base', 'middle.yaml'), path.join('base', 'base.yaml'), path.join('base', 'base.yaml')]);
	});

	it('reports a cycle', async () => {
		const cyclic = folder({
			'a.yaml': 'extends: b.yaml\ntitle: A\n',
			'b.yaml': 'product: pmg\ntitle: B\n\nextends: a.yaml\n',
		});
		const error = await rejected(cyclic('a.yaml'));
		expect(error).toBeInstanceOf(ScenarioError);
		expect(error).toMatchObject({path: 'b.yaml', line: 4, field: 'extends'});
		expect(error.message).toMatch(/^b\.yaml:4: extends: extends itself in a cycle: .*a\.yaml -> .*b\.yaml -> .*a\.yaml/);
	});

	it('reports an extended file that cannot be read, at the extends line', async () => {
		const error = await rejected(folder({'a.yaml': 'title: A\nextends: nothere.yaml\n'})('a.yaml'));
		expect(error).toMatchObject({path: 'a.yaml', line: 2, field: 'extends'});
		expect(error.message).toContain('cannot read "nothere.yaml"');
		expect(error.message).toContain('ENOENT');
	});

	it('reports a mistake inside the extended file with that file and line', async () => {
		const error = await rejected(folder({'a.yaml': 'title: A\nextends: b.yaml\n', 'b.yaml': 'product: pmg\ntitle: B\nhost: { hostname: h }\nenv: { LANG: C }\nserivces: {}\n'})('a.yaml'));
		expect(error).toMatchObject({path: 'b.yaml', line: 5, field: 'serivces'});
		expect(error.message).toContain('did you mean "services"?');
	});

	it('refuses another product in the chain', async () => {
		const error = await rejected(folder({'a.yaml': 'product: vmm\ntitle: A\nextends: b.yaml\n', 'b.yaml': minimal})('a.yaml'));
		expect(error).toMatchObject({path: 'a.yaml', line: 1, field: 'product'});
	});

	it('size_check: the figures of PureMessage\'s size check by server, merged down the chain, as written', async () => {
		const pm = 'product: puremessage\ntitle: Base\nhost: { hostname: db1.example.lan }\nsize_check: { db1: 12G, mta1: 6G }\n';
		const s = await folder({'a.yaml': 'extends: b.yaml\ntitle: A\nsize_check:\n  mta1: 3500M\n  euwi1: 1073741824\n', 'b.yaml': pm})('a.yaml');
		expect(s.sizeCheck).toEqual({db1: '12G', mta1: '3500M', euwi1: '1073741824'});
		expect((await folder({'b.yaml': minimal})('b.yaml')).sizeCheck).toEqual({});
	});

	it('size_check: a figure that is not a size, and another product, are refused at their line', async () => {
		const bad = await failure('product: puremessage\ntitle: x\nhost: { hostname: db1 }\nsize_check:\n  db1: lots\n');
		expect(bad).toMatchObject({line: 5, field: 'size_check.db1'});
		expect(bad.message).toContain('bad size "lots"');
		const other = await rejected(folder({'a.yaml': `${minimal}size_check: { pmg1: 12G }\n`})('a.yaml'));
		expect(other).toMatchObject({path: 'a.yaml', line: 4, field: 'size_check'});
		expect(other.message).toContain('size_check is for PureMessage deployments, not pmg');
	});
});

describe('validation errors name the file, line and field', () => {
	it('YAML syntax error', async () => {
		const error = await failure('product: pmg\ntitle: x\nhost: { hostname: a\ncommands: []\n');
		expect(error.field).toBe('');
		expect(error.line).toBe(4);
		expect(error.message).toMatch(/^scenarios\/x\.yaml:4: YAML syntax error: .+ — check the indentation/);
	});

	it('YAML syntax error: bad indentation, a tab', async () => {
		const nested = await failure('product: pmg\ntitle: x\n  nested: wrong\n');
		expect(nested.line).toBe(2);
		expect(nested.message).toMatch(/^scenarios\/x\.yaml:2: YAML syntax error: Nested mappings are not allowed in compact mappings — /);
		const tab = await failure('product: pmg\ntitle: x\nhost:\n\thostname: a\n');
		expect(tab.line).toBe(4);
		expect(tab.message).toContain('YAML syntax error: Tabs are not allowed as indentation');
	});

	it('duplicate key', async () => {
		const error = await failure(`${minimal}title: again\n`);
		expect(error.line).toBe(4);
		expect(error.message).toContain('Map keys must be unique');
	});

	it('unknown key with a typo: names the key, the likely one, and the allowed ones', async () => {
		const error = await failure(`${minimal}commands:\n  - match: '^a$'\n    stdout: ok\n  - match: '^b$'\n    stdot: oops\n`);
		expect(error).toMatchObject({path: 'scenarios/x.yaml', line: 8, field: 'commands[1].stdot'});
		expect(error.message).toBe(
			'scenarios/x.yaml:8: commands[1].stdot: unknown key "stdot" — did you mean "stdout"? allowed keys here: match, when, stdout, stderr, exit, duration, effects, on_no, conffiles, password',
		);
	});

	it('unknown top-level key', async () => {
		const error = await failure(`${minimal}titel: x\n`);
		expect(error).toMatchObject({line: 4, field: 'titel'});
		expect(error.message).toContain('did you mean "title"?');
	});

	it('missing title', async () => {
		const error = await failure('product: pmg\nhost: { hostname: a }\n');
		expect(error).toMatchObject({line: 1, field: 'title'});
		expect(error.message).toMatch(/^scenarios\/x\.yaml:1: title: missing required field — add a one-line title/);
	});

	it('missing product and host name in the merged scenario', async () => {
		expect(await failure('title: x\nhost: { hostname: a }\n')).toMatchObject({field: 'product', line: 1});
		expect(await failure('product: pmg\ntitle: x\n')).toMatchObject({field: 'host.hostname', line: 1});
	});

	it('missing match in a command', async () => {
		const error = await failure(`${minimal}commands:\n  - stdout: x\n`);
		expect(error).toMatchObject({line: 5, field: 'commands[0].match'});
	});

	it('invalid regular expression', async () => {
		const error = await failure(`${minimal}commands:\n  - match: '^ok$'\n  - match: '^ok$'\n  - match: '^ok$'\n  - match: '('\n`);
		expect(error).toMatchObject({line: 8, field: 'commands[3].match'});
		expect(error.message).toBe(
			'scenarios/x.yaml:8: commands[3].match: invalid regular expression "(": Unterminated group — escape special characters with \\ (e.g. \\( \\. \\$), or fix the pattern',
		);
	});

	it('bad size string', async () => {
		const error = await failure(`${minimal}filesystems:\n  - mount: /\n    size: 32G\n    free: 9,5G\n`);
		expect(error).toMatchObject({line: 7, field: 'filesystems[0].free'});
		expect(error.message).toContain('bad size "9,5G" — write bytes (1073741824) or a number with K, M, G or T');
	});

	it('more free than size', async () => {
		expect(await failure(`${minimal}filesystems:\n  - { mount: /, size: 1G, free: 2G }\n`)).toMatchObject({line: 5, field: 'filesystems[0].free'});
	});

	it('bad date', async () => {
		const error = await failure(`${minimal}files:\n  /var/x: { content: x, mtime: 2026-02-30T00:00:00Z }\n`);
		expect(error).toMatchObject({line: 5, field: 'files["/var/x"].mtime'});
		expect(error.message).toContain('no such day');
		expect((await failure(`${minimal}files:\n  /var/x:\n    content: x\n    mtime: yesterday\n`)).message).toMatch(/:7: files\["\/var\/x"\]\.mtime: bad date "yesterday" — write an ISO 8601 date/);
	});

	it('wrong types', async () => {
		expect(await failure(`${minimal}commands:\n  - { match: a, exit: zero }\n`)).toMatchObject({line: 5, field: 'commands[0].exit'});
		expect((await failure(`${minimal}commands:\n  - { match: a, exit: 256 }\n`)).message).toContain('256 is out of range');
		expect((await failure(`${minimal}services:\n  postfix: { active: yes }\n`)).message).toContain('services.postfix.active: wrong type: expected true or false, found the text "yes"');
		expect((await failure(`${minimal}commands: { match: a }\n`)).message).toContain('commands: wrong type: expected a list');
		expect((await failure(`${minimal}commands:\n  - match: a\n    stdout: 42\n`)).message).toContain("quote it: '42'");
		expect(await failure('- a\n- b\n')).toMatchObject({line: 1, field: '(top level)'});
		expect((await failure(`${minimal}difficulty: extreme\n`)).message).toContain('use one of: easy, medium, hard');
		expect((await failure(`${minimal}files:\n  etc/x: y\n`)).message).toContain('is not an absolute path');
		expect((await failure(`${minimal}files:\n  /x: { content: y, mode: rw }\n`)).message).toContain('bad file mode');
	});

	it('effects and conditions', async () => {
		expect(await failure(`${minimal}commands:\n  - match: a\n    effects:\n      - { remove: /a, reboot: true }\n`)).toMatchObject({line: 7, field: 'commands[0].effects[0]'});
		expect(await failure(`${minimal}commands:\n  - match: a\n    effects:\n      - free: { mount: /data, free: 1G }\n`)).toMatchObject({line: 7, field: 'commands[0].effects[0].free.mount'});
		expect((await failure(`${minimal}commands:\n  - match: '^tar (\\S+)$'\n    when: { file_exists: $2 }\n`)).message).toContain(
			'commands[0].when.file_exists: $2 refers to a group that match does not have (it has 1)',
		);
		expect(await failure(`${minimal}commands:\n  - match: a\n    when: { file_exist: /a }\n`)).toMatchObject({line: 6, field: 'commands[0].when.file_exist'});
		expect((await failure(`${minimal}commands:\n  - match: a\n    effects:\n      - reboot: false\n`)).message).toContain('reboot: false does nothing');
	});

	it('an empty file', async () => {
		expect((await failure('# nothing\n')).message).toContain('the file is empty');
	});
});
