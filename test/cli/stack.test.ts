import {execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {build} from 'esbuild';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

/*
 * The wizard's bundle is minified; an unexpected error names the places in
 * the sources (source/stack.ts), from the bundle's source map, so that the
 * message an operator sends is one a developer can read. A bundle built as
 * the wizard's (minified, with a map), run as dist/cli.js runs it.
 */

const work = mkdtempSync(path.join(os.tmpdir(), 'muw-stack-'));
const probe = path.join(work, 'probe.js');
const bundle = path.join(work, 'dist', 'thrower.cjs');
afterAll(() => rmSync(work, {recursive: true, force: true}));

beforeAll(async () => {
	execFileSync(process.execPath, ['source/build.mjs', 'test/fixtures/stack-probe.ts', probe]);
	await build({entryPoints: ['test/fixtures/stack-thrower.ts'], outfile: bundle, bundle: true, platform: 'node', format: 'cjs', minify: true, sourcemap: true, logLevel: 'warning'});
});

const stackOf = (file: string) => execFileSync(process.execPath, [probe, file], {encoding: 'utf8'});

describe('the stack of an unexpected error', () => {
	it('names the source file, line and column of each place in the bundle', () => {
		const stack = stackOf(bundle);
		expect(stack).toMatch(/^Error: a negative figure: -3\n/);
		const frames = stack.split('\n').filter(line => line.includes('stack-thrower.ts'));
		// The throw, the call in reduce's callback, the call of readFigures: the lines of the fixture.
		expect(frames[0]).toMatch(/test\/fixtures\/stack-thrower\.ts:3:\d+\)$/);
		expect(frames.some(line => /stack-thrower\.ts:8:\d+\)$/.test(line))).toBe(true);
		expect(frames.some(line => /stack-thrower\.ts:11:\d+\)?$/.test(line))).toBe(true);
		expect(stack).not.toContain('thrower.cjs:');
	});

	it('is left as it is without the source map', () => {
		rmSync(`${bundle}.map`);
		const stack = stackOf(bundle);
		expect(stack).toMatch(/^Error: a negative figure: -3\n/);
		expect(stack).toContain(`${bundle}:1:`);
		expect(stack).not.toContain('stack-thrower.ts');
	});
});
