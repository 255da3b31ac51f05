import {writeFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {trainings} from '../../source/commands/train.ts';
import {builtCli} from './built-cli.ts';
import {TmuxSession} from './tmux.ts';

/*
 * The lists (ink-select-input) on the built CLI in tmux at 80x24: Down Down
 * Enter reaching the wizard in ONE write (a paste) picks the third entry,
 * on a wizard screen and on the training list.
 */

const {cli, dir: temp} = builtCli('muw-list-burst-');
const BURST = '\u001B[B\u001B[B\r';
let session: TmuxSession | null = null;

afterAll(() => {
	session?.kill();
});

describe('a burst on a list in a real terminal (tmux 80x24)', () => {
	it('Down Down Enter in one write answers the vmm version question with the third entry', async () => {
		// The clean vmm host, but vmm version says nothing: the wizard asks, with four entries.
		const scenario = path.join(temp, 'silent-vmm.yaml');
		writeFileSync(
			scenario,
			[
				`extends: ${path.resolve('scenarios/vmm/clean.yaml')}`,
				'title: vmm that does not say its version',
				'difficulty: easy',
				'description: vmm version prints nothing; the wizard asks which vmm is installed.',
				'commands:',
				"  - match: '^vmm version$'",
				'    stdout: ""',
				'',
			].join('\n'),
		);
		session = new TmuxSession();
		session.start([process.execPath, cli, 'vmm', '--simulate', scenario, '--state-dir', path.join(temp, 'vmm')], {
			UPGRADE_WIZARD_SIM_SPEED: '0',
			TERM: 'linux',
			NO_COLOR: '1',
			LANG: 'C.UTF-8',
			HOME: temp,
		});
		for (let i = 0; i < 10; i++) {
			const screen = await session.settle();
			if (screen.includes('Which vmm is installed?')) break;
			expect(screen, 'the first screens offer Enter').toMatch(/Enter continue/);
			session.send('Enter');
			await session.waitFor(s => s !== screen);
		}
		const list = await session.settle();
		expect(list).toContain(' > 1. vmm 0.4 or 0.4-r41');
		expect(list).toContain('   3. vmm 0.6.0');
		expect(list).toContain('   4. vmm 0.6.1');
		session.paste(BURST);
		const answered = await session.waitFor(s => s.includes('[INFO]') && s.includes('as you said'));
		expect(answered).toContain('vmm 0.6.0, as you said (vmm version did not tell)');
		session.kill();
		session = null;
	}, 60_000);

	it('Down Down Enter in one write starts the third training of the list', async () => {
		session = new TmuxSession();
		session.start([process.execPath, cli, 'train'], {UPGRADE_WIZARD_SIM_SPEED: '0', TERM: 'linux', NO_COLOR: '1', LANG: 'C.UTF-8', XDG_STATE_HOME: path.join(temp, 'train')});
		const list = await session.waitFor(s => s.includes('Enter start'));
		expect(list).toMatch(/^\[>\] +1\. /m);
		await session.settle();
		session.paste(BURST);
		const third = (await trainings())[2]!;
		const started = await session.waitFor(s => s.includes(`Training: ${third.scenario.title}`));
		expect(started.split('\n')[0]).toMatch(/ training +step 1\/\d+ *$/);
		session.send('q');
		await session.waitFor(s => s.includes('[exit 0]'));
	}, 60_000);
});
