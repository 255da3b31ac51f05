import {mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {Transcript} from '../../source/runtime/transcript.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-transcript-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

describe('the transcript', () => {
	it('keeps every line of a burst, in order, with notes where they were made, and masks secrets', async () => {
		const file = path.join(dir, 'a.log');
		const transcript = await Transcript.open(file);
		transcript.redact('hunter2');
		const writes: Array<Promise<void>> = [];
		for (let i = 1; i <= 50_000; i++) {
			writes.push(transcript.write(`| line ${i}`));
			if (i === 25_000) writes.push(transcript.note('half way, password hunter2', new Date(0)));
		}
		await Promise.all(writes);
		await transcript.close();
		const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
		expect(lines).toHaveLength(50_001);
		expect(lines[0]).toBe('| line 1');
		expect(lines[25_000]).toBe('# 1970-01-01T00:00:00.000Z half way, password ***');
		expect(lines[25_001]).toBe('| line 25001');
		expect(lines.at(-1)).toBe('| line 50000');
		expect(statSync(file).mode & 0o777).toBe(0o600);
	});

	it('writes a chunk of output lines each with its prefix, stdout and stderr apart, in order with notes', async () => {
		const file = path.join(dir, 'd.log');
		const transcript = await Transcript.open(file);
		transcript.redact('hunter2');
		await transcript.note('run: apt dist-upgrade', new Date(0));
		void transcript.writeLines('| ', Buffer.from('Reading package lists...\n\nSetting up pmg-api (9.0.3) ...'));
		void transcript.writeLines('! ', Buffer.from('W: password hunter2 in a warning\nE: Paramètres'));
		const reused = Buffer.from('last line');
		const written = transcript.writeLines('| ', reused);
		// Copied before writeLines returned.
		reused.fill('#');
		await written;
		await transcript.note('exit status 0', new Date(0));
		await transcript.close();
		expect(readFileSync(file, 'utf8')).toBe(
			[
				'# 1970-01-01T00:00:00.000Z run: apt dist-upgrade',
				'| Reading package lists...',
				'| ',
				'| Setting up pmg-api (9.0.3) ...',
				'! W: password *** in a warning',
				'! E: Paramètres',
				'| last line',
				'# 1970-01-01T00:00:00.000Z exit status 0',
				'',
			].join('\n'),
		);
	});

	it('keeps every line of chunks that arrive faster than the disk takes them', async () => {
		const file = path.join(dir, 'e.log');
		const transcript = await Transcript.open(file);
		let n = 0;
		const writes: Array<Promise<void>> = [];
		for (let chunk = 0; chunk < 200; chunk++) {
			writes.push(transcript.writeLines(chunk % 10 === 9 ? '! ' : '| ', Buffer.from(Array.from({length: 500}, () => `line ${++n}`).join('\n'))));
		}
		await Promise.all(writes);
		await transcript.close();
		const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
		expect(lines).toHaveLength(100_000);
		expect(lines.every((line, i) => line === `${Math.floor(i / 500) % 10 === 9 ? '! ' : '| '}line ${i + 1}`)).toBe(true);
	});

	it('a write resolves only once its line is in the file', async () => {
		const file = path.join(dir, 'b.log');
		const transcript = await Transcript.open(file);
		await transcript.write('first');
		expect(readFileSync(file, 'utf8')).toBe('first\n');
		await transcript.write('second');
		expect(readFileSync(file, 'utf8')).toBe('first\nsecond\n');
		await transcript.close();
	});

	it('closes cleanly while output still arrives: what came before the close is in the file, nothing fails after', async () => {
		// A command that outlives the wizard keeps printing while SIGTERM closes the transcript.
		const file = path.join(dir, 'c.log');
		const transcript = await Transcript.open(file);
		const writes: Array<Promise<void>> = [];
		let i = 0;
		const writer = setInterval(() => writes.push(transcript.write(`| line ${++i}`)), 0);
		await new Promise(resolve => setTimeout(resolve, 20));
		writes.push(transcript.write('| before close'));
		const closing = transcript.close();
		writes.push(transcript.write('| while closing'));
		await closing;
		await new Promise(resolve => setTimeout(resolve, 20));
		clearInterval(writer);
		const settled = await Promise.allSettled(writes);
		expect(settled.filter(s => s.status === 'rejected')).toEqual([]);
		const text = readFileSync(file, 'utf8');
		expect(text).toContain('| before close\n');
		expect(text).toContain('| while closing\n');
		expect(text).toContain('| line 1\n');
	});
});
