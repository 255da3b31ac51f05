import {readFileSync, writeFileSync} from 'node:fs';
import {mkdtempSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {vmmUpgradeMachine} from '../../machines/vmm-0.5-to-0.6.ts';
import {vmmProbes} from '../../source/runtime/vmm-probes.ts';
import {freshUi, screenModel} from '../../source/ui/screen.ts';
import {lineText} from '../../source/ui/text.ts';
import {drive, openRun, removeRuns} from './drive.ts';

/*
 * The simulated vmm host with PGPASSWORD in its environment (the commands'
 * environment, not one of theirs): pg_dump prints the password and fails.
 * Its value is nowhere: not in the output on screen, not in the
 * transcript, not in the saved place (the failed command's "tail").
 */

const SECRET = 'Vmm-Db-Pw-2026';
const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-vmm-secrets-'));
afterAll(removeRuns);

describe('vmm: PGPASSWORD of the host environment', () => {
	it('is masked in pg_dump output on screen, in the transcript and in the saved place', async () => {
		const scenario = path.join(dir, 'pgpassword.yaml');
		writeFileSync(
			scenario,
			[
				`extends: ${path.resolve('scenarios/vmm/clean.yaml')}`,
				'title: vmm 0.5.2 with PGPASSWORD set, pg_dump fails',
				'env:',
				`  PGPASSWORD: ${SECRET}`,
				'commands:',
				"  - match: '^pg_dump -h localhost -U vmm -w -f (/[^ ]+\\.sql) mailsys$'",
				`    stdout: "pg_dump: connecting as vmm with password ${SECRET}\\n"`,
				`    stderr: "pg_dump: error: password authentication failed (password ${SECRET})\\n"`,
				'    exit: 1',
				'',
			].join('\n'),
		);
		const machine = vmmUpgradeMachine() as never;
		const run = await openRun(machine, vmmProbes, scenario);
		const shown: string[] = [];
		run.wizard.output.subscribe(() => shown.push(...run.wizard.output.snapshot().lines));
		const where = await drive(run, w => w.endsWith('.failed'), {'sourceDir.ask': '/root/vmm-0.6.2'});
		expect(where).toBe('backup.failed');
		const screen = screenModel({machine, snapshot: run.wizard.actor.getSnapshot() as never, ui: freshUi(where), output: run.wizard.output.snapshot(), hostLabel: ''})
			.body.map(lineText)
			.join('\n');
		await run.wizard.flushed();
		await run.transcript.close();
		const transcript = readFileSync(path.join(run.dir, 'transcript.log'), 'utf8');
		const state = readFileSync(path.join(run.dir, 'state.json'), 'utf8');
		expect(transcript).toContain('run: pg_dump -h localhost -U vmm -w -f');
		expect(transcript).toContain('| pg_dump: connecting as vmm with password ***');
		expect(transcript).toContain('! pg_dump: error: password authentication failed (password ***)');
		expect(shown).toContain('pg_dump: connecting as vmm with password ***');
		expect(state).toContain('"tail":[');
		expect(state).toContain('password authentication failed (password ***)');
		for (const [what, text] of Object.entries({transcript, state, screen, shown: shown.join('\n')})) expect(text, what).not.toContain(SECRET);
	});

	it('a password of two lines is masked whole, though each line of output reaches the wizard on its own', async () => {
		// The second line is too short to be masked alone: only the whole value hides it.
		const secret = 'Vmm-Db-Pw-2026\nQ9z';
		const scenario = path.join(dir, 'pgpassword-lines.yaml');
		writeFileSync(
			scenario,
			[
				`extends: ${path.resolve('scenarios/vmm/clean.yaml')}`,
				'title: vmm 0.5.2 with a PGPASSWORD of two lines, pg_dump prints it',
				'env:',
				`  PGPASSWORD: ${JSON.stringify(secret)}`,
				'commands:',
				"  - match: '^pg_dump -h localhost -U vmm -w -f (/[^ ]+\\.sql) mailsys$'",
				`    stdout: ${JSON.stringify(`pg_dump: connecting with password ${secret} (two lines)\nnext line\n`)}`,
				`    stderr: ${JSON.stringify(`pg_dump: error: rejected ${secret}\n`)}`,
				'    exit: 1',
				'',
			].join('\n'),
		);
		const machine = vmmUpgradeMachine() as never;
		const run = await openRun(machine, vmmProbes, scenario);
		const shown: string[] = [];
		run.wizard.output.subscribe(() => shown.push(...run.wizard.output.snapshot().lines));
		expect(await drive(run, w => w.endsWith('.failed'), {'sourceDir.ask': '/root/vmm-0.6.2'})).toBe('backup.failed');
		await run.wizard.flushed();
		await run.transcript.close();
		const transcript = readFileSync(path.join(run.dir, 'transcript.log'), 'utf8');
		const state = readFileSync(path.join(run.dir, 'state.json'), 'utf8');
		expect(transcript).toContain('| pg_dump: connecting with password *** (two lines)\n| next line\n');
		expect(transcript).toContain('! pg_dump: error: rejected ***\n');
		expect(shown).toContain('pg_dump: connecting with password *** (two lines)');
		for (const [what, text] of Object.entries({transcript, state, shown: shown.join('\n')})) {
			expect(text, what).not.toContain('Vmm-Db-Pw-2026');
			expect(text, what).not.toContain('Q9z');
		}
	});
});
