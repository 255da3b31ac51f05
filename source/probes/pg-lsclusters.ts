/**
 * `pg_lsclusters` (postgresql-common). It pads every column but the last to
 * the widest value, header included, so the header words mark where each
 * column starts:
 *   Ver Cluster Port Status Owner    Data directory              Log file
 *   15  main    5432 online postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log
 * On a terminal each row (not the header) is wrapped in green or red
 * (`ESC[32m ... ESC[0m`). Status is online or down, with `,recovery`, the
 * supervisor, the start.conf value (-s) and `,binaries_missing` appended:
 * the last one is what an old cluster looks like once its server package
 * is gone. Port, owner and data directory may be `<unknown>`; the last
 * column is the log destination, which can be `syslog` or two paths.
 */
import {outputLines} from './ansi.ts';

/** One PostgreSQL cluster as pg_lsclusters lists it. */
export type PgCluster = {
	version: string;
	cluster: string;
	/** 0 when pg_lsclusters says `<unknown>` (no port in postgresql.conf). */
	port: number;
	/** online, down, online,recovery, down,binaries_missing ... */
	status: string;
	owner: string;
	dataDirectory: string;
	logFile: string;
};

const HEADER = /^Ver\s+Cluster\s+Port\s+Status\s+Owner\s+Data directory\s+Log file\s*$/;
const NAMES = ['Ver', 'Cluster', 'Port', 'Status', 'Owner', 'Data directory', 'Log file'];

const toCluster = (f: string[]): PgCluster | null => {
	const [version, cluster, port, status, owner, dataDirectory, logFile] = f.map(s => s.trim());
	if (!version || !/^\d+(\.\d+)?$/.test(version) || !cluster || !status || !owner) return null;
	if (!port || !(/^\d+$/.test(port) || port === '<unknown>')) return null;
	return {
		version,
		cluster,
		port: port === '<unknown>' ? 0 : Number(port),
		status,
		owner,
		dataDirectory: dataDirectory || '<unknown>',
		logFile: logFile || '<unknown>',
	};
};

/** Read `pg_lsclusters` output, with or without its header (-h); rows that do not fit are skipped. */
export function parsePgLsclusters(text: string): PgCluster[] {
	const clusters: PgCluster[] = [];
	let starts: number[] | null = null;
	for (const raw of outputLines(text)) {
		if (raw.trim() === '') continue;
		if (HEADER.test(raw.trim())) {
			const line = raw.trimStart();
			starts = NAMES.map(name => line.indexOf(name));
			continue;
		}
		const line = raw.trimStart();
		let fields: string[];
		if (starts && line.length > starts[5]!) {
			// Cut at the header's column starts: a data directory with a space
			// in it stays one field.
			const cuts = starts;
			fields = cuts.map((start, k) => line.slice(start, k + 1 < cuts.length ? cuts[k + 1] : undefined));
			// Values wider than their header pad the whole column, so a cut
			// that lands inside a word means this row is not in that layout.
			const clean = cuts.slice(1).every(c => c === 0 || line[c - 1] === ' ');
			if (!clean) fields = splitWords(line);
		} else fields = splitWords(line);
		const cluster = toCluster(fields);
		if (cluster) clusters.push(cluster);
	}
	return clusters;
}

/** Without a header: five words, the data directory, then the rest as the log column. */
function splitWords(line: string): string[] {
	const words = line.trim().split(/\s+/);
	return [...words.slice(0, 6), words.slice(6).join(' ')];
}
