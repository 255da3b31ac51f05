/**
 * PMG backup archives (pmg-api src/PMG/Backup.pm and API2/Backup.pm).
 * `pmgbackup backup` writes /var/lib/pmg/backup/pmg-backup_YYYY_MM_DD_HHHHHHHH.tgz
 * with `tar czf FILE -C TMPDIR -- .`, so `tar -tzf` lists `./` and then
 * `./Proxmox_ruledb.sql`, `./config_backup.tar` (/etc/pmg and the
 * SpamAssassin custom scores), `./proxmox_backup_v1.md5` (md5sums of the
 * others), `./version.txt` and, unless --statistic 0, `./Proxmox_statdb.sql`.
 * A restore runs `md5sum -c` over the md5 file, so all of it must be there.
 *
 * A truncated archive still lists the members before the break (tar then
 * fails): the listing alone cannot prove the archive whole; the exit status
 * of `tar -tzf` has to be 0 as well.
 */
import {outputLines} from './ansi.ts';

/** The members a restore needs. */
export const BACKUP_MEMBERS = ['Proxmox_ruledb.sql', 'config_backup.tar', 'proxmox_backup_v1.md5', 'version.txt'];

/** Present only when statistics were included (the default of `pmgbackup backup`). */
export const OPTIONAL_BACKUP_MEMBERS = ['Proxmox_statdb.sql'];

/** Check a `tar -tzf` listing for the top-level members of a PMG backup. */
export function checkBackupListing(tarListing: string): {ok: boolean; missing: string[]; present: string[]} {
	const present: string[] = [];
	for (const raw of outputLines(tarListing)) {
		const entry = raw.trim();
		// tar's and gzip's own complaints, when stderr came along.
		if (/^(tar|gzip): /.test(entry)) continue;
		const name = entry.replace(/^(\.\/)+/, '').replace(/\/$/, '');
		// Top level only: a file of the same name deeper down is not the member.
		if (name === '' || name === '.' || name.includes('/')) continue;
		if (!present.includes(name)) present.push(name);
	}
	const missing = BACKUP_MEMBERS.filter(m => !present.includes(m));
	return {ok: missing.length === 0, missing, present};
}

// PMG writes the date in the machine's LOCAL time and the epoch seconds as
// 8 uppercase hex digits (`%08X`), so the date may differ from the epoch's
// UTC date by a day.
/** The date and epoch seconds in a backup's file name; null when it is not one PMG writes. */
export function parseBackupFileName(name: string): {date: string; epochSeconds: number} | null {
	const base = name.trim().split('/').pop() ?? '';
	const match = /^pmg-backup_(\d{4})_(\d{2})_(\d{2})_([0-9A-Fa-f]{8,})\.tgz$/.exec(base);
	if (!match) return null;
	const [, year, month, day, hex] = match;
	const y = Number(year);
	const m = Number(month);
	const d = Number(day);
	const calendar = new Date(Date.UTC(y, m - 1, d));
	if (calendar.getUTCFullYear() !== y || calendar.getUTCMonth() !== m - 1 || calendar.getUTCDate() !== d) return null;
	const epochSeconds = Number.parseInt(hex!, 16);
	// Time zones are at most 14 hours from UTC: anything further apart is
	// not a name PMG wrote.
	const hours = Math.abs(epochSeconds * 1000 - calendar.getTime() - 12 * 3600 * 1000) / 3_600_000;
	if (hours > 12 + 14) return null;
	return {date: `${year}-${month}-${day}`, epochSeconds};
}
