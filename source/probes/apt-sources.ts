/**
 * apt's package sources in both of its formats, read the way apt itself
 * reads them (apt-pkg/sourcelist.cc and tagfile.cc):
 *
 * One-line style (sources.list, *.list):
 *   deb [ arch=amd64 signed-by=/usr/share/keyrings/x.gpg ] http://deb.debian.org/debian bookworm main contrib
 * A `#` starts a comment anywhere on the line, except inside an unclosed
 * `[`; the option block may be written `[arch=amd64]` without spaces.
 *
 * deb822 style (*.sources): stanzas of `Field: value` lines separated by
 * empty lines, field names case-insensitive, continuation lines start with a
 * space or tab. Only a `#` in the first column makes a comment; a `#` later
 * in a line is part of the value, so `Suites: bookworm # old` has three
 * suites for apt.
 *
 * Line numbers are kept so that errors and leftovers can name file and line,
 * and rewriting replaces only the suite words it means to change.
 */
import {diffArrays} from 'diff';

/** One entry apt would use (or, for `Enabled: no` stanzas, skip). */
export type SourceEntry = {
	path: string;
	/** 1-based: the line of a one-line entry, the first field line of a stanza. */
	line: number;
	enabled: boolean;
	types: string[];
	uris: string[];
	suites: string[];
	components: string[];
	/** Option name to value, deb822 fields under their one-line names (Signed-By -> signed-by, Architectures -> arch). */
	options: Record<string, string>;
};

/** Something apt would refuse, with what to do about it. */
export type SourceError = {path: string; line: number; message: string};

/** One parsed sources file. */
export type SourcesFile = {path: string; format: 'list' | 'deb822'; entries: SourceEntry[]; errors: SourceError[]};

/** Where a suite word sits in the text: 0-based line and character offsets. */
type Span = {line: number; start: number; end: number};

type Located = {entry: SourceEntry; suiteSpans: Span[]; enabledField: {line: number; nameEnd: number} | null};

type Parsed = {file: SourcesFile; located: Located[]};

const formatOf = (path: string): 'list' | 'deb822' => (path.endsWith('.sources') ? 'deb822' : 'list');

/** Lines without their line ends; a CR before LF stays out of the content. */
const contentOf = (raw: string) => (raw.endsWith('\r') ? raw.slice(0, -1) : raw);

const isBlank = (c: string | undefined) => c === ' ' || c === '\t' || c === '\v' || c === '\f' || c === '\r';

// apt's ParseStanza skips a stanza only when `StringToBool(Enabled) == false`.
// StringToBool takes a whole string strtol reads as 0 or 1 (so also 0x0, 00,
// -0), then, case-insensitively, no/false/without/off/disable as false and
// yes/true/with/on/enable as true; for anything else it returns its default,
// -1, which is not false. So `Enabled: maybe` and an empty `Enabled:` leave
// the stanza enabled (checked with apt 2.6.1, apt-get update --print-uris).
/** Whether apt uses a stanza with this `Enabled` value. */
export function aptEnabled(value: string): boolean {
	const v = value.trim();
	if (v === '') return true;
	const number = /^[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(v);
	if (number) {
		const digits = number[1]!;
		const n = /^0[xX]/.test(digits) ? Number.parseInt(digits.slice(2), 16) : digits.startsWith('0') ? Number.parseInt(digits, 8) : Number(digits);
		const signed = v.startsWith('-') ? -n : n;
		if (signed === 0) return false;
		if (signed === 1) return true;
	}
	return !['no', 'false', 'without', 'off', 'disable'].includes(v.toLowerCase());
}

// ---------------------------------------------------------------- one-line

/** The part of a one-line entry apt reads: up to a `#` that is not inside an open `[`. */
function codeOf(content: string): string {
	let open = 0;
	for (let i = 0; i < content.length; i++) {
		const c = content[i];
		if (c === '[') open++;
		else if (c === ']') open = Math.max(0, open - 1);
		else if (c === '#' && open === 0) return content.slice(0, i);
	}
	return content;
}

type Word = {text: string; start: number; end: number};

function wordsFrom(code: string, from: number): Word[] {
	const words: Word[] = [];
	let i = from;
	while (i < code.length) {
		while (i < code.length && isBlank(code[i])) i++;
		if (i >= code.length) break;
		const start = i;
		while (i < code.length && !isBlank(code[i])) i++;
		words.push({text: code.slice(start, i), start, end: i});
	}
	return words;
}

type OneLine = {type: string; options: Record<string, string>; uri: string; suite: Word; components: string[]};

const FIX_LIST = 'apt stops at this line: fix it, or comment it out with #';

function parseOneLine(code: string): OneLine | string {
	let i = 0;
	while (isBlank(code[i])) i++;
	const typeStart = i;
	while (i < code.length && !isBlank(code[i])) i++;
	const type = code.slice(typeStart, i);
	if (/^deb(-src)?\[/.test(type)) return `"${type}" needs a space between ${type.split('[')[0]} and [`;
	if (type !== 'deb' && type !== 'deb-src') return `"${type}" is not deb or deb-src`;

	while (isBlank(code[i])) i++;
	const options: Record<string, string> = {};
	if (code[i] === '[') {
		i++;
		for (;;) {
			while (isBlank(code[i])) i++;
			if (i >= code.length) return 'the option block [ ... ] is not closed with ]';
			if (code[i] === ']') break;
			const start = i;
			while (i < code.length && !isBlank(code[i]) && code[i] !== ']') i++;
			const option = code.slice(start, i);
			const eq = option.indexOf('=');
			if (eq <= 0) return `option "${option}" in [ ] needs the form name=value (e.g. arch=amd64)`;
			if (eq === option.length - 1) return `option "${option}" in [ ] has no value`;
			options[option.slice(0, eq)] = option.slice(eq + 1);
		}
		i++;
	}

	const [uri, suite, ...components] = wordsFrom(code, i);
	const shape = 'a deb line needs a URI, a suite and (unless the suite ends in /) components';
	if (!uri || !suite) return shape;
	if (!uri.text.includes(':')) return `"${uri.text}" is not a URI (http://, https://, file:/, cdrom:...); ${shape}`;
	if (suite.text.endsWith('/') && components.length > 0) return `suite "${suite.text}" ends in / (an exact path), so it takes no components`;
	if (!suite.text.endsWith('/') && components.length === 0) return `${shape}: suite "${suite.text}" has no component (e.g. main)`;
	return {type, options, uri: uri.text, suite, components: components.map(c => c.text)};
}

function parseList(path: string, text: string): Parsed {
	const file: SourcesFile = {path, format: 'list', entries: [], errors: []};
	const located: Located[] = [];
	text.split('\n').forEach((raw, index) => {
		const code = codeOf(contentOf(raw));
		if (code.trim() === '') return;
		const line = index + 1;
		const parsed = parseOneLine(code);
		if (typeof parsed === 'string') {
			file.errors.push({path, line, message: `line ${line}: ${parsed}; ${FIX_LIST}`});
			return;
		}
		const entry: SourceEntry = {
			path,
			line,
			enabled: true,
			types: [parsed.type],
			uris: [parsed.uri],
			suites: [parsed.suite.text],
			components: parsed.components,
			options: parsed.options,
		};
		file.entries.push(entry);
		located.push({entry, suiteSpans: [{line: index, start: parsed.suite.start, end: parsed.suite.end}], enabledField: null});
	});
	return {file, located};
}

// ------------------------------------------------------------------ deb822

type Field = {
	name: string;
	/** 0-based index of the `Name:` line and the end of the name (the colon). */
	line: number;
	nameEnd: number;
	/** Value pieces: the rest of the first line, then each continuation line. */
	pieces: Array<{line: number; start: number; text: string}>;
};

type Stanza = {start: number; fields: Field[]};

/** apt's deb822 field names for options, and the one-line names they have in [ ]. */
const OPTION_NAMES: Record<string, string> = {
	architectures: 'arch',
	'architectures-add': 'arch+',
	'architectures-remove': 'arch-',
	languages: 'lang',
	'languages-add': 'lang+',
	'languages-remove': 'lang-',
	targets: 'target',
	'targets-add': 'target+',
	'targets-remove': 'target-',
	'signed-by': 'signed-by',
	trusted: 'trusted',
	'check-valid-until': 'check-valid-until',
	'valid-until-min': 'valid-until-min',
	'valid-until-max': 'valid-until-max',
	'check-date': 'check-date',
	'date-max-future': 'date-max-future',
	pdiffs: 'pdiffs',
	'by-hash': 'by-hash',
};
const ENTRY_FIELDS = new Set(['types', 'uris', 'suites', 'components', 'enabled']);

function splitStanzas(lines: string[]): {stanzas: Stanza[]; errors: Array<{line: number; message: string}>} {
	const stanzas: Stanza[] = [];
	const errors: Array<{line: number; message: string}> = [];
	let current: Stanza | null = null;
	let last: Field | null = null;
	lines.forEach((raw, index) => {
		const content = contentOf(raw);
		const line = index + 1;
		if (content === '') {
			current = null;
			last = null;
			return;
		}
		// apt drops comment lines before it looks for stanzas, so a comment
		// neither ends a stanza nor interrupts a multi-line field.
		if (content.startsWith('#')) return;
		if (content.trim() === '') {
			// For apt this is a continuation line, not a separator: two stanzas
			// around it would run together.
			errors.push({line, message: `line ${line}: a line of only spaces or tabs does not separate stanzas for apt; make it empty`});
			current = null;
			last = null;
			return;
		}
		if (isBlank(content[0])) {
			if (!last) {
				errors.push({line, message: `line ${line}: a continuation line (it starts with a space) with no field before it; remove the indent or the line`});
				return;
			}
			const start = content.length - content.trimStart().length;
			last.pieces.push({line: index, start, text: content.trim()});
			return;
		}
		const colon = content.indexOf(':');
		if (colon <= 0 || content.slice(0, colon).trim() === '') {
			errors.push({line, message: `line ${line}: "${content.trim()}" is not a "Field: value" line; apt cannot read this file until it is fixed or commented out with #`});
			return;
		}
		if (!current) {
			current = {start: index, fields: []};
			stanzas.push(current);
		}
		const valueStart = colon + 1 + (content.slice(colon + 1).length - content.slice(colon + 1).trimStart().length);
		last = {
			name: content.slice(0, colon).trim().toLowerCase(),
			line: index,
			nameEnd: colon,
			pieces: [{line: index, start: valueStart, text: content.slice(colon + 1).trim()}],
		};
		current.fields.push(last);
	});
	return {stanzas, errors};
}

/** Each whitespace-separated word of a field, with where it sits. */
function fieldWords(field: Field | undefined, lines: string[]): Array<Word & {line: number}> {
	const words: Array<Word & {line: number}> = [];
	for (const piece of field?.pieces ?? []) {
		const content = contentOf(lines[piece.line]!);
		for (const w of wordsFrom(content, piece.start)) words.push({...w, line: piece.line});
	}
	return words;
}

const fieldValue = (field: Field) =>
	field.pieces
		.map(p => (p.text === '.' ? '' : p.text))
		.join('\n')
		.replace(/^\n+/, '');

function parseDeb822(path: string, text: string): Parsed {
	const file: SourcesFile = {path, format: 'deb822', entries: [], errors: []};
	const located: Located[] = [];
	const lines = text.split('\n');
	const {stanzas, errors} = splitStanzas(lines);
	file.errors.push(...errors.map(e => ({path, ...e})));

	for (const stanza of stanzas) {
		const line = stanza.start + 1;
		const problems: string[] = [];
		const byName = new Map<string, Field>();
		for (const f of stanza.fields) {
			// apt reads the last of two equal fields; say so, it is rarely meant.
			if (byName.has(f.name)) problems.push(`field ${f.name} appears twice (line ${f.line + 1}); keep one`);
			byName.set(f.name, f);
		}
		const words = (name: string) => fieldWords(byName.get(name), lines).map(w => w.text);
		const enabledField = byName.get('enabled');
		const enabled = enabledField ? aptEnabled(fieldValue(enabledField)) : true;
		const types = words('types');
		const uris = words('uris');
		const suiteWords = fieldWords(byName.get('suites'), lines);
		const suites = suiteWords.map(w => w.text);
		const components = words('components');

		// apt checks Types before it looks at Enabled, so even a disabled
		// stanza without a usable Types field stops it.
		if (types.length === 0) problems.push('the stanza has no Types field; add "Types: deb"');
		for (const t of types) if (t !== 'deb' && t !== 'deb-src') problems.push(`type "${t}" is not deb or deb-src`);
		if (enabled) {
			if (uris.length === 0) problems.push('the stanza has no URIs field (e.g. "URIs: http://deb.debian.org/debian")');
			for (const u of uris) if (!u.includes(':')) problems.push(`"${u}" is not a URI (http://, https://, file:/ ...)`);
			if (suites.length === 0) problems.push('the stanza has no Suites field (e.g. "Suites: bookworm")');
			const exact = suites.filter(s => s.endsWith('/'));
			if (exact.length > 0 && components.length > 0) problems.push(`suite ${exact[0]} ends in / (an exact path), so the stanza takes no Components`);
			if (suites.some(s => !s.endsWith('/')) && components.length === 0) problems.push('the stanza has no Components field (e.g. "Components: main")');
		}
		if (problems.length > 0) {
			for (const p of problems) file.errors.push({path, line, message: `line ${line}: ${p}`});
			continue;
		}

		const options: Record<string, string> = {};
		for (const [name, field] of byName) if (!ENTRY_FIELDS.has(name)) options[OPTION_NAMES[name] ?? name] = fieldValue(field);
		const entry: SourceEntry = {path, line, enabled, types, uris, suites, components, options};
		file.entries.push(entry);
		located.push({
			entry,
			suiteSpans: suiteWords.map(w => ({line: w.line, start: w.start, end: w.end})),
			enabledField: enabledField ? {line: enabledField.line, nameEnd: enabledField.nameEnd} : null,
		});
	}
	return {file, located};
}

function parse(path: string, text: string): Parsed {
	return formatOf(path) === 'deb822' ? parseDeb822(path, text) : parseList(path, text);
}

/** Parse a sources file; `.sources` is deb822, every other name one-line style (as apt decides). */
export function parseSourcesFile(path: string, text: string): SourcesFile {
	return parse(path, text).file;
}

/**
 * Entries that apt reads as one source (same URI and suite, in one file or
 * in two) with different Signed-By values. Two different keyrings: apt
 * refuses the whole configuration (`E: Conflicting values set for option
 * Signed-By regarding source <uri> <suite>: <a> != <b>`, checked with apt
 * 2.6), every apt update and install fails until one goes (`refused`). One
 * entry with Signed-By and one without: apt 2.6 takes it (checked), but the
 * same repository twice is a trap for the repository changes of the
 * upgrade (not refused, reported).
 */
export function signedByConflicts(files: SourcesFile[]): Array<SourceError & {refused: boolean}> {
	const bySource = new Map<string, Array<{entry: SourceEntry; signedBy: string}>>();
	for (const file of files) {
		for (const entry of file.entries) {
			if (!entry.enabled) continue;
			for (const uri of entry.uris) {
				for (const suite of entry.suites) {
					const key = `${uri.replace(/\/+$/, '')} ${suite}`;
					const list = bySource.get(key) ?? [];
					list.push({entry, signedBy: entry.options['signed-by'] ?? ''});
					bySource.set(key, list);
				}
			}
		}
	}
	const errors: Array<SourceError & {refused: boolean}> = [];
	for (const [source, list] of bySource) {
		const values = [...new Set(list.map(x => x.signedBy))];
		if (values.length < 2) continue;
		const refused = values.filter(v => v !== '').length >= 2;
		const where = list.map(x => `${x.entry.path}:${x.entry.line} (Signed-By ${x.signedBy || 'not set'})`);
		const first = list[0]!.entry;
		errors.push({
			path: first.path,
			line: first.line,
			refused,
			message: refused
				? `${source} is configured more than once with different Signed-By: ${where.join(' and ')}. apt refuses every update ("Conflicting values set for option Signed-By"): keep one of them (remove or disable the other), then check again.`
				: `${source} is configured twice, once without Signed-By: ${where.join(' and ')}. apt reads them as one; remove the duplicate so that the upgrade's repository changes do what they say.`,
		});
	}
	return errors;
}

// --------------------------------------------------------------- suites

/** Whether `suite` belongs to release `codename`: bookworm, bookworm-updates, bookworm-security, bookworm/updates. */
export function isSuiteOf(suite: string, codename: string): boolean {
	return suite === codename || suite.startsWith(`${codename}-`) || suite.startsWith(`${codename}/`);
}

/** The suite of release `to` matching `suite` of release `from`; the old `from/updates` security form becomes `to-security`. */
export function renameSuite(suite: string, from: string, to: string): string {
	if (!isSuiteOf(suite, from)) return suite;
	if (suite === `${from}/updates`) return `${to}-security`;
	return to + suite.slice(from.length);
}

/** Enabled entries using release `codename`, each with the suites that do. */
export function findSuiteEntries(files: SourcesFile[], codename: string): Array<{entry: SourceEntry; suites: string[]}> {
	const found: Array<{entry: SourceEntry; suites: string[]}> = [];
	for (const file of files)
		for (const entry of file.entries) {
			if (!entry.enabled) continue;
			const suites = entry.suites.filter(s => isSuiteOf(s, codename));
			if (suites.length > 0) found.push({entry, suites});
		}
	return found;
}

type Edit = {line: number; start: number; end: number; text: string};

/** Apply edits, several per line allowed, right to left so offsets stay valid. */
function applyEdits(lines: string[], edits: Edit[]): number[] {
	const sorted = [...edits].sort((a, b) => a.line - b.line || b.start - a.start);
	const changed = new Set<number>();
	for (const e of sorted) {
		const raw = lines[e.line]!;
		const next = raw.slice(0, e.start) + e.text + raw.slice(e.end);
		if (next !== raw) changed.add(e.line + 1);
		lines[e.line] = next;
	}
	return [...changed].sort((a, b) => a - b);
}

// Only the suite words are replaced, by position: comments, disabled entries,
// URIs that contain the codename, options, spacing and line ends stay
// byte-identical, which a text replace could not promise.
/** Move the suites of enabled entries (those `include` accepts, by default all) from release `from` to `to`. */
export function rewriteSuites(
	path: string,
	text: string,
	from: string,
	to: string,
	include: (entry: SourceEntry) => boolean = () => true,
): {text: string; changedLines: number[]} {
	const lines = text.split('\n');
	const edits: Edit[] = [];
	for (const {entry, suiteSpans} of parse(path, text).located) {
		if (!entry.enabled || !include(entry)) continue;
		for (const span of suiteSpans) {
			const word = lines[span.line]!.slice(span.start, span.end);
			if (isSuiteOf(word, from)) edits.push({...span, text: renameSuite(word, from, to)});
		}
	}
	const changedLines = applyEdits(lines, edits);
	return {text: lines.join('\n'), changedLines};
}

// A one-line entry gets `# ` in front; a stanza gets its Enabled field set to
// `no`, or a new `Enabled: no` line before its first field.
/** Disable the enabled entries `include` accepts. */
export function disableEntries(path: string, text: string, include: (entry: SourceEntry) => boolean): {text: string; changedLines: number[]} {
	const lines = text.split('\n');
	const edits: Edit[] = [];
	const inserts: number[] = [];
	for (const {entry, enabledField} of parse(path, text).located) {
		if (!entry.enabled || !include(entry)) continue;
		const index = entry.line - 1;
		if (formatOf(path) === 'list') edits.push({line: index, start: 0, end: 0, text: '# '});
		else if (enabledField) {
			const content = contentOf(lines[enabledField.line]!);
			edits.push({line: enabledField.line, start: enabledField.nameEnd + 1, end: content.length, text: ' no'});
		} else inserts.push(index);
	}
	const changed = new Set(applyEdits(lines, edits));
	// Insert bottom-up so earlier indexes stay valid; report final line numbers.
	const sortedInserts = [...inserts].sort((a, b) => b - a);
	for (const index of sortedInserts) {
		const ending = lines[index]!.endsWith('\r') ? '\r' : '';
		lines.splice(index, 0, `Enabled: no${ending}`);
	}
	const shifted = [...changed].map(n => n + sortedInserts.filter(i => i < n).length);
	const inserted = [...inserts].sort((a, b) => a - b).map((index, k) => index + k + 1);
	return {text: lines.join('\n'), changedLines: [...shifted, ...inserted].sort((a, b) => a - b)};
}

// ----------------------------------------------------------------- diff

const diffLines = (text: string) => {
	if (text === '') return [];
	const lines = text.split('\n');
	if (lines[lines.length - 1] === '') lines.pop();
	return lines;
};

type Op = {kind: ' ' | '-' | '+'; text: string; oldLine: number; newLine: number};

/** Edit script between two line lists: common prefix and suffix, jsdiff's Myers diff (removals first) in between. */
function diffOps(a: string[], b: string[]): Op[] {
	let head = 0;
	while (head < a.length && head < b.length && a[head] === b[head]) head++;
	let tail = 0;
	while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
	const midA = a.slice(head, a.length - tail);
	const midB = b.slice(head, b.length - tail);
	// A sources file too different for a bounded search is shown as a
	// whole-block replacement instead, still correct, only less minimal.
	const changes = diffArrays(midA, midB, {maxEditLength: 1000}) ?? [
		{value: midA, removed: true, added: false, count: midA.length},
		{value: midB, removed: false, added: true, count: midB.length},
	];
	const ops: Op[] = [];
	let oldLine = 1;
	let newLine = 1;
	const same = (text: string) => ops.push({kind: ' ', text, oldLine: oldLine++, newLine: newLine++});
	a.slice(0, head).forEach(same);
	for (const change of changes) {
		for (const text of change.value) {
			if (change.removed) ops.push({kind: '-', text, oldLine: oldLine++, newLine});
			else if (change.added) ops.push({kind: '+', text, oldLine, newLine: newLine++});
			else same(text);
		}
	}
	a.slice(a.length - tail).forEach(same);
	return ops;
}

// Identical texts give the two header lines only; CRs are left out of the
// shown lines, so a CRLF file reads like any other.
/** A unified diff with one line of context, for the operator to read before anything is written. */
export function lineDiff(oldText: string, newText: string, path: string, kind: 'change' | 'create' | 'remove' = 'change'): string {
	const ops = diffOps(diffLines(oldText), diffLines(newText));
	// A file made or removed says so in its headers, as diff -N does with /dev/null.
	const out = kind === 'create' ? ['--- /dev/null', `+++ ${path} (new file)`] : kind === 'remove' ? [`--- ${path}`, `+++ /dev/null (${path} removed)`] : [`--- ${path}`, `+++ ${path} (new)`];
	const CONTEXT = 1;
	let k = 0;
	while (k < ops.length) {
		if (ops[k]!.kind === ' ') {
			k++;
			continue;
		}
		// A hunk: changes plus context, merged while the gap is at most 2*CONTEXT.
		let start = k;
		for (let c = 0; c < CONTEXT && start > 0 && ops[start - 1]!.kind === ' '; c++) start--;
		let end = k;
		for (;;) {
			while (end < ops.length && ops[end]!.kind !== ' ') end++;
			let gap = 0;
			while (end + gap < ops.length && ops[end + gap]!.kind === ' ') gap++;
			if (end + gap < ops.length && gap <= 2 * CONTEXT) end += gap;
			else {
				end += Math.min(gap, CONTEXT);
				break;
			}
		}
		const hunk = ops.slice(start, end);
		const oldCount = hunk.filter(o => o.kind !== '+').length;
		const newCount = hunk.filter(o => o.kind !== '-').length;
		const first = hunk[0]!;
		const oldStart = oldCount === 0 ? first.oldLine - 1 : first.oldLine;
		const newStart = newCount === 0 ? first.newLine - 1 : first.newLine;
		out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
		for (const o of hunk) out.push(`${o.kind}${o.text.replace(/\r$/, '')}`);
		k = end;
	}
	return out.join('\n');
}
