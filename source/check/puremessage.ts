/**
 * The read-only pre-flight checks of the PureMessage 5.6.1 -> 6 upgrade, on
 * every server of the deployment file: reached (on this machine, or over
 * OpenSSH where the file says so), as root, its hostname and addresses, 5.6.1
 * installed, the free space for /opt (against the size check's figure where
 * a simulated deployment plays one). A server reached by hand is named and
 * skipped: the check runs nothing there. The facts come from the wizard's
 * own probes (source/runtime/pm-probes.ts); nothing here changes a server.
 */
import {DISK_PATH, PMX_DIR, PMX6_DIR, targetOf, type ServerTarget} from '../../machines/puremessage-5.6-to-6.ts';
import type {Host} from '../host/types.ts';
import {parseDeployment, type Server} from '../probes/pm-deployment.ts';
import {DEFAULT_DEPLOYMENT, readIdentity} from '../runtime/pm-probes.ts';
import {parseSize} from '../shared/size.ts';
import {finding, runChecks, type Finding} from './findings.ts';

/** The commands a PureMessage check may run on a server, by their first words: all of them only read. */
export const READ_ONLY_COMMANDS = ['hostname', 'ip -o addr show'];

export type PmCheckOptions = {
	/** The deployment file on this host (default DEFAULT_DEPLOYMENT). */
	deployment?: string;
	/** The Host of a server that is not this one (SSH, or a simulated server). */
	hostFor: (target: ServerTarget) => Promise<Host>;
};

const GIB = 1024 ** 3;
const gib = (bytes: number) => `${(bytes / GIB).toFixed(1)} GiB`;

export async function pmChecks(host: Host, options: PmCheckOptions): Promise<Finding[]> {
	const file = options.deployment ?? DEFAULT_DEPLOYMENT;
	let servers: Server[] = [];
	const findings = await runChecks(host, [
		[
			'deployment',
			'deployment file',
			async () => {
				const text = await host.readFile(file);
				if (text === null) return [finding('deployment', 'FAIL', 'deployment file', `${file} is not there`, 'Write it (the format is in the README), or name it with --deployment FILE.')];
				const {deployment, problems} = parseDeployment(text, file);
				if (!deployment || problems.length > 0) {
					const shown = problems.slice(0, 3).map(p => `${file}:${p.line}: ${p.field ? `${p.field}: ` : ''}${p.message}`);
					return [finding('deployment', 'FAIL', 'deployment file', `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${shown.join(' | ')}`, 'Correct the file at the lines named, then run the check again.')];
				}
				servers = deployment.servers;
				return [finding('deployment', 'PASS', 'deployment file', `${file}: ${servers.map(s => `${s.name} (${s.access})`).join(', ')}`)];
			},
		],
	]);
	for (const server of servers) findings.push(...(await serverChecks(host, server, options)));
	return findings;
}

async function serverChecks(host: Host, s: Server, options: PmCheckOptions): Promise<Finding[]> {
	const key = (check: string) => `${check}.${s.name}`;
	if (s.access === 'manual') {
		return [finding(key('reach'), 'SKIP', `${s.name}: reached by hand`, `${s.hostname}: the check runs nothing there`, `At its console, as root: hostname, ip -o addr show, df -h ${DISK_PATH}; and that ${PMX_DIR} is there.`)];
	}
	let on: Host;
	let uid: number;
	let user: string;
	try {
		on = s.access === 'local' ? host : await options.hostFor(targetOf(s));
		({uid, user} = await on.identity());
	} catch (error) {
		const how = s.ssh ? `over ssh ${s.ssh.destination}${s.ssh.port ? ` port ${s.ssh.port}` : ''}` : 'here';
		const probe = s.ssh ? `ssh -o BatchMode=yes${s.ssh.identity ? ` -i ${s.ssh.identity}` : ''}${s.ssh.port ? ` -p ${s.ssh.port}` : ''} ${s.ssh.destination} true` : undefined;
		const message = ((error as Error).message.trim().split('\n').pop() ?? '').slice(0, 200);
		return [finding(key('reach'), 'FAIL', `${s.name}: reached`, `not reached ${how}: ${message}`, 'The wizard logs in with a key, without asking: make that work, then run the check again.', probe)];
	}
	const out: Finding[] = [finding(key('reach'), 'PASS', `${s.name}: reached`, s.access === 'local' ? 'this machine' : `over ssh ${s.ssh?.destination ?? ''}`.trim())];
	const guard = async (check: string, title: string, body: () => Promise<Finding[]>) => {
		try {
			out.push(...(await body()));
		} catch (error) {
			out.push(finding(key(check), 'WARN', `${s.name}: ${title}`, `could not be checked: ${(error as Error).message}`, 'Look at this by hand, then run the check again.'));
		}
	};
	out.push(uid === 0 ? finding(key('root'), 'PASS', `${s.name}: root`, 'logged in as root') : finding(key('root'), 'FAIL', `${s.name}: root`, `runs as ${user} (uid ${uid}), not root`, 'The upgrade runs as root on each server: log in as root (su -, or let SSH log in as root).'));
	await guard('identity', 'hostname and addresses', async () => {
		const id = await readIdentity(on);
		const named = id.hostname.toLowerCase() === s.hostname.toLowerCase() || id.hostname.toLowerCase() === s.hostname.toLowerCase().split('.')[0];
		const listed = s.addresses.length === 0 || s.addresses.every(a => id.addresses.includes(a));
		const now = `${id.hostname} ${id.addresses.join(' ')}`.trim();
		if (!named) return [finding(key('identity'), 'FAIL', `${s.name}: hostname and addresses`, `hostname is ${id.hostname}, the deployment file says ${s.hostname}`, 'Correct the deployment file, or find out why the hostname changed: it must not change during the upgrade.')];
		if (!listed) return [finding(key('identity'), 'WARN', `${s.name}: hostname and addresses`, `${now}; the deployment file lists ${s.addresses.join(' ')}`, 'Correct the addresses in the deployment file: they must not change during the upgrade.')];
		return [finding(key('identity'), 'PASS', `${s.name}: hostname and addresses`, `${now} (recorded by the wizard at its start; must not change)`)];
	});
	await guard('pmx', 'PureMessage', async () => {
		const pmx6 = Boolean((await on.stat(PMX6_DIR))?.isDirectory);
		const pmx = Boolean((await on.stat(PMX_DIR))?.isDirectory);
		if (pmx6) return [finding(key('pmx'), 'INFO', `${s.name}: PureMessage`, `${PMX6_DIR} exists: version 6 is installed already`)];
		if (pmx) return [finding(key('pmx'), 'PASS', `${s.name}: PureMessage`, `5.6.1 in ${PMX_DIR}`)];
		return [finding(key('pmx'), 'FAIL', `${s.name}: PureMessage`, `neither ${PMX_DIR} nor ${PMX6_DIR}: no PureMessage here`, 'Check the server named in the deployment file.')];
	});
	await guard('disk', 'free space', async () => {
		const space = await on.diskSpace(DISK_PATH);
		const free = `${gib(space.availableBytes)} free for ${DISK_PATH}`;
		// A simulated deployment plays the size check's figure (its scenario's size_check): compared here as the wizard compares it.
		const figure = host.sizeCheck?.[s.name];
		const need = figure === undefined ? null : parseSize(figure);
		if (figure === undefined || need === null) return [finding(key('disk'), 'INFO', `${s.name}: free space`, free, "Compare it with the figure of the product's own size check: the wizard asks for it.")];
		if (space.availableBytes >= need) return [finding(key('disk'), 'PASS', `${s.name}: free space`, `${free}; the size check needs ${gib(need)} (${figure}, simulated)`)];
		return [finding(key('disk'), 'FAIL', `${s.name}: free space`, `${free}; the size check needs ${gib(need)} (${figure}, simulated)`, `Free space on the file system that holds ${DISK_PATH}, or grow it; do not remove ${PMX_DIR}.`)];
	});
	return out;
}
