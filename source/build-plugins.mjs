/**
 * How the wizard is built, shared by the CLI (source/build.mjs) and the
 * single executable (source/build-binary.mjs): the esbuild plugins that
 * change dependencies at build time (each through rewriteFile, which fails
 * the build when the code it changes no longer looks as expected), the
 * bundle, and the CLI with its code cache (buildCli).
 */
import {execFileSync, spawn} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import {build} from 'esbuild';
import {createRequire} from 'node:module';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/**
 * A dependency's file with exact pieces of its code replaced. Each `from`
 * must occur `count` times (once unless said) in the file as installed, or
 * the build fails and names the plugin: an upgrade that changed the code
 * is caught here, not in a quietly broken bundle. A `to` of null only checks.
 */
function rewriteFile(file, plugin, replacements) {
	let source = readFileSync(file, 'utf8');
	for (const [from, , count = 1] of replacements) {
		if (source.split(from).length - 1 !== count) {
			throw new Error(`${path.relative(root, file)} changed: it no longer has ${count} of ${JSON.stringify(from.split('\n')[0].trim())}; see ${plugin} in source/build-plugins.mjs`);
		}
	}
	for (const [from, to] of replacements) if (to !== null) source = source.replaceAll(from, to);
	return {contents: source, loader: 'js'};
}

const yogaDir = path.dirname(path.dirname(path.dirname(require.resolve('yoga-layout/load'))));

/*
 * ink imports its devtools module (react-devtools-core, and ws for a window
 * polyfill) and reads its package.json for them, each with a top-level
 * await, when DEV=true. Neither is installed nor
 * wanted here: the import becomes an error that says what to do, which also
 * keeps ~130 KB of ws out of the bundle and leaves no top-level await (a
 * CommonJS bundle cannot have one).
 */
export const inkWithoutDevtools = {
	name: 'ink-without-devtools',
	setup(b) {
		b.onLoad({filter: /[\\/]ink[\\/]build[\\/]reconciler\.js$/}, args =>
			rewriteFile(args.path, 'inkWithoutDevtools', [
				["await import('./devtools.js');", "throw new Error('React devtools are not part of this build: unset DEV');"],
				// Its package.json, read for the devtools only.
				['? await loadPackageJson()', '? {name: undefined, version: undefined}'],
			]),
		);
	},
};

/** The WebAssembly of yoga-layout, as base64 (taken out of its emscripten loader). */
function yogaWasm() {
	const file = path.join(yogaDir, 'dist/binaries/yoga-wasm-base64-esm.js');
	const source = readFileSync(file, 'utf8');
	const match = /"data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)"/.exec(source);
	if (!match) throw new Error(`yoga-layout changed: no embedded WebAssembly found in ${file}; see source/build-plugins.mjs`);
	return {file, base64: match[1], loader: source.replace(match[1], '')};
}

/*
 * yoga-layout's own entry compiles its WebAssembly from a data: URL through
 * fetch(), which loads Node's whole fetch implementation (undici) first:
 * ~40 ms of every start. Handed the bytes (`wasmBinary`), emscripten skips
 * fetch.
 *
 * mode 'await' (ESM): the module awaits yoga at its top level, as the
 * original does. mode 'deferred' (CommonJS, which has no top-level await):
 * the default export is filled in when `yogaReady` (export of the virtual
 * module 'yoga-ready') resolves; the entry must await that before ink lays
 * anything out (ink only touches yoga when it renders).
 */
export function yogaWithoutFetch(mode = 'await') {
	return {
		name: 'yoga-without-fetch',
		setup(b) {
			const wasm = yogaWasm();
			b.onResolve({filter: /^(yoga-layout|yoga-ready)$/}, () => ({path: 'yoga', namespace: 'yoga-without-fetch'}));
			b.onResolve({filter: /^yoga-wasm-loader$/}, () => ({path: wasm.file}));
			b.onLoad({filter: /[\\/]yoga-wasm-base64-esm\.js$/}, () => ({contents: wasm.loader, loader: 'js'}));
			const src = path.join(yogaDir, 'dist/src');
			const head = [
				"import loadYoga from 'yoga-wasm-loader';",
				`import wrapAssembly from ${JSON.stringify(path.join(src, 'wrapAssembly.js'))};`,
				`export * from ${JSON.stringify(path.join(src, 'generated/YGEnums.js'))};`,
				`const wasmBinary = Buffer.from(${JSON.stringify(wasm.base64)}, 'base64');`,
			];
			const body =
				mode === 'await'
					? ['const Yoga = wrapAssembly(await loadYoga({wasmBinary}));', 'export const yogaReady = Promise.resolve();', 'export default Yoga;']
					: [
							'const Yoga = {};',
							'export const yogaReady = loadYoga({wasmBinary}).then(lib => { Object.assign(Yoga, wrapAssembly(lib)); });',
							'export default Yoga;',
						];
			b.onLoad({filter: /.*/, namespace: 'yoga-without-fetch'}, () => ({contents: [...head, ...body].join('\n'), loader: 'js', resolveDir: src}));
		},
	};
}

/*
 * ink holds back every frame but the last when CI or CONTINUOUS_INTEGRATION
 * is set (is-in-ci), meant for the logs of a build. The wizard only runs on
 * a terminal (it refuses otherwise), so such a variable, inherited from a CI
 * runner or an automation shell, would leave the operator a blank screen:
 * the wizard always draws.
 */
export const alwaysDraw = {
	name: 'always-draw',
	setup(b) {
		b.onResolve({filter: /^is-in-ci$/}, () => ({path: 'is-in-ci', namespace: 'always-draw'}));
		b.onLoad({filter: /.*/, namespace: 'always-draw'}, () => ({contents: 'export default false;\n', loader: 'js'}));
	},
};

/*
 * string-width (ink measures every piece of text with it, and wrap-ansi has
 * its own older copy) builds an Intl.Segmenter and regular expressions of
 * Unicode properties when it is loaded: ICU tables, ~15 ms of every start.
 * Here the module's body runs on the first text that is not printable
 * ASCII once its escape sequences are taken out; such text is as wide as
 * it is long, which both versions answer too (test/ui/text-width.test.ts
 * holds them to it). The wizard's
 * screens on a Linux console are all ASCII.
 */
export const lazyTextWidth = {
	name: 'lazy-text-width',
	setup(b) {
		b.onLoad({filter: /[\\/]node_modules[\\/](?:.+[\\/])?string-width[\\/]index\.js$/}, args => {
			const source = readFileSync(args.path, 'utf8');
			const lines = source.split('\n');
			const firstBody = lines.findIndex(line => line.trim() !== '' && !line.startsWith('import '));
			const head = lines.slice(0, firstBody).join('\n');
			const body = lines.slice(firstBody).join('\n');
			const declaration = 'export default function stringWidth(';
			if (!/^import stripAnsi from 'strip-ansi';$/m.test(head) || body.split(declaration).length !== 2 || /^export /m.test(body.replace(declaration, ''))) {
				throw new Error(`string-width changed: ${args.path} no longer has one export, ${declaration}...; see source/build-plugins.mjs`);
			}
			const contents = [
				head,
				'let loaded;',
				'function load() {',
				body.replace(declaration, 'function stringWidth('),
				'return stringWidth;',
				'}',
				'export default function stringWidthOnDemand(string, options) {',
				"\tif (typeof string === 'string') {",
				// Both versions measure text without its escape sequences (ink's bold), unless told to count them.
				"\t\tconst text = options?.countAnsiEscapeCodes || !/[\\u001B\\u009B]/.test(string) ? string : stripAnsi(string);",
				"\t\tif (/^[\\u0020-\\u007E]*$/.test(text)) return text.length;",
				'\t}',
				'\treturn (loaded ??= load())(string, options);',
				'}',
				'',
			].join('\n');
			return {contents, loader: 'js'};
		});
	},
};

/*
 * An Intl.Segmenter costs ~20 ms when it is the process's first (ICU loads
 * its break rules), and ink's dependencies make them at load or for every
 * line drawn:
 * - @alcalzone/ansi-tokenize splits each line of each frame into graphemes.
 *   A line of ASCII (escape sequences are ASCII too) has one character a
 *   grapheme but for CR LF, which is one; such a line is split without ICU.
 * - slice-ansi makes one, and a regular expression of a Unicode property,
 *   when loaded; it is used only when text is cut to a width. Made on first use.
 * test/ui/text-width.test.ts compares both, bundled, with the originals.
 */
export const lazySegmenters = {
	name: 'lazy-segmenters',
	setup(b) {
		const segmenter = "new Intl.Segmenter(undefined, { granularity: \"grapheme\" })";
		b.onLoad({filter: /[\\/]@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]tokenize\.js$/}, args =>
			rewriteFile(args.path, 'lazySegmenters', [
				[
					`const segmenter = ${segmenter};`,
					[
						'let segmenter;',
						'function segmentsOf(str) {',
						"\tif (/^[\\x00-\\x7F]*$/.test(str) && !str.includes('\\r\\n')) {",
						'\t\tconst segments = [];',
						'\t\tfor (let index = 0; index < str.length; index++) segments.push({segment: str[index], index});',
						'\t\treturn segments;',
						'\t}',
						`\treturn (segmenter ??= ${segmenter}).segment(str);`,
						'}',
					].join('\n'),
				],
				['segmenter.segment(str)', 'segmentsOf(str)'],
			]),
		);
		b.onLoad({filter: /[\\/]slice-ansi[\\/]tokenize-ansi\.js$/}, args =>
			rewriteFile(args.path, 'lazySegmenters', [
				[
					'const EMOJI_PRESENTATION_GRAPHEME_REGEX = /\\p{Emoji_Presentation}/u;',
					'let emojiPresentation;\nconst EMOJI_PRESENTATION_GRAPHEME_REGEX = {test: text => (emojiPresentation ??= /\\p{Emoji_Presentation}/u).test(text)};',
				],
				["GRAPHEME_SEGMENTER = new Intl.Segmenter(undefined, {granularity: 'grapheme'});", "GRAPHEME_SEGMENTER = {segment: text => (graphemeSegmenter ??= new Intl.Segmenter(undefined, {granularity: 'grapheme'})).segment(text)};"],
				['const GRAPHEME_SEGMENTER', 'let graphemeSegmenter;\nconst GRAPHEME_SEGMENTER'],
				// The only uses, which the objects above answer.
				['EMOJI_PRESENTATION_GRAPHEME_REGEX.test(', null],
				['GRAPHEME_SEGMENTER.segment(', null, 3],
			]),
		);
	},
};

/*
 * ink's Output.get() draws each frame (80x24, 5 a second while a command
 * streams) into a grid of one object a cell: every row starts as new blank
 * cells, every line written is split into an object a character (each with
 * its own array of styles) by @alcalzone/ansi-tokenize, and each row is
 * joined back with four new sets between any two characters
 * (styledCharsToString). 2-3.6 MB a frame, which V8 answers by growing its
 * young generation: ~30 MB more RSS over a long apt run.
 *
 * Here a row is a string of spaces until a line that is not printable ASCII
 * (an escape sequence, a wide or combining or control character), or does
 * not fit in the row, lands on it. A printable ASCII line is one unstyled
 * cell a character, which ink's grid prints as the characters themselves: it
 * is put into the string, and such a row comes out as the string, trimmed at
 * its end as ink trims every row. Any other line turns its row into ink's
 * cells first (one shared cell for each printable character) and from there
 * ink's code runs unchanged; the cells of such lines are kept from one frame
 * to the next (at most 128 lines), as ink keeps them within a frame. Joining
 * a row skips the comparison of two characters whose codes are the same,
 * where it can only find nothing to change (and of an unstyled character at
 * the row's start or end). test/ui/ink-output.test.ts compares the frames of
 * the bundle with ink's own, byte for byte.
 */
export const plainRows = {
	name: 'plain-rows',
	setup(b) {
		b.onLoad({filter: /[\\/]ink[\\/]build[\\/]output\.js$/}, args => {
			const helpers = [
				'// plain-rows (source/build-plugins.mjs of mail-upgrade-wizard)',
				'const plainRowCells = new Map();',
				'function plainRowToCells(row) {',
				'\tconst cells = [];',
				'\tfor (const value of row) {',
				'\t\tlet cell = plainRowCells.get(value);',
				"\t\tif (cell === undefined) plainRowCells.set(value, (cell = {type: 'char', value, fullWidth: false, styles: []}));",
				'\t\tcells.push(cell);',
				'\t}',
				'\treturn cells;',
				'}',
				'const styledCharsOfLines = new Map();',
				'function styledCharsOfLine(line) {',
				'\tlet chars = styledCharsOfLines.get(line);',
				'\tif (chars === undefined) {',
				'\t\tif (styledCharsOfLines.size >= 128) styledCharsOfLines.clear();',
				'\t\tchars = styledCharsFromTokens(tokenize(line));',
				'\t\tstyledCharsOfLines.set(line, chars);',
				'\t}',
				'\treturn chars;',
				'}',
				'class OutputCaches {',
			].join('\n');
			return rewriteFile(args.path, 'plainRows', [
				["import { styledCharsFromTokens, styledCharsToString, tokenize, } from '@alcalzone/ansi-tokenize';", null],
				['class OutputCaches {', helpers],
				[
					[
						'        for (let y = 0; y < this.height; y++) {',
						'            const row = [];',
						'            for (let x = 0; x < this.width; x++) {',
						'                row.push({',
						"                    type: 'char',",
						"                    value: ' ',",
						'                    fullWidth: false,',
						'                    styles: [],',
						'                });',
						'            }',
						'            output.push(row);',
						'        }',
					].join('\n'),
					[
						"        let blank = '';",
						'        for (let x = 0; x < this.width; x++) {',
						"            blank += ' ';",
						'        }',
						'        for (let y = 0; y < this.height; y++) {',
						'            output.push(blank);',
						'        }',
					].join('\n'),
				],
				['                    const currentLine = output[y + offsetY];', '                    let currentLine = output[y + offsetY];'],
				// A row of a frame 0 wide is '', which is falsy where ink's [] is not.
				['                    if (!currentLine) {', '                    if (currentLine === undefined) {'],
				[
					'                    const characters = this.caches.getStyledChars(line);',
					[
						"                    if (typeof currentLine === 'string') {",
						'                        if (Number.isInteger(x) && x >= 0 && x + line.length <= currentLine.length && /^[\\x20-\\x7E]*$/.test(line)) {',
						'                            output[y + offsetY] = currentLine.slice(0, x) + line + currentLine.slice(x + line.length);',
						'                            offsetY++;',
						'                            continue;',
						'                        }',
						'                        currentLine = output[y + offsetY] = plainRowToCells(currentLine);',
						'                    }',
						'                    const characters = styledCharsOfLine(line);',
					].join('\n'),
				],
				[
					'            .map(line => {\n            // See https://github.com/vadimdemedes/ink/pull/564',
					"            .map(line => {\n            if (typeof line === 'string') {\n                return line.trimEnd();\n            }\n            // See https://github.com/vadimdemedes/ink/pull/564",
				],
				// The only places that read or write a row: both see a row that is a string or ink's cells.
				['currentLine[', null, 2],
				['output[', null, 1],
				['output.push(', null, 1],
			]);
		});
		// ink's only use of it: each row of a frame to a string.
		b.onLoad({filter: /[\\/]@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]styledChars\.js$/}, args =>
			rewriteFile(args.path, 'plainRows', [
				[
					'export function styledCharsToString(chars) {',
					[
						'// plain-rows (source/build-plugins.mjs of mail-upgrade-wizard): the codes of two characters in the same style',
						'// (as diffAnsiCodes and ansiCodesToString read them), between which diffAnsiCodes finds nothing to change.',
						'function sameAnsiCodes(a, b) {',
						'\tif (a === b) return true;',
						'\tif (a.length !== b.length) return false;',
						'\tfor (let i = 0; i < a.length; i++) {',
						'\t\tif (a[i] !== b[i] && (a[i].code !== b[i].code || a[i].endCode !== b[i].endCode)) return false;',
						'\t}',
						'\treturn true;',
						'}',
						'export function styledCharsToString(chars) {',
					].join('\n'),
				],
				['            ret += ansiCodesToString(char.styles);', '            if (char.styles.length > 0) ret += ansiCodesToString(char.styles);'],
				['        else {\n            ret += ansiCodesToString(diffAnsiCodes(chars[i - 1].styles, char.styles));', '        else if (!sameAnsiCodes(chars[i - 1].styles, char.styles)) {\n            ret += ansiCodesToString(diffAnsiCodes(chars[i - 1].styles, char.styles));'],
				['            ret += ansiCodesToString(diffAnsiCodes(char.styles, []));', '            if (char.styles.length > 0) ret += ansiCodesToString(diffAnsiCodes(char.styles, []));'],
			]),
		);
	},
};

/**
 * The bundled scenario files, parsed and checked now (source/scenario-layers.ts),
 * as the module source/host/scenario-cache.ts of the bundle: the wizard
 * then parses none of them at its start.
 */
async function withScenarioLayers() {
	const built = await build({
		entryPoints: [path.join(root, 'source/scenario-layers.ts')],
		bundle: true,
		platform: 'node',
		format: 'esm',
		target: 'node20',
		write: false,
		// yaml is CommonJS and requires Node's modules.
		banner: {js: "import {createRequire as __createRequire} from 'node:module';\nconst require = __createRequire(import.meta.url);"},
		logLevel: 'warning',
	});
	const work = mkdtempSync(path.join(os.tmpdir(), 'upgrade-wizard-build-'));
	let layers;
	try {
		const file = path.join(work, 'scenario-layers.mjs');
		writeFileSync(file, built.outputFiles[0].contents);
		layers = (await import(pathToFileURL(file).href)).scenarioLayers(path.join(root, 'scenarios'));
	} finally {
		rmSync(work, {recursive: true, force: true});
	}
	if (Object.keys(layers).length === 0) throw new Error('no scenario file under scenarios/ could be parsed; see source/scenario-layers.ts');
	return {
		name: 'scenario-layers',
		setup(b) {
			b.onLoad({filter: /[\\/]source[\\/]host[\\/]scenario-cache\.ts$/}, () => ({contents: `export const PARSED_LAYERS = ${JSON.stringify(layers)};\n`, loader: 'js'}));
		},
	};
}

/**
 * The wizard as one CommonJS file, from source/entry.ts: what the launcher
 * (dist/cli.js, source/launch.ts) runs with V8's code cache, and what the
 * single executable runs as its main script. CommonJS because both load it
 * as a script, which is what a code cache is made for.
 */
/**
 * What `upgrade-wizard --version` says (source/version.ts): package.json's
 * version and the commit of the work tree, with -dirty when it has changes;
 * no commit outside a git checkout (a source tarball). Never a path.
 */
export function buildInfo() {
	const {version} = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
	let commit = null;
	try {
		const git = args => execFileSync('git', args, {cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
		commit = git(['rev-parse', '--short=12', 'HEAD']);
		if (git(['status', '--porcelain', '--untracked-files=no']) !== '') commit += '-dirty';
	} catch {
		// No git, or not a checkout.
	}
	return {version, commit};
}

/**
 * The man page (upgrade-wizard.1) and the bash completion (upgrade-wizard.bash)
 * in `dir`, from the description of the command line (source/manual.ts).
 * The page's date is the commit's, so the same commit gives the same page.
 */
export async function writeManual(dir) {
	const bundled = await build({
		entryPoints: [path.join(root, 'source/manual.ts')],
		bundle: true,
		platform: 'node',
		format: 'esm',
		write: false,
		logLevel: 'warning',
	});
	const {manPage, bashCompletion} = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].contents).toString('base64')}`);
	const info = buildInfo();
	let date;
	try {
		date = execFileSync('git', ['log', '-1', '--format=%cs'], {cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
	} catch {
		date = new Date().toISOString().slice(0, 10);
	}
	const scenarios = {};
	for (const product of readdirSync(path.join(root, 'scenarios')).sort()) {
		if (!statSync(path.join(root, 'scenarios', product)).isDirectory()) continue;
		scenarios[product] = readdirSync(path.join(root, 'scenarios', product)).filter(n => n.endsWith('.yaml')).map(n => n.slice(0, -5)).sort();
	}
	const names = Object.values(scenarios).flat();
	const trainings = [...new Set(names.filter(n => names.indexOf(n) === names.lastIndexOf(n))), ...Object.entries(scenarios).flatMap(([p, list]) => list.map(n => `${p}/${n}`))];
	writeFileSync(path.join(dir, 'upgrade-wizard.1'), manPage(info.version, date));
	writeFileSync(path.join(dir, 'upgrade-wizard.bash'), bashCompletion(scenarios, trainings));
}

export async function buildWizardBundle(outfile) {
	return build({
		entryPoints: [path.join(path.dirname(fileURLToPath(import.meta.url)), 'entry.ts')],
		outfile,
		bundle: true,
		platform: 'node',
		format: 'cjs',
		target: 'node20',
		// Minified: 1.2 MB instead of 2.1 to read, hash and keep in memory at every start (on a
		// machine where fresh memory costs ~3 ms a MB, a tenth of the start), and only ASCII (the
		// comments of dependencies have other characters), which the launcher reads fastest. A
		// stack trace names minified functions: dist/wizard.cjs.map maps them back
		// (node --enable-source-maps dist/cli.js).
		minify: true,
		sourcemap: true,
		plugins: [inkWithoutDevtools, yogaWithoutFetch('deferred'), alwaysDraw, lazyTextWidth, lazySegmenters, plainRows, await withScenarioLayers()],
		// import.meta does not exist in CommonJS: the bundle's own path stands in.
		define: {'process.env.NODE_ENV': '"production"', 'import.meta.url': '__importMetaUrl', __UPGRADE_WIZARD_BUILD__: JSON.stringify(buildInfo())},
		banner: {js: "var __importMetaUrl = require('node:url').pathToFileURL(__filename).href;"},
		logLevel: 'warning',
		legalComments: 'none',
	});
}

/**
 * The CLI in `dir`: the bundle (wizard.cjs, with its source map), its
 * launcher (cli.js, source/launch.ts: CommonJS, as package.json there
 * says, which Node starts ~10 ms sooner than an ES module), and V8's code
 * cache of a real start of it (wizard.cjs.cache). Returns why the cache
 * could not be made, or null: the CLI works without it, slower to start.
 */
export async function buildCli(dir) {
	const cache = path.join(dir, 'wizard.cjs.cache');
	// A cache of an older bundle would only be rejected: gone before anything is built.
	rmSync(cache, {force: true});
	await buildWizardBundle(path.join(dir, 'wizard.cjs'));
	writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({type: 'commonjs'})}\n`);
	await build({
		entryPoints: [path.join(root, 'source/launch.ts')],
		outfile: path.join(dir, 'cli.js'),
		bundle: true,
		platform: 'node',
		format: 'cjs',
		target: 'node20',
		banner: {js: '#!/usr/bin/env node'},
		logLevel: 'warning',
		legalComments: 'none',
	});
	return writeCodeCache(path.join(dir, 'cli.js'), cache);
}

/**
 * Start the wizard as an operator would, on the default simulated host, in
 * a pseudo-terminal; once its first screen is drawn, leave with q. The
 * launcher writes the code cache as the run ends. Returns what went wrong, or null.
 */
async function writeCodeCache(cli, cache) {
	const scenario = path.join(root, 'scenarios/pmg/clean.yaml');
	const state = mkdtempSync(path.join(os.tmpdir(), 'upgrade-wizard-build-'));
	const q = text => `'${text.replaceAll("'", `'\\''`)}'`;
	const command = `${q(process.execPath)} ${q(cli)} pmg --simulate ${q(scenario)} --state-dir ${q(state)}`;
	try {
		return await new Promise(resolve => {
			let child;
			try {
				// -q: no start and end lines; -e: the wizard's exit status; -c: the command. The
				// terminal is 80x24 (stty inside, before the wizard reads its size).
				child = spawn('script', ['-qec', `stty cols 80 rows 24 2>/dev/null; exec ${command}`, '/dev/null'], {
					env: {...process.env, UPGRADE_WIZARD_WRITE_CODE_CACHE: cache, TERM: 'xterm-256color'},
					stdio: ['pipe', 'pipe', 'pipe'],
				});
			} catch (error) {
				resolve(`script(1) could not be started: ${error.message}`);
				return;
			}
			let seen = '';
			let left = false;
			const timer = setTimeout(() => {
				child.kill('SIGKILL');
				resolve('the wizard did not draw its first screen and leave within 60 s');
			}, 60_000);
			child.stdout.on('data', data => {
				// Without escape sequences, the footer of the first screen.
				seen = (seen + data.toString('utf8').replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '')).slice(-4096);
				if (!left && seen.includes('Enter')) {
					left = true;
					child.stdin.write('q');
				}
			});
			child.stderr.on('data', data => {
				seen += data.toString('utf8');
			});
			child.on('error', error => {
				clearTimeout(timer);
				resolve(`script(1) could not be started: ${error.message}`);
			});
			child.on('close', code => {
				clearTimeout(timer);
				if (!existsSync(cache)) resolve(`the wizard's start ended with status ${code} and wrote no cache; it printed: ${seen.slice(-500).trim()}`);
				else resolve(null);
			});
		});
	} finally {
		rmSync(state, {recursive: true, force: true});
	}
}
