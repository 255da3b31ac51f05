// Bundles the CLI into one ESM file: unbundled, ink alone takes ~250 ms to import.
import {build} from 'esbuild';

await build({
	entryPoints: ['source/cli.tsx'],
	outfile: 'dist/cli.js',
	bundle: true,
	platform: 'node',
	format: 'esm',
	target: 'node20',
	// ink imports react-devtools-core only when DEV is set; it is not shipped.
	external: ['react-devtools-core'],
	banner: {
		js: "#!/usr/bin/env node\nimport {createRequire as __createRequire} from 'node:module';\nconst require = __createRequire(import.meta.url);",
	},
	define: {'process.env.NODE_ENV': '"production"'},
	logLevel: 'warning',
	legalComments: 'none',
});
