/**
 * Debian version strings, `[epoch:]upstream[-revision]`, ordered the way
 * dpkg orders them (Debian Policy 5.6.12), so that "is PMG at least 8.2?"
 * agrees with what apt will do.
 */

type Parts = {epoch: string; upstream: string; revision: string};

function split(version: string): Parts {
	const v = version.trim();
	const colon = v.indexOf(':');
	const epoch = colon >= 0 ? v.slice(0, colon) : '0';
	const rest = colon >= 0 ? v.slice(colon + 1) : v;
	// The revision starts after the LAST hyphen: upstream may contain hyphens.
	const dash = rest.lastIndexOf('-');
	return dash >= 0 ? {epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1)} : {epoch, upstream: rest, revision: ''};
}

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isLetter = (c: string) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');

/**
 * Weight of one character of a non-digit run. `~` is below the end of the
 * string (so 1.0~rc1 < 1.0), the end ties with a digit, letters come next,
 * and every other character sorts after all letters.
 */
function weight(c: string | undefined): number {
	if (c === undefined || isDigit(c)) return 0;
	if (c === '~') return -1;
	if (isLetter(c)) return c.charCodeAt(0);
	return c.charCodeAt(0) + 256;
}

/** Digit runs compare as numbers of any length; leading zeros do not count. */
function compareDigits(a: string, b: string): number {
	const x = a.replace(/^0+/, '');
	const y = b.replace(/^0+/, '');
	if (x.length !== y.length) return x.length - y.length;
	return x < y ? -1 : x > y ? 1 : 0;
}

function compareFragment(a: string, b: string): number {
	let i = 0;
	let j = 0;
	while (i < a.length || j < b.length) {
		while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
			const diff = weight(a[i]) - weight(b[j]);
			if (diff !== 0) return diff;
			i++;
			j++;
		}
		const startA = i;
		const startB = j;
		while (isDigit(a[i])) i++;
		while (isDigit(b[j])) j++;
		const diff = compareDigits(a.slice(startA, i), b.slice(startB, j));
		if (diff !== 0) return diff;
	}
	return 0;
}

/** Negative, zero or positive as `a` sorts before, with or after `b` (like `dpkg --compare-versions`). */
export function compareDebianVersions(a: string, b: string): number {
	const pa = split(a);
	const pb = split(b);
	const sign = (n: number) => Math.sign(n);
	return sign(compareDigits(pa.epoch, pb.epoch)) || sign(compareFragment(pa.upstream, pb.upstream)) || sign(compareFragment(pa.revision, pb.revision));
}

/** Whether `v` is a well-formed Debian version (what dpkg accepts without complaint). */
export function isValidDebianVersion(v: string): boolean {
	if (v !== v.trim() || v === '') return false;
	const colon = v.indexOf(':');
	if (colon >= 0 && !/^\d+$/.test(v.slice(0, colon))) return false;
	const {upstream, revision} = split(v);
	const hasRevision = v.slice(colon + 1).includes('-');
	// Policy: upstream starts with a digit and uses [A-Za-z0-9.+~-] (a hyphen
	// only when a revision follows); the revision uses [A-Za-z0-9.+~].
	if (!/^\d[A-Za-z0-9.+~-]*$/.test(upstream)) return false;
	if (hasRevision && !/^[A-Za-z0-9.+~]+$/.test(revision)) return false;
	return true;
}

/** `v` is a valid version and not older than `min`; a missing or malformed `v` is never "at least". */
export function versionAtLeast(v: string, min: string): boolean {
	return isValidDebianVersion(v) && compareDebianVersions(v, min) >= 0;
}

/** Debian's releases by major version, as /etc/debian_version and os-release name them. */
const CODENAMES: Record<number, string> = {11: 'bullseye', 12: 'bookworm', 13: 'trixie', 14: 'forky'};

/** Which Debian release a host runs, from what base-files installs. */
export type DebianRelease = {
	/** 12, 13 ...; null for a testing or unstable system ("trixie/sid") or when nothing says. */
	major: number | null;
	/** bookworm, trixie ...; null when neither file names or implies one. */
	codename: string | null;
	/** What /etc/debian_version says, trimmed ("13.2", "trixie/sid"); null when the file is missing. */
	version: string | null;
};

/**
 * `/etc/debian_version` holds "12.12" on a point release, "13.0" right after
 * the upgrade, "trixie/sid" on testing; `/etc/os-release` has VERSION_ID="13"
 * and VERSION_CODENAME=trixie (no VERSION_ID on testing). base-files writes
 * both in the same unpack, so they only disagree on a hand-edited system;
 * debian_version wins then, since it is what the upgrade's own steps look at.
 */
export function parseDebianRelease(debianVersion: string | null, osRelease: string | null): DebianRelease {
	const version = debianVersion?.split('\n')[0]?.trim() || null;
	const fields = Object.fromEntries(
		(osRelease ?? '')
			.split('\n')
			.map(l => /^([A-Z_]+)=("?)(.*)\2\s*$/.exec(l.trim()))
			.filter((m): m is RegExpExecArray => m !== null)
			.map(m => [m[1]!, m[3]!]),
	);
	const numbered = version ? /^(\d+)(?:\.\d+)*$/.exec(version) : null;
	if (numbered) {
		const major = Number(numbered[1]);
		return {major, codename: CODENAMES[major] ?? fields.VERSION_CODENAME ?? null, version};
	}
	const named = version ? /^([a-z]+)\/sid$/.exec(version) : null;
	if (named) return {major: null, codename: named[1]!, version};
	const id = fields.VERSION_ID && /^\d+$/.test(fields.VERSION_ID) ? Number(fields.VERSION_ID) : null;
	return {major: id, codename: fields.VERSION_CODENAME || (id !== null ? (CODENAMES[id] ?? null) : null), version};
}
