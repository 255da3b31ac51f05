import {describe, expect, it} from 'vitest';
import {DUMP_COMPLETE, REMOVED_VIEWS, updateScriptFor} from '../../machines/vmm-0.5-to-0.6.ts';
import {maskLines, unmaskLines} from '../../machines/kit.ts';
import {SECRET_LINE, driverOf, dumpIsComplete, lineDiff, mergeConfig, parseDovecotVersion, parsePythonVersion, parseVmmVersion, viewReferences} from '../../source/probes/vmm.ts';

describe('vmm probes', () => {
	describe('vmm version', () => {
		it('reads 0.5.2, 0.6.0 and 0.4-r41 from the first line', () => {
			expect(parseVmmVersion('vmm, version 0.5.2 (from 09/19/09)\nPython 2.5.2 on linux2\n')).toBe('0.5.2');
			expect(parseVmmVersion('vmm, version 0.6.0 (from 01/09/12)')).toBe('0.6.0');
			expect(parseVmmVersion('vmm, version 0.4-r41 (from 10/06/08)')).toBe('0.4-r41');
		});
		it('gives null for a usage message or an error', () => {
			expect(parseVmmVersion('Usage: vmm SUBCOMMAND OBJECT ARGS*\n')).toBeNull();
			expect(parseVmmVersion('sh: 1: vmm: not found')).toBeNull();
		});
	});

	describe('Dovecot version and the update script', () => {
		it('reads plain, beta and git-suffixed versions', () => {
			expect(parseDovecotVersion('2.1.7\n')).toBe('2.1.7');
			expect(parseDovecotVersion('1.2.beta2\n')).toBe('1.2.beta2');
			expect(parseDovecotVersion('2.3.19.1 (9f4a0a5b)\n')).toBe('2.3.19.1');
			expect(parseDovecotVersion('Fatal: Error reading configuration\n')).toBeNull();
		});
		it('picks the document\'s script per series, and none for an unknown version', () => {
			expect(updateScriptFor('1.0.15')?.script).toBe('update_tables_0.5.x-0.6.pgsql');
			expect(updateScriptFor('1.1.16')?.script).toBe('update_tables_0.5.x-0.6.pgsql');
			expect(updateScriptFor('1.2.17')?.script).toBe('update_tables_0.5.x-0.6-dovecot-1.2.x.pgsql');
			expect(updateScriptFor('2.0.19')?.script).toBe('update_tables_0.5.x-0.6-dovecot-1.2.x.pgsql');
			expect(updateScriptFor('2.1.7')?.why).toBe('Dovecot 2.1.7 is v1.2.x/v2.0.x/v2.1.x');
			expect(updateScriptFor('2.3.19.1')?.why).toContain('the document names up to v2.1.x');
			expect(updateScriptFor(null)).toBeNull();
			expect(updateScriptFor('0.99')).toBeNull();
		});
	});

	it('takes Python 2.7.18 and 3.11.2 as versions, anything else not', () => {
		expect(parsePythonVersion('2.7.18\n')).toBe('2.7.18');
		expect(parsePythonVersion('3.11.2\n')).toBe('3.11.2');
		expect(parsePythonVersion('pyenv: python: command not found\n')).toBeNull();
	});

	it('finds the driver set-permissions.py imports', () => {
		expect(driverOf('#!/usr/bin/env python\nimport getpass\nimport psycopg2\n')).toBe('psycopg2');
		expect(driverOf('from pyPgSQL import PgSQL\n')).toBe('pyPgSQL');
		expect(driverOf(null)).toBe('psycopg2');
	});

	describe('a dump\'s completion line', () => {
		const ending = `COPY public.users (uid) FROM stdin;\n1\n\\.\n\n\n--\n${DUMP_COMPLETE}\n--\n\n`;
		it('is found as pg_dump writes it, and after \\unrestrict (PostgreSQL 17.6, 16.10, 15.14)', () => {
			expect(dumpIsComplete(ending, DUMP_COMPLETE)).toBe(true);
			expect(dumpIsComplete(`${ending}\\unrestrict Zk3x9\n\n`, DUMP_COMPLETE)).toBe(true);
		});
		it('is missing in a cut or empty dump, or one that only mentions it earlier', () => {
			expect(dumpIsComplete(ending.slice(0, 40), DUMP_COMPLETE)).toBe(false);
			expect(dumpIsComplete('', DUMP_COMPLETE)).toBe(false);
			expect(dumpIsComplete(`--\n${DUMP_COMPLETE}\n--\nCREATE TABLE x (a int);\n`, DUMP_COMPLETE)).toBe(false);
		});
	});

	it('lists the lines that name a removed view, not comments and not the new functions', () => {
		const cf = "# was: SELECT transport FROM postfix_transport\nhosts = localhost\nquery = SELECT transport FROM postfix_transport WHERE address='%s'\nquery2 = SELECT x FROM postfix_transport_map('%u', '%d')\n";
		expect(viewReferences(cf, REMOVED_VIEWS)).toEqual([{line: 3, text: "query = SELECT transport FROM postfix_transport WHERE address='%s'", view: 'postfix_transport'}]);
	});

	it('takes the new query and keeps the site\'s connection lines, and the diff masks passwords', () => {
		const installed = 'hosts = db.example.org\nuser = postfix\npassword = Secret-1\ndbname = mail\nquery = SELECT transport FROM postfix_transport\n';
		const fresh = '# new\nhosts = localhost\nuser = postfix\npassword = some_password\ndbname = mailsys\nquery = SELECT transport FROM postfix_transport_map(\'%u\', \'%d\')\n';
		const merged = mergeConfig(installed, fresh, ['hosts', 'user', 'password', 'dbname']);
		expect(merged).toBe("# new\nhosts = db.example.org\nuser = postfix\npassword = Secret-1\ndbname = mail\nquery = SELECT transport FROM postfix_transport_map('%u', '%d')\n");
		const diff = lineDiff(installed, merged);
		expect(diff).toBe("+# new\n-query = SELECT transport FROM postfix_transport\n+query = SELECT transport FROM postfix_transport_map('%u', '%d')");
		expect(lineDiff('password = a\n', 'password = b\n')).toBe('-password = ***\n+password = ***');
		expect(lineDiff('connect = host=x password=p\n', 'connect = host=y password=p\n')).not.toContain('password=p');
	});

	it('masks password lines for the saved state, and puts them back only from the file itself', () => {
		const real = 'hosts = db\npassword = S3cret\nquery = x\n';
		const masked = maskLines(real, SECRET_LINE);
		expect(masked).toBe('hosts = db\npassword = ***\nquery = x\n');
		expect(unmaskLines(masked.replace('query = x', 'query = y'), real, SECRET_LINE)).toBe('hosts = db\npassword = S3cret\nquery = y\n');
		// A masked line the file has no source for: nothing is to be written.
		expect(unmaskLines('connect = ***\n', real, SECRET_LINE)).toBeNull();
		expect(maskLines('connect = host=db password=p\n', SECRET_LINE)).toBe('connect = ***\n');
	});
});
