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

/*
 * ink holds back every frame but the last when CI or CONTINUOUS_INTEGRATION
 * is set (is-in-ci), meant for logs of a build. The wizard only runs on a
 * terminal (it refuses otherwise), so such a variable, inherited from a CI
 * runner or an automation shell, would leave the operator a blank screen:
 * the wizard always draws.
 */
const alwaysDraw = {
	name: 'always-draw',
	setup(b) {
		b.onResolve({filter: /^is-in-ci$/}, () => ({path: 'is-in-ci', namespace: 'always-draw'}));
		b.onLoad({filter: /.*/, namespace: 'always-draw'}, () => ({
			contents: 'export default false;\n',
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
	plugins: [noDevtools, alwaysDraw],
	banner: {
		js: "#!/usr/bin/env node\nimport {createRequire as __createRequire} from 'node:module';\nconst require = __createRequire(import.meta.url);",
	},
	define: {'process.env.NODE_ENV': '"production"'},
	logLevel: 'warning',
	legalComments: 'none',
});
