import {mkdtempSync, readFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {builtCli} from './built-cli.ts';
import {footer, TmuxSession} from './tmux.ts';

/*
 * The built CLI in tmux: a key acts only on the screen that was on the
 * terminal when it arrived. The transcript is the witness of what ran.
 */

const {cli, dir: root} = builtCli('muw-e2e-keys-');
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

afterAll(() => {
	for (const s of sessions) s.kill();
});

/**
 * On with the keys each footer offers (vmm's clean walk), until a screen
 * shows `text`: the password pg_dump and psql (-W) ask for on the terminal,
 * Enter back from it, PgDn to the end of a long screen, Enter.
 */
async function walkTo(session: TmuxSession, text: string): Promise<string> {
	let screen = await session.settle();
	for (let i = 0; i < 150 && !screen.includes(text); i++) {
		const keys = footer(screen);
		if (keys === 'Password:') {
			session.type('vmm-training');
			session.send('Enter');
		} else if (keys === 'Press Enter to return to the wizard.') session.send('Enter');
		else if (/PgDn\/Space \d+ more line/.test(keys)) session.send('NPage');
		else if (/Enter (run|apply|continue|choose|confirm)/.test(keys)) session.send('Enter');
		const before = screen;
		await session.waitFor(s => s !== before, 20_000);
		screen = await session.settle();
	}
	return screen;
}

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

	it('a change whose diff is longer than the screen is applied only once it was paged to its end', async () => {
		const {session, transcript} = open('vmm', 'clean');
		await session.waitFor(s => s.includes('vmm 0.5.2 -> 0.6.x'));
		// Walk on with the keys each footer offers, to the review of the query files.
		let screen = await walkTo(session, 'Postfix and Dovecot queries');
		screen = await session.waitFor(s => s.includes('The wizard will make these changes'));
		const unread = /PgDn\/Space (\d+) more lines/.exec(footer(screen));
		expect(unread, screen).not.toBeNull();
		expect(footer(screen)).not.toContain('Enter apply');
		expect(screen).toMatch(/\(\d+ more lines\)/);
		session.send('Enter');
		const refused = await session.waitFor(s => footer(s).includes('Enter ignored: read to the end first (PgDn/Space'));
		expect(refused).toContain('The wizard will make these changes');
		await sleep(500);
		expect(transcript()).not.toMatch(/write \/etc\/postfix\//);
		// Paging down to the end offers Enter.
		screen = await session.settle();
		for (let i = 0; i < 30 && !footer(screen).includes('Enter apply'); i++) {
			session.send('NPage');
			const before = screen;
			await session.waitFor(s => s !== before);
			screen = await session.settle();
		}
		expect(footer(screen)).toContain('Enter apply');
		expect(screen).not.toMatch(/\(\d+ more lines?\)/);
		session.send('Enter');
		await session.waitFor(() => /write \/etc\/postfix\//.test(transcript()), 10_000);
	}, 120_000);

	it('w shows a long line of a diff in full instead of cut at the edge', async () => {
		const {session} = open('vmm', 'clean');
		await session.waitFor(s => s.includes('vmm 0.5.2 -> 0.6.x'));
		let screen = await walkTo(session, 'The wizard will make these changes');
		const pages: string[] = [];
		const readAll = async () => {
			pages.length = 0;
			let page = await session.settle();
			pages.push(page);
			for (let i = 0; i < 40 && /PgDn\/Space \d+ more line/.test(footer(page)); i++) {
				session.send('NPage');
				page = await session.waitFor(s => s !== pages.at(-1));
				page = await session.settle();
				pages.push(page);
			}
			return pages.join('\n');
		};
		const cut = await readAll();
		expect(footer(pages[0]!)).toContain('w full lines');
		expect(cut).toMatch(/~$/m);
		session.send('w');
		await session.waitFor(s => footer(s).includes('w cut long lines'));
		const full = await readAll();
		const longest = full.split('\n').filter(l => /^ {4}[+-]/.test(l));
		expect(longest.length).toBeGreaterThan(0);
		expect(full).not.toMatch(/^ {4}[+-].*~$/m);
	}, 120_000);
});
