import {describe, expect, it} from 'vitest';
import {parsePgLsclusters} from '../../source/probes/pg-lsclusters.ts';
import {sample} from './samples.ts';

const MAIN_15 = {
	version: '15',
	cluster: 'main',
	port: 5432,
	status: 'down',
	owner: 'postgres',
	dataDirectory: '/var/lib/postgresql/15/main',
	logFile: '/var/log/postgresql/postgresql-15-main.log',
};

// Laid out as pg_lsclusters pads: every column but the last as wide as its
// widest value, header included.
const AFTER_UPGRADE = `Ver Cluster  Port      Status                Owner     Data directory              Log file
15  main     5433      down,binaries_missing postgres  /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log
17  main     5432      online,recovery       postgres  /var/lib/postgresql/17/main /var/log/postgresql/postgresql-17-main.log
17  old-copy <unknown> down                  <unknown> /srv/pg data/17             syslog
`;

describe('pg_lsclusters', () => {
	it('reads the real output of a bookworm machine with PostgreSQL 15', () => {
		expect(parsePgLsclusters(sample('pg_lsclusters.txt'))).toEqual([MAIN_15]);
	});

	it('reads the coloured, CRLF output it prints on a terminal', () => {
		const text = sample('pg_lsclusters-tty.txt');
		expect(text).toContain('\u001b[31m15');
		expect(text).toContain('\r\n');
		expect(parsePgLsclusters(text)).toEqual([MAIN_15]);
	});

	it('reads several clusters with combined states, <unknown> fields and a data directory with a space', () => {
		expect(parsePgLsclusters(AFTER_UPGRADE)).toEqual([
			{...MAIN_15, port: 5433, status: 'down,binaries_missing'},
			{
				version: '17',
				cluster: 'main',
				port: 5432,
				status: 'online,recovery',
				owner: 'postgres',
				dataDirectory: '/var/lib/postgresql/17/main',
				logFile: '/var/log/postgresql/postgresql-17-main.log',
			},
			{version: '17', cluster: 'old-copy', port: 0, status: 'down', owner: '<unknown>', dataDirectory: '/srv/pg data/17', logFile: 'syslog'},
		]);
	});

	it('reads output without the header (pg_lsclusters -h)', () => {
		const rows = AFTER_UPGRADE.split('\n').slice(1, 3).join('\n');
		expect(parsePgLsclusters(rows).map(c => [c.version, c.port, c.status, c.logFile])).toEqual([
			['15', 5433, 'down,binaries_missing', '/var/log/postgresql/postgresql-15-main.log'],
			['17', 5432, 'online,recovery', '/var/log/postgresql/postgresql-17-main.log'],
		]);
	});

	it('reads an old-style 9.6 version and a log destination of two files', () => {
		const text = 'Ver Cluster Port Status Owner    Data directory               Log file\n9.6 main    5432 online postgres /var/lib/postgresql/9.6/main pg_log/x.log,pg_log/x.csv\n';
		expect(parsePgLsclusters(text)[0]).toMatchObject({version: '9.6', status: 'online', logFile: 'pg_log/x.log,pg_log/x.csv'});
	});

	it('gives no clusters for a header alone, empty output or garbage', () => {
		expect(parsePgLsclusters('Ver Cluster Port Status Owner Data directory Log file\n')).toEqual([]);
		expect(parsePgLsclusters('')).toEqual([]);
		expect(parsePgLsclusters('bash: pg_lsclusters: command not found\n\u0000\u0001')).toEqual([]);
		expect(parsePgLsclusters('Error: Invalid data directory for cluster 15 main\n')).toEqual([]);
	});

	it('skips a row cut short', () => {
		const text = `${sample('pg_lsclusters.txt')}17  main    5433 on`;
		expect(parsePgLsclusters(text)).toEqual([MAIN_15]);
	});

	// After pg_upgradecluster -v 17 15 main: the old cluster moved to 5433 and
	// stopped, as pg_upgradecluster itself prints the list at its end.
	it('after the upgrade: 17/main online on 5432 and 15/main down on 5433', () => {
		const text = [
			'Ver Cluster Port Status Owner    Data directory              Log file',
			'15  main    5433 down   postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log',
			'17  main    5432 online postgres /var/lib/postgresql/17/main /var/log/postgresql/postgresql-17-main.log',
			'',
		].join('\n');
		expect(parsePgLsclusters(text).map(c => [c.version, c.cluster, c.port, c.status, c.logFile])).toEqual([
			['15', 'main', 5433, 'down', '/var/log/postgresql/postgresql-15-main.log'],
			['17', 'main', 5432, 'online', '/var/log/postgresql/postgresql-17-main.log'],
		]);
	});

	it('after postgresql-15 was removed but its data kept: the Status column widens to down,binaries_missing', () => {
		const text = [
			'Ver Cluster Port Status                Owner    Data directory              Log file',
			'15  main    5433 down,binaries_missing postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log',
			'17  main    5432 online                postgres /var/lib/postgresql/17/main /var/log/postgresql/postgresql-17-main.log',
			'',
		].join('\n');
		const [old, current] = parsePgLsclusters(text);
		expect(old).toMatchObject({version: '15', status: 'down,binaries_missing', owner: 'postgres', dataDirectory: '/var/lib/postgresql/15/main'});
		expect(current).toMatchObject({version: '17', port: 5432, status: 'online', owner: 'postgres'});
	});

	it('both clusters online (15 started again by hand), coloured as on a terminal', () => {
		const text = 'Ver Cluster Port Status Owner    Data directory              Log file\r\n\u001b[32m15  main    5433 online postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log\u001b[0m\r\n\u001b[32m17  main    5432 online postgres /var/lib/postgresql/17/main /var/log/postgresql/postgresql-17-main.log\u001b[0m\r\n';
		expect(parsePgLsclusters(text).map(c => `${c.version}/${c.cluster} ${c.port} ${c.status}`)).toEqual(['15/main 5433 online', '17/main 5432 online']);
	});
});
