// Bundles the CLI into one ESM file: unbundled, ink alone takes ~250 ms to import.
import {build} from 'esbuild';

/*
 * ink loads its devtools module (which imports react-devtools-core) only when
 * DEV=true. That package is not installed: bundled lazily, the import would
 * still become a static one and fail at start, so it gets a stand-in that
 * says what happened if anyone sets DEV=true.
 */
const noDevtools = {
	name: 'no-devtools',
	setup(b) {
		b.onResolve({filter: /^react-devtools-core$/}, () => ({path: 'react-devtools-core', namespace: 'no-devtools'}));
		b.onLoad({filter: /.*/, namespace: 'no-devtools'}, () => ({
			contents:
				"const fail = () => { throw new Error('react-devtools-core is not part of this build: unset DEV'); };\n" +
				'export default {initialize: fail, connectToDevTools: fail};\n',
			loader: 'js',
		}));
	},
};

// `node source/build.mjs [ENTRY OUTFILE]`: the CLI by default; tests bundle their harnesses the same way.
const [entry = 'source/cli.tsx', outfile = 'dist/cli.js'] = process.argv.slice(2);

await build({
	entryPoints: [entry],
	outfile,
	bundle: true,
	platform: 'node',
	format: 'esm',
	target: 'node20',
	plugins: [noDevtools],
	banner: {
		js: "#!/usr/bin/env node\nimport {createRequire as __createRequire} from 'node:module';\nconst require = __createRequire(import.meta.url);",
	},
	define: {'process.env.NODE_ENV': '"production"'},
	logLevel: 'warning',
	legalComments: 'none',
});
