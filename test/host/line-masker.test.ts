import {describe, expect, it} from 'vitest';
import {wholeLines} from '../../source/host/local-host.ts';
import {LineMasker, secretValues} from '../../source/host/secrets.ts';

/*
 * A password of several lines is masked whole, whatever the reads that bring
 * a command's output: every place where a read can end is tried, without a
 * process or a pause (a test that relied on a 0.3 s sleep to split the reads
 * was flaky on a loaded machine).
 */

/** What the wizard passes on (joined as the transcript has it) when `output` arrives cut at `cuts`. */
function throughReads(output: string, cuts: number[], secrets: string[]): {text: string; chunks: string[]} {
	const masker = new LineMasker(() => secrets);
	const chunks: string[] = [];
	const pass = (bytes: Buffer | null) => {
		if (bytes) chunks.push(bytes.toString('utf8'));
	};
	const lines = wholeLines(bytes => pass(masker.feed(bytes)));
	const bytes = Buffer.from(output, 'utf8');
	let at = 0;
	for (const cut of [...cuts, bytes.length]) {
		lines.write(bytes.subarray(at, cut));
		at = cut;
	}
	lines.end();
	pass(masker.end());
	return {text: chunks.join('\n'), chunks};
}

describe('masking a password of several lines', () => {
	// The second line alone is shorter than what is masked on its own (4 characters): only the whole value protects it.
	const secret = 'Corr3ct-Horse\nab';
	const secrets = secretValues({PGPASSWORD: secret});
	const output = `connecting\nthe key is ${secret} (ok)\ndone\n`;

	it('masks the value whole and each long line of it alone', () => {
		expect(secrets).toEqual(['Corr3ct-Horse\nab', 'Corr3ct-Horse']);
		expect(throughReads(output, [], secrets).text).toBe('connecting\nthe key is *** (ok)\ndone');
	});

	it('whatever the reads: one cut at every byte, and two cuts at every pair of positions', () => {
		const length = Buffer.byteLength(output);
		for (let i = 0; i <= length; i++) {
			const {text, chunks} = throughReads(output, [i], secrets);
			expect(text, `cut at ${i}`).toBe('connecting\nthe key is *** (ok)\ndone');
			// Whole lines only: no chunk ends inside a line.
			expect(chunks.join('\n').split('\n'), `cut at ${i}`).toEqual(['connecting', 'the key is *** (ok)', 'done']);
			for (let j = i; j <= length; j++) expect(throughReads(output, [i, j], secrets).text, `cuts at ${i}, ${j}`).toBe('connecting\nthe key is *** (ok)\ndone');
		}
	});

	it('a value of three lines, cut between each of its lines', () => {
		const three = 'first-line\nx\nthird-line';
		const values = secretValues({API_TOKEN: three});
		const text = `a ${three} b\n`;
		const newlines = [...text.matchAll(/\n/g)].map(m => m.index! + 1);
		expect(throughReads(text, newlines, values).text).toBe('a *** b');
		expect(throughReads(text, [newlines[0]!], values).text).toBe('a *** b');
	});

	it('holds back nothing when no secret has several lines, and passes on what only looks like a beginning', () => {
		const masker = new LineMasker(() => ['Corr3ct-Horse']);
		expect(masker.feed(Buffer.from('Corr3ct'))?.toString()).toBe('Corr3ct');
		const multi = new LineMasker(() => secretValues({PGPASSWORD: 'Corr3ct-Horse\nab'}));
		expect(multi.feed(Buffer.from('one\nthe key is Corr3ct-Horse'))?.toString()).toBe('one');
		// The next line is not the value's rest: the held line is passed on as it was.
		expect(multi.feed(Buffer.from('cd'))?.toString()).toBe('the key is ***\ncd');
		expect(multi.end()).toBeNull();
	});

	it('masks a value written with CR-LF as it reaches the wizard (LF)', () => {
		const crlf = 'Corr3ct-Horse\r\nab';
		expect(throughReads('k: Corr3ct-Horse\r\nab\r\n', [5, 15, 17], secretValues({PGPASSWORD: crlf})).text).toBe('k: ***');
	});
});
