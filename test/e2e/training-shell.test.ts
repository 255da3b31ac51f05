import {readFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {builtCli} from './built-cli.ts';
import {footer, TmuxSession} from './tmux.ts';

/*
 * `train low-disk` in tmux at 80x24: the free space check stops the
 * trainee, and ! gives a command line on the simulated host where the
 * trainee finds the old backups and moves them to the USB disk; r then
 * passes. Only keys the footers show are pressed. The transcript is the
 * witness of what was typed.
 */

const {cli, dir} = builtCli('muw-train-shell-');
let session: TmuxSession | null = null;

afterAll(() => {
	session?.kill();
});

const next = async (s: TmuxSession, before: string) => {
	await s.waitFor(screen => screen !== before, 20_000);
	return s.settle();
};

describe('train low-disk: acting on the simulated host from its command line', () => {
	it('stops at the free space check, ! opens a command line there, mv frees the space, r passes', async () => {
		const state = path.join(dir, 'state');
		const s = new TmuxSession();
		session = s;
		s.start([process.execPath, cli, 'train', 'low-disk', '--state-dir', state], {UPGRADE_WIZARD_SIM_SPEED: '0', TERM: 'linux', NO_COLOR: '1', LANG: 'C.UTF-8', HOME: dir});
		let screen = await s.waitFor(x => x.includes('PMG 8 -> 9'));
		screen = await s.settle();
		// Walk on as the footers offer, answering apt on the terminal, to the stop.
		for (let i = 0; i < 60 && !screen.includes('Free space on /'); i++) {
			const keys = footer(screen);
			const word = /type "([^"]+)"/.exec(keys);
			if (/\[Y\/n\]$/.test(keys.trim())) {
				s.type('Y');
				s.send('Enter');
			} else if (keys.trim() === 'Press Enter to return to the wizard.') s.send('Enter');
			else if (word) {
				s.type(word[1]!);
				s.send('Enter');
			} else if (/PgDn\/Space \d+ more line/.test(keys)) s.send('NPage');
			else if (/Enter (run|apply|continue|choose|confirm|start)/.test(keys)) s.send('Enter');
			screen = await next(s, screen);
		}
		screen = await s.waitFor(x => x.includes('Free space on /') && footer(x).includes('r check again'));
		expect(screen).toMatch(/\[FAIL\] +9\.5 GiB available on \//);
		expect(footer(screen)).toContain('! command line');
		// A key counts only once its screen has been on the terminal a moment (the key gate).
		await s.settle(400);
		s.send('!');
		screen = await s.waitFor(x => /root@pmg1:~# $/.test(x.trimEnd() + ' '));
		expect(screen).toContain('A command line on the simulated host pmg1.example.lan');
		s.type('ls -lh /var/lib/pmg/backup');
		s.send('Enter');
		screen = await s.waitFor(x => x.includes('pmg-backup_2026_05_03_69F6AC20.tgz') && /root@pmg1:~#\s*$/.test(x));
		expect(screen).toMatch(/ 4\.1G .* pmg-backup_2026_05_03_69F6AC20\.tgz/);
		s.type('mv /var/lib/pmg/backup/pmg-backup_2026_02_01_697EB3A0.tgz /var/lib/pmg/backup/pmg-backup_2026_05_03_69F6AC20.tgz /mnt/backup/');
		s.send('Enter');
		s.type('df -h /');
		s.send('Enter');
		// 17.4 GiB free: df -h rounds up, as df does.
		screen = await s.waitFor(x => /\/dev\/mapper\/root +32G +15G +18G +46% \//.test(x));
		s.type('exit');
		s.send('Enter');
		screen = await s.waitFor(x => x.includes('Free space on /') && footer(x).includes('r check again'));
		await s.settle(400);
		s.send('r');
		screen = await s.waitFor(x => /\[PASS\] +17\.4 GiB available on \//.test(x));
		expect(footer(screen)).toContain('Enter continue');

		const transcript = readFileSync(path.join(state, 'transcript.log'), 'utf8');
		expect(transcript).toContain('operator.shell');
		expect(transcript).toContain('shell on pmg1.example.lan (simulated): mv /var/lib/pmg/backup/pmg-backup_2026_02_01_697EB3A0.tgz');
		expect(transcript).toMatch(/exit status 0: mv /);
	}, 120_000);
});
