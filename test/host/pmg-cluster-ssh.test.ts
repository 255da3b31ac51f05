import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {PROGRESS_FILE} from '../../machines/pmg-cluster.ts';
import {serverHosts} from '../../source/host/servers.ts';
import {SshHost} from '../../source/host/ssh-host.ts';
import {pmgProbes} from '../../source/runtime/pmg-probes.ts';
import {position, Wizard} from '../../source/runtime/runtime.ts';
import {StateStore} from '../../source/runtime/store.ts';
import {Transcript} from '../../source/runtime/transcript.ts';
import {freshUi, screenModel} from '../../source/ui/screen.ts';
import {lineText} from '../../source/ui/text.ts';
import {clusterMachine} from '../machines/cluster-fixtures.ts';
import {drive, settled, type Run} from '../runtime/drive.ts';
import {freePort, startSshd, type SshdSet} from './sshd.ts';

/*
 * The cluster steps of the PMG path against real OpenSSH servers on
 * 127.0.0.1, one per node, each in its own mount and UTS namespace
 * (test/host/sshd.ts): its own hostname, its own /var/lib (the progress
 * file, the stand-ins' state) and its own /usr/local/sbin, first in root's
 * PATH, with stand-ins for the Proxmox commands and systemctl (the test
 * machine has no PMG and no systemd to stop). The wizard sits at pmg1 and
 * reaches it, like the others, through SshHost; pmg2 is mid-upgrade, pmg3's
 * mask fails and its daemons come back, pmg4's sshd is not there. pmgcm
 * lists the nodes by 192.0.2.x addresses; an ssh config file (--ssh-config)
 * maps each to its server, as an admin's Host entries would.
 */

const root = mkdtempSync(path.join(os.tmpdir(), 'cluster-ssh-'));
const NODES = ['pmg1', 'pmg2', 'pmg3'] as const;
const IP: Record<string, string> = {pmg1: '192.0.2.10', pmg2: '192.0.2.11', pmg3: '192.0.2.12', pmg4: '192.0.2.13'};
const lib = (node: string) => path.join(root, node, 'lib');
const simFile = (node: string, name: string) => path.join(lib(node), 'sim', name);

const SYSTEMCTL = `#!/bin/sh
# systemctl for the cluster daemons of one test node: their state in files under /var/lib/sim.
S=/var/lib/sim
verb=$1; shift
rc=0
for u in "$@"; do
	case $verb in
	is-active) if [ -e "$S/$u.active" ]; then echo active; else echo inactive; [ $rc = 0 ] && rc=3; fi ;;
	is-enabled) if [ -e "$S/$u.masked" ]; then echo masked; rc=1; else echo enabled; fi ;;
	stop) rm -f "$S/$u.active" ;;
	start) if [ -e "$S/$u.masked" ]; then echo "Failed to start $u.service: Unit $u.service is masked." >&2; rc=1; else touch "$S/$u.active"; fi ;;
	mask)
		if [ -e "$S/unit-file-in-etc" ]; then
			# A unit file of the same name in /etc/systemd/system: systemd refuses to mask, and Restart= brings the daemon back.
			echo "Failed to mask unit: File /etc/systemd/system/$u.service already exists." >&2
			touch "$S/$u.active"; rc=1
		else
			[ -e "$S/$u.masked" ] || echo "Created symlink /etc/systemd/system/$u.service → /dev/null." >&2
			touch "$S/$u.masked"
		fi ;;
	unmask) [ -e "$S/$u.masked" ] && echo "Removed \\"/etc/systemd/system/$u.service\\"." >&2; rm -f "$S/$u.masked" ;;
	*) echo "stand-in systemctl: $verb not simulated" >&2; exit 127 ;;
	esac
done
exit $rc
`;

const statusRow = (node: string, cid: number, role: string, state: string) =>
	`${`${node}(${cid})`.padEnd(20)} ${IP[node]!.padEnd(15)} ${role.padEnd(6)} ${state} ${'3 days 04:05'.padStart(15)} ${'0.12'.padStart(6)} ${'45'.padStart(5)}% ${'12'.padStart(5)}%`;
const pmgcmStatus = (states: Record<string, string>) =>
	['NAME(CID)--------------IPADDRESS----ROLE-STATE---------UPTIME---LOAD----MEM---DISK', ...Object.entries(states).map(([node, state], i) => statusRow(node, i + 1, i === 0 ? 'master' : 'node', state)), ''].join('\n');
const version = (v: string) => `proxmox-mailgateway: ${v.startsWith('9') ? '9.0.0' : '8.2.0'} (API: ${v}/3e5a2d5d, running kernel: 6.8.12-15-pve)\npmg-api: ${v}\n`;

function makeNode(node: string, extra: Record<string, string> = {}) {
	const bin = path.join(root, node, 'sbin');
	mkdirSync(bin, {recursive: true});
	mkdirSync(path.join(lib(node), 'sim'), {recursive: true});
	const script = (name: string, text: string) => {
		writeFileSync(path.join(bin, name), text);
		chmodSync(path.join(bin, name), 0o755);
	};
	script('systemctl', SYSTEMCTL);
	script('pmgversion', '#!/bin/sh\nexec cat /var/lib/sim/pmgversion\n');
	script('pmgcm', '#!/bin/sh\n[ "$1" = status ] || exit 2\nexec cat /var/lib/sim/pmgcm-status\n');
	// Its address as the kernel would list it (the test machine has none of 192.0.2.x).
	script('ip', `#!/bin/sh\n[ "$*" = "-o addr show" ] || exit 1\necho "1: lo    inet 127.0.0.1/8 scope host lo\\\\       valid_lft forever preferred_lft forever"\necho "2: ens18    inet ${IP[node]}/24 brd 192.0.2.255 scope global ens18\\\\       valid_lft forever preferred_lft forever"\n`);
	writeFileSync(simFile(node, 'pmgversion'), version('8.2.7'));
	for (const u of ['pmgmirror', 'pmgtunnel']) writeFileSync(simFile(node, `${u}.active`), '');
	for (const [name, text] of Object.entries(extra)) {
		mkdirSync(path.dirname(path.join(lib(node), name)), {recursive: true});
		writeFileSync(path.join(lib(node), name), text);
	}
}

let sshd: SshdSet;
let config = '';
let run: Run;
const made: string[] = [];

const text = () =>
	screenModel({machine: run.wizard.actor.logic as never, snapshot: run.wizard.actor.getSnapshot() as never, ui: freshUi(''), output: run.wizard.output.snapshot(), hostLabel: ''})
		.body.map(lineText)
		.join('\n')
		.replace(/\n +(?=pmgmirror pmgtunnel')/g, ' ');
/** The screen as one line: a long ssh command wraps on screen. */
const flat = () => text().replace(/\s+/g, ' ');
const at = () => {
	const {step, screen} = position(run.wizard.actor.getSnapshot().value);
	return `${step}.${screen}`;
};
const daemonFiles = (node: string) => ['pmgmirror', 'pmgtunnel'].flatMap(u => ['active', 'masked'].filter(s => existsSync(simFile(node, `${u}.${s}`))).map(s => `${u}.${s}`));

beforeAll(async () => {
	makeNode('pmg1', {'sim/pmgcm-status': pmgcmStatus({pmg1: 'A', pmg2: 'A', pmg3: 'A', pmg4: 'A'})});
	// pmg2's wizard is between its dist-upgrade and its checks after the reboot.
	makeNode('pmg2', {'upgrade-wizard/cluster-progress.json': JSON.stringify({node: 'pmg2', stage: 'upgrading', step: 'distUpgrade', title: 'Upgrade the system: apt dist-upgrade', at: '2026-12-07T09:12:00.000Z'})});
	makeNode('pmg3', {'sim/unit-file-in-etc': ''});
	sshd = await startSshd(NODES.map(node => ({hostname: node, binds: {'/var/lib': lib(node), '/usr/local/sbin': path.join(root, node, 'sbin')}})), 'cluster');
	const gone = await freePort();
	config = path.join(root, 'ssh_config');
	writeFileSync(
		config,
		[...NODES.flatMap((node, i) => [`Host ${IP[node]}`, '  HostName 127.0.0.1', `  Port ${sshd.ports[i]}`]), `Host ${IP.pmg4}`, '  HostName 127.0.0.1', `  Port ${gone}`, 'Host *', `  Include ${sshd.config}`, ''].join('\n'),
	);
	const dir = mkdtempSync(path.join(os.tmpdir(), 'cluster-ssh-state-'));
	made.push(dir);
	const ssh = {config, identity: sshd.key};
	// The node the wizard sits at, reached through the same seam as the others.
	const host = new SshHost({destination: `root@${IP.pmg1}`, port: null, identity: sshd.key, config}, {}, 'pmg1 (ssh)');
	const machine = clusterMachine();
	const store = new StateStore(dir, 'pmg', 1);
	await store.prepare();
	const transcript = await Transcript.open(path.join(dir, 'transcript.log'));
	const wizard = new Wizard({machine: machine as never, host, store, transcript, probes: pmgProbes, processEnv: {}, hostFor: serverHosts(host, null, dir), ssh});
	await wizard.start();
	run = {wizard, host: host as never, dir, store, transcript};
}, 60_000);

afterAll(async () => {
	await run?.transcript.close();
	sshd?.stop();
	for (const dir of [root, ...made]) rmSync(dir, {recursive: true, force: true});
});

describe('the PMG cluster over real sshd nodes', () => {
	it('stops and masks the daemons on every node over ssh, showing each exact ssh line first', async () => {
		expect(await drive(run, w => w === 'cluster.review')).toBe('cluster.review');
		const review = text();
		expect(review).toContain('$ systemctl stop pmgmirror pmgtunnel');
		const line = (node: string, verb: string) => `on ${node}: ssh -o BatchMode=yes -F ${config} -i ${sshd.key} -o IdentitiesOnly=yes root@${IP[node]} -- 'systemctl ${verb} pmgmirror pmgtunnel'`;
		expect(flat()).toContain(line('pmg2', 'stop'));
		expect(flat()).toContain(line('pmg3', 'mask'));
		expect(review).not.toContain(`root@${IP.pmg4}`);
		expect(review).toMatch(/\[FAIL\] +pmg4 +192\.0\.2\.13 +node +A +unreachable/);
		expect(review).toMatch(/pmg4: ssh: connect to host 127\.0\.0\.1 port \d+: Connection refused/);
		// Nothing ran yet.
		expect(daemonFiles('pmg2')).toEqual(['pmgmirror.active', 'pmgtunnel.active']);

		run.wizard.send({type: 'operator.continue'});
		// pmg3's mask fails: the step says which command, on which node.
		expect(await drive(run, () => true)).toBe('cluster.failed');
		expect(daemonFiles('pmg1')).toEqual(['pmgmirror.masked', 'pmgtunnel.masked']);
		expect(daemonFiles('pmg2')).toEqual(['pmgmirror.masked', 'pmgtunnel.masked']);
		expect(daemonFiles('pmg3')).toEqual(['pmgmirror.active', 'pmgtunnel.active']);
		expect(flat()).toContain('Failed to mask unit: File /etc/systemd/system/pmgmirror.service already exist');
	}, 60_000);

	it('looks at every node again: pmg3\'s daemons came back, the table says so and f offers the commands for pmg3 only', async () => {
		run.wizard.send({type: 'operator.retry'});
		await settled(run.wizard);
		expect(at()).toBe('cluster.stuck');
		const table = text();
		expect(table).toMatch(/\[PASS\] +pmg1\* +192\.0\.2\.10 +master +A +stopped\+masked +8\.2\.7/);
		expect(table).toMatch(/\[PASS\] +pmg2 +192\.0\.2\.11 +node +A +stopped\+masked +8\.2\.7/);
		expect(table).toMatch(/\[FAIL\] +pmg3 +192\.0\.2\.12 +node +A +RUNNING +8\.2\.7/);
		expect(table).toContain('On pmg3 the cluster daemons still run or are not masked.');
		expect(flat()).toContain(`Look there: ssh -o BatchMode=yes -F ${config}`);
		const fix = flat().slice(flat().indexOf('f runs:'));
		expect(fix).toContain("root@192.0.2.12 -- 'systemctl stop pmgmirror pmgtunnel'");
		expect(fix).not.toContain('root@192.0.2.11');
		// The admin removes the unit file that kept systemd from masking; f runs the two commands on pmg3 again.
		rmSync(simFile('pmg3', 'unit-file-in-etc'));
		run.wizard.send({type: 'operator.fix'});
		await settled(run.wizard);
		expect(at()).toBe('cluster.confirmNode');
		expect(daemonFiles('pmg3')).toEqual(['pmgmirror.masked', 'pmgtunnel.masked']);
	}, 60_000);

	it('gets past the unreachable pmg4 only with its name typed', async () => {
		expect(flat()).toContain('Type "pmg4" when that is done there.');
		run.wizard.send({type: 'operator.confirm', text: 'pmg3'});
		run.wizard.send({type: 'operator.confirm', text: 'all nodes'});
		expect(at()).toBe('cluster.confirmNode');
		run.wizard.send({type: 'operator.confirm', text: 'pmg4'});
		expect(at()).toBe('cluster.passed');
		expect(text()).toMatch(/\[WARN\] +pmg4 +192\.0\.2\.13 +node +A +by hand/);
	});

	it('refuses the dist-upgrade while pmg2 is between its dist-upgrade and its checks after the reboot, naming it and its step', async () => {
		expect(await drive(run, (_w, view) => view === 'blocked')).toBe('clusterGate.blocked');
		const blocked = text();
		expect(flat()).toContain('pmg2 is being upgraded: it is at "Upgrade the system: apt dist-upgrade" (step distUpgrade) since 2026-12-07 09:12.');
		expect(blocked).toMatch(/\[FAIL\] +pmg2 +192\.0\.2\.11 +node +A +stopped\+masked/);
		expect(existsSync(path.join(lib('pmg1'), 'upgrade-wizard/cluster-progress.json'))).toBe(false);
		// pmg2's wizard finishes its checks after the reboot: r, pmg4 typed again, and this node's start is recorded on pmg1.
		writeFileSync(path.join(lib('pmg2'), 'upgrade-wizard/cluster-progress.json'), JSON.stringify({node: 'pmg2', stage: 'upgraded', step: 'clusterServices', title: 'Unmask and start the cluster daemons', at: '2026-12-07T09:40:00.000Z'}));
		writeFileSync(simFile('pmg2', 'pmgversion'), version('9.0.3'));
		run.wizard.send({type: 'operator.recheck'});
		expect(await drive(run, w => w === 'clusterGate.review', {'clusterGate.confirmNode': 'pmg4'})).toBe('clusterGate.review');
		run.wizard.send({type: 'operator.continue'});
		await settled(run.wizard);
		expect(at()).toBe('distUpgrade.info');
		expect(JSON.parse(readFileSync(path.join(lib('pmg1'), 'upgrade-wizard/cluster-progress.json'), 'utf8'))).toMatchObject({node: 'pmg1', stage: 'upgrading', step: 'distUpgrade'});
	}, 60_000);

	it('a second node cannot start meanwhile: pmg1 is now the one mid-upgrade', async () => {
		// What pmg3's wizard reads at its gate, through its own Host for pmg1.
		const pmg3 = new SshHost({destination: `root@${IP.pmg1}`, port: null, identity: sshd.key, config});
		expect(JSON.parse((await pmg3.readFile(PROGRESS_FILE))!)).toMatchObject({node: 'pmg1', stage: 'upgrading'});
	});

	it('hostname and address are checked again at each stage: a renamed node blocks', async () => {
		// pmg1 upgraded (its own checks after the reboot are not part of this test); pmg3 still runs 8.2.
		writeFileSync(simFile('pmg1', 'pmgversion'), version('9.0.3'));
		writeFileSync(simFile('pmg1', 'pmgcm-status'), pmgcmStatus({pmg1: 'A', pmg2: 'A', pmg3: 'A', pmg4: 'A'}).replace('192.0.2.12', '192.0.2.99'));
		run.wizard.send({type: 'operator.continue'});
		await settled(run.wizard);
		expect(at()).toBe('clusterServices.blocked');
		expect(flat()).toContain('pmg3: pmgcm status says 192.0.2.99, it was 192.0.2.12.');
		writeFileSync(simFile('pmg1', 'pmgcm-status'), pmgcmStatus({pmg1: 'A', pmg2: 'A', pmg3: 'A', pmg4: 'A'}));
		run.wizard.send({type: 'operator.recheck'});
		await settled(run.wizard);
		// Recorded as upgraded here; pmg3 runs 8.2.7: not the last node, the daemons stay masked everywhere.
		expect(at()).toBe('clusterServices.notLast');
		expect(text()).toContain('pmg3 (192.0.2.12): PMG 8.2.7');
		expect(JSON.parse(readFileSync(path.join(lib('pmg1'), 'upgrade-wizard/cluster-progress.json'), 'utf8'))).toMatchObject({node: 'pmg1', stage: 'upgraded'});
		for (const node of NODES) expect(daemonFiles(node), node).toEqual(['pmgmirror.masked', 'pmgtunnel.masked']);
	}, 60_000);

	it('on the last node: unmasks and starts the daemons on every node and checks pmgcm shows every node active and in sync', async () => {
		// pmg3 finished its upgrade meanwhile: r, and pmg1 is the last node after all.
		writeFileSync(simFile('pmg3', 'pmgversion'), version('9.0.3'));
		// The sync has not run yet: pmgcm says S for pmg3 until pmgmirror syncs.
		writeFileSync(simFile('pmg1', 'pmgcm-status'), pmgcmStatus({pmg1: 'A', pmg2: 'A', pmg3: 'S', pmg4: 'A'}));
		expect(at()).toBe('clusterServices.notLast');
		run.wizard.send({type: 'operator.recheck'});
		expect(await drive(run, w => w === 'clusterServices.review', {'clusterServices.confirmNode': 'pmg4'})).toBe('clusterServices.review');
		expect(flat()).toContain("root@192.0.2.12 -- 'systemctl unmask pmgmirror pmgtunnel'");
		run.wizard.send({type: 'operator.continue'});
		await settled(run.wizard);
		for (const node of NODES) expect(daemonFiles(node), node).toEqual(['pmgmirror.active', 'pmgtunnel.active']);
		// Started everywhere, but pmgcm does not show every node in sync yet: blocked, r checks again.
		expect(at()).toBe('clusterServices.stuck');
		expect(flat()).toContain('pmgcm status does not show every node active and in sync yet');
		writeFileSync(simFile('pmg1', 'pmgcm-status'), pmgcmStatus({pmg1: 'A', pmg2: 'A', pmg3: 'A', pmg4: 'A'}));
		run.wizard.send({type: 'operator.recheck'});
		await settled(run.wizard);
		expect(at()).toBe('clusterServices.passed');
		expect(text()).toMatch(/\[PASS\] +pmg3 +192\.0\.2\.12 +node +A +running +9\.0\.3/);
		await run.wizard.flushed();
		const transcript = readFileSync(path.join(run.dir, 'transcript.log'), 'utf8');
		expect(transcript).toMatch(/run on pmg3 \(pmg3 \(ssh root@192\.0\.2\.12\)\): systemctl start pmgmirror pmgtunnel/);
		expect(transcript).toContain('operator.confirm text="pmg4"');
	}, 90_000);
});
