import {execFileSync} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {screenId, screensOf} from '../../source/docs/explore.ts';
import {svgText} from '../../source/docs/terminal.tsx';
import {PRODUCTS} from '../../source/products.ts';
import {TmuxSession} from '../e2e/tmux.ts';

/*
 * `upgrade-wizard docs` through the built CLI, once per product, in a
 * different time zone and locale than the committed files were made in: the
 * result must be the committed docs/<product>/ byte for byte (so the docs
 * are up to date and the generation is deterministic), cover every screen of
 * the machine, and show what a real terminal shows.
 */

const cli = path.resolve('dist/cli.js');
const generated: Record<string, string> = {};

beforeAll(() => {
	if (!existsSync(cli)) throw new Error('dist/cli.js is missing: npm test builds it first (npm run build)');
	for (const product of Object.keys(PRODUCTS)) {
		const out = mkdtempSync(path.join(os.tmpdir(), `muw-docs-${product}-`));
		execFileSync(process.execPath, [cli, 'docs', product, '--out', out], {
			env: {PATH: process.env.PATH ?? '', TZ: 'Pacific/Chatham', LANG: 'de_DE.UTF-8', NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true'},
			encoding: 'utf8',
		});
		generated[product] = out;
	}
}, 180_000);

afterAll(() => {
	for (const dir of Object.values(generated)) rmSync(dir, {recursive: true, force: true});
});

const files = (dir: string) => readdirSync(dir).sort();

describe.each(Object.keys(PRODUCTS))('the generated docs of %s', product => {
	const committed = path.resolve('docs', product);

	it('are committed under docs/ and identical to a fresh generation, byte for byte', () => {
		const fresh = generated[product]!;
		expect(files(fresh), `docs/${product} is out of date: run npm run docs`).toEqual(files(committed));
		for (const name of files(fresh)) {
			const same = readFileSync(path.join(fresh, name)).equals(readFileSync(path.join(committed, name)));
			expect(same, `docs/${product}/${name} differs from a fresh generation: run npm run docs`).toBe(true);
		}
	});

	it('have a screenshot of every screen of the machine, each in the walkthrough', () => {
		const machine = PRODUCTS[product as keyof typeof PRODUCTS].machine();
		const names = files(committed);
		const walkthrough = readFileSync(path.join(committed, 'walkthrough.md'), 'utf8');
		const screens = screensOf(machine as never);
		// PMG's path is long; PureMessage's repeats its few steps per server.
		expect(screens.length).toBeGreaterThan(product === 'pmg' ? 100 : 40);
		for (const {step, screen} of screens) {
			const id = screenId(step, screen);
			const file = names.find(name => new RegExp(`^\\d+-${id.replace('.', '-')}\\.svg$`).test(name));
			expect(file, `no screenshot of ${id}`).toBeDefined();
			expect(walkthrough).toContain(`](${file})`);
		}
		// Every step has its section, with its title and why it exists.
		for (const [step, node] of Object.entries(machine.root.states)) {
			const meta = node.meta as {step?: boolean; title: string; why: string} | undefined;
			// A state that only passes on to the next (no meta.step) is no step.
			if (!meta?.step) continue;
			expect(walkthrough, step).toContain(`. ${meta.title}\n`);
			expect(walkthrough, step).toContain(meta.why);
		}
		expect(names.filter(n => n.endsWith('.svg'))).toHaveLength(screens.length);
		expect(readFileSync(path.join(committed, 'states.mmd'), 'utf8')).toMatch(/^stateDiagram-v2\n/);
	});

	it('contain no machine paths, clock readings or random ids', () => {
		for (const name of files(committed)) {
			const text = readFileSync(path.join(committed, name), 'utf8');
			expect(text, name).not.toMatch(/\/(tmp|home|work|Users)\/|node_modules|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/);
		}
	});
});

describe('a screenshot', () => {
	const dir = path.resolve('docs', 'pmg');
	const find = (id: string) => readdirSync(dir).find(name => name.endsWith(`-${id.replace('.', '-')}.svg`))!;

	it('holds the text the terminal shows, row by row, with its colours and box drawing', () => {
		const svg = readFileSync(path.join(dir, find('diskSpace.blocked')), 'utf8');
		const rows = svgText(svg);
		expect(rows).toHaveLength(24);
		expect(rows[0]).toMatch(/^ PMG 8 -> 9 {2}\| {2}pmg1\.example\.lan \(simulated\) +step 4\/\d+$/);
		expect(rows[1]).toBe(' [>>] Preparation  [  ] Repositories  [  ] Upgrade  [  ] After reboot');
		expect(rows[2]).toBe('─'.repeat(80));
		expect(rows[3]).toBe(' Free space on /');
		expect(rows[4]).toBe(' [FAIL]   9.5 GiB available on / of 32.0 GiB (needs 10.0 GiB)');
		expect(rows).toContain('  stored elsewhere; or grow the file system. Then press r.');
		expect(rows[22]).toBe(' r check again   ? why   q leave (progress kept)');
		// Colour and weight as the terminal had them: the word FAIL in red, the keys bold.
		expect(svg).toMatch(/<text [^>]*fill="#cd3131"[^>]*>\[FAIL\]<\/text>/);
		expect(svg).toMatch(/<text [^>]*font-weight="bold"[^>]*>r<\/text>/);
		expect(svg).toContain('<title>PMG 8 -&gt; 9, step 4/');
	});

	it('is what the wizard shows in a real terminal (tmux) on the same scenario', async () => {
		const svg = readFileSync(path.join(dir, find('diskSpace.blocked')), 'utf8');
		const state = mkdtempSync(path.join(os.tmpdir(), 'muw-docs-tmux-'));
		const session = new TmuxSession();
		const lang = process.env.LANG;
		// tmux keeps non-ASCII cells only for a client with a UTF-8 locale.
		process.env.LANG = 'C.UTF-8';
		try {
			session.start([process.execPath, cli, 'pmg', '--simulate', 'low-disk', '--state-dir', state], {
				UPGRADE_WIZARD_SIM_SPEED: '0',
				TERM: 'xterm-256color',
				LANG: 'C.UTF-8',
				HOME: state,
			});
			// Each key once its screen has been drawn and still (a key that acts counts only then).
			const next = async (keys: () => void, until: string) => {
				await session.settle();
				keys();
				return session.waitFor(s => s.includes(until));
			};
			await session.waitFor(s => s.includes('running as root'));
			await next(() => session.send('Enter'), 'Bring PMG 8.2 up to date');
			// apt dist-upgrade asks on the terminal: Y, then Enter goes back to the wizard.
			await next(() => session.send('Enter'), 'Do you want to continue? [Y/n]');
			await next(() => {
				session.type('Y');
				session.send('Enter');
			}, 'Press Enter to return to the wizard.');
			await next(() => session.send('Enter'), 'pmg-api 8.2.7 (8.2.5 or newer)');
			await next(() => session.send('Enter'), 'Create a new backup now');
			await next(() => session.send('Enter'), 'pmgbackup backup');
			await next(() => session.send('Enter'), 'made during this upgrade');
			await next(() => session.send('Enter'), 'type "stored"');
			session.type('stored');
			const screen = await next(() => session.send('Enter'), '9.5 GiB available');
			const settled = await session.settle();
			void screen;
			const visible = (rows: string[]) => rows.map(r => r.replace(/\s+$/, '')).filter(r => r !== '');
			// tmux's status line takes a row: the same lines, the body one row shorter.
			// The command line (!) exists on the simulated host only; the docs show the screens as on a real host.
			expect(settled).toContain('   ! command line');
			expect(visible(settled.replace('   ! command line', '').split('\n'))).toEqual(visible(svgText(svg)));
		} finally {
			session.kill();
			if (lang === undefined) delete process.env.LANG;
			else process.env.LANG = lang;
			rmSync(state, {recursive: true, force: true});
		}
	}, 60_000);
});

describe('upgrade-wizard docs, given bad arguments', () => {
	const fails = (...args: string[]) => {
		try {
			execFileSync(process.execPath, [cli, 'docs', ...args], {encoding: 'utf8', stdio: 'pipe'});
		} catch (error) {
			const e = error as {status: number; stderr: string};
			return {status: e.status, stderr: e.stderr};
		}
		throw new Error('expected the command to fail');
	};

	it('says what is missing or wrong, with exit status 2', () => {
		expect(fails()).toMatchObject({status: 2, stderr: expect.stringContaining('name the product, e.g. upgrade-wizard docs pmg --out docs/pmg')});
		expect(fails('pmg')).toMatchObject({status: 2, stderr: expect.stringContaining('say where the files go: upgrade-wizard docs pmg --out DIR')});
		expect(fails('mailman', '--out', 'x')).toMatchObject({status: 2, stderr: expect.stringContaining('unknown product "mailman"')});
		expect(fails('puremessage')).toMatchObject({status: 2, stderr: expect.stringContaining('say where the files go: upgrade-wizard docs puremessage --out DIR')});
		expect(fails('pmg', '--out')).toMatchObject({status: 2, stderr: expect.stringContaining('--out needs a value (DIR)')});
	});
});
