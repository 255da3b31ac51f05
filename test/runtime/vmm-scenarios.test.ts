import {readFileSync} from 'node:fs';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {vmmUpgradeMachine} from '../../machines/vmm-0.5-to-0.6.ts';
import {vmmProbes} from '../../source/runtime/vmm-probes.ts';
import {screenModel, freshUi} from '../../source/ui/screen.ts';
import {lineText} from '../../source/ui/text.ts';
import {drive, openRun, removeRuns, type Answers, type Run} from './drive.ts';

/*
 * The real runtime and probes on each bundled vmm scenario: an operator
 * presses on with the defaults, and each fault scenario must stop where it
 * is about, with the advice for it on screen.
 */

const scenario = (name: string) => path.resolve('scenarios/vmm', `${name}.yaml`);
const machine = vmmUpgradeMachine as never;
const SOURCE = {'sourceDir.ask': '/root/vmm-0.6.2'};

const screenText = (run: Run, where: string) =>
	screenModel({
		machine,
		snapshot: run.wizard.actor.getSnapshot() as never,
		ui: freshUi(where),
		output: run.wizard.output.snapshot(),
		hostLabel: '',
	})
		.body.map(lineText)
		.join('\n');

async function walk(name: string, answers: Answers, stop: (where: string, view: string) => boolean = () => false) {
	const run = await openRun(machine, vmmProbes, scenario(name));
	const seen: string[] = [];
	const where = await drive(run, stop, {...SOURCE, ...answers}, seen);
	const text = screenText(run, where);
	await run.wizard.flushed();
	await run.transcript.close();
	const transcript = readFileSync(path.join(run.dir, 'transcript.log'), 'utf8');
	return {run, where, seen, text, transcript};
}

afterAll(removeRuns);

describe('vmm scenarios on the simulated host', () => {
	it('clean 0.5.2 with Dovecot 2.1.7: the whole upgrade, with the Dovecot 1.2.x script, to the end', async () => {
		const {run, where, seen, transcript} = await walk('clean', {});
		expect(where).toBe('finished.');
		expect(seen).not.toContainEqual(expect.stringMatching(/\.(blocked|failed)$/));
		expect(transcript).toContain('run: /etc/init.d/postfix stop');
		expect(transcript).toMatch(/run: pg_dump -h localhost -U vmm -W -f \/root\/mailsys-0\.5\.2-\d{8}-\d{4}\.sql mailsys/);
		expect(transcript).toContain('--single-transaction -f /root/vmm-0.6.2/pgsql/update_tables_0.5.x-0.6-dovecot-1.2.x.pgsql');
		expect(transcript).toContain('run: python /root/vmm-0.6.2/pgsql/set-permissions.py -a -H localhost -U vmm -n mailsys -D dovecot -M postfix');
		expect(transcript).toContain('run: ./upgrade.sh');
		// The queries now use the functions; the site's password lines stayed.
		const transport = await run.host.readFile('/etc/postfix/pgsql-transport_maps.cf');
		expect(transport).toContain("postfix_transport_map('%u', '%d')");
		expect(transport).toContain('password = Pf-2009-secret');
		expect(await run.host.readFile('/etc/postfix/pgsql-transport_maps.cf.bak')).toContain('FROM postfix_transport WHERE');
		const dovecot = await run.host.readFile('/etc/dovecot/dovecot-sql.conf.ext');
		expect(dovecot).toContain("dovecotpassword('%Ln', '%Ld')");
		expect(dovecot).toContain('password=Dc-2009-secret');
		// The diff preview and the transcript do not show the password lines' values.
		expect(transcript).not.toContain('Pf-2009-secret');
		expect(transcript).not.toContain('Dc-2009-secret');
		expect(await run.host.readFile('/usr/local/share/vmm/VERSION')).toBe('0.6.2\n');
	});
});
