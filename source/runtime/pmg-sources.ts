/**
 * The repository switch of the PMG upgrade, as a plan of file changes:
 * which entries move from bookworm to trixie, which belong to other vendors
 * (the operator decides), and how the PMG 8 repository entry goes away.
 * Pure: text in, changes out; the runtime reads and writes the files.
 */
import type {FileChange} from '../../machines/kit.ts';
import {PMG9_REPOSITORIES, type PmgFacts, type RepositoryChoice} from '../../machines/pmg-8-to-9.ts';
import {disableEntries, findSuiteEntries, lineDiff, parseSourcesFile, rewriteSuites, signedByConflicts, type SourceEntry, type SourcesFile} from '../probes/apt-sources.ts';

export const SOURCES_LIST = '/etc/apt/sources.list';
export const SOURCES_DIR = '/etc/apt/sources.list.d';

export type EntryKind = 'pmg' | 'debian' | 'proxmox' | 'third-party';

/** Who publishes an entry: decides whether the wizard switches it by itself. */
export function entryKind(entry: SourceEntry): EntryKind {
	const uris = entry.uris.map(u => u.toLowerCase());
	if (uris.some(u => /proxmox\.com\/debian\/pmg\/?$/.test(u))) return 'pmg';
	if (uris.some(u => /^[a-z+]+:\/\/([^/]*\.)?proxmox\.com\//.test(u))) return 'proxmox';
	// Only Debian's own hosts: many vendors publish under a path ending in
	// /debian (download.docker.com/linux/debian) without a trixie release.
	// A local mirror is listed with the other vendors' entries, where the
	// operator can choose to switch it.
	if (uris.some(u => /^[a-z+]+:\/\/([^/]*\.)?debian\.org(:\d+)?\//.test(u))) return 'debian';
	return 'third-party';
}

const isBookworm = (suite: string) => suite === 'bookworm' || suite.startsWith('bookworm-') || suite.startsWith('bookworm/');

export type SourcesInput = Array<{path: string; text: string}>;

/** Everything the repository steps need to know, from the current files. */
export function planSources(
	input: SourcesInput,
	choices: {thirdParty?: string; repository?: string},
	pmgRepoCurrent: string | null,
): NonNullable<PmgFacts['sources']> {
	const files: SourcesFile[] = input.map(f => parseSourcesFile(f.path, f.text));
	const errors = [...files.flatMap(f => f.errors), ...signedByConflicts(files).filter(e => e.refused)].map(e => ({path: e.path, line: e.line, message: e.message}));
	const bookworm = findSuiteEntries(files, 'bookworm');
	const leftovers = bookworm.map(({entry, suites}) => ({path: entry.path, line: entry.line, uri: entry.uris[0] ?? '', suites}));
	const thirdParty = bookworm
		.filter(({entry}) => entryKind(entry) === 'third-party')
		.map(({entry, suites}) => ({path: entry.path, line: entry.line, uri: entry.uris[0] ?? '', suites}));

	const switchKinds = new Set<EntryKind>(['debian', 'proxmox', ...(choices.thirdParty === 'switch' ? (['third-party'] as const) : [])]);
	const plan: FileChange[] = [];
	const oldPmg: FileChange[] = [];
	for (const [index, file] of files.entries()) {
		const before = input[index]!.text;
		let after = rewriteSuites(file.path, before, 'bookworm', 'trixie', e => switchKinds.has(entryKind(e))).text;
		if (choices.thirdParty === 'disable') {
			after = disableEntries(file.path, after, e => entryKind(e) === 'third-party' && e.suites.some(isBookworm)).text;
		}
		if (after !== before) plan.push({path: file.path, before, after, diff: lineDiff(before, after, file.path)});

		const pmgEntries = file.entries.filter(e => e.enabled && entryKind(e) === 'pmg' && e.suites.some(isBookworm));
		if (pmgEntries.length > 0) {
			const others = file.entries.filter(e => e.enabled && !pmgEntries.includes(e));
			const removeWhole = others.length === 0 && file.path !== SOURCES_LIST;
			const result = removeWhole ? null : disableEntries(file.path, before, e => pmgEntries.some(p => p.line === e.line)).text;
			oldPmg.push({
				path: file.path,
				before,
				after: result,
				diff: removeWhole ? lineDiff(before, '', file.path, 'remove') : lineDiff(before, result ?? '', file.path),
			});
		}
	}

	const choice = choices.repository as RepositoryChoice | undefined;
	const repo = choice ? PMG9_REPOSITORIES[choice] : undefined;
	const pmgRepo: FileChange | null = repo
		? {path: repo.path, before: pmgRepoCurrent, after: repo.content, diff: lineDiff(pmgRepoCurrent ?? '', repo.content, repo.path, pmgRepoCurrent === null ? 'create' : 'change')}
		: null;
	return {plan, thirdParty, leftovers, errors, oldPmg, pmgRepo};
}

/** What `apt modernize-sources` (apt 3) will do to one .list file. */
export type ModernizeConversion = {
	/** The one-line file, e.g. /etc/apt/sources.list. */
	from: string;
	/** The deb822 file its entries go to; apt adds them at its end when it exists. */
	to: string;
	entries: number;
	/** `to` exists already: the entries are appended to it. */
	appends: boolean;
	/** Where apt moves `from`: `<from>.bak`. */
	backup: string;
	/** A file of that name exists and is replaced. */
	replacesBackup: boolean;
};

/** An entry of a .list that the .sources it goes to holds already: apt would list it twice. */
export type ModernizeDuplicate = {from: string; line: number; to: string; toLine: number; uri: string; suite: string};

export type ModernizePlan = {conversions: ModernizeConversion[]; duplicates: ModernizeDuplicate[]};

const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const sameUri = (a: string, b: string) => a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();

/**
 * What apt 3's modernize-sources will do with the files that are there:
 * each enabled-or-not .list is converted (sources.list to debian.sources
 * when its entries are Debian's, else to moved-from-main.sources; NAME.list
 * in sources.list.d to NAME.sources), the converted entries are added to the
 * end of a .sources that exists already, and the .list is renamed to
 * .list.bak. Entries the target file holds already would be there twice.
 */
export function planModernize(input: SourcesInput, existing: ReadonlySet<string> = new Set()): ModernizePlan {
	const files = input.map(f => parseSourcesFile(f.path, f.text));
	const byPath = new Map(files.map(f => [f.path, f]));
	const conversions: ModernizeConversion[] = [];
	const duplicates: ModernizeDuplicate[] = [];
	for (const file of files) {
		if (file.format !== 'list' || file.entries.length === 0) continue;
		let to: string;
		if (file.path === SOURCES_LIST) {
			const debian = file.entries.every(e => entryKind(e) === 'debian' || e.options['signed-by'] === DEBIAN_KEYRING);
			to = `${SOURCES_DIR}/${debian ? 'debian' : 'moved-from-main'}.sources`;
		} else {
			to = file.path.replace(/\.list$/, '.sources');
		}
		const target = byPath.get(to);
		conversions.push({
			from: file.path,
			to,
			entries: file.entries.length,
			appends: target !== undefined,
			backup: `${file.path}.bak`,
			replacesBackup: existing.has(`${file.path}.bak`),
		});
		for (const entry of target ? file.entries.filter(e => e.enabled) : []) {
			for (const suite of entry.suites) {
				const twin = target!.entries.find(
					t =>
						t.enabled &&
						t.suites.includes(suite) &&
						t.types.some(type => entry.types.includes(type)) &&
						t.uris.some(u => entry.uris.some(v => sameUri(u, v))) &&
						t.components.some(c => entry.components.includes(c)),
				);
				if (twin) duplicates.push({from: file.path, line: entry.line, to, toLine: twin.line, uri: entry.uris[0] ?? '', suite});
			}
		}
	}
	return {conversions, duplicates};
}
