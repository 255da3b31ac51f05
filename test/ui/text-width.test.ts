import {execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {tokenize} from '@alcalzone/ansi-tokenize';
import sliceAnsi from 'slice-ansi';
import stringWidth8 from 'string-width';
import wrapAnsi from 'wrap-ansi';
import {afterAll, describe, expect, it} from 'vitest';
// The older copy wrap-ansi has of its own.
import stringWidth7 from '../../node_modules/wrap-ansi/node_modules/string-width/index.js';
import {SAMPLES} from '../fixtures/text-width-samples.ts';

/*
 * The bundle loads string-width's Unicode tables on the first text that is
 * not printable ASCII, and answers printable ASCII with its length
 * (lazyTextWidth in source/build-plugins.mjs); ansi-tokenize splits ASCII
 * lines without ICU, slice-ansi makes its segmenter on first use
 * (lazySegmenters). Both installed versions of string-width must agree with
 * that, and the bundled functions with the originals on every kind of text.
 */

const work = mkdtempSync(path.join(os.tmpdir(), 'muw-width-'));
afterAll(() => rmSync(work, {recursive: true, force: true}));

const printable = Array.from({length: 0x7e - 0x20 + 1}, (_, i) => String.fromCharCode(0x20 + i));

describe('the width of printable ASCII', () => {
	it.each([
		['string-width 8 (ink)', stringWidth8],
		['string-width 7 (wrap-ansi)', stringWidth7 as (text: string) => number],
	])('%s: one column a character, as long as the text', (_, width) => {
		for (const c of printable) expect(width(c), JSON.stringify(c)).toBe(1);
		expect(width(printable.join(''))).toBe(printable.length);
	});
});

describe('the bundled text functions', () => {
	it('measure, wrap, split and cut every kind of text as the originals do', () => {
		const probe = path.join(work, 'probe.js');
		execFileSync(process.execPath, ['source/build.mjs', 'test/fixtures/text-width-probe.ts', probe]);
		const bundled = JSON.parse(execFileSync(process.execPath, [probe], {encoding: 'utf8'})) as Record<'widths' | 'widthsCounted' | 'widths7' | 'widths7Counted', number[]> & {wrapped: string[]; tokens: unknown[]; sliced: string[]};
		const counted = {countAnsiEscapeCodes: true};
		const width7 = stringWidth7 as (text: string, options?: object) => number;
		expect(bundled.widths).toEqual(SAMPLES.map(s => stringWidth8(s)));
		expect(bundled.widthsCounted).toEqual(SAMPLES.map(s => stringWidth8(s, counted)));
		expect(bundled.widths7).toEqual(SAMPLES.map(s => width7(s)));
		expect(bundled.widths7Counted).toEqual(SAMPLES.map(s => width7(s, counted)));
		expect(bundled.wrapped).toEqual(SAMPLES.map(s => wrapAnsi(s, 7, {hard: true})));
		// How ink splits each line of a frame, and cuts text to a width.
		expect(bundled.tokens).toEqual(SAMPLES.map(s => tokenize(s)));
		expect(bundled.sliced).toEqual(SAMPLES.map(s => sliceAnsi(s, 1, 6)));
		// Not a vacuous comparison: the samples are measured differently from their length.
		expect(bundled.widths.filter((w, i) => w !== SAMPLES[i]!.length).length).toBeGreaterThan(4);
	});
});
