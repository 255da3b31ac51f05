/**
 * `node source/build.mjs`: the CLI, in dist/:
 *   wizard.cjs        the wizard bundled into one file (unbundled, ink alone takes ~250 ms to import);
 *   cli.js            its launcher (source/launch.ts), what `node dist/cli.js` runs: CommonJS, as
 *                     package.json here says (Node starts it ~10 ms sooner than an ES module);
 *   wizard.cjs.cache  V8's code cache for wizard.cjs, written at the end of a real start of the
 *                     wizard on a simulated host in a pseudo-terminal (script(1) from util-linux).
 * Without the cache (no script(1), or that start failed) the CLI works, slower to start; the
 * build says so.
 *
 * `node source/build.mjs ENTRY OUTFILE`: a test harness, bundled as one ESM file.
 */
import {spawn} from 'node:child_process';
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {build} from 'esbuild';
import {alwaysDraw, buildWizardBundle, inkWithoutDevtools, lazySegmenters, lazyTextWidth, plainRows, yogaWithoutFetch} from './build-plugins.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shebang = '#!/usr/bin/env node';
const [entry, outfile] = process.argv.slice(2);

if (entry) {
	await build({
		entryPoints: [entry],
		outfile,
		bundle: true,
		platform: 'node',
		format: 'esm',
		target: 'node20',
		plugins: [inkWithoutDevtools, yogaWithoutFetch('await'), alwaysDraw, lazyTextWidth, lazySegmenters, plainRows],
		banner: {
			js: `${shebang}\nimport {createRequire as __createRequire} from 'node:module';\nconst require = __createRequire(import.meta.url);`,
		},
		define: {'process.env.NODE_ENV': '"production"'},
		logLevel: 'warning',
		legalComments: 'none',
	});
} else {
	const dist = path.join(root, 'dist');
	const cache = path.join(dist, 'wizard.cjs.cache');
	// A cache of an older bundle would only be rejected: gone before anything is built.
	rmSync(cache, {force: true});
	await buildWizardBundle(path.join(dist, 'wizard.cjs'));
	writeFileSync(path.join(dist, 'package.json'), `${JSON.stringify({type: 'commonjs'})}\n`);
	await build({
		entryPoints: [path.join(root, 'source/launch.ts')],
		outfile: path.join(dist, 'cli.js'),
		bundle: true,
		platform: 'node',
		format: 'cjs',
		target: 'node20',
		banner: {js: shebang},
		logLevel: 'warning',
		legalComments: 'none',
	});
	const problem = await writeCodeCache(path.join(dist, 'cli.js'), cache);
	if (problem) process.stderr.write(`build: dist/wizard.cjs.cache not made (${problem}); the wizard works, its start is slower.\n`);
}

/**
 * Start the wizard as an operator would, on the default simulated host, in
 * a pseudo-terminal; once its first screen is drawn, leave with q. The
 * launcher writes the code cache as the run ends. Returns what went wrong, or null.
 */
async function writeCodeCache(cli, cache) {
	const state = mkdtempSync(path.join(os.tmpdir(), 'upgrade-wizard-build-'));
	const q = text => `'${text.replaceAll("'", `'\\''`)}'`;
	const command = `${q(process.execPath)} ${q(cli)} pmg --simulate clean --state-dir ${q(state)}`;
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
