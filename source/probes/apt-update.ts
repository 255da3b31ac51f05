/**
 * What `apt update` (apt 2.6 of bookworm, apt 3.0 of trixie) says about the
 * repositories it could not read. apt reports an unreachable repository as a
 * warning and exits 0 ("W: Failed to fetch ...", "W: Some index files failed
 * to download. They have been ignored, or old ones used instead."); a refused
 * or unsigned one as an error with exit status 100. Either way its package
 * lists are stale: the parser names each repository (URI, suite) and why.
 * apt 3 spells the prefixes out ("Warning:", "Error:"); both are read.
 */
import {stripAnsi} from './ansi.ts';

export type AptFetchFailure = {
	/** The repository's URI as in the sources (no trailing slash), e.g. http://deb.debian.org/debian. */
	uri: string;
	/** The suite, e.g. bookworm-security; '' for a flat repository. */
	suite: string;
	/** apt's words for why, e.g. "Could not connect to download.proxmox.com:80 (127.0.0.1), connection timed out". */
	reason: string;
	/** Whether apt counted it as an error (exit 100) or only warned (exit 0). */
	level: 'error' | 'warning';
};

export type AptUpdateReport = {
	failures: AptFetchFailure[];
	/** E:/Error: lines that name no repository (e.g. a configuration conflict). */
	errors: string[];
	/** apt said it ignored index files or used old ones. */
	staleLists: boolean;
};

const PREFIX = /^(W|E|N|Warning|Error|Notice):\s?(.*)$/;

/** `http://host/path/dists/<suite>/<file...>` -> the repository's URI and suite. */
function splitIndexUrl(url: string): {uri: string; suite: string} {
	const at = url.indexOf('/dists/');
	if (at >= 0) return {uri: url.slice(0, at), suite: url.slice(at + '/dists/'.length).split('/')[0] ?? ''};
	// A flat repository ("deb http://host/path ./"): the file sits in the URI itself.
	return {uri: url.replace(/\/[^/]*$/, ''), suite: ''};
}

const normalUri = (uri: string) => uri.replace(/\/+$/, '');
/** `bookworm/pmg-enterprise` in an Err: line names the suite bookworm. */
const suiteOf = (token: string) => token.split('/')[0] ?? '';

export function parseAptUpdate(text: string): AptUpdateReport {
	const lines = stripAnsi(text).replaceAll('\r', '').split('\n');
	const byKey = new Map<string, AptFetchFailure>();
	const errors: string[] = [];
	let staleLists = false;

	const add = (uri: string, suite: string, reason: string, level: 'error' | 'warning') => {
		const key = `${normalUri(uri)} ${suite}`;
		const known = byKey.get(key);
		const cleaned = reason.replace(/\s+/g, ' ').trim();
		if (!known) {
			byKey.set(key, {uri: normalUri(uri), suite, reason: cleaned, level});
			return;
		}
		if (level === 'error') known.level = 'error';
		if (cleaned && !known.reason.includes(cleaned)) known.reason = known.reason ? `${known.reason}; ${cleaned}` : cleaned;
	};

	/** Indented lines after line i: the rest of a message. */
	const continuation = (i: number): {text: string; next: number} => {
		const parts: string[] = [];
		let j = i + 1;
		while (j < lines.length && /^\s+\S/.test(lines[j]!) && !PREFIX.test(lines[j]!.trim())) parts.push(lines[j++]!.trim());
		return {text: parts.join(' '), next: j};
	};

	for (let i = 0; i < lines.length; i++) {
		const raw = lines[i]!;
		const err = /^Err:\d+\s+(\S+)\s+(\S+)/.exec(raw);
		if (err) {
			const {text: reason, next} = continuation(i);
			// The level is decided by the W:/E: line that follows; a warning until then.
			add(err[1]!, suiteOf(err[2]!), reason, 'warning');
			i = next - 1;
			continue;
		}
		const prefixed = PREFIX.exec(raw);
		if (!prefixed) continue;
		const level = prefixed[1]!.startsWith('E') ? 'error' : prefixed[1]!.startsWith('W') ? 'warning' : null;
		const message = prefixed[2]!.trim();
		const {text: more, next} = continuation(i);
		i = next - 1;
		if (level === null) continue;
		const fetch = /^Failed to fetch (\S+)\s*(.*)$/.exec(message);
		if (fetch) {
			const {uri, suite} = splitIndexUrl(fetch[1]!);
			add(uri, suite, `${fetch[2]!} ${more}`, level);
			continue;
		}
		const repository = /^The repository '(\S+)\s+(\S+)(?:\s+\S+)?' (.*)$/.exec(message);
		if (repository) {
			add(repository[1]!, suiteOf(repository[2]!), repository[3]!.replace(/\.$/, ''), level);
			continue;
		}
		const gpg = /^GPG error: (\S+)\s+(\S+)(?:\s+\S+)?: (.*)$/.exec(message);
		if (gpg) {
			add(gpg[1]!, suiteOf(gpg[2]!), `${gpg[3]!} ${more}`, level);
			continue;
		}
		if (/^Some index files failed to download/.test(message)) {
			staleLists = true;
			continue;
		}
		if (level === 'error') errors.push(`${message}${more ? ` ${more}` : ''}`);
	}
	return {failures: [...byKey.values()], errors, staleLists};
}

/** A repository the upgrade needs, by the host in its URI: one of `hosts` or a subdomain of one. */
export function isNeededRepository(uri: string, hosts: readonly string[]): boolean {
	const host = /^[a-z+]+:\/\/(?:[^@/]*@)?([^/:]+)/i.exec(uri)?.[1]?.toLowerCase();
	if (!host) return false;
	return hosts.some(h => host === h || host.endsWith(`.${h}`));
}

/** Lines for the screen and the transcript: each failed repository and why. */
export function describeFailures(report: AptUpdateReport, needed: readonly string[]): string[] {
	return [
		...report.failures.map(f => {
			const what = `${f.uri} ${f.suite}`.trim();
			const kind = isNeededRepository(f.uri, needed) ? 'could not be read' : 'could not be read (not needed for the upgrade)';
			return `${what} ${kind}: ${f.reason || 'apt gave no reason'}`;
		}),
		...report.errors.map(e => `apt: ${e}`),
	];
}
