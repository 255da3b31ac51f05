import {readFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {vmmUpgradeMachine} from '../../machines/vmm-0.5-to-0.6.ts';
import {trainings} from '../../source/commands/train.ts';
import {vmmProbes} from '../../source/runtime/vmm-probes.ts';
import {trainingSummary} from '../../source/training/summary.ts';
import {drive, openRun, removeRuns} from '../runtime/drive.ts';

/* The vmm training scenarios issue 6 asks for, and the summary a trainee gets. */

afterAll(removeRuns);
const unwrap = (text: string) => text.replace(/\n {4,}/g, ' ');

describe('vmm training', () => {
	it('offers 0.4 installed, Dovecot 1.1, Postfix still running and the 0.6.0 transport bug, each explained', async () => {
		const vmm = (await trainings()).filter(t => t.product === 'vmm');
		const names = vmm.map(t => t.name);
		for (const name of ['old-0.4', 'dovecot-1.1', 'postfix-running', 'from-0.6.0']) expect(names).toContain(name);
		for (const t of vmm) expect(t.scenario.description.length, t.name).toBeGreaterThan(150);
		expect(vmm.find(t => t.name === 'from-0.6.0')!.scenario.description).toContain('erroneous transport "domain"');
	});

	it('postfix-running: the summary names the guard that stopped the trainee, what they gave and did', async () => {
		const run = await openRun(vmmUpgradeMachine() as never, vmmProbes, path.resolve('scenarios/vmm/postfix-running.yaml'));
		const at = await drive(run, (_w, view) => view === 'blocked', {'sourceDir.ask': '/root/vmm-0.6.2'});
		expect(at).toBe('stopServices.blocked');
		run.wizard.send({type: 'operator.fix'});
		expect(await drive(run, (_w, view) => view === 'blocked')).toBe('stopServices.blocked');
		await run.wizard.flushed();
		await run.transcript.close();
		const text = trainingSummary({
			machine: vmmUpgradeMachine() as never,
			scenarioTitle: 'vmm 0.5.2, a second Postfix keeps running',
			transcript: readFileSync(path.join(run.dir, 'transcript.log'), 'utf8'),
			snapshot: run.wizard.actor.getSnapshot() as never,
			again: 'upgrade-wizard train postfix-running',
		});
		for (const l of text.split('\n')) expect(l.length, l).toBeLessThanOrEqual(78);
		const summary = unwrap(text);
		expect(summary).toContain('Stop Postfix and Dovecot (mailServicesStopped): not passed yet (you are at this step)');
		expect(summary).toContain('The unpacked vmm 0.6.x source: gave "/root/vmm-0.6.2"');
		expect(summary).toContain('The vmm database: gave "mailsys"');
		expect(summary).toContain('Stop Postfix and Dovecot: ran the fix (f)');
	});
});
