import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';

/*
 * The bundle draws rows of printable ASCII as strings, not as ink's grid of
 * cells (plainRows in source/build-plugins.mjs). Every frame must be the
 * same, byte for byte, as ink's own: random writes, clips and transforms on
 * Output directly, React trees of every kind of text and layout through
 * ink's renderer, and rows of styled characters joined to strings (which
 * the bundle does without comparing two characters of the same style). Colours are forced on both sides, before chalk loads.
 */

const work = mkdtempSync(path.join(os.tmpdir(), 'muw-ink-output-'));
afterAll(() => rmSync(work, {recursive: true, force: true}));

describe('the bundled Output of ink', () => {
	it('draws every frame as the original does', async () => {
		const probe = path.join(work, 'probe.mjs');
		const result = path.join(work, 'frames.json');
		execFileSync(process.execPath, ['source/build.mjs', 'test/fixtures/ink-output-probe.ts', probe]);
		execFileSync(process.execPath, [probe, result], {env: {...process.env, FORCE_COLOR: '3'}});
		const bundled = JSON.parse(readFileSync(result, 'utf8')) as {patched: boolean; output: Array<{output: string; height: number}>; trees: string[]; rows: string[]};
		expect(bundled.patched).toBe(true);

		process.env.FORCE_COLOR = '3';
		const {outputFrames, rowStrings, treeFrames, TREES} = await import('../fixtures/ink-output-cases.tsx');
		const output = outputFrames();
		const trees = treeFrames();

		expect(bundled.rows).toStrictEqual(rowStrings());
		expect(bundled.output.length).toBe(output.length);
		for (const [i, frame] of output.entries()) expect(bundled.output[i], `Output case ${i}`).toStrictEqual(frame);
		for (const [i, frame] of trees.entries()) expect(bundled.trees[i], TREES[i]![0]).toBe(frame);

		// Not a vacuous comparison: styles were drawn, and some frames have no escape sequence or wide character at all.
		const joined = output.map(f => f.output).join('\n');
		expect(trees.join('\n')).toContain('\u001B[1m');
		expect(trees.join('\n')).toContain('\u001B[9m');
		expect(joined).toContain('\u001B[7m');
		expect(joined).toContain('\u65E5');
		expect(output.filter(f => f.output.trim() !== '' && /^[\n\u0020-\u007E]*$/.test(f.output)).length).toBeGreaterThan(50);
		expect(output.filter(f => /[\u001B\u009B]/.test(f.output)).length).toBeGreaterThan(50);
	});
});
