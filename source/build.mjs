/**
 * `node source/build.mjs`: the CLI, in dist/ (buildCli in source/build-plugins.mjs):
 *   wizard.cjs        the wizard bundled into one minified file (unbundled, ink alone takes ~250 ms
 *                     to import), with wizard.cjs.map, its source map;
 *   cli.js            its launcher (source/launch.ts), what `node dist/cli.js` runs: CommonJS, as
 *                     package.json here says (Node starts it ~10 ms sooner than an ES module);
 *   wizard.cjs.cache  V8's code cache for wizard.cjs, written at the end of a real start of the
 *                     wizard on a simulated host in a pseudo-terminal (script(1) from util-linux);
 *   upgrade-wizard.1, upgrade-wizard.bash  the man page and the bash completion (source/manual.ts).
 * Without the cache (no script(1), or that start failed) the CLI works, slower to start; the
 * build says so.
 *
 * `node source/build.mjs ENTRY OUTFILE`: a test harness, bundled as one ESM file.
 */
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {build} from 'esbuild';
import {alwaysDraw, buildCli, writeManual, inkWithoutDevtools, lazySegmenters, lazyTextWidth, plainRows, yogaWithoutFetch} from './build-plugins.mjs';

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
	const problem = await buildCli(path.join(root, 'dist'));
	await writeManual(path.join(root, 'dist'));
	if (problem) process.stderr.write(`build: dist/wizard.cjs.cache not made (${problem}); the wizard works, its start is slower.\n`);
}
