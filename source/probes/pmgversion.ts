/**
 * `pmgversion` and `pmgversion -v` (pmg-api, src/PMG/CLI/pmgversion.pm).
 *
 * Short form, PMG::pmgcfg's package/version/repoid and `uname -r`:
 *   pmg-api/8.2.7/3e5a2d5d (running kernel: 6.8.12-4-pve)
 *
 * Verbose form, one line per package of PMG::API2::APT->versions. The
 * meta-package comes first (proxmox-mailgateway, or
 * proxmox-mailgateway-container inside a container) and only it carries the
 * API version and the kernel:
 *   proxmox-mailgateway: 8.2.0 (API: 8.2.7/3e5a2d5d, running kernel: 6.8.12-4-pve)
 *   pmg-api: 8.2.7
 *   libjs-extjs: 7.0.0-4
 *   zfsutils-linux: not correctly installed
 * "not correctly installed" is printed for every package whose dpkg state is
 * not Installed, even the meta-package (then before its "(API: ...)"); PMG 9
 * prints "residual config" instead for a package removed without purging
 * (dpkg state ConfigFiles), which is no error.
 */
import {outputLines} from './ansi.ts';
import {isValidDebianVersion} from './debian-version.ts';

/** What pmgversion tells about the installed Proxmox Mail Gateway. */
export type PmgVersionFacts = {
	/** Version of the pmg-api code on disk, e.g. 8.2.7; null when the output does not say. */
	pmgApi: string | null;
	/** `uname -r` as pmgversion saw it, e.g. 6.8.12-4-pve. */
	runningKernel: string | null;
	/** Package name to version, or to the text pmgversion printed instead (`not correctly installed`). */
	packages: Record<string, string>;
	problems: string[];
};

const SHORT = /^pmg-api\/([^/\s]+)\/(\S+)(?:\s+\(running kernel:\s*([^)]*)\))?\s*$/;
const META = /^(proxmox-mailgateway(?:-container)?):\s*(.*?)\s*\(API:\s*([^,)]*?)\s*,\s*running kernel:\s*([^)]*?)\s*\)\s*$/;
const PACKAGE = /^([a-z0-9][a-z0-9+.-]+):\s+(.+?)\s*$/;

/** A value pmgversion prints for a package: a version or one of its "not ... installed" notes. */
const isPackageValue = (value: string) => isValidDebianVersion(value) || /^(not (correctly )?installed|residual config)$/.test(value);

/** Read `pmgversion` or `pmgversion -v` output. */
export function parsePmgVersion(text: string): PmgVersionFacts {
	const facts: PmgVersionFacts = {pmgApi: null, runningKernel: null, packages: {}, problems: []};
	const lines = outputLines(text).map(l => l.trim());
	if (lines.every(l => l === '')) {
		facts.problems.push('pmgversion printed nothing: is this a Proxmox Mail Gateway (package pmg-api)?');
		return facts;
	}
	let apiFromHeader: string | null = null;
	for (const line of lines) {
		const short = SHORT.exec(line);
		if (short) {
			apiFromHeader = short[1]!;
			facts.runningKernel = short[3]?.trim() || null;
			continue;
		}
		const meta = META.exec(line);
		if (meta) {
			facts.packages[meta[1]!] = meta[2]!;
			// "8.2.7/3e5a2d5d": the version, then the git commit it was built from.
			apiFromHeader = meta[3]!.split('/')[0]!.trim() || null;
			facts.runningKernel = meta[4]!.trim() || null;
			continue;
		}
		// Anything else that looks like "word: text" is only a package line when
		// the text is a version: perl's locale warnings ("perl: warning: ...")
		// land in the same stream on hosts with a broken locale.
		const pkg = PACKAGE.exec(line);
		if (pkg && isPackageValue(pkg[2]!)) facts.packages[pkg[1]!] = pkg[2]!;
	}

	// The header's API version is what the running code says of itself; the
	// pmg-api package line is dpkg's record and can only confirm it.
	const listed = facts.packages['pmg-api'];
	facts.pmgApi = apiFromHeader && isValidDebianVersion(apiFromHeader) ? apiFromHeader : listed && isValidDebianVersion(listed) ? listed : null;
	if (listed !== undefined && !isValidDebianVersion(listed)) facts.problems.push(`pmg-api is ${listed}: run "dpkg --configure -a" and "apt -f install" first`);
	if (facts.pmgApi === null && listed === undefined) facts.problems.push('no pmg-api version in the output of pmgversion: is this a Proxmox Mail Gateway?');
	return facts;
}
