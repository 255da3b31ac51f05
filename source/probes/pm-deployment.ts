/**
 * The PureMessage deployment file: which servers there are, their roles and
 * how the wizard reaches each one. Pure text -> deployment, checked field by
 * field; a mistake is reported with the file, the line and the field, like
 * the scenario files (source/host/scenario.ts).
 */
import {isMap, isScalar, isSeq, LineCounter, parseDocument, type Node} from 'yaml';

/** The roles of PureMessage 5.6.1 and 6, as the deployment file names them. */
export const ROLES = {
	database: 'Database Server',
	csm: 'Centralized Server Manager',
	mta: 'Mail Transfer Agent',
	filter: 'Mail Filter',
	euwi: 'End User Web Interface',
	groups: 'Groups Web Interface',
} as const;
export type Role = keyof typeof ROLES;
export const ROLE_NAMES = Object.keys(ROLES) as Role[];

/** How the wizard reaches a server: on this machine, over OpenSSH, or by the operator at its console. */
export type Access = 'local' | 'ssh' | 'manual';
export const ACCESS: Access[] = ['local', 'ssh', 'manual'];

export type SshTarget = {destination: string; port: number | null; identity: string | null};

export type Server = {
	name: string;
	hostname: string;
	/** The addresses the deployment file says the server has (for a server reached by hand). */
	addresses: string[];
	roles: Role[];
	access: Access;
	ssh: SshTarget | null;
};

export type Deployment = {file: string; servers: Server[]};

export type DeploymentProblem = {line: number; field: string; message: string};

const KEYS = ['name', 'hostname', 'addresses', 'roles', 'access', 'ssh'];
const SSH_KEYS = ['destination', 'port', 'identity'];

/** Read a deployment file's text; problems come back with line and field, never thrown. */
export function parseDeployment(text: string, file: string): {deployment: Deployment | null; problems: DeploymentProblem[]} {
	const lines = new LineCounter();
	const doc = parseDocument(text, {lineCounter: lines, uniqueKeys: true});
	const problems: DeploymentProblem[] = [];
	const at = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : 1);
	const fail = (node: Node | null | undefined, field: string, message: string) => problems.push({line: at(node), field, message});
	if (doc.errors[0]) {
		const e = doc.errors[0];
		return {deployment: null, problems: [{line: e.linePos?.[0]?.line ?? 1, field: '', message: `YAML syntax error: ${e.message.split('\n')[0]}`}]};
	}
	const root = doc.contents as Node | null;
	if (!root || !isMap(root)) return {deployment: null, problems: [{line: 1, field: '', message: 'expected a mapping with servers: (a list of servers)'}]};
	for (const pair of root.items) {
		const key = isScalar(pair.key) ? String(pair.key.value) : '';
		if (key !== 'servers') fail(pair.key as Node, key, `unknown key "${key}": the file has only servers:`);
	}
	const list = root.get('servers', true) as Node | undefined;
	if (!list || !isSeq(list) || list.items.length === 0) {
		fail(list ?? root, 'servers', 'missing or empty: list each server with name, hostname, roles and access');
		return {deployment: null, problems};
	}
	const servers: Server[] = [];
	list.items.forEach((item, index) => {
		const field = `servers[${index}]`;
		const node = item as Node;
		if (!isMap(node)) {
			fail(node, field, 'a server is a mapping with name:, hostname:, roles:, access:');
			return;
		}
		for (const pair of node.items) {
			const key = isScalar(pair.key) ? String(pair.key.value) : '';
			if (!KEYS.includes(key)) fail(pair.key as Node, `${field}.${key}`, `unknown key "${key}"; allowed: ${KEYS.join(', ')}`);
		}
		const text = (key: string, required: boolean): string | null => {
			const value = node.get(key, true) as Node | undefined;
			if (value === undefined) {
				if (required) fail(node, `${field}.${key}`, 'missing required field');
				return null;
			}
			if (!isScalar(value) || typeof value.value !== 'string' || value.value.trim() === '') {
				fail(value, `${field}.${key}`, 'expected text');
				return null;
			}
			return value.value.trim();
		};
		const name = text('name', true);
		const hostname = text('hostname', true);
		if (hostname && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(hostname)) fail(node.get('hostname', true) as Node, `${field}.hostname`, `"${hostname}" is not a host name`);
		const roles: Role[] = [];
		const rolesNode = node.get('roles', true) as Node | undefined;
		if (!rolesNode || !isSeq(rolesNode) || rolesNode.items.length === 0) fail(rolesNode ?? node, `${field}.roles`, `missing or empty: a list of ${ROLE_NAMES.join(', ')}`);
		else
			rolesNode.items.forEach((r, k) => {
				const value = isScalar(r) ? String(r.value) : '';
				if (!(ROLE_NAMES as string[]).includes(value)) fail(r as Node, `${field}.roles[${k}]`, `"${value}" is not a role; use ${ROLE_NAMES.join(', ')}`);
				else if (roles.includes(value as Role)) fail(r as Node, `${field}.roles[${k}]`, `"${value}" is listed twice`);
				else roles.push(value as Role);
			});
		const addresses: string[] = [];
		const addressesNode = node.get('addresses', true) as Node | undefined;
		if (addressesNode !== undefined) {
			if (!isSeq(addressesNode)) fail(addressesNode, `${field}.addresses`, 'expected a list of IP addresses');
			else for (const a of addressesNode.items) addresses.push(String(isScalar(a) ? a.value : '').toLowerCase());
		}
		const accessText = text('access', true);
		const access = accessText && (ACCESS as string[]).includes(accessText) ? (accessText as Access) : null;
		if (accessText && !access) fail(node.get('access', true) as Node, `${field}.access`, `"${accessText}" is not allowed; use local, ssh or manual`);
		let ssh: SshTarget | null = null;
		const sshNode = node.get('ssh', true) as Node | undefined;
		if (access === 'ssh') {
			if (!sshNode || !isMap(sshNode)) fail(sshNode ?? node, `${field}.ssh`, 'access: ssh needs ssh: { destination: root@host, port: 22, identity: /root/.ssh/id_ed25519 }');
			else {
				for (const pair of sshNode.items) {
					const key = isScalar(pair.key) ? String(pair.key.value) : '';
					if (!SSH_KEYS.includes(key)) fail(pair.key as Node, `${field}.ssh.${key}`, `unknown key "${key}"; allowed: ${SSH_KEYS.join(', ')}`);
				}
				const destination = sshNode.get('destination');
				const port = sshNode.get('port');
				const identity = sshNode.get('identity');
				if (typeof destination !== 'string' || !/^[\w.-]+@[\w.:-]+$|^[\w.:-]+$/.test(destination)) fail(sshNode, `${field}.ssh.destination`, 'expected user@host, e.g. root@mta1.example.lan');
				if (port !== undefined && !(Number.isInteger(port) && (port as number) > 0 && (port as number) < 65536)) fail(sshNode, `${field}.ssh.port`, 'expected a port number from 1 to 65535');
				if (identity !== undefined && (typeof identity !== 'string' || !identity.startsWith('/'))) fail(sshNode, `${field}.ssh.identity`, 'expected the absolute path of a private key');
				if (typeof destination === 'string') ssh = {destination, port: typeof port === 'number' ? port : null, identity: typeof identity === 'string' ? identity : null};
			}
		} else if (sshNode !== undefined) fail(sshNode, `${field}.ssh`, 'ssh: is only for access: ssh');
		if (access === 'manual' && addresses.length === 0) fail(node, `${field}.addresses`, 'a server reached by hand needs its addresses: the wizard cannot read them');
		if (name && servers.some(s => s.name === name)) fail(node.get('name', true) as Node, `${field}.name`, `"${name}" is used twice`);
		if (name && hostname && access && roles.length > 0) servers.push({name, hostname, addresses, roles, access, ssh});
	});
	if (problems.length === 0) {
		const database = servers.filter(s => s.roles.includes('database'));
		const csm = servers.filter(s => s.roles.includes('csm'));
		if (database.length !== 1) fail(list, 'servers', `${database.length} servers have the database role: a deployment has exactly one Database Server`);
		if (csm.length !== 1) fail(list, 'servers', `${csm.length} servers have the csm role: a deployment has exactly one Centralized Server Manager`);
		if (servers.filter(s => s.access === 'local').length > 1) fail(list, 'servers', 'more than one server has access: local; the wizard runs on one machine');
	}
	return {deployment: problems.length === 0 ? {file, servers} : null, problems};
}
