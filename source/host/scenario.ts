/**
 * Scenario files: the public, documented YAML format (docs/scenarios.md) that
 * describes one simulated host. Trainers write them by hand, so every field
 * is checked strictly and a mistake is reported with its file, line and
 * field, what is wrong and what to do about it.
 *
 * A file may extend another (`extends:`): maps merge key by key, file
 * systems are replaced per mount, and the extending file's commands come
 * first so that they win.
 */
import {createHash} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {PARSED_LAYERS} from './scenario-cache.ts';
import {isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Scalar} from 'yaml';
import {parseSize} from '../shared/size.ts';
import {escapeControls} from '../probes/ansi.ts';

export const PRODUCTS = ['pmg', 'vmm', 'puremessage'] as const;
export type Product = (typeof PRODUCTS)[number];
export const DIFFICULTIES = ['easy', 'medium', 'hard'] as const;
export type Difficulty = (typeof DIFFICULTIES)[number];

/** How many files an `extends` chain may have, the scenario itself included. */
export const MAX_EXTENDS_DEPTH = 8;

/** Where something was written: `scenarios/pmg/clean.yaml:14`. */
export type Origin = {path: string; line: number};

/** A file of the simulated host as the scenario gives it. */
export type ScenarioFile = {
	content: string;
	/** Modification time; null: one day before the simulation first started. */
	mtimeMs: number | null;
	mode: number;
	/** Size stat reports instead of the content's length (a placeholder for a big archive). */
	size: number | null;
};

export type ServiceSpec = {active: boolean; enabled: boolean; masked: boolean};

export type Filesystem = {mount: string; sizeBytes: number; freeBytes: number};

/** A `when` condition; paths may hold `$1` or `$<name>` from the entry's `match`. */
export type Condition =
	| {kind: 'file_exists' | 'file_missing'; path: string}
	| {kind: 'file_contains' | 'not_file_contains'; path: string; text: string};

/** A change a command makes to the simulated host, applied after its output. */
export type Effect =
	| {kind: 'write'; path: string; content: string; mode: number | null; size: number | null}
	| {kind: 'remove'; path: string}
	/** Added to the end of the file (created if missing), as apt 3's modernize-sources adds to an existing .sources. */
	| {kind: 'append'; path: string; content: string}
	| {kind: 'move'; from: string; to: string}
	/** `relative`: `bytes` is added to the current figure (negative: used up). */
	| {kind: 'free'; mount: string; bytes: number; relative: boolean}
	| {kind: 'service'; unit: string; active?: boolean; enabled?: boolean; masked?: boolean}
	| {kind: 'reboot'};

/** One `commands[]` entry. */
export type CommandEntry = {
	/** Tested against the displayed command line (displayCommand); not anchored unless written with ^ and $. */
	match: RegExp;
	/** All conditions must hold. */
	when: Condition[];
	stdout: string;
	stderr: string;
	exit: number;
	/** Seconds the output takes (simulated time; real time scaled by the host's speed). */
	duration: number;
	effects: Effect[];
	/**
	 * What follows when apt's question in `stdout` ("[Y/n]") is answered no;
	 * null: apt's "Abort.", exit status 1, nothing changed.
	 */
	onNo: {stdout: string; stderr: string; exit: number; effects: Effect[]} | null;
	/** dpkg's conffile questions in `stdout`: the package maintainer's version of each file asked about. */
	conffiles: Record<string, string>;
	/** A "Password:" line in `stdout` asks for this password; another one fails the command. */
	password: string | null;
	/** Where the entry is written, and its index there: for messages. */
	origin: Origin & {index: number};
};

/**
 * Who answers the questions of a command run on the terminal: the trainee
 * (as on a real host), or the answers written in the scenario's output
 * (for the generated docs and tests that are not about the questions).
 */
export const ANSWERS = ['trainee', 'scripted'] as const;
export type Answers = (typeof ANSWERS)[number];

export type Scenario = {
	/** The file as it was named to loadScenario/parseScenario. */
	path: string;
	/** The files merged into this scenario, the base first and this one last. */
	chain: string[];
	product: Product;
	title: string;
	description: string;
	difficulty: Difficulty | null;
	/** Who answers apt's, dpkg's and the password questions (default: the trainee). */
	answers: Answers;
	/**
	 * Database users' passwords: pg_dump, psql, createdb or dropdb run with
	 * -W (set-permissions.py with -a) ask for the password of their -U user.
	 */
	passwords: Record<string, string>;
	/**
	 * What the trainee is meant to type on the simulated host's command line
	 * (the wizard's ! key) to get past the scenario's stop; the walks of the
	 * docs and the tests type it, a trainee types their own.
	 */
	solution: string[];
	host: {hostname: string; user: string; uid: number};
	env: Record<string, string>;
	filesystems: Filesystem[];
	files: Record<string, ScenarioFile>;
	services: Record<string, ServiceSpec>;
	/** In matching order: the first entry whose `match` and `when` hold wins. */
	commands: CommandEntry[];
	/**
	 * The other servers of a multi-server deployment, by name: each its own
	 * scenario file (absolute path). This scenario is the machine the wizard runs on.
	 */
	servers: Record<string, string>;
	/**
	 * PureMessage: what the product's size check reports on each server of
	 * the deployment, as written (e.g. "12G"). The vendor procedure names no
	 * command for it, so a simulated deployment plays the figure and the
	 * wizard shows it to the trainee; a real server has none.
	 */
	sizeCheck: Record<string, string>;
};

/** A mistake in a scenario file, with where it is and what to do about it. */
export class ScenarioError extends Error {
	override readonly name = 'ScenarioError';
	constructor(
		/** The scenario file the mistake is in. */
		readonly path: string,
		/** 1-based line; 0 when the mistake has no line (the file cannot be read). */
		readonly line: number,
		/** Where in the scenario: `commands[3].match`, `files["/etc/hosts"].mode`; '' for a YAML syntax error. */
		readonly field: string,
		/** What is wrong, without the location. */
		readonly problem: string,
		/** What to do about it. */
		readonly hint: string,
	) {
		// Keys and values quoted from the file may hold any byte: shown escaped, never obeyed by the terminal.
		super(escapeControls(`${path}${line > 0 ? `:${line}` : ''}: ${field ? `${field}: ` : ''}${problem}${hint ? ` — ${hint}` : ''}`));
	}
}

/** Read and check a scenario file and the files it extends. */
export async function loadScenario(file: string): Promise<Scenario> {
	let text: string;
	try {
		text = await readFile(file, 'utf8');
	} catch (error) {
		throw new ScenarioError(file, 0, '', `cannot read the scenario file: ${(error as Error).message}`, 'check the path');
	}
	return parseScenario(text, file);
}

/**
 * Check a scenario given as text. `file` names it in messages and is the
 * folder `extends` is relative to; `readExtended` reads an extended file
 * (node:fs by default).
 */
export async function parseScenario(text: string, file: string, readExtended: (file: string) => Promise<string> = f => readFile(f, 'utf8')): Promise<Scenario> {
	const layers: Layer[] = [];
	let current: Layer = parseLayer(text, file);
	layers.unshift(current);
	const seen = [path.resolve(file)];
	while (current.extends) {
		const {value, line} = current.extends;
		const target = path.isAbsolute(value) ? value : path.join(path.dirname(current.path), value);
		const resolved = path.resolve(target);
		if (seen.includes(resolved)) {
			const cycle = [...seen.slice(seen.indexOf(resolved)), resolved].map(p => path.relative(process.cwd(), p) || p).join(' -> ');
			throw new ScenarioError(current.path, line, 'extends', `extends itself in a cycle: ${cycle}`, 'a scenario may extend another only if that one does not lead back to it');
		}
		if (seen.length >= MAX_EXTENDS_DEPTH) {
			throw new ScenarioError(current.path, line, 'extends', `more than ${MAX_EXTENDS_DEPTH} files in the extends chain`, 'extend a scenario closer to the base');
		}
		let baseText: string;
		try {
			baseText = await readExtended(target);
		} catch (error) {
			throw new ScenarioError(
				current.path,
				line,
				'extends',
				`cannot read "${value}" (${target}): ${(error as Error).message}`,
				"check the file name: it is relative to this file's folder",
			);
		}
		seen.push(resolved);
		current = parseLayer(baseText, target);
		layers.unshift(current);
	}
	return mergeLayers(layers);
}

// ---------------------------------------------------------------------------
// One file

/**
 * What one file says; merged with the files it extends afterwards. Nothing
 * in it depends on where the file is but `path` and the commands'
 * `origin.path`: the build keeps the bundled files' layers by content.
 */
export type Layer = {
	path: string;
	line: number;
	product?: {value: Product; line: number};
	title: string;
	description: string;
	difficulty: Difficulty | null;
	answers?: Answers;
	passwords: Record<string, string>;
	solution?: string[];
	extends?: {value: string; line: number};
	host: Partial<{hostname: string; user: string; uid: number}>;
	env: Record<string, string>;
	filesystems: Array<Filesystem & {line: number}>;
	/** null: the file does not exist here (removes one the base has). */
	files: Record<string, ScenarioFile | null>;
	services: Record<string, Partial<ServiceSpec>>;
	commands: CommandEntry[];
	/** As written: relative to the file's folder, or absolute. */
	servers: Record<string, string>;
	sizeCheck: Record<string, string>;
	sizeCheckLine?: number;
	/** `free` effects, checked against the merged file systems. */
	freeEffects: Array<{mount: string; line: number; field: string}>;
};

const TOP_KEYS = ['product', 'title', 'description', 'difficulty', 'answers', 'passwords', 'solution', 'extends', 'host', 'env', 'filesystems', 'files', 'services', 'commands', 'servers', 'size_check'];

/**
 * A file's layer: the one the build made of the same text (the bundled
 * scenarios, source/build-plugins.mjs), or parsed and checked now. Parsing
 * the default scenario's 60 KB was a fifth of the wizard's start.
 */
function parseLayer(text: string, file: string): Layer {
	const cached = PARSED_LAYERS[layerKey(text)];
	return cached === undefined ? parseLayerText(text, file) : layerFromCache(cached, file);
}

/** The key of a file's text among the layers the build made. */
export const layerKey = (text: string) => createHash('sha256').update(text).digest('base64');

/** A layer as the build keeps it: JSON, a regular expression as its source. */
export function layerToCache(layer: Layer): string {
	// Without the file's path, which is put back on reading.
	return JSON.stringify({...layer, path: '', commands: layer.commands.map(command => ({...command, match: command.match.source, origin: {...command.origin, path: ''}}))});
}

/** A kept layer, as the file `file` would have given it. */
export function layerFromCache(json: string, file: string): Layer {
	const kept = JSON.parse(json) as Omit<Layer, 'commands'> & {commands: Array<Omit<CommandEntry, 'match'> & {match: string}>};
	return {...kept, path: file, commands: kept.commands.map(command => ({...command, match: new RegExp(command.match), origin: {...command.origin, path: file}}))};
}

/** Parse and check one file's text. */
export function parseLayerText(text: string, file: string): Layer {
	const lineCounter = new LineCounter();
	const doc = parseDocument(text, {lineCounter, prettyErrors: true, uniqueKeys: true});
	const syntax = doc.errors[0];
	if (syntax) {
		const line = syntax.linePos?.[0]?.line ?? 0;
		const first = (syntax.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
		throw new ScenarioError(file, line, '', `YAML syntax error: ${first}`, 'check the indentation, quoting and colons on this line and the one before');
	}
	const r = new Reader(file, doc, lineCounter);
	const root = doc.contents;
	if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) {
		throw new ScenarioError(file, 1, '', 'the file is empty', 'a scenario needs at least product and title (see docs/scenarios.md)');
	}
	const top = r.map(root, '', TOP_KEYS, 'a scenario is a mapping of keys like product:, title:, commands:');
	const layer: Layer = {
		path: file,
		line: r.line(root),
		title: '',
		description: '',
		difficulty: null,
		passwords: {},
		host: {},
		env: {},
		filesystems: [],
		files: {},
		services: {},
		commands: [],
		servers: {},
		sizeCheck: {},
		freeEffects: [],
	};
	const title = top.get('title');
	if (!title) throw r.missing(root, '', 'title', 'add a one-line title, e.g. title: Clean single-node PMG 8.2 host');
	for (const [key, {value, keyNode}] of top) {
		switch (key) {
			case 'product':
				layer.product = {value: r.oneOf(value, 'product', PRODUCTS), line: r.line(keyNode)};
				break;
			case 'title':
				layer.title = r.text(value, 'title', {nonEmpty: true});
				break;
			case 'description':
				layer.description = r.text(value, 'description');
				break;
			case 'difficulty':
				layer.difficulty = r.oneOf(value, 'difficulty', DIFFICULTIES);
				break;
			case 'answers':
				layer.answers = r.oneOf(value, 'answers', ANSWERS);
				break;
			case 'solution':
				layer.solution = r.seq(value, 'solution').map((item, k) => r.text(item, `solution[${k}]`, {nonEmpty: true}));
				break;
			case 'passwords':
				for (const [user, entry] of r.map(value, 'passwords', null)) layer.passwords[user] = r.text(entry.value, `passwords.${user}`, {nonEmpty: true, numbers: true});
				break;
			case 'extends':
				layer.extends = {value: r.text(value, 'extends', {nonEmpty: true}), line: r.line(keyNode)};
				break;
			case 'host':
				layer.host = readHost(r, value);
				break;
			case 'env':
				layer.env = readEnv(r, value);
				break;
			case 'filesystems':
				layer.filesystems = readFilesystems(r, value);
				break;
			case 'files':
				layer.files = readFiles(r, value);
				break;
			case 'services':
				layer.services = readServices(r, value);
				break;
			case 'commands':
				layer.commands = r.seq(value, 'commands').map((item, index) => readCommand(r, item, index, layer));
				break;
			case 'servers':
				for (const [name, entry] of r.map(value, 'servers', null)) {
					if (!/^[A-Za-z0-9][\w.-]*$/.test(name)) throw r.fail(entry.keyNode, `servers.${name}`, `"${name}" is not a server name`, 'use letters, digits, dots, dashes and _, as in the deployment file');
					const file = r.text(entry.value, `servers.${name}`, {nonEmpty: true});
					layer.servers[name] = file;
				}
				break;
			case 'size_check':
				layer.sizeCheckLine = r.line(keyNode);
				for (const [name, entry] of r.map(value, 'size_check', null)) {
					if (!/^[A-Za-z0-9][\w.-]*$/.test(name)) throw r.fail(entry.keyNode, `size_check.${name}`, `"${name}" is not a server name`, 'use the server names of the deployment file');
					r.size(entry.value, `size_check.${name}`);
					layer.sizeCheck[name] = r.text(entry.value, `size_check.${name}`, {nonEmpty: true, numbers: true}).trim();
				}
				break;
		}
	}
	return layer;
}

function readHost(r: Reader, node: Node | null): Layer['host'] {
	const host: Layer['host'] = {};
	for (const [key, {value}] of r.map(node, 'host', ['hostname', 'user', 'uid'])) {
		const field = `host.${key}`;
		if (key === 'uid') host.uid = r.integer(value, field, 0, 2 ** 32 - 1);
		else if (key === 'hostname') {
			const name = r.text(value, field, {nonEmpty: true});
			if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(name)) throw r.fail(value, field, `"${name}" is not a host name`, 'use letters, digits, dots and dashes, e.g. pmg1.example.lan');
			host.hostname = name;
		} else host.user = r.text(value, field, {nonEmpty: true});
	}
	return host;
}

function readEnv(r: Reader, node: Node | null): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [name, {value, keyNode}] of r.map(node, 'env', null)) {
		const field = `env.${name}`;
		if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw r.fail(keyNode, field, `"${name}" is not an environment variable name`, 'use letters, digits and _, not starting with a digit');
		env[name] = r.text(value, field, {numbers: true});
	}
	return env;
}

function readFilesystems(r: Reader, node: Node | null): Layer['filesystems'] {
	const list: Layer['filesystems'] = [];
	for (const [index, item] of r.seq(node, 'filesystems').entries()) {
		const field = `filesystems[${index}]`;
		const map = r.map(item, field, ['mount', 'size', 'free']);
		const mountNode = r.required(map, item, field, 'mount', 'add the mount point, e.g. mount: /');
		const sizeNode = r.required(map, item, field, 'size', 'add the size of the file system, e.g. size: 32G');
		const freeNode = r.required(map, item, field, 'free', 'add the free space, e.g. free: 20G');
		const mount = r.absolutePath(mountNode, `${field}.mount`);
		const sizeBytes = r.size(sizeNode, `${field}.size`);
		const freeBytes = r.size(freeNode, `${field}.free`);
		if (freeBytes > sizeBytes) throw r.fail(freeNode, `${field}.free`, 'more free space than the file system has', 'free must not exceed size');
		if (list.some(f => f.mount === mount)) throw r.fail(mountNode, `${field}.mount`, `mount ${mount} is listed twice`, 'list each mount point once');
		list.push({mount, sizeBytes, freeBytes, line: r.line(item)});
	}
	return list;
}

function readFiles(r: Reader, node: Node | null): Layer['files'] {
	const files: Layer['files'] = {};
	for (const [name, {value, keyNode}] of r.map(node, 'files', null)) {
		const field = `files[${JSON.stringify(name)}]`;
		const file = r.absolutePath(keyNode, field);
		if (value === null || (isScalar(value) && value.value === null)) {
			files[file] = null;
			continue;
		}
		if (isScalar(value) || isAlias(value)) {
			files[file] = {content: r.text(value, field), mtimeMs: null, mode: 0o644, size: null};
			continue;
		}
		const map = r.map(value, field, ['content', 'mtime', 'mode', 'size'], 'give the content as text, or a mapping with content: and optionally mtime:, mode:, size:');
		const content = r.required(map, value, field, 'content', 'add content: (use content: "" for an empty file)');
		const mtime = map.get('mtime');
		const mode = map.get('mode');
		const size = map.get('size');
		files[file] = {
			content: r.text(content, `${field}.content`),
			mtimeMs: mtime ? r.date(mtime.value, `${field}.mtime`) : null,
			mode: mode ? r.mode(mode.value, `${field}.mode`) : 0o644,
			size: size ? r.size(size.value, `${field}.size`) : null,
		};
	}
	return files;
}

function readServices(r: Reader, node: Node | null): Layer['services'] {
	const services: Layer['services'] = {};
	for (const [name, {value, keyNode}] of r.map(node, 'services', null)) {
		const unit = r.unitName(keyNode, `services.${name}`, name);
		const field = `services.${name}`;
		const spec: Partial<ServiceSpec> = {};
		if (!(value === null || (isScalar(value) && value.value === null))) {
			for (const [key, {value: v}] of r.map(value, field, ['active', 'enabled', 'masked'])) spec[key as keyof ServiceSpec] = r.boolean(v, `${field}.${key}`);
		}
		services[unit] = spec;
	}
	return services;
}

const COMMAND_KEYS = ['match', 'when', 'stdout', 'stderr', 'exit', 'duration', 'effects', 'on_no', 'conffiles', 'password'];

function readCommand(r: Reader, node: Node | null, index: number, layer: Layer): CommandEntry {
	const field = `commands[${index}]`;
	const map = r.map(node, field, COMMAND_KEYS, 'each entry is a mapping with match: and what the command answers');
	const matchNode = r.required(map, node, field, 'match', "add a regular expression for the command line, e.g. match: '^pmgversion -v$'");
	const source = r.text(matchNode, `${field}.match`, {nonEmpty: true});
	let match: RegExp;
	try {
		match = new RegExp(source);
	} catch (error) {
		const why = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
		throw r.fail(matchNode, `${field}.match`, `invalid regular expression ${JSON.stringify(source)}: ${why}`, 'escape special characters with \\ (e.g. \\( \\. \\$), or fix the pattern');
	}
	const groups = captureGroups(match);
	const entry: CommandEntry = {
		match,
		when: [],
		stdout: '',
		stderr: '',
		exit: 0,
		duration: 0,
		effects: [],
		onNo: null,
		conffiles: {},
		password: null,
		origin: {path: r.file, line: r.line(node), index},
	};
	for (const [key, {value}] of map) {
		const f = `${field}.${key}`;
		switch (key) {
			case 'when':
				entry.when = readWhen(r, value, f, groups);
				break;
			case 'stdout':
				entry.stdout = r.text(value, f);
				break;
			case 'stderr':
				entry.stderr = r.text(value, f);
				break;
			case 'exit':
				entry.exit = r.integer(value, f, 0, 255);
				break;
			case 'duration':
				entry.duration = r.number(value, f, 0, 24 * 3600, 'seconds, e.g. duration: 6 or 0.5');
				break;
			case 'effects':
				entry.effects = r.seq(value, f).map((item, k) => readEffect(r, item, `${f}[${k}]`, groups, layer));
				break;
			case 'on_no': {
				const m = r.map(value, f, ['stdout', 'stderr', 'exit', 'effects'], 'give what follows the answer n: stdout:, and optionally stderr:, exit:, effects:');
				const out = m.get('stdout');
				const err = m.get('stderr');
				const exit = m.get('exit');
				const effects = m.get('effects');
				entry.onNo = {
					stdout: out ? r.text(out.value, `${f}.stdout`) : '',
					stderr: err ? r.text(err.value, `${f}.stderr`) : '',
					exit: exit ? r.integer(exit.value, `${f}.exit`, 0, 255) : 0,
					effects: effects ? r.seq(effects.value, `${f}.effects`).map((item, k) => readEffect(r, item, `${f}.effects[${k}]`, groups, layer)) : [],
				};
				break;
			}
			case 'conffiles':
				for (const [name, {value: content, keyNode}] of r.map(value, f, null)) entry.conffiles[r.absolutePath(keyNode, `${f}[${JSON.stringify(name)}]`)] = r.text(content, `${f}[${JSON.stringify(name)}]`);
				break;
			case 'password':
				entry.password = r.text(value, f, {nonEmpty: true, numbers: true});
				break;
		}
	}
	return entry;
}

const CONDITIONS = ['file_exists', 'file_missing', 'file_contains', 'not_file_contains'] as const;

function readWhen(r: Reader, node: Node | null, field: string, groups: Groups): Condition[] {
	const resolved = r.resolve(node);
	const items = isSeq(resolved) ? r.seq(resolved, field).map((item, k) => ({item, f: `${field}[${k}]`})) : [{item: resolved, f: field}];
	const conditions: Condition[] = [];
	for (const {item, f} of items) {
		const map = r.map(item, f, [...CONDITIONS], 'a condition is a mapping like { file_exists: /etc/foo }');
		if (map.size === 0) throw r.fail(item, f, 'no condition given', `use one of ${CONDITIONS.join(', ')}, or remove when:`);
		for (const [key, {value}] of map) {
			const kf = `${f}.${key}`;
			if (key === 'file_exists' || key === 'file_missing') {
				conditions.push({kind: key, path: r.pathTemplate(value, kf, groups)});
			} else {
				const m = r.map(value, kf, ['path', 'text'], 'give path: and text:');
				const p = r.required(m, value, kf, 'path', 'add the file to look in, e.g. path: /etc/apt/sources.list');
				const t = r.required(m, value, kf, 'text', 'add the text to look for, e.g. text: trixie');
				conditions.push({kind: key as 'file_contains' | 'not_file_contains', path: r.pathTemplate(p, `${kf}.path`, groups), text: r.text(t, `${kf}.text`, {nonEmpty: true})});
			}
		}
	}
	return conditions;
}

const EFFECTS = ['write', 'append', 'remove', 'move', 'free', 'service', 'reboot'];

function readEffect(r: Reader, node: Node | null, field: string, groups: Groups, layer: Layer): Effect {
	const map = r.map(node, field, EFFECTS, 'an effect is a mapping with one key, like - remove: /etc/foo');
	if (map.size !== 1) throw r.fail(node, field, map.size === 0 ? 'no effect given' : `${map.size} effects in one item (${[...map.keys()].join(', ')})`, `write each effect as its own list item, one of: ${EFFECTS.join(', ')}`);
	const [key, {value}] = [...map][0]!;
	const f = `${field}.${key}`;
	switch (key) {
		case 'write': {
			const m = r.map(value, f, ['path', 'content', 'mode', 'size'], 'give path: and content:');
			const p = r.required(m, value, f, 'path', 'add the file to write');
			const c = r.required(m, value, f, 'content', 'add content: (use content: "" for an empty file)');
			const mode = m.get('mode');
			const size = m.get('size');
			return {
				kind: 'write',
				path: r.pathTemplate(p, `${f}.path`, groups),
				content: r.text(c, `${f}.content`),
				mode: mode ? r.mode(mode.value, `${f}.mode`) : null,
				size: size ? r.size(size.value, `${f}.size`) : null,
			};
		}
		case 'remove':
			return {kind: 'remove', path: r.pathTemplate(value, f, groups)};
		case 'append': {
			const m = r.map(value, f, ['path', 'content'], 'give path: and content:');
			const p = r.required(m, value, f, 'path', 'add the file to add to');
			const c = r.required(m, value, f, 'content', 'add content: (the text added at its end)');
			return {kind: 'append', path: r.pathTemplate(p, `${f}.path`, groups), content: r.text(c, `${f}.content`)};
		}
		case 'move': {
			const m = r.map(value, f, ['from', 'to'], 'give from: and to:');
			const from = r.required(m, value, f, 'from', 'add the file to move');
			const to = r.required(m, value, f, 'to', 'add where it goes');
			return {kind: 'move', from: r.pathTemplate(from, `${f}.from`, groups), to: r.pathTemplate(to, `${f}.to`, groups)};
		}
		case 'free': {
			const m = r.map(value, f, ['mount', 'free'], 'give mount: and free:');
			const mount = r.absolutePath(r.required(m, value, f, 'mount', 'add the mount point, e.g. mount: /'), `${f}.mount`);
			const freeNode = r.required(m, value, f, 'free', 'add the new free space (8G), or a change (-1.5G, +200M)');
			const signed = r.signedSize(freeNode, `${f}.free`);
			layer.freeEffects.push({mount, line: r.line(value), field: `${f}.mount`});
			return {kind: 'free', mount, ...signed};
		}
		case 'service': {
			const m = r.map(value, f, ['unit', 'active', 'enabled', 'masked'], 'give unit: and active:, enabled: or masked:');
			const unitNode = r.required(m, value, f, 'unit', 'add the unit name, e.g. unit: postfix');
			const unitText = r.text(unitNode, `${f}.unit`, {nonEmpty: true});
			const effect: Effect & {kind: 'service'} = {kind: 'service', unit: r.unitName(unitNode, `${f}.unit`, unitText)};
			for (const k of ['active', 'enabled', 'masked'] as const) {
				const v = m.get(k);
				if (v) effect[k] = r.boolean(v.value, `${f}.${k}`);
			}
			if (m.size === 1) throw r.fail(value, f, 'nothing to change', 'add active:, enabled: or masked:');
			return effect;
		}
		default: {
			if (r.boolean(value, f) !== true) throw r.fail(value, f, 'reboot: false does nothing', 'write reboot: true, or remove the effect');
			return {kind: 'reboot'};
		}
	}
}

// ---------------------------------------------------------------------------
// Merging

function mergeLayers(layers: Layer[]): Scenario {
	const top = layers[layers.length - 1]!;
	let product: Layer['product'];
	let answers: Answers = 'trainee';
	const passwords: Record<string, string> = {};
	let solution: string[] = [];
	const host: Layer['host'] = {};
	const env: Record<string, string> = {};
	const filesystems = new Map<string, Filesystem>();
	const files: Record<string, ScenarioFile | null> = {};
	const services: Record<string, Partial<ServiceSpec>> = {};
	let commands: CommandEntry[] = [];
	const servers: Record<string, string> = {};
	const sizeCheck: Record<string, string> = {};
	for (const layer of layers) {
		Object.assign(sizeCheck, layer.sizeCheck);
		for (const [name, file] of Object.entries(layer.servers)) servers[name] = path.isAbsolute(file) ? file : path.join(path.dirname(layer.path), file);
		if (layer.product) {
			if (product && product.value !== layer.product.value) {
				throw new ScenarioError(layer.path, layer.product.line, 'product', `"${layer.product.value}" differs from "${product.value}" of the scenario it extends`, 'a scenario extends one of the same product: remove product: or extend another file');
			}
			product = layer.product;
		}
		if (layer.answers) answers = layer.answers;
		Object.assign(passwords, layer.passwords);
		if (layer.solution) solution = layer.solution;
		Object.assign(host, layer.host);
		Object.assign(env, layer.env);
		for (const fs of layer.filesystems) filesystems.set(fs.mount, {mount: fs.mount, sizeBytes: fs.sizeBytes, freeBytes: fs.freeBytes});
		Object.assign(files, layer.files);
		for (const [unit, spec] of Object.entries(layer.services)) services[unit] = {...services[unit], ...spec};
		// The extending file's entries first: they win.
		commands = [...layer.commands, ...commands];
	}
	if (!product) throw new ScenarioError(top.path, top.line, 'product', 'missing required field', `add product: with one of ${PRODUCTS.join(', ')}`);
	if (!host.hostname) throw new ScenarioError(top.path, top.line, 'host.hostname', 'missing required field', 'add host: { hostname: pmg1.example.lan } (user and uid default to root and 0)');
	const sizeLayer = layers.find(l => l.sizeCheckLine !== undefined);
	if (sizeLayer && product.value !== 'puremessage') {
		throw new ScenarioError(sizeLayer.path, sizeLayer.sizeCheckLine!, 'size_check', `size_check is for PureMessage deployments, not ${product.value}`, 'remove size_check: from this file');
	}
	for (const layer of layers) {
		for (const effect of layer.freeEffects) {
			if (!filesystems.has(effect.mount)) {
				throw new ScenarioError(layer.path, effect.line, effect.field, `no file system is mounted at ${effect.mount}`, `use one listed under filesystems: (${[...filesystems.keys()].join(', ') || 'none'})`);
			}
		}
	}
	return {
		path: top.path,
		chain: layers.map(l => l.path),
		product: product.value,
		title: top.title,
		description: top.description,
		difficulty: top.difficulty,
		answers,
		passwords,
		solution,
		host: {hostname: host.hostname, user: host.user ?? 'root', uid: host.uid ?? 0},
		env,
		// By code unit, not localeCompare: the same on every host whatever its locale, and no ICU
		// collator to set up (~10 ms, a twentieth of the wizard's start).
		filesystems: [...filesystems.values()].sort((a, b) => (a.mount < b.mount ? -1 : a.mount > b.mount ? 1 : 0)),
		files: Object.fromEntries(Object.entries(files).filter((e): e is [string, ScenarioFile] => e[1] !== null)),
		services: Object.fromEntries(Object.entries(services).map(([unit, s]) => [unit, {active: s.active ?? true, enabled: s.enabled ?? true, masked: s.masked ?? false}])),
		commands,
		servers: Object.fromEntries(Object.entries(servers).map(([name, file]) => [name, path.resolve(file)])),
		sizeCheck,
	};
}

// ---------------------------------------------------------------------------
// Reading nodes

type Groups = {count: number; names: string[]};

function captureGroups(re: RegExp): Groups {
	const probe = new RegExp(`${re.source}|`).exec('')!;
	return {count: probe.length - 1, names: Object.keys(probe.groups ?? {})};
}

/**
 * Output and file content of an entry whose `match` has groups: `$1`..`$9`
 * and `$<name>` are replaced by them, `$$` is a `$`; a reference to a group
 * the pattern does not have stays as written. Without groups the text is
 * used as written.
 */
export function expandText(text: string, match: RegExpExecArray | null): string {
	if (!match || (match.length <= 1 && !match.groups)) return text;
	return text.replace(/\$\$|\$(\d)|\$<([A-Za-z_]\w*)>/g, (all, digit: string | undefined, name: string | undefined) => {
		if (all === '$$') return '$';
		if (digit !== undefined) return Number(digit) > 0 && Number(digit) < match.length ? (match[Number(digit)] ?? '') : all;
		return match.groups && name! in match.groups ? (match.groups[name!] ?? '') : all;
	});
}

/** `$1`..`$9` and `$<name>` in a path, replaced by the groups of the match. */
export function expandGroups(template: string, match: RegExpExecArray): string {
	return template.replace(/\$(\d)|\$<([A-Za-z_]\w*)>/g, (_all, digit: string | undefined, name: string | undefined) =>
		(digit !== undefined ? match[Number(digit)] : match.groups?.[name!]) ?? '',
	);
}

// Where the machines may use it too (source/shared/size.ts).
export {parseSize};
const SIZE_HINT = 'write bytes (1073741824) or a number with K, M, G or T (binary units: 1K = 1024), e.g. 9.5G';

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
	const row = Array.from({length: b.length + 1}, (_, k) => k);
	for (let i = 1; i <= a.length; i++) {
		let previous = row[0]!;
		row[0] = i;
		for (let j = 1; j <= b.length; j++) {
			const keep = row[j]!;
			row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
			previous = keep;
		}
	}
	return row[b.length]!;
}

type Entry = {keyNode: Node; value: Node | null};

class Reader {
	constructor(
		readonly file: string,
		private readonly doc: Document,
		private readonly lines: LineCounter,
	) {}

	line(node: Node | null | undefined): number {
		const offset = node?.range?.[0];
		return offset === undefined ? 0 : this.lines.linePos(offset).line;
	}

	fail(node: Node | null | undefined, field: string, problem: string, hint: string): ScenarioError {
		return new ScenarioError(this.file, this.line(node), field, problem, hint);
	}

	missing(parent: Node | null, field: string, key: string, hint: string): ScenarioError {
		return this.fail(parent, field ? `${field}.${key}` : key, 'missing required field', hint);
	}

	resolve(node: Node | null): Node | null {
		if (node && isAlias(node)) {
			const target = node.resolve(this.doc);
			if (!target) throw this.fail(node, '', `unknown alias *${node.source}`, `define the anchor &${node.source} before using it`);
			return target as Node;
		}
		return node;
	}

	private kind(node: Node | null): string {
		if (node === null) return 'nothing';
		if (isMap(node)) return 'a mapping';
		if (isSeq(node)) return 'a list';
		const value = (node as Scalar).value;
		if (value === null) return 'nothing';
		if (typeof value === 'string') return `the text "${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
		return `${typeof value} ${String(value)}`;
	}

	private wrongType(node: Node | null, field: string, expected: string, hint: string): ScenarioError {
		return this.fail(node, field, `wrong type: expected ${expected}, found ${this.kind(node)}`, hint);
	}

	/** A mapping's entries by key; `allowed` null accepts any key. */
	map(raw: Node | null, field: string, allowed: string[] | null, hint = ''): Map<string, Entry> {
		const node = this.resolve(raw);
		if (node === null || (isScalar(node) && node.value === null)) return new Map();
		if (!isMap(node)) throw this.wrongType(node, field || '(top level)', 'a mapping (key: value lines)', hint || 'indent the keys under this one');
		const entries = new Map<string, Entry>();
		for (const pair of node.items) {
			const keyNode = pair.key as Node;
			const key = isScalar(keyNode) ? keyNode.value : undefined;
			if (typeof key !== 'string' && typeof key !== 'number') throw this.fail(keyNode, field, 'a key must be plain text', 'write key: value');
			const name = String(key);
			const full = field ? (/^[\w-]+$/.test(name) ? `${field}.${name}` : `${field}[${JSON.stringify(name)}]`) : name;
			if (allowed && !allowed.includes(name)) {
				const near = allowed.filter(a => distance(a, name) <= 2).sort((a, b) => distance(a, name) - distance(b, name))[0];
				throw this.fail(keyNode, full, `unknown key "${name}"`, `${near ? `did you mean "${near}"? ` : ''}allowed keys${field ? ` here` : ''}: ${allowed.join(', ')}`);
			}
			entries.set(name, {keyNode, value: this.resolve((pair.value as Node | null) ?? null)});
		}
		return entries;
	}

	required(map: Map<string, Entry>, parent: Node | null, field: string, key: string, hint: string): Node | null {
		const entry = map.get(key);
		if (!entry) throw this.missing(parent, field, key, hint);
		return entry.value;
	}

	seq(raw: Node | null, field: string): Array<Node | null> {
		const node = this.resolve(raw);
		if (node === null || (isScalar(node) && node.value === null)) return [];
		if (!isSeq(node)) throw this.wrongType(node, field, 'a list (lines starting with "- ")', 'write each item on its own line starting with "- "');
		return node.items.map(item => this.resolve(item as Node | null));
	}

	private scalar(raw: Node | null): Scalar | null {
		const node = this.resolve(raw);
		return node && isScalar(node) ? node : null;
	}

	text(node: Node | null, field: string, options: {nonEmpty?: boolean; numbers?: boolean} = {}): string {
		const s = this.scalar(node);
		let value: unknown = s?.value;
		if (options.numbers && (typeof value === 'number' || typeof value === 'boolean')) value = s!.source ?? String(value);
		if (typeof value !== 'string') throw this.wrongType(node, field, 'text', typeof value === 'number' || typeof value === 'boolean' ? `quote it: '${String(s?.source ?? value)}'` : 'write the text after the colon, or use | for several lines');
		if (options.nonEmpty && value.trim() === '') throw this.fail(node, field, 'empty', 'write a value');
		return value;
	}

	oneOf<T extends string>(node: Node | null, field: string, values: readonly T[]): T {
		const value = this.text(node, field);
		if (!(values as readonly string[]).includes(value)) throw this.fail(node, field, `"${value}" is not allowed`, `use one of: ${values.join(', ')}`);
		return value as T;
	}

	boolean(node: Node | null, field: string): boolean {
		const value = this.scalar(node)?.value;
		if (typeof value !== 'boolean') throw this.wrongType(node, field, 'true or false', 'write true or false (yes/no are text in YAML 1.2)');
		return value;
	}

	number(node: Node | null, field: string, min: number, max: number, hint: string): number {
		const value = this.scalar(node)?.value;
		if (typeof value !== 'number' || !Number.isFinite(value)) throw this.wrongType(node, field, 'a number', hint);
		if (value < min || value > max) throw this.fail(node, field, `${value} is out of range`, `use a number from ${min} to ${max}`);
		return value;
	}

	integer(node: Node | null, field: string, min: number, max: number): number {
		const value = this.number(node, field, min, max, `a whole number from ${min} to ${max}`);
		if (!Number.isInteger(value)) throw this.fail(node, field, `${value} is not a whole number`, `use a whole number from ${min} to ${max}`);
		return value;
	}

	size(node: Node | null, field: string): number {
		const s = this.scalar(node);
		const value = s?.value;
		if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
		const bytes = typeof value === 'string' ? parseSize(value) : null;
		if (bytes === null) throw this.fail(node, field, `bad size ${JSON.stringify(s?.source ?? value ?? null)}`, SIZE_HINT);
		return bytes;
	}

	signedSize(node: Node | null, field: string): {bytes: number; relative: boolean} {
		const s = this.scalar(node);
		const value = s?.value;
		const text = typeof value === 'number' ? (s?.source ?? String(value)) : value;
		if (typeof text === 'string') {
			const m = /^([+-]?)\s*(.*)$/.exec(text.trim())!;
			const bytes = parseSize(m[2]!);
			if (bytes !== null) return {bytes: m[1] === '-' ? -bytes : bytes, relative: m[1] !== ''};
		}
		throw this.fail(node, field, `bad size ${JSON.stringify(text ?? null)}`, `${SIZE_HINT}; with + or - in front it changes the free space by that much`);
	}

	date(node: Node | null, field: string): number {
		const s = this.scalar(node);
		const text = typeof s?.value === 'string' ? s.value.trim() : null;
		const hint = 'write an ISO 8601 date and time, e.g. 2026-01-10T02:00:00Z (UTC when no zone is given)';
		const m = text ? /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text) : null;
		if (!m) throw this.fail(node, field, `bad date ${JSON.stringify(text ?? s?.value ?? null)}`, hint);
		const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone = 'Z'] = m;
		const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}${frac}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`);
		const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
		if (Number.isNaN(ms) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) {
			throw this.fail(node, field, `bad date ${JSON.stringify(text)}: no such day or time`, hint);
		}
		return ms;
	}

	/** File modes are octal: 0600, 0o600 or '0600'. */
	mode(node: Node | null, field: string): number {
		const s = this.scalar(node);
		const text = String(s?.source ?? s?.value ?? '').trim();
		const m = /^0?o?([0-7]{3,4})$/.exec(text);
		if (!m || s?.value === null) throw this.fail(node, field, `bad file mode ${JSON.stringify(text)}`, 'write it in octal, e.g. mode: 0600');
		return Number.parseInt(m[1]!, 8);
	}

	absolutePath(node: Node | null, field: string): string {
		const value = this.text(node, field, {nonEmpty: true});
		if (!value.startsWith('/')) throw this.fail(node, field, `"${value}" is not an absolute path`, 'start it with /, e.g. /etc/apt/sources.list');
		return path.posix.normalize(value).replace(/(.)\/$/, '$1');
	}

	/** An absolute path, or one made from the entry's match groups ($1, $<name>). */
	pathTemplate(node: Node | null, field: string, groups: Groups): string {
		const value = this.text(node, field, {nonEmpty: true});
		for (const ref of value.matchAll(/\$(\d)|\$<([A-Za-z_]\w*)>/g)) {
			if (ref[1] !== undefined && (Number(ref[1]) === 0 || Number(ref[1]) > groups.count)) {
				throw this.fail(node, field, `${ref[0]} refers to a group that match does not have (it has ${groups.count})`, 'put ( ) around the part of match you mean, or fix the number');
			}
			if (ref[2] !== undefined && !groups.names.includes(ref[2])) {
				throw this.fail(node, field, `${ref[0]} names no group of match`, `add (?<${ref[2]}>...) to match, or use one of: ${groups.names.join(', ') || 'none'}`);
			}
		}
		if (!value.startsWith('/') && !value.startsWith('$')) throw this.fail(node, field, `"${value}" is not an absolute path`, 'start it with /, or with $1 taken from match');
		return value.startsWith('/') && !value.includes('$') ? path.posix.normalize(value).replace(/(.)\/$/, '$1') : value;
	}

	unitName(node: Node | null, field: string, name: string): string {
		const unit = name.replace(/\.service$/, '');
		if (!/^[A-Za-z0-9:_.@\\-]+$/.test(unit)) throw this.fail(node, field, `"${name}" is not a systemd unit name`, 'use the unit name without spaces, e.g. postfix or pmg-smtp-filter');
		return unit;
	}
}
