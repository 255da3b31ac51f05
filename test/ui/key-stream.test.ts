import {PassThrough} from 'node:stream';
import {describe, expect, it} from 'vitest';
import {ESCAPE_WAIT_MS, KeyFeed, KeyStream, SETTLE_FALLBACK_MS, splitSequences} from '../../source/ui/key-stream.ts';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe('the key stream: one key press per write', () => {
	it('cuts what terminals send into single keys', () => {
		// xterm and tmux (CSI), application cursor mode (SS3), PgUp/PgDn, the
		// Linux console's F1, Alt+x, Alt+Up, UTF-8 and a character outside the BMP.
		const text = '\u001B[B\u001B[A\r\u001BOB\u001B[5~\u001B[6~\u001B[[A\u001Bx\u001B\u001B[Ajkä🙂\u007f\t\u0003';
		expect(splitSequences(text)).toEqual({
			keys: ['\u001B[B', '\u001B[A', '\r', '\u001BOB', '\u001B[5~', '\u001B[6~', '\u001B[[A', '\u001Bx', '\u001B\u001B[A', 'j', 'k', 'ä', '🙂', '\u007f', '\t', '\u0003'],
			rest: '',
		});
		// Typed text and a paste are a key per character; CR LF two keys, as the wizard counts them.
		expect(splitSequences('12\r\n').keys).toEqual(['1', '2', '\r', '\n']);
		// xterm's modified arrows (Shift+Up) are one key.
		expect(splitSequences('\u001B[1;2A').keys).toEqual(['\u001B[1;2A']);
	});

	it('keeps a sequence cut between two reads for the next one', () => {
		expect(splitSequences('\u001B[B\u001B[')).toEqual({keys: ['\u001B[B'], rest: '\u001B['});
		expect(splitSequences('\u001B')).toEqual({keys: [], rest: '\u001B'});
		expect(splitSequences('\u001BO')).toEqual({keys: [], rest: '\u001BO'});
		expect(splitSequences('\u001B[1;2')).toEqual({keys: [], rest: '\u001B[1;2'});
	});

	it('hands on one key at a time: the next once the screen has settled, or after the fallback time', async () => {
		const got: string[] = [];
		const feed = new KeyFeed(key => got.push(key));
		feed.write('\u001B[B\u001B[B\r');
		expect(got).toEqual(['\u001B[B']);
		await sleep(5);
		expect(got).toEqual(['\u001B[B']);
		feed.settled();
		await sleep(1);
		expect(got).toEqual(['\u001B[B', '\u001B[B']);
		// Nothing says the screen settled: the last key goes after the fallback time.
		await sleep(SETTLE_FALLBACK_MS / 2);
		expect(got).toHaveLength(2);
		await sleep(SETTLE_FALLBACK_MS);
		expect(got).toEqual(['\u001B[B', '\u001B[B', '\r']);
		feed.close();
	});

	it('joins a sequence cut between reads; an Escape alone counts after a moment', async () => {
		const got: string[] = [];
		const feed = new KeyFeed(key => {
			got.push(key);
			feed.settled();
		});
		feed.write('\u001B[');
		feed.write('B');
		await sleep(5);
		expect(got).toEqual(['\u001B[B']);
		feed.write('\u001B');
		await sleep(ESCAPE_WAIT_MS / 2);
		expect(got).toEqual(['\u001B[B']);
		await sleep(ESCAPE_WAIT_MS * 2);
		expect(got).toEqual(['\u001B[B', '\u001B']);
		feed.close();
	});

	it('drops the rest of a burst when its key led to another screen, and not the next burst', async () => {
		const got: string[] = [];
		const feed = new KeyFeed(key => got.push(key));
		feed.write('\rxy');
		feed.write('z');
		expect(feed.settled(true)).toBe(2);
		await sleep(2);
		expect(got).toEqual(['\r', 'z']);
		feed.close();
	});

	it('lets the screen take a key before Ink (intercept)', async () => {
		const got: string[] = [];
		const taken: string[] = [];
		const feed = new KeyFeed(key => {
			got.push(key);
			feed.settled();
		});
		// The screen draws after a key it took, as after any other.
		feed.intercept = key => (/\d/.test(key) ? (taken.push(key), feed.settled(), true) : false);
		feed.write('1\u001B[B2');
		await sleep(10);
		expect(taken).toEqual(['1', '2']);
		expect(got).toEqual(['\u001B[B']);
		feed.close();
	});

	it('reads the terminal only while raw mode is on, as Ink did, and passes raw mode on', async () => {
		const source = Object.assign(new PassThrough(), {isTTY: true, raw: [] as boolean[], setRawMode(on: boolean) {
			source.raw.push(on);
			return source;
		}, ref() {}, unref() {}});
		const stream = new KeyStream(source as never);
		expect(stream.isTTY).toBe(true);
		source.write('a');
		await sleep(5);
		expect(stream.read()).toBeNull();
		stream.setRawMode(true);
		await sleep(5);
		// What came before raw mode is read now, one key per read.
		expect(String(stream.read())).toBe('a');
		stream.settled();
		source.write('\u001B[B\r');
		await sleep(5);
		expect(String(stream.read())).toBe('\u001B[B');
		expect(stream.read()).toBeNull();
		stream.settled();
		await sleep(5);
		expect(String(stream.read())).toBe('\r');
		stream.setRawMode(false);
		source.write('q');
		await sleep(5);
		expect(stream.read()).toBeNull();
		expect(source.raw).toEqual([true, false]);
		stream.destroy();
	});
});
