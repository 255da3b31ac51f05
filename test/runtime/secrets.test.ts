import {mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {waitFor} from 'xstate';
import {LocalHost} from '../../source/host/local-host.ts';
import {displayCommand} from '../../source/host/types.ts';
import {Wizard} from '../../source/runtime/runtime.ts';
import {StateStore} from '../../source/runtime/store.ts';
import {Transcript} from '../../source/runtime/transcript.ts';
import {oneStepMachine} from '../fixtures/one-step.ts';

/*
 * A password handed to a command through its environment (PGPASSWORD for
 * pg_dump) appears nowhere: not in the command shown, not in the screen's
 * output, not in the transcript, not in the saved state, even when the
 * command prints it.
 */

const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-secrets-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));
const SECRET = 'Corr3ct-Horse';
const command = {argv: ['sh', '-c', 'echo "connecting with $PGPASSWORD"; echo "denied for $PGPASSWORD" >&2'], env: {PGPASSWORD: SECRET}};

const machine = oneStepMachine({product: 'secret', title: 'Secret', stepTitle: 'Dump', why: 'w', commands: [command], done: 'd'});

describe('secrets', () => {
	it('never shows or stores a password given through the environment', async () => {
		expect(displayCommand(command)).toBe(`env PGPASSWORD=*** sh -c 'echo "connecting with $PGPASSWORD"; echo "denied for $PGPASSWORD" >&2'`);
		const store = new StateStore(path.join(dir, 'state'), 'secret', 1);
		await store.prepare();
		const transcript = await Transcript.open(path.join(dir, 'state', 'transcript.log'));
		const wizard = new Wizard({machine: machine as never, host: new LocalHost(process.env, {runDir: path.join(dir, 'runs')}), store, transcript, probes: {}});
		await wizard.start();
		wizard.send({type: 'operator.continue'});
		await waitFor(wizard.actor, s => JSON.stringify(s.value).includes('done'), {timeout: 10_000});
		const shown = wizard.output.snapshot().lines.join('\n');
		await wizard.flushed();
		await transcript.close();
		const logged = readFileSync(path.join(dir, 'state', 'transcript.log'), 'utf8');
		const saved = readFileSync(path.join(dir, 'state', 'state.json'), 'utf8');
		expect(logged).toContain('connecting with ***');
		expect(logged).toContain('denied for ***');
		expect(shown).toContain('connecting with ***');
		for (const text of [logged, saved, shown]) expect(text).not.toContain(SECRET);
		expect(statSync(path.join(dir, 'state')).mode & 0o777).toBe(0o700);
		expect(statSync(path.join(dir, 'state', 'transcript.log')).mode & 0o777).toBe(0o600);
	});
});
