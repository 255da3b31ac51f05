import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {canUseNamespace, inNamespace, PMGVERSION_8_2} from './real-host-namespace.ts';
import {TmuxSession} from './tmux.ts';

/*
 * The terminal stays the wizard's. On a real host (a private mount
 * namespace with a stand-in pmgversion and apt laid over /usr/bin, as in
 * secrets-real-host.test.ts), apt update writes a title, a clear screen and
 * cursor moves: none reaches the terminal. And a wizard killed with SIGKILL
 * leaves the cursor hidden; the next start shows it again, on any way out.
 */

const cli = path.resolve('dist/cli.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-terminal-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

const pane = (session: TmuxSession, format: string) => execFileSync('tmux', ['-L', session.socket, 'display-message', '-p', '-t', session.name, format], {encoding: 'utf8'}).trim();

describe('the terminal stays the wizard\'s', () => {
	it.skipIf(!canUseNamespace)('escape sequences in a command output do not reach the terminal; runs/ keeps them', async () => {
		const apt = [
			'#!/bin/sh',
			'[ "$1" = update ] || exit 0',
			"printf '\\033]0;PWNED-TITLE\\007Hit:1 stand-in\\n'",
			"printf '\\033[2J\\033[H\\033[?25hafter clear\\033[5;5Hmoved\\n'",
			'sleep 2',
		].join('\n');
		const state = path.join(dir, 'D');
		const argv = inNamespace(dir, {pmgversion: PMGVERSION_8_2, apt}, ['pmg', '--state-dir', state]);
		const session = new TmuxSession();
		try {
			session.start(argv, {TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0', LANG: 'C.UTF-8'});
			await session.waitFor(s => s.includes('PMG 8 -> 9') && s.includes('Enter continue'));
			const title = pane(session, '#{pane_title}');
			session.send('Enter');
			await session.waitFor(s => s.includes('$ apt update') && s.includes('Enter run'));
			session.send('Enter');
			const running = await session.waitFor(s => s.includes('moved'));
			expect(pane(session, '#{pane_title}')).not.toContain('PWNED');
			expect(pane(session, '#{pane_title}')).toBe(title);
			// The frame is whole: the header is still on the top row, the lines in the tail view.
			expect(running.split('\n')[0]).toMatch(/^ PMG 8 -> 9 /);
			expect(running).toContain('Hit:1 stand-in');
			expect(running).toContain('after clearmoved');
			// Ink hides the cursor while it draws; the command did not show it.
			expect(pane(session, '#{cursor_flag}')).toBe('0');
		} finally {
			session.kill();
		}
		const raw = readFileSync(path.join(state, 'runs', 'run-updateCurrent.1.0', 'stdout'), 'utf8');
		expect(raw).toContain('\u001B]0;PWNED-TITLE\u0007');
		expect(readFileSync(path.join(state, 'transcript.log'), 'utf8')).not.toContain('\u001B');
	}, 60_000);

	it('after SIGKILL the cursor is hidden at the prompt; the next start shows it again on its way out', async () => {
		const state = path.join(dir, 'K');
		const session = new TmuxSession();
		try {
			// The wizard, then (after it is killed) a usage error: the quickest way out of a second start.
			session.start(['sh', '-c', `${process.execPath} ${cli} pmg --simulate clean --state-dir ${state}; sleep 1; ${process.execPath} ${cli} pmg --no-such-option; sleep 3600`], {UPGRADE_WIZARD_SIM_SPEED: '0', TERM: 'linux', NO_COLOR: '1', UPGRADE_WIZARD_SETTLE_MS: '0', HOME: dir});
			await session.waitFor(s => s.includes('PMG 8 -> 9') && s.includes('Enter continue'));
			expect(pane(session, '#{cursor_flag}')).toBe('0');
			process.kill(Number(readFileSync(path.join(state, 'lock'), 'utf8')), 'SIGKILL');
			await session.waitFor(s => s.includes('unknown option --no-such-option'));
			expect(pane(session, '#{cursor_flag}')).toBe('1');
		} finally {
			session.kill();
		}
	}, 30_000);
});
