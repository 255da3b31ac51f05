// Bundles the CLI into one ESM file: unbundled, ink alone takes ~250 ms to import.
import {build} from 'esbuild';
import {alwaysDraw, inkWithoutDevtools, yogaWithoutFetch} from './build-plugins.mjs';

// `node source/build.mjs [ENTRY OUTFILE]`: the CLI by default; tests bundle their harnesses the same way.
const [entry = 'source/cli.tsx', outfile = 'dist/cli.js'] = process.argv.slice(2);

await build({
	entryPoints: [entry],
	outfile,
	bundle: true,
	platform: 'node',
	format: 'esm',
	target: 'node20',
	plugins: [inkWithoutDevtools, yogaWithoutFetch('await'), alwaysDraw],
	banner: {
		js: "#!/usr/bin/env node\nimport {createRequire as __createRequire} from 'node:module';\nconst require = __createRequire(import.meta.url);",
	},
	define: {'process.env.NODE_ENV': '"production"'},
	logLevel: 'warning',
	legalComments: 'none',
});
