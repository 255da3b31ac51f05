/**
 * `pmgcm status` (pmg-api src/PMG/CLI/pmgcm.pm). Without a cluster it
 * prints `no cluster defined` and exits 0. With one, a header and a row per
 * node, written with printf "%-20s %-15s %-6s %1s %15s %6s %5s%% %5s%%":
 *   NAME(CID)--------------IPADDRESS----ROLE-STATE---------UPTIME---LOAD----MEM---DISK
 *   pmg1(1)              192.0.2.10      master A     3 days 04:05   0.12    45%    12%
 *   pmg2(2)              192.0.2.11      node   S           01:02   0.01    30%     9%
 * ROLE is master or node; STATE is A (in sync), S (syncing) or, when the node
 * cannot be reached, `ERROR: <message>` with the message's newlines turned
 * into spaces; such a row has `-` for uptime, load, memory and disk. UPTIME
 * is `HH:MM` or `N day(s) HH:MM`, so it has spaces too. A node whose
 * cluster.conf lists others but not itself dies with "local node '...' not
 * part of cluster" on stderr.
 */
import {outputLines} from './ansi.ts';

/** One node of a PMG cluster. */
export type PmgcmNode = {name: string; cid: number; ip: string; role: string; state: string};

/** What `pmgcm status` says about the cluster; `problems` are about the output, node trouble is in each node's state. */
export type PmgcmStatus = {clustered: boolean; nodes: PmgcmNode[]; problems: string[]};

const HEADER = /^NAME\(CID\)-+IPADDRESS-+ROLE-STATE-+UPTIME-+LOAD-+MEM-+DISK$/;
const ROW_START = /^(\S+)\((\d+)\)\s+(\S+)\s+(\S+)\s+(.*)$/;
// uptime, load, mem%, disk% at the end of a row
const ROW_TAIL = /\s+(-|\d+ days? \d{2}:\d{2}|\d{2}:\d{2})\s+(\S+)\s+(\S+)%\s+(\S+)%$/;

/** Read `pmgcm status` output and its exit status. */
export function parsePmgcmStatus(text: string, exitCode: number): PmgcmStatus {
	const status: PmgcmStatus = {clustered: false, nodes: [], problems: []};
	let header = false;
	let noCluster = false;
	for (const raw of outputLines(text)) {
		const line = raw.trim();
		if (line === '') continue;
		if (line === 'no cluster defined') {
			noCluster = true;
			continue;
		}
		if (HEADER.test(line)) {
			header = true;
			continue;
		}
		const row = header ? ROW_START.exec(line) : null;
		if (!row) {
			status.problems.push(`pmgcm status printed "${line}"`);
			continue;
		}
		const [, name, cid, ip, role, rest] = row;
		// STATE is one letter, or an error message running up to the
		// right-aligned uptime column.
		const padded = ` ${rest!}`;
		const tail = ROW_TAIL.exec(padded);
		const state = tail ? padded.slice(0, tail.index).trim() : rest!.split(/\s+/)[0]!;
		status.nodes.push({name: name!, cid: Number(cid), ip: ip!, role: role!, state});
	}
	status.clustered = header || status.nodes.length > 0;
	if (exitCode !== 0) status.problems.push(`pmgcm status failed with exit status ${exitCode}`);
	else if (!header && !noCluster && status.nodes.length === 0 && status.problems.length === 0) status.problems.push('pmgcm status printed nothing');
	return status;
}
