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
