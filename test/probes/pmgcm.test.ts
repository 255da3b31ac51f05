import {describe, expect, it} from 'vitest';
import {parsePmgcmStatus} from '../../source/probes/pmgcm.ts';

const HEADER = 'NAME(CID)--------------IPADDRESS----ROLE-STATE---------UPTIME---LOAD----MEM---DISK';

// Rows as pmgcm.pm's printf "%-20s %-15s %-6s %1s %15s %6s %5s%% %5s%%" lays them out.
const CLUSTER = `${HEADER}
pmg1(1)              192.0.2.10      master A    3 days 04:05   0.12    45%    12%
pmg2(2)              192.0.2.11      node   S           01:02   0.01    30%     9%
pmg3(3)              192.0.2.12      node   ERROR: 500 Can't connect to 192.0.2.12:8006 (No route to host)                -      -     -%     -%
mail-gateway-long-name(14) 2001:db8::14    node   A     1 day 00:00    1.5     5%    70%
`;

describe('pmgcm status', () => {
	it('reads "no cluster defined" as a standalone node', () => {
		expect(parsePmgcmStatus('no cluster defined\n', 0)).toEqual({clustered: false, nodes: [], problems: []});
	});

	it('reads the nodes of a cluster with name, cid, ip, role and state', () => {
		const status = parsePmgcmStatus(CLUSTER, 0);
		expect(status.clustered).toBe(true);
		expect(status.problems).toEqual([]);
		expect(status.nodes).toEqual([
			{name: 'pmg1', cid: 1, ip: '192.0.2.10', role: 'master', state: 'A'},
			{name: 'pmg2', cid: 2, ip: '192.0.2.11', role: 'node', state: 'S'},
			{name: 'pmg3', cid: 3, ip: '192.0.2.12', role: 'node', state: "ERROR: 500 Can't connect to 192.0.2.12:8006 (No route to host)"},
			{name: 'mail-gateway-long-name', cid: 14, ip: '2001:db8::14', role: 'node', state: 'A'},
		]);
	});

	it('reads the rows with CRLF line ends', () => {
		expect(parsePmgcmStatus(CLUSTER.replace(/\n/g, '\r\n'), 0).nodes).toHaveLength(4);
	});

	it('keeps the first word as state when the end of a row is cut off', () => {
		const status = parsePmgcmStatus(`${HEADER}\npmg1(1)              192.0.2.10      master A    3 da`, 0);
		expect(status.nodes).toEqual([{name: 'pmg1', cid: 1, ip: '192.0.2.10', role: 'master', state: 'A'}]);
	});

	it('reports a failed run, such as a node no longer in its own cluster', () => {
		const status = parsePmgcmStatus('', 255);
		expect(status.clustered).toBe(false);
		expect(status.problems).toEqual(['pmgcm status failed with exit status 255']);
	});

	it('reports empty output from a successful run', () => {
		expect(parsePmgcmStatus('', 0).problems).toEqual(['pmgcm status printed nothing']);
	});

	it('reports lines it does not understand, and rows before any header', () => {
		const status = parsePmgcmStatus('pmg1(1) 192.0.2.10 master A\ngarbage \u0001\n', 0);
		expect(status.nodes).toEqual([]);
		expect(status.clustered).toBe(false);
		expect(status.problems).toHaveLength(2);
	});

	it('counts a header without rows as a cluster', () => {
		expect(parsePmgcmStatus(`${HEADER}\n`, 0).clustered).toBe(true);
	});
});
