import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {pmgUpgradeMachine} from '../../machines/pmg-8-to-9.ts';
import {pmgProbes} from '../../source/runtime/pmg-probes.ts';
import {position} from '../../source/runtime/runtime.ts';
import {freshUi, screenModel} from '../../source/ui/screen.ts';
import {lineText} from '../../source/ui/text.ts';
import {drive, openRun, removeRuns, type Answers, type Run} from './drive.ts';

/*
 * The training scenarios the issue asks for, each run headless through the
 * real runtime and probes: a trainee who presses on as each screen asks
 * must meet the guard or screen the scenario is about, with the words that
 * explain it on screen.
 */

const scenario = (name: string) => path.resolve('scenarios/pmg', `${name}.yaml`);
const machine = pmgUpgradeMachine() as never;

const text = (run: Run) =>
	screenModel({machine, snapshot: run.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: run.wizard.output.snapshot(), hostLabel: ''})
		.body.map(lineText)
		.join('\n');

async function until(name: string, stop: (where: string, view: string) => boolean, answers: Answers = {}) {
	const run = await openRun(machine, pmgProbes, scenario(name));
	const seen: string[] = [];
	const where = await drive(run, stop, answers, seen);
	return {run, where, seen, text: text(run)};
}

afterAll(removeRuns);

describe('training scenarios on the simulated host', () => {
	it('systemd-boot: pmg8to9 warns, and the wizard asks before the services stop; removing it passes', async () => {
		const {run, where, seen} = await until('systemd-boot', w => w === 'systemdBoot.decide');
		expect(where).toBe('systemdBoot.decide');
		expect(seen).toContain('kernelPackages.passed');
		expect(text(run)).toContain('systemd-boot is installed. Remove it unless you set up systemd-boot');
		expect(run.wizard.actor.getSnapshot().context.facts.checklist.findings.map((f: {text: string}) => f.text).join('\n')).toContain('systemd-boot meta-package installed');
		// Remove: the wizard shows and runs apt remove systemd-boot, and the check passes.
		const after = await drive(run, (w, view) => w.startsWith('stopServices') || view === 'blocked', {'systemdBoot.decide': 'remove'});
		expect(after).toBe('stopServices.review');
		expect(await run.host.stat('/var/lib/dpkg/info/systemd-boot.list')).toBeNull();
		await run.transcript.close();
	});

	it('cluster-daemons-running: stopping pmgmirror times out, the step fails and says which command; r tries again and it passes', async () => {
		const {run, where, text: screen} = await until('cluster-daemons-running', (_w, view) => view === 'failed');
		expect(where).toBe('cluster.failed');
		expect(screen).toContain('[FAIL] This step did not finish.');
		expect(screen).toContain('[exit 1] systemctl stop pmgmirror pmgtunnel');
		expect(screen).toContain('Job for pmgmirror.service failed because a timeout was exceeded.');
		// Still running: the host says so.
		expect((await run.host.run({argv: ['systemctl', 'is-active', 'pmgmirror', 'pmgtunnel']})).stdout).toBe('active\ninactive\n');
		// r looks at every node again: pmgmirror still runs here, pmg2 was not reached by the failed run.
		run.wizard.send({type: 'operator.retry'});
		const stuck = await drive(run, (_w, view) => view === 'blocked');
		expect(stuck).toBe('cluster.stuck');
		const table = screenModel({machine: pmgUpgradeMachine() as never, snapshot: run.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: run.wizard.output.snapshot(), hostLabel: ''}).body.map(lineText).join('\n');
		expect(table).toMatch(/\[FAIL\] +pmg1\* +192\.0\.2\.10 +master +A +RUNNING/);
		expect(table).toMatch(/\[FAIL\] +pmg2 +192\.0\.2\.11 +node +A +RUNNING/);
		expect(table).toContain('On pmg1, pmg2 the cluster daemons still run or are not masked.');
		expect(table).toContain('f runs:');
		// f runs them again where needed; the second stop succeeds.
		run.wizard.send({type: 'operator.fix'});
		const next = await drive(run, (_w, view) => view === 'confirm');
		expect(next).toBe('cluster.confirmNode');
		expect((await run.host.run({argv: ['systemctl', 'is-enabled', 'pmgmirror', 'pmgtunnel']})).stdout).toBe('masked\nmasked\n');
		await run.transcript.close();
	});

	it('custom-templates: names the customised templates before the dist-upgrade, and apt shows the notice', async () => {
		const {run, where, text: screen} = await until('custom-templates', w => w === 'distUpgradeAdvice.info');
		expect(where).toBe('distUpgradeAdvice.info');
		expect(screen).toContain('Customised templates here: local.cf.in, main.cf.in: expect a prompt for each.');
		const after = await drive(run, w => w === 'distUpgrade.passed');
		expect(after).toBe('distUpgrade.passed');
		expect(run.wizard.output.snapshot().lines.join('\n')).toContain('your customised copy /etc/pmg/templates/main.cf.in lacks the change');
		await run.transcript.close();
	});

	it('avast: stops at the repository switch on avast\'s bookworm entry; left as it is, the dist-upgrade is refused', async () => {
		const {run, where, text: screen} = await until('avast', w => w === 'debianRepos.thirdParty');
		expect(where).toBe('debianRepos.thirdParty');
		expect(screen).toContain('(avast has none)');
		expect(screen).toContain('/etc/apt/sources.list.d/avast.list:1 https://repo.avast.example/lin/repo bookworm');
		const blocked = await drive(run, (_w, view) => view === 'blocked', {'debianRepos.thirdParty': 'leave'});
		expect(blocked).toBe('aptPolicy.blocked');
		expect(text(run)).toContain('avast.list:1: bookworm still enabled');
		await run.transcript.close();
	});

	it('not-root: stops at the first step, running as admin', async () => {
		const {where, text: screen, run} = await until('not-root', (_w, view) => view === 'blocked');
		expect(where).toBe('preconditions.blocked');
		expect(screen).toContain('running as admin (uid 1000), not root');
		expect(screen).toContain('Log in as root');
		await run.transcript.close();
	});
});
