import {describe, expect, it} from 'vitest';
import {wholeLines} from '../../source/host/local-host.ts';

/*
 * How a host cuts a stream into chunks of whole lines: what arrives in
 * pieces of any size comes out as the same lines, many per chunk, none cut.
 */

/** Feeds `pieces` (strings or bytes) and returns the chunks as strings, decoded while they are valid. */
function chunksOf(pieces: Array<string | Buffer>): string[] {
	const chunks: string[] = [];
	const lines = wholeLines(bytes => chunks.push(bytes.toString('utf8')));
	for (const piece of pieces) lines.write(typeof piece === 'string' ? Buffer.from(piece) : piece);
	lines.end();
	return chunks;
}

describe('whole lines', () => {
	it('hands on every line completed by a read in one chunk, and keeps the unfinished one for the next', () => {
		expect(chunksOf(['one\ntwo\nthr', 'ee\nfour\n'])).toEqual(['one\ntwo', 'three\nfour']);
	});

	it('joins a line that arrives over several reads, none of them ending it', () => {
		expect(chunksOf(['Unpack', 'ing pack', 'age-1 ...', '\n'])).toEqual(['Unpacking package-1 ...']);
	});

	it('hands on an unfinished last line at the end, and nothing for output ending in a newline', () => {
		expect(chunksOf(['done\nno newline'])).toEqual(['done', 'no newline']);
		expect(chunksOf(['done\n'])).toEqual(['done']);
		expect(chunksOf([])).toEqual([]);
	});

	it('keeps empty lines', () => {
		expect(chunksOf(['\n'])).toEqual(['']);
		expect(chunksOf(['a\n\n\nb\n'])).toEqual(['a\n\n\nb']);
	});

	it('reads CR-LF as a line end, also when the CR and the LF come in different reads', () => {
		expect(chunksOf(['one\r\ntwo\r\n'])).toEqual(['one\ntwo']);
		expect(chunksOf(['one\r', '\ntwo\r\nthree\r', '\n'])).toEqual(['one\ntwo', 'three']);
		// A CR inside a line (a progress counter) is the line's.
		expect(chunksOf(['10%\r20%\r30%\n'])).toEqual(['10%\r20%\r30%']);
	});

	it('decodes a character whose bytes came in two reads whole', () => {
		const text = Buffer.from('Paramètres réseau\n');
		const cut = text.indexOf(0xa8); // The second byte of "è".
		expect(chunksOf([text.subarray(0, cut), text.subarray(cut)])).toEqual(['Paramètres réseau']);
	});

	it('gives the same lines whatever the size of the reads', () => {
		const text = Array.from({length: 3000}, (_, i) => `line ${i + 1}${i % 7 === 0 ? '\r' : ''}${i % 11 === 0 ? ' é' : ''}`).join('\n') + '\n';
		const bytes = Buffer.from(text);
		const expected = text.replaceAll('\r\n', '\n').slice(0, -1).split('\n');
		for (const size of [1, 2, 3, 7, 100, 4096, 64 * 1024]) {
			// A reused buffer, as a host reads into one: a chunk is decoded before the next read.
			const reused = Buffer.alloc(size);
			const lines: string[] = [];
			const splitter = wholeLines(chunk => lines.push(...chunk.toString('utf8').split('\n')));
			for (let at = 0; at < bytes.length; at += size) {
				const n = bytes.copy(reused, 0, at, at + size);
				splitter.write(reused.subarray(0, n));
			}
			splitter.end();
			expect(lines, `reads of ${size} bytes`).toEqual(expected);
		}
	});
});
