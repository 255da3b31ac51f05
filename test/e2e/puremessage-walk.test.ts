import {readFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {builtCli} from './built-cli.ts';
import {footer, handedOver, pastTimingRefusal, TmuxSession} from './tmux.ts';

/*
 * The built CLI in tmux at 80x24 on the three-server deployment: db1 is the
 * machine the wizard runs on, mta1 a server reached over SSH (simulated),
 * euwi1 one reached by hand. The operator tries the web interface out of
 * order once, is refused, then walks the plan to the end. Asserted: what
 * the screens show, and what happened to each simulated server.
 */

const {cli, dir: stateDir} = builtCli('muw-e2e-pm-');
let session: TmuxSession;

afterAll(() => {
	session?.kill();
});

const next = async (before: string) => {
	await session.waitFor(s => s !== before, 20_000);
	return session.settle();
};

describe('puremessage upgrade of three servers in a real terminal (tmux 80x24)', {timeout: 120_000}, () => {
	it('refuses the web interface first, then upgrades db1, mta1 over SSH and euwi1 by hand, in order', async () => {
		session = new TmuxSession();
		session.start([process.execPath, cli, 'puremessage', '--simulate', 'three-servers', '--state-dir', stateDir], {
			UPGRADE_WIZARD_SIM_SPEED: '0',
			TERM: 'linux',
			NO_COLOR: '1',
			LANG: 'C.UTF-8',
			HOME: stateDir,
		});
		let screen = await session.waitFor(s => s.includes('PureMessage 5.6.1 -> 6'));
		const seen: string[] = [];
		let refusedOnce = false;
		for (let i = 0; i < 120 && !screen.includes('Upgrade finished'); i++) {
			screen = await pastTimingRefusal(session, screen);
			const keys = footer(screen);
			// pmx-setup on mta1 (over SSH) runs on the terminal: not a frame of the wizard.
			if (!handedOver(screen)) seen.push(screen);
			if (keys === 'Press Enter to return to the wizard.') {
				session.send('Enter');
				screen = await next(screen);
				continue;
			}
			const word = /type "([^"]+)"/.exec(keys);
			if (/r check again/.test(keys) && !/Enter/.test(keys)) throw new Error(`blocked:\n${screen}`);
			if (screen.includes('The plan: servers in the required order') && !refusedOnce && /Enter choose/.test(keys)) {
				refusedOnce = true;
				session.send('4');
			} else if (screen.includes('Migration options, once for the deployment')) {
				session.send('2');
			} else if (/PgDn\/Space \d+ more line/.test(keys)) {
				// A screen that runs something is read to its end before Enter is offered.
				session.send('NPage');
			} else if (word) {
				session.type(word[1]!);
				session.send('Enter');
			} else if (/type e\.g\./.test(keys)) {
				// The simulated deployment plays PureMessage's size check: type the figure it shows.
				const figure = /the size check on \S+ reports (\S+) required/.exec(screen)?.[1];
				if (!figure) throw new Error(`the size-check screen shows no figure:\n${screen}`);
				session.type(figure);
				session.send('Enter');
			} else if (/Enter/.test(keys)) session.send('Enter');
			screen = await next(screen);
		}
		seen.push(screen);
		expect(screen).toContain('Upgrade finished');
		const all = seen.join('\n');

		// Every screen fitted 80x24 and named its keys.
		for (const s of seen) {
			expect(s.split('\n')[0], s).toMatch(/^ PureMessage 5\.6\.1 -> 6 {2}\| {2}db1\.example\.lan \(simulated\)/);
			expect(footer(s), s).toMatch(/q leave|Ctrl-C leave|Enter|why/);
		}
		expect(all).toContain('REFUSED: Upgrade euwi1 (euwi1.example.lan) is out of order.');
		expect(all).toContain('Next in the required order: Upgrade db1 (db1.example.lan).');
		// mta1's command is shown with the exact ssh command line that reaches it.
		expect(all).toMatch(/runs on mta1 as: ssh -t -o BatchMode=yes -i \/root\/\.ssh\/id_ed25519 -o\s+IdentitiesOnly=yes -p 22 root@mta1\.example\.lan -- pmx-setup/);
		expect(all).toContain('Mail Filter servers cannot read or write the database');
		expect(all).toContain('On euwi1\'s console, as root, run pmx-setup');
		expect(all.indexOf('Test the first filter server before the next')).toBeLessThan(all.indexOf('Upgrade with pmx-setup: euwi1'));

		// What happened on the servers: pmx-setup ran on db1 and mta1 (euwi1 by hand), in that order.
		const transcript = readFileSync(path.join(stateDir, 'transcript.log'), 'utf8');
		const runs = [...transcript.matchAll(/run on (\S+) \(.*\): (pmx-setup|pmx start)$/gm)].map(m => `${m[2]} ${m[1]}`);
		expect(runs).toEqual(['pmx-setup db1', 'pmx start db1', 'pmx-setup mta1']);
		const mta1 = JSON.parse(readFileSync(path.join(stateDir, 'host-mta1.json'), 'utf8')) as {files: Record<string, unknown>};
		expect(Object.keys(mta1.files)).toContain('/opt/pmx6/bin/pmx');
	});
});
