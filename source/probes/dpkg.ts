/**
 * `dpkg-query -W -f='${Package}\t${db:Status-Status}\n' NAME...`, as seen on
 * Debian bookworm (dpkg 1.21):
 *   - one line per package dpkg knows, sorted by name, not in argument order;
 *   - dpkg "knows" a package it never installed when an installed package
 *     mentions it (Suggests: systemd-boot is enough): that line says
 *     `not-installed` and the exit status stays 0;
 *   - a name it has never heard of gets `dpkg-query: no packages found
 *     matching NAME` on stderr (translated under another locale) and exit 1;
 *   - removed but not purged is `config-files`; the other states are
 *     half-installed, unpacked, half-configured, triggers-awaited,
 *     triggers-pending and installed.
 */
import {outputLines} from './ansi.ts';

/** dpkg's status word for a package; anything dpkg adds later passes through as a string. */
export type DpkgStatus = 'installed' | 'config-files' | 'not-installed' | 'half-installed' | 'unpacked' | 'half-configured' | 'triggers-awaited' | 'triggers-pending' | (string & {});

const RANK: Record<string, number> = {'not-installed': 0, 'config-files': 1};

// Names in stderr's "no packages found" lines are not-installed, and so are
// names in `requested` that no line mentions: under another locale the
// stderr message is translated.
/** Status per package from `dpkg-query -W` stdout and stderr. */
export function parseDpkgQueryStatus(stdout: string, stderr: string, requested: string[] = []): Record<string, DpkgStatus> {
	const status: Record<string, DpkgStatus> = {};
	for (const line of outputLines(stdout)) {
		const tab = line.indexOf('\t');
		if (tab <= 0) continue;
		// ${Package} has no architecture: with libfoo:amd64 and libfoo:i386 both
		// known, two lines share a name, and the more installed one wins.
		const name = line.slice(0, tab).trim();
		const state = line.slice(tab + 1).trim() || 'unknown';
		const before = status[name];
		if (before === undefined || (RANK[before] ?? 2) < (RANK[state] ?? 2)) status[name] = state;
	}
	for (const line of outputLines(stderr)) {
		const missing = /no packages found matching (\S+)/.exec(line);
		// An arch-qualified request (libfoo:i386) is reported under that name.
		if (missing) status[missing[1]!.replace(/:[a-z0-9-]+$/, '')] ??= 'not-installed';
	}
	for (const name of requested) status[name.replace(/:[a-z0-9-]+$/, '')] ??= 'not-installed';
	return status;
}
