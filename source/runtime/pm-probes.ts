/**
 * The PureMessage machine's probes: read-only looks at each server of the
 * deployment, through the Host that reaches it (this machine, SSH, or a
 * simulated server). A server reached by hand is never probed: the machine
 * asks the operator instead.
 */
import {currentServer, DISK_PATH, PMX_DIR, PMX6_DIR, serversOf, targetOf, type PmContext, type PmFacts, type PmProbe} from '../../machines/puremessage-5.6-to-6.ts';
import type {Host} from '../host/types.ts';
import {parseDeployment, type Server} from '../probes/pm-deployment.ts';
import {parseIpAddr} from '../probes/preflight.ts';
import type {ProbeEnv, ProbeFn} from './runtime.ts';
import {sessionFacts} from './session.ts';

/** Where the deployment file is looked for when --deployment names none. */
export const DEFAULT_DEPLOYMENT = '/etc/upgrade-wizard/puremessage-deployment.yaml';

type Facts = Partial<PmFacts>;

const hostOf = async (server: Server, host: Host, env: ProbeEnv): Promise<Host> =>
	server.access === 'local' || !env.hostFor ? host : env.hostFor(targetOf(server));

/** hostname and the addresses of every interface but loopback, as the server reports them now. */
export async function readIdentity(host: Host): Promise<{hostname: string; addresses: string[]}> {
	const name = await host.run({argv: ['hostname']}, {capture: 'all'});
	const hostname = name.exitCode === 0 && name.stdout.trim() !== '' ? name.stdout.trim() : (await host.identity()).hostname;
	const ip = await host.run({argv: ['ip', '-o', 'addr', 'show']}, {capture: 'all'});
	if (ip.exitCode !== 0) throw new Error(`${host.label}: ip -o addr show exited ${ip.exitCode}: ${ip.stderr.trim().split('\n')[0] ?? ''}`);
	const addresses = parseIpAddr(ip.stdout)
		.filter(a => a.ifname !== 'lo' && !a.address.startsWith('fe80:'))
		.map(a => a.address);
	return {hostname, addresses: [...new Set(addresses)].sort()};
}

const probes: Record<PmProbe, (host: Host, context: PmContext, env: ProbeEnv) => Promise<Facts>> = {
	async session(host, _context, env) {
		return {session: sessionFacts(host, env)};
	},

	async inventory(host, _context, env) {
		const file = env.deployment ?? DEFAULT_DEPLOYMENT;
		const text = await host.readFile(file);
		if (text === null) {
			return {
				deployment: null,
				deploymentFile: file,
				deploymentProblems: [{line: 0, field: '', message: 'not found: write it (the format is in the README) or name it with --deployment FILE'}],
			};
		}
		const {deployment, problems} = parseDeployment(text, file);
		return {deployment, deploymentFile: file, deploymentProblems: problems, ...(host.sizeCheck ? {sizeCheck: {...host.sizeCheck}} : {})};
	},

	async preconditions(host, context, env) {
		const identities: NonNullable<PmFacts['identities']> = {};
		for (const server of serversOf(context)) {
			if (server.access === 'manual') continue;
			const on = await hostOf(server, host, env);
			const id = await on.identity();
			identities[server.name] = {uid: id.uid, user: id.user, ...(await readIdentity(on))};
		}
		return {identities};
	},

	async identity(host, context, env) {
		const server = currentServer(context);
		if (!server) throw new Error('no server is being upgraded');
		return {identityNow: {server: server.name, ...(await readIdentity(await hostOf(server, host, env)))}};
	},

	async disk(host, context, env) {
		const server = currentServer(context);
		if (!server) throw new Error('no server to check');
		const space = await (await hostOf(server, host, env)).diskSpace(DISK_PATH);
		return {disk: {server: server.name, availableBytes: space.availableBytes}};
	},

	async installed(host, context, env) {
		const server = currentServer(context);
		if (!server) throw new Error('no server is being upgraded');
		const on = await hostOf(server, host, env);
		return {installed: {server: server.name, pmx6: Boolean((await on.stat(PMX6_DIR))?.isDirectory), pmx: Boolean((await on.stat(PMX_DIR))?.isDirectory)}};
	},
};

/** The probes in the form the runtime binds. */
export const pmProbes: Record<string, ProbeFn> = Object.fromEntries(
	Object.entries(probes).map(([name, fn]) => [name, (host: Host, context: unknown, env: ProbeEnv) => fn(host, context as PmContext, env)]),
);
