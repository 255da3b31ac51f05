/**
 * Parsers for the read-only looks of `upgrade-wizard check` that the upgrade
 * steps do not need: pending updates, addresses, certificates, DKMS modules,
 * the SSH client's ciphers, apt suites. Each reads a command's real output
 * (samples in test/probes/samples) and says what it could not read.
 */
import {outputLines} from './ansi.ts';
import type {SourceEntry} from './apt-sources.ts';

/**
 * `apt list --upgradable`: "Listing..." then one line per package,
 * `name/suite[,suite] version arch [upgradable from: old]`. apt's warning
 * about its CLI goes to stderr.
 */
export function parseUpgradable(stdout: string): Array<{name: string; version: string; from: string | null}> {
	const out: Array<{name: string; version: string; from: string | null}> = [];
	for (const line of outputLines(stdout)) {
		const m = /^([a-z0-9][a-z0-9+.-]*)\/\S+\s+(\S+)\s+\S+(?:\s+\[upgradable from: ([^\]]+)\])?/.exec(line.trim());
		if (m) out.push({name: m[1]!, version: m[2]!, from: m[3] ?? null});
	}
	return out;
}

/** `ip -o addr show`: the addresses configured on each interface (lo included). */
export function parseIpAddr(stdout: string): Array<{ifname: string; address: string}> {
	const out: Array<{ifname: string; address: string}> = [];
	for (const line of outputLines(stdout)) {
		const m = /^\d+:\s+(\S+?)(?:@\S+)?\s+inet6?\s+([0-9a-fA-F.:]+)\/\d+/.exec(line);
		if (m) out.push({ifname: m[1]!, address: m[2]!.toLowerCase()});
	}
	return out;
}

/** `getent hosts NAME`: the first address it resolves to, or null (exit 2: not found). */
export function parseGetentHosts(stdout: string): string | null {
	const first = outputLines(stdout).find(l => l.trim() !== '');
	return first ? first.trim().split(/\s+/)[0]!.toLowerCase() : null;
}

export type KeyInfo = {type: 'RSA' | 'EC' | 'other'; algorithm: string; bits: number | null};

/** `openssl x509 -noout -text`: the public key's algorithm and size. */
export function parseX509Key(stdout: string): KeyInfo | null {
	const algorithm = /Public Key Algorithm:\s*(\S+)/.exec(stdout)?.[1];
	if (!algorithm) return null;
	const bits = /Public-Key:\s*\((\d+) bit\)/.exec(stdout)?.[1];
	const type = algorithm === 'rsaEncryption' ? 'RSA' : algorithm === 'id-ecPublicKey' ? 'EC' : 'other';
	return {type, algorithm, bits: bits ? Number(bits) : null};
}

/** The smallest key the vendor's checklist accepts, by type (Debian's TLS security level since buster). */
export const MIN_KEY_BITS = {RSA: 2048, EC: 224} as const;

/** `dkms status`: one line per module/version/kernel; none is an empty output. */
export function parseDkmsStatus(stdout: string): string[] {
	return outputLines(stdout)
		.map(l => l.trim())
		.filter(l => l !== '');
}

/** Ciphers in an OpenSSH client config that the new OpenSSH no longer has (the checklist's own list). */
export function weakSshCiphers(config: string): Array<{line: number; cipher: string}> {
	const out: Array<{line: number; cipher: string}> = [];
	config.split('\n').forEach((raw, index) => {
		const line = raw.replace(/#.*/, '').trim();
		const m = /^ciphers(?:\s*=\s*|\s+)(.+)$/i.exec(line);
		if (!m) return;
		for (const cipher of m[1]!.split(',').map(c => c.trim().replace(/^[+\-^]/, ''))) {
			if (/blowfish|arcfour|3des/i.test(cipher)) out.push({line: index + 1, cipher});
		}
	});
	return out;
}

/** A suite without its pocket: bookworm-security -> bookworm, debian-trixie -> trixie. */
export function baseSuite(suite: string): string {
	return suite
		.replace(/\/.*$/, '')
		.replace(/-(?:(?:proposed-)?updates|backports|security)$/, '')
		.replace(/^debian-/, '');
}

/** Enabled entries grouped by base suite: mixed old and new suites, and suites that are neither. */
export function suiteMix(entries: SourceEntry[], old: string, next: string) {
	const enabled = entries.filter(e => e.enabled);
	const at = (e: SourceEntry) => `${e.path}:${e.line}`;
	const withSuite = enabled.flatMap(e => e.suites.map(s => ({entry: e, suite: baseSuite(s)})));
	return {
		old: withSuite.filter(x => x.suite === old).map(x => at(x.entry)),
		next: withSuite.filter(x => x.suite === next).map(x => at(x.entry)),
		// A flat repository ("./") or a path suite has no codename to compare.
		unusual: withSuite.filter(x => x.suite !== old && x.suite !== next && x.suite !== '.' && x.suite !== '').map(x => `${at(x.entry)} (${x.suite})`),
	};
}
