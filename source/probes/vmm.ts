/**
 * Pure parsers for the vmm path: the version lines of vmm and Dovecot, the
 * views a Postfix/Dovecot SQL configuration still queries, and the new
 * configuration with the site's connection settings kept.
 */
import {diffArrays} from 'diff';

/** The version from `vmm version` ("vmm, version 0.5.2 (from 09/19/09)"), or null. */
export function parseVmmVersion(text: string): string | null {
	const m = /\bversion\s+v?(\d+\.\d+(?:\.\d+)?(?:-r\d+)?)/i.exec(text);
	return m ? m[1]! : null;
}

/** The version from `dovecot --version` ("2.1.7", "1.2.beta2", "2.3.19.1 (9f4a0a5b)"), or null. */
export function parseDovecotVersion(text: string): string | null {
	const first = text.trim().split('\n')[0] ?? '';
	const m = /^(\d+\.\d+(?:\.[\w]+)*)/.exec(first.trim());
	return m ? m[1]! : null;
}

/** The Python version printed by `python -c` as "2.7.18", or null for anything else. */
export function parsePythonVersion(text: string): string | null {
	const m = /^(\d+\.\d+\.\d+)\s*$/.exec(text.trim());
	return m ? m[1]! : null;
}

/** The module set-permissions.py imports for PostgreSQL (psycopg2 by default). */
export function driverOf(script: string | null): string {
	if (!script) return 'psycopg2';
	const m = /^\s*(?:from|import)\s+(psycopg2|pyPgSQL|pgdb|pg)\b/m.exec(script);
	return m ? m[1]! : 'psycopg2';
}

export type ViewReference = {line: number; text: string; view: string};

/** Lines (1-based) that name one of `views`; comments do not count. */
export function viewReferences(text: string, views: readonly string[]): ViewReference[] {
	const pattern = new RegExp(`\\b(${views.join('|')})\\b`);
	const found: ViewReference[] = [];
	text.split('\n').forEach((raw, index) => {
		if (/^\s*#/.test(raw)) return;
		const m = pattern.exec(raw);
		if (m) found.push({line: index + 1, text: raw.trim(), view: m[1]!});
	});
	return found;
}

const keyOf = (line: string) => /^\s*([A-Za-z_][\w]*)\s*=/.exec(line)?.[1] ?? null;

/**
 * The new file with the installed file's values for `keep` (hosts, user,
 * password, dbname; driver, connect): the query comes from vmm 0.6.x, the
 * connection stays the site's. A kept key the new file lacks is added at
 * its end.
 */
export function mergeConfig(installed: string, fresh: string, keep: readonly string[]): string {
	const mine = new Map<string, string>();
	for (const line of installed.split('\n')) {
		const key = keyOf(line);
		if (key && keep.includes(key) && !mine.has(key)) mine.set(key, line);
	}
	const used = new Set<string>();
	const out = fresh.split('\n').map(line => {
		const key = keyOf(line);
		if (key && mine.has(key)) {
			used.add(key);
			return mine.get(key)!;
		}
		return line;
	});
	const missing = [...mine.keys()].filter(k => !used.has(k)).map(k => mine.get(k)!);
	if (missing.length === 0) return out.join('\n');
	const text = out.join('\n');
	return `${text}${text.endsWith('\n') ? '' : '\n'}${missing.join('\n')}\n`;
}

/** Lines that carry a password (Postfix's `password =`, Dovecot's `connect =`): group 1 is what may be shown. */
export const SECRET_LINE = '^(\\s*(?:password|connect)\\s*=\\s*).*$';
export const maskSecrets = (line: string) => line.replace(new RegExp(SECRET_LINE), '$1***');

/** A small line diff (- old, + new) for the preview; unchanged lines are left out, password lines masked. */
export function lineDiff(before: string, after: string): string {
	const out: string[] = [];
	for (const change of diffArrays(before.split('\n'), after.split('\n'))) {
		if (change.removed) out.push(...change.value.map(l => `-${maskSecrets(l)}`));
		else if (change.added) out.push(...change.value.map(l => `+${maskSecrets(l)}`));
	}
	return out.filter(l => l !== '+' && l !== '-').join('\n');
}

/**
 * Whether a plain-format dump is complete: its last comment is pg_dump's
 * completion line. After it come only the comment's closing `--`, blank
 * lines and, from PostgreSQL 17.6/16.10/15.14 on, `\unrestrict KEY`.
 */
export function dumpIsComplete(text: string, marker: string): boolean {
	const lines = text.split('\n').map(l => l.trim());
	while (lines.length > 0 && (lines.at(-1) === '' || lines.at(-1) === '--' || lines.at(-1)!.startsWith('\\unrestrict '))) lines.pop();
	return lines.at(-1) === marker;
}
