import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {footer, TmuxSession} from './tmux.ts';

/*
 * The built CLI in tmux: a key acts only on the screen that was on the
 * terminal when it arrived. The transcript is the witness of what ran.
 */

const cli = path.resolve('dist/cli.js');
let root = '';
const sessions: TmuxSession[] = [];
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

function open(product: string, scenario: string, size = {columns: 80, rows: 24}, extra: Record<string, string> = {}) {
	const state = mkdtempSync(path.join(root, `${scenario}-`));
	const session = new TmuxSession();
	sessions.push(session);
	session.start([process.execPath, cli, product, '--simulate', scenario, '--state-dir', state], {UPGRADE_WIZARD_SIM_SPEED: '0', TERM: 'linux', NO_COLOR: '1', LANG: 'C.UTF-8', HOME: state, ...extra}, size);
	const transcript = () => readFileSync(path.join(state, 'transcript.log'), 'utf8');
	return {session, state, transcript};
}

beforeAll(() => {
	if (!existsSync(cli)) throw new Error('dist/cli.js is missing: npm test builds it first (npm run build)');
	root = mkdtempSync(path.join(os.tmpdir(), 'muw-e2e-keys-'));
});

afterAll(() => {
	for (const s of sessions) s.kill();
	rmSync(root, {recursive: true, force: true});
});

describe('keys are bound to the screen on the terminal (tmux)', () => {
	it('keys pressed while the terminal is too small act on nothing: enlarged to 80x24, nothing ran', async () => {
		const {session, transcript} = open('pmg', 'clean', {columns: 40, rows: 10});
		await session.waitFor(s => s.includes('This terminal is 40x10'));
		// Let the hidden machine reach its first result screen meanwhile.
		await sleep(1000);
		for (let i = 0; i < 3; i++) {
			session.send('Enter');
			await sleep(300);
		}
		const small = await session.waitFor(s => s.includes('key ignored: enlarge the window first'));
		expect(small).toContain('40x10');
		session.resize(80, 24);
		const screen = await session.waitFor(s => s.includes('Preconditions') && s.includes('Enter continue'));
		await sleep(1000);
		expect(await session.settle()).toBe(screen);
		expect(screen).toContain('step 1/');
		const log = transcript();
		expect(log).toContain('at preconditions.passed');
		expect(log).not.toContain('at updateCurrent');
		expect(log).not.toContain('run: ');
	}, 60_000);

	it('a burst of Enters on a result screen moves one screen on and runs nothing it did not show', async () => {
		const {session, transcript} = open('pmg', 'clean');
		await session.waitFor(s => s.includes('Preconditions') && footer(s).includes('Enter continue'));
		await session.settle();
		// One chunk: the 2nd and 3rd Enter arrive before the next screen is drawn.
		session.send('Enter', 'Enter', 'Enter');
		const review = await session.waitFor(s => s.includes('$ apt update') && footer(s).includes('Enter run'), 10_000);
		expect(review).toContain('$ apt dist-upgrade');
		await sleep(1000);
		expect(transcript()).toContain('at updateCurrent.review');
		expect(transcript()).not.toContain('run: ');
	}, 60_000);

	it('an Enter typed right after a screen that runs commands appears is ignored, and the footer says so', async () => {
		const {session, transcript} = open('pmg', 'clean', {columns: 80, rows: 24}, {UPGRADE_WIZARD_SETTLE_MS: '1500'});
		await session.waitFor(s => s.includes('Preconditions') && footer(s).includes('Enter continue'));
		await sleep(300);
		session.send('Enter');
		await session.waitFor(s => s.includes('$ apt update'));
		session.send('Enter');
		const ignored = await session.waitFor(s => footer(s).includes('key ignored: read the screen first'));
		expect(ignored).toContain('$ apt update');
		await sleep(500);
		expect(transcript()).not.toContain('run: ');
		// Once the screen has been shown long enough, Enter runs what it shows.
		await session.waitFor(s => footer(s).includes('Enter run'), 5_000);
		await sleep(1600);
		session.send('Enter');
		await session.waitFor(() => /run: apt update/.test(transcript()), 10_000);
	}, 60_000);
});
