/**
 * What dpkg and ucf leave under /etc after an upgrade (a kept configuration
 * file's new version, an old one kept aside, a file never put in place),
 * found through the Host seam: the wizard lists them after the
 * dist-upgrade, `check pmg` on an upgraded host.
 */
import type {Host} from '../host/types.ts';

/** What dpkg and ucf leave beside a configuration file, and what to do with each. */
export const LEFTOVERS = [
	{
		suffix: '.dpkg-dist',
		severity: 'NOTICE',
		what: "the package's new version, not installed because you kept yours",
		hint: 'Compare it with yours, carry over what the new version needs, then remove it.',
		diff: (base: string, file: string) => `diff -u ${base} ${file}`,
	},
	{
		suffix: '.ucf-dist',
		severity: 'NOTICE',
		what: "the package's new version (ucf), not installed because you kept yours",
		hint: 'Compare it with yours, carry over what the new version needs, then remove it.',
		diff: (base: string, file: string) => `diff -u ${base} ${file}`,
	},
	{
		suffix: '.dpkg-old',
		severity: 'NOTICE',
		what: "your version from before, kept when you took the package's",
		hint: 'Carry over the changes of yours you still need into the new file, then remove it.',
		diff: (base: string, file: string) => `diff -u ${file} ${base}`,
	},
	{
		suffix: '.ucf-old',
		severity: 'NOTICE',
		what: "your version from before (ucf), kept when you took the package's",
		hint: 'Carry over the changes of yours you still need into the new file, then remove it.',
		diff: (base: string, file: string) => `diff -u ${file} ${base}`,
	},
	{
		suffix: '.dpkg-new',
		severity: 'WARN',
		what: 'unpacked by dpkg but never put in place: a package was left half-configured',
		hint: 'Let dpkg finish configuring; it puts the file in place or asks about it.',
		diff: () => 'dpkg --configure -a',
	},
	{
		suffix: '.ucf-new',
		severity: 'NOTICE',
		what: "ucf's copy of the package's new version",
		hint: 'Compare it with yours, carry over what you need, then remove it.',
		diff: (base: string, file: string) => `diff -u ${base} ${file}`,
	},
] as const;

/** How deep under /etc the search goes, and how many directories it reads at most. */
export const ETC_DEPTH = 8;
export const ETC_DIRS = 4000;

/** Files under /etc whose name ends in one of the suffixes; stops at the limits above and says so. */
export async function findUnderEtc(host: Host, suffixes: readonly string[]): Promise<{files: string[]; cut: boolean; unreadable: string[]}> {
	const files: string[] = [];
	const unreadable: string[] = [];
	const queue: Array<{dir: string; depth: number}> = [{dir: '/etc', depth: 0}];
	let read = 0;
	while (queue.length > 0) {
		const {dir, depth} = queue.shift()!;
		if (++read > ETC_DIRS) return {files: files.sort(), cut: true, unreadable};
		// A directory only root may read (/etc/ssl/private) is skipped and named.
		const names = await host.listDir(dir).catch(() => null);
		if (names === null) {
			unreadable.push(dir);
			continue;
		}
		for (const name of names) {
			const path = `${dir}/${name}`;
			if (suffixes.some(s => name.endsWith(s))) {
				if ((await host.stat(path).catch(() => null))?.isFile) files.push(path);
				continue;
			}
			if (depth + 1 >= ETC_DEPTH) continue;
			const info = await host.stat(path).catch(() => null);
			if (info?.isDirectory) queue.push({dir: path, depth: depth + 1});
		}
	}
	return {files: files.sort(), cut: false, unreadable};
}

/** Every leftover file under /etc, each with what it is, what to do, and the command that shows it. */
export async function configLeftovers(host: Host): Promise<{files: Array<{path: string; suffix: string; what: string; hint: string; command: string}>; partial: boolean}> {
	const {files, cut, unreadable} = await findUnderEtc(host, LEFTOVERS.map(l => l.suffix));
	const out = [];
	for (const path of files) {
		const kind = LEFTOVERS.find(l => path.endsWith(l.suffix))!;
		const base = path.slice(0, -kind.suffix.length);
		out.push({path, suffix: kind.suffix, what: kind.what, hint: kind.hint, command: kind.diff(base, path)});
	}
	return {files: out, partial: cut || unreadable.length > 0};
}
