import {describe, expect, it} from 'vitest';
import {checkBackupListing, parseBackupFileName} from '../../source/probes/pmg-backup.ts';
import {sample} from './samples.ts';

describe('PMG backup listing', () => {
	it('finds all members in a real listing with ./ prefixes', () => {
		expect(checkBackupListing(sample('tar-backup.txt'))).toEqual({
			ok: true,
			missing: [],
			present: ['Proxmox_ruledb.sql', 'version.txt', 'Proxmox_statdb.sql', 'proxmox_backup_v1.md5', 'config_backup.tar'],
		});
	});

	it('reports what a truncated archive no longer lists', () => {
		const result = checkBackupListing(sample('tar-backup-truncated.txt'));
		expect(result.ok).toBe(false);
		expect(result.missing).toEqual(['config_backup.tar']);
	});

	it('accepts a listing without ./ and without the statistics dump', () => {
		expect(checkBackupListing('Proxmox_ruledb.sql\nconfig_backup.tar\nproxmox_backup_v1.md5\nversion.txt\n').ok).toBe(true);
	});

	it('does not count members in subdirectories', () => {
		const result = checkBackupListing('./\n./old/Proxmox_ruledb.sql\n./config_backup.tar\n./proxmox_backup_v1.md5\n./version.txt\n');
		expect(result.missing).toEqual(['Proxmox_ruledb.sql']);
		expect(result.present).toEqual(['config_backup.tar', 'proxmox_backup_v1.md5', 'version.txt']);
	});

	it("ignores tar's and gzip's complaints and reads CRLF", () => {
		const text = './\r\n./Proxmox_ruledb.sql\r\ngzip: stdin: unexpected end of file\r\ntar: Unexpected EOF in archive\r\n';
		expect(checkBackupListing(text)).toEqual({
			ok: false,
			missing: ['config_backup.tar', 'proxmox_backup_v1.md5', 'version.txt'],
			present: ['Proxmox_ruledb.sql'],
		});
	});

	it('reports everything missing for empty output and garbage', () => {
		expect(checkBackupListing('')).toEqual({ok: false, missing: ['Proxmox_ruledb.sql', 'config_backup.tar', 'proxmox_backup_v1.md5', 'version.txt'], present: []});
		expect(checkBackupListing('\u0000\u0001garbage\n').ok).toBe(false);
	});
});

describe('PMG backup file name', () => {
	it('reads the date and the hex epoch of a name pmgbackup writes', () => {
		// 0x67A1B2C3 = 1738650307 = 2025-02-04T06:25:07Z
		expect(parseBackupFileName('pmg-backup_2025_02_04_67A1B2C3.tgz')).toEqual({date: '2025-02-04', epochSeconds: 1738650307});
	});

	it('reads a full path', () => {
		expect(parseBackupFileName('/var/lib/pmg/backup/pmg-backup_2025_02_04_67A1B2C3.tgz')?.epochSeconds).toBe(1738650307);
	});

	it('accepts a local date one day off the UTC date of the epoch', () => {
		// 0x67A15148 = 2025-02-03T23:29:12Z, already the 4th in Vienna.
		expect(parseBackupFileName('pmg-backup_2025_02_04_67A15148.tgz')).toEqual({date: '2025-02-04', epochSeconds: 1738625352});
	});

	it('rejects names that are not PMG backups', () => {
		for (const name of [
			'',
			'pmg-backup_2025_02_04_67A1B2C3.tar.gz',
			'pmg-backup_2025_2_4_67A1B2C3.tgz',
			'proxmox-backup_2025_02_04_67A1B2C3.tgz',
			'pmg-backup_2025_02_30_67A1B2C3.tgz',
			'pmg-backup_2025_13_01_67A1B2C3.tgz',
			'pmg-backup_2025_02_04_XYZ.tgz',
			'pmg-backup_2025_02_04_67A1.tgz',
			'pmg-backup_2019_02_04_67A1B2C3.tgz',
		])
			expect(parseBackupFileName(name), name).toBeNull();
	});
});
