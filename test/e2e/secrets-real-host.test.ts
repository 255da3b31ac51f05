import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {canUseNamespace, inNamespace, PMGVERSION_8_2} from './real-host-namespace.ts';
import {TmuxSession} from './tmux.ts';

/*
 * The wizard in real-host mode on real processes: inside a private mount
 * namespace (unshare -m), an overlay on /usr/bin adds a stand-in
 * pmgversion (which makes this a PMG host) and a stand-in apt; nothing
 * outside the namespace changes. The wizard is started with PGPASSWORD set.
 * apt must not get it, and its value, printed by apt anyway (read from a
 * file), appears nowhere: not on screen, not in the transcript, not in the
 * saved place, not under runs/.
 */

const SECRET = 'S3cr3t-Value-42';
const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-secrets-real-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

/** Every file under `top`, with its content. */
const filesUnder = (top: string): Array<{file: string; text: string}> =>
	readdirSync(top, {recursive: true, encoding: 'utf8'})
		.map(name => path.join(top, name))
		.filter(file => statSync(file).isFile())
		.map(file => ({file, text: readFileSync(file, 'utf8')}));

describe('secrets of the environment on a real host', () => {
	it.skipIf(!canUseNamespace)('apt does not get PGPASSWORD; its value is masked on screen, in the transcript, the saved place and runs/', async () => {
		writeFileSync(path.join(dir, 'secret'), SECRET);
		const apt = [
			'#!/bin/sh',
			'[ "$1" = update ] || { echo "0 upgraded, 0 newly installed"; exit 0; }',
			'echo "Hit:1 http://stand-in bookworm InRelease"',
			'echo "apt sees PGPASSWORD=${PGPASSWORD-unset}"',
			// Printed in two writes: the value's first half, a pause, the rest.
			`secret=$(cat ${dir}/secret); printf "the password, printed anyway: %s" "\${secret%????????}"; sleep 0.3; printf "%s\\n" "\${secret#???????}"`,
			'sleep 2',
		].join('\n');
		const state = path.join(dir, 'D');
		const argv = inNamespace(dir, {pmgversion: PMGVERSION_8_2, apt}, ['pmg', '--state-dir', state]);
		const session = new TmuxSession();
		const screens: string[] = [];
		const see = (s: string) => {
			screens.push(s);
			return s;
		};
		try {
			session.start(argv, {PGPASSWORD: SECRET, TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0', LANG: 'C.UTF-8'});
			await session.waitFor(s => see(s).includes('PMG 8 -> 9') && s.includes('Enter continue'));
			expect(screens.at(-1)).not.toContain('(simulated)');
			session.send('Enter');
			await session.waitFor(s => see(s).includes('$ apt update') && s.includes('Enter run'));
			session.send('Enter');
			const running = await session.waitFor(s => see(s).includes('printed anyway'));
			expect(running).toContain('apt sees PGPASSWORD=unset');
			expect(running).toContain('the password, printed anyway: ***');
			await session.waitFor(s => see(s).includes('Press Enter to return'), 20_000);
			session.send('Enter');
			await session.waitFor(s => see(s).includes('[PASS]   pmg-api') && s.includes('Enter continue'));
			session.send('q');
			await session.waitFor(s => see(s).includes('[exit 0]'));
		} finally {
			session.kill();
		}
		// Not even half of it, anywhere the wizard writes or shows.
		const halves = [SECRET.slice(0, 8), SECRET.slice(7)];
		const kept = filesUnder(state);
		expect(kept.map(f => path.relative(state, f.file))).toEqual(expect.arrayContaining(['transcript.log', 'state.json', expect.stringMatching(/^runs\/.*\/stdout$/)]));
		for (const {file, text} of [...kept, {file: 'screen', text: screens.join('\n')}]) {
			for (const half of halves) expect(text, file).not.toContain(half);
		}
		const transcript = readFileSync(path.join(state, 'transcript.log'), 'utf8');
		expect(transcript).toContain('| apt sees PGPASSWORD=unset');
		expect(transcript).toContain('| the password, printed anyway: ***');
		const stdout = kept.find(f => /runs\/.*\/stdout$/.test(f.file))!;
		expect(stdout.text).toContain('printed anyway: ***');
	}, 60_000);
});
