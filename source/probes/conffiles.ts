/**
 * dpkg's questions about configuration files: which ones it will likely ask
 * (a conffile changed here, in a package the upgrade replaces), and, while
 * apt runs on the terminal, the moment it asks (its prompt in the output).
 *
 * - `dpkg-query -W -f='${Package}\t${Conffiles}\n'`: a package, a tab, then
 *   its conffiles one per line as " /path md5 [obsolete] [remove-on-upgrade]
 *   [newconffile]" (the first on the package's own line).
 * - `apt-get -s dist-upgrade`: "Inst pkg [old] (new ...)" per package.
 * - `md5sum -- FILE...`: "md5  path"; a missing file is on stderr.
 * - dpkg's prompt: "Configuration file '/etc/x'", its explanation, then
 *   "*** x (Y/I/N/O/D/Z) [default=N] ? " and it waits.
 * - ucf (through debconf): "A new version (...) of configuration file /etc/x
 *   is available, but the version installed currently has been locally
 *   modified."
 */
import {outputLines, stripAnsi} from './ansi.ts';

export type Conffile = {path: string; md5: string; obsolete: boolean};

export function parseConffiles(stdout: string): Map<string, Conffile[]> {
	const byPackage = new Map<string, Conffile[]>();
	let current: Conffile[] | null = null;
	for (const line of outputLines(stdout)) {
		let rest = line;
		const tab = line.indexOf('\t');
		if (!line.startsWith(' ') && tab > 0) {
			current = [];
			// Architecture-qualified names (libc6:amd64) count as the package.
			byPackage.set(line.slice(0, tab).replace(/:[a-z0-9]+$/, ''), current);
			rest = line.slice(tab + 1);
		}
		const m = /^\s*(\/\S+)\s+([0-9a-f]{32}|newconffile)((?:\s+\S+)*)\s*$/.exec(rest);
		if (m && current) current.push({path: m[1]!, md5: m[2]!, obsolete: /\b(obsolete|remove-on-upgrade)\b/.test(m[3] ?? '')});
	}
	return byPackage;
}

/** The packages `apt-get -s dist-upgrade` would unpack a new version of. */
export function parseSimulatedUpgrade(stdout: string): Set<string> {
	const out = new Set<string>();
	for (const line of outputLines(stdout)) {
		const m = /^Inst (\S+?)(?::\S+)? \[/.exec(line);
		if (m) out.add(m[1]!);
	}
	return out;
}

/** The packages `apt-get -s dist-upgrade` would remove ("Remv pkg [version]"). */
export function parseSimulatedRemovals(stdout: string): string[] {
	const out: string[] = [];
	for (const line of outputLines(stdout)) {
		const m = /^Remv (\S+?)(?::\S+)? \[/.exec(line);
		if (m) out.push(m[1]!);
	}
	return out;
}

/**
 * Why apt cannot install what it was asked for: the lines of its "The
 * following packages have unmet dependencies:" block, as apt prints them
 * (" pmg-api : Depends: libfoo but it is not installable"), continuation
 * lines joined to the package's line.
 */
export function parseUnmetDependencies(output: string): string[] {
	const out: string[] = [];
	let inBlock = false;
	for (const line of outputLines(output)) {
		if (/^The following packages have unmet dependencies:/.test(line)) {
			inBlock = true;
			continue;
		}
		if (!inBlock) continue;
		if (/^\s+\S+ : /.test(line)) out.push(line.trim().replace(/\s+/g, ' '));
		else if (/^\s{4,}\S/.test(line) && out.length > 0) out.push(`${out.at(-1)!.split(' : ')[0]} : ${line.trim().replace(/\s+/g, ' ')}`);
		else inBlock = false;
	}
	return out;
}

export function parseMd5sum(stdout: string): Map<string, string> {
	const out = new Map<string, string>();
	for (const line of outputLines(stdout)) {
		const m = /^\\?([0-9a-f]{32}) [ *](.+)$/.exec(line);
		if (m) out.set(m[2]!, m[1]!);
	}
	return out;
}

export type PredictedPrompt = {path: string; package: string};

/**
 * Conffiles dpkg may ask about: changed here since dpkg recorded them, in a
 * package the upgrade replaces. It asks only if the new version changed the
 * file too, which only the new package knows: "may ask".
 */
export function predictPrompts(conffiles: Map<string, Conffile[]>, upgraded: Set<string>, current: Map<string, string>): PredictedPrompt[] {
	const out: PredictedPrompt[] = [];
	for (const [pkg, files] of conffiles) {
		if (!upgraded.has(pkg)) continue;
		for (const file of files) {
			if (file.obsolete || file.md5 === 'newconffile') continue;
			const now = current.get(file.path);
			// A deleted conffile stays deleted, without a question.
			if (now !== undefined && now !== file.md5) out.push({path: file.path, package: pkg});
		}
	}
	return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** What the vendor says to answer for a file; `files` entries ending in / cover a directory. */
export type ConffileAdvice = {files: string[]; answer: string; why: string};

export const GENERIC_ADVICE = {
	answer: 'D, then decide (not in the vendor\'s list)',
	why: 'D shows the difference; keep yours (N) if the change is yours and still needed, take the maintainer\'s (Y) if you never changed it on purpose',
};

export function adviceFor(path: string, list: ConffileAdvice[]): {answer: string; why: string; known: boolean} {
	const hit = list.find(a => a.files.some(f => (f.endsWith('/') ? path.startsWith(f) : path === f)));
	return hit ? {answer: hit.answer, why: hit.why, known: true} : {...GENERIC_ADVICE, known: false};
}

export type PromptEvent = {kind: 'dpkg'; path: string; prompt: string} | {kind: 'ucf'; path: string} | {kind: 'apt'; prompt: string; defaultYes: boolean};

/**
 * Watches a command's terminal output, chunk by chunk, for dpkg's and ucf's
 * questions about configuration files. dpkg's is complete when its "***"
 * line arrives (it then waits for the answer); it is reported once each
 * time it is asked (again after D).
 */
export class PromptWatcher {
	private pending = '';
	private file: string | null = null;
	private readonly reportedUcf = new Set<string>();
	/** dpkg's question is on screen, unanswered: reported already. */
	private asking = false;

	constructor(private readonly onPrompt: (event: PromptEvent) => void) {}

	write(chunk: string) {
		// A cursor jump (a dialog's next row) separates words like a newline.
		const text = stripAnsi(chunk.replace(/\u001B\[\d*(;\d*)?[Hf]/g, '\n').replace(/\u001B[78()][0-9A-Za-z]?/g, ''));
		this.ucf(text);
		this.pending += text.replace(/\r\n/g, '\n').replace(/\r/g, '\n');
		// Whole lines, then the unfinished last one: dpkg's question has no newline.
		const lines = this.pending.split('\n');
		this.pending = lines.pop() ?? '';
		for (const line of lines) {
			this.line(line);
			// An answered question (its line ended) may be asked again, after D.
			this.asking = false;
		}
		// apt's own question (apt 2.6 and 3.0): also without a newline, waiting for the answer.
		const apt = APT_PROMPT.exec(this.pending);
		if (apt && !this.asking) {
			this.asking = true;
			this.onPrompt({kind: 'apt', prompt: this.pending.trim(), defaultYes: apt[1] === 'Y/n'});
		}
		if (this.pending !== '' && !this.asking && PROMPT.test(this.pending) && this.file) {
			this.asking = true;
			this.onPrompt({kind: 'dpkg', path: this.file, prompt: this.pending.trim()});
		}
	}

	private line(text: string) {
		const configuration = /Configuration file '([^']+)'/.exec(text);
		if (configuration) this.file = configuration[1]!;
	}

	/** ucf's question is drawn in a dialog, wrapped over its rows: read with the rows joined. */
	private recent = '';

	private ucf(text: string) {
		this.recent = `${this.recent} ${text}`.replace(/\s+/g, ' ').slice(-4000);
		for (const m of this.recent.matchAll(/A new version \([^)]*\) of configuration file (\/\S+) is available/g)) {
			if (this.reportedUcf.has(m[1]!)) continue;
			this.reportedUcf.add(m[1]!);
			this.onPrompt({kind: 'ucf', path: m[1]!});
		}
	}
}

const PROMPT = /^\s*\*\*\* \S+ \(Y\/I\/N\/O\/D\/Z\) \[default=[YN]\] \?\s*$/;
/** apt's questions: "Do you want to continue? [Y/n]", apt 3's "Continue? [Y/n]", after a warning "Continue anyway? [y/N]". */
const APT_PROMPT = /(?:Do you want to continue|Continue|Continue anyway)\? \[(Y\/n|y\/N)\]\s*$/;
