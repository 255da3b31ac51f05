import {existsSync, mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll} from 'vitest';

/**
 * What a test of the built CLI starts from: dist/cli.js (npm test builds it
 * first; without it the file fails at once, saying so) and a temporary
 * folder of the test file's own, `prefix` in its name, removed after its
 * tests.
 */
export function builtCli(prefix: string): {cli: string; dir: string} {
	const cli = path.resolve('dist/cli.js');
	if (!existsSync(cli)) throw new Error('dist/cli.js is missing: npm test builds it first (npm run build)');
	const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
	afterAll(() => rmSync(dir, {recursive: true, force: true}));
	return {cli, dir};
}
