import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {parseDeployment} from '../../source/probes/pm-deployment.ts';
import {parseScenario} from '../../source/host/scenario.ts';

const FILE = '/etc/upgrade-wizard/puremessage-deployment.yaml';

/** The deployment file bundled in a scenario, as the wizard reads it there. */
async function bundled(name: string) {
	const scenario = await parseScenario(readFileSync(`scenarios/puremessage/${name}.yaml`, 'utf8'), `scenarios/puremessage/${name}.yaml`);
	return scenario.files[FILE]!.content;
}

describe('the PureMessage deployment file', () => {
	it('reads the bundled three-server deployment: names, roles, access and the ssh target', async () => {
		const {deployment, problems} = parseDeployment(await bundled('three-servers'), FILE);
		expect(problems).toEqual([]);
		expect(deployment!.servers.map(s => [s.name, s.roles.join('+'), s.access])).toEqual([
			['db1', 'database+csm', 'local'],
			['mta1', 'mta+filter', 'ssh'],
			['euwi1', 'euwi+groups', 'manual'],
		]);
		expect(deployment!.servers[1]!.ssh).toEqual({destination: 'root@mta1.example.lan', port: 22, identity: '/root/.ssh/id_ed25519'});
		expect(deployment!.servers[2]!.addresses).toEqual(['192.0.2.23']);
	});

	it('reads the five-server flow-style file', async () => {
		const {deployment, problems} = parseDeployment(await bundled('five-servers'), FILE);
		expect(problems).toEqual([]);
		expect(deployment!.servers).toHaveLength(5);
	});

	it('names the line and field of each mistake', () => {
		const text = [
			'servers:',
			'  - name: db1',
			'    hostname: db1.example.lan',
			'    roles: [database, dbase]',
			'    access: local',
			'  - name: mta1',
			'    hostname: mta1.example.lan',
			'    roles: [mta]',
			'    access: telnet',
			'  - name: web1',
			'    hostname: web1.example.lan',
			'    roles: [euwi]',
			'    access: manual',
			'',
		].join('\n');
		const {deployment, problems} = parseDeployment(text, FILE);
		expect(deployment).toBeNull();
		expect(problems).toContainEqual({line: 4, field: 'servers[0].roles[1]', message: expect.stringContaining('"dbase" is not a role')});
		expect(problems).toContainEqual({line: 9, field: 'servers[1].access', message: expect.stringContaining('"telnet" is not allowed')});
		expect(problems).toContainEqual(expect.objectContaining({field: 'servers[2].addresses', message: expect.stringContaining('by hand needs its addresses')}));
	});

	it('refuses a deployment without a CSM, or with two database servers', () => {
		const two = 'servers:\n  - {name: a, hostname: a.lan, roles: [database], access: local}\n  - {name: b, hostname: b.lan, roles: [database, csm], access: ssh, ssh: {destination: root@b.lan}}\n';
		expect(parseDeployment(two, FILE).problems.map(p => p.message)).toContainEqual(expect.stringContaining('2 servers have the database role'));
		const none = 'servers:\n  - {name: a, hostname: a.lan, roles: [database], access: local}\n';
		expect(parseDeployment(none, FILE).problems.map(p => p.message)).toContainEqual(expect.stringContaining('0 servers have the csm role'));
		expect(parseDeployment('servers: [\n', FILE).problems[0]!.message).toMatch(/^YAML syntax error/);
	});

	it('a scenario names its other servers\' files relative to itself', async () => {
		const scenario = await parseScenario(readFileSync('scenarios/puremessage/hostname-changed.yaml', 'utf8'), 'scenarios/puremessage/hostname-changed.yaml');
		expect(scenario.servers.mta1).toMatch(/scenarios\/puremessage\/servers\/mta1-renamed\.yaml$/);
	});
});
