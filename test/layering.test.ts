import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {describe, expect, it} from 'vitest';

/*
 * The import picture has no arrow running back up: the machines (pure
 * descriptions of the upgrade paths) import no file of source/host, and the
 * hosts import nothing of the machines. What both need is in source/shared.
 */

const files = (dir: string): string[] =>
	readdirSync(dir, {withFileTypes: true}).flatMap(e => (e.isDirectory() ? files(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [path.join(dir, e.name)] : []));

/** Every module a file imports or re-exports, resolved to a path from the repository's root. */
const imports = (file: string) =>
	[...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b[^'"]*?\bfrom\s+'([^']+)'/gm)]
		.map(m => m[1]!)
		.filter(spec => spec.startsWith('.'))
		.map(spec => path.relative('.', path.resolve(path.dirname(file), spec)));

describe('layers', () => {
	it('machines/ imports nothing of source/host', () => {
		const wrong = files('machines').flatMap(f => imports(f).filter(i => i.startsWith('source/host/')).map(i => `${f} -> ${i}`));
		expect(wrong).toEqual([]);
	});

	it('source/host imports nothing of machines/', () => {
		const wrong = files('source/host').flatMap(f => imports(f).filter(i => i.startsWith('machines/')).map(i => `${f} -> ${i}`));
		expect(wrong).toEqual([]);
	});

	it('source/shared imports neither', () => {
		const wrong = files('source/shared').flatMap(f => imports(f).filter(i => !i.startsWith('source/shared/')).map(i => `${f} -> ${i}`));
		expect(wrong).toEqual([]);
	});

	it('sees the imports it checks', () => {
		expect(imports('machines/puremessage-5.6-to-6.ts')).toContain('source/shared/shell.ts');
	});
});
