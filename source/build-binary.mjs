/**
 * `npm run build:binary`: one file, dist/upgrade-wizard-linux-x64, that runs
 * the wizard on a host without Node (Node's single executable applications):
 * the wizard's bundle as dist/cli.js runs it, V8's code cache of a start of
 * it and the scenario files as assets, a small main script that runs the
 * bundle from them (source/sea-main.ts), injected with postject into a copy
 * of the Node binary that runs this script (so the code cache fits it).
 */
import {execFileSync} from 'node:child_process';
import {copyFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import postject from 'postject';
import {build} from 'esbuild';
import {buildCli} from './build-plugins.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const output = path.join(root, 'dist/upgrade-wizard-linux-x64');
const work = path.join(root, 'dist/sea');
/** The fuse Node's binary carries for this purpose (documented with single executable applications). */
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Also in source/entry.ts and source/sea-main.ts. */
const MANIFEST = 'scenarios.json';
const BUNDLE_ASSET = 'wizard.cjs';
const CACHE_ASSET = 'wizard.cjs.cache';

function fail(message) {
	process.stderr.write(`build:binary: ${message}\n`);
	process.exit(1);
}

if (process.platform !== 'linux' || process.arch !== 'x64') fail(`builds the linux-x64 executable only, on linux-x64 (this is ${process.platform}-${process.arch}).`);
const [major, minor] = process.versions.node.split('.').map(Number);
// Assets and node:sea came with 20.12.
if (major < 20 || (major === 20 && minor < 12)) fail(`needs Node 20.12 or newer to build (this is ${process.version}).`);

rmSync(work, {recursive: true, force: true});
mkdirSync(work, {recursive: true});

// 1. The CLI as dist/cli.js has it (the bundle and V8's code cache of a start of it), and
// a main script that runs that bundle from the executable's assets (source/sea-main.ts).
const problem = await buildCli(work);
if (problem) process.stderr.write(`build:binary: no code cache for the executable (${problem}); it works, its start is slower.\n`);
const main = path.join(work, 'main.cjs');
await build({
	entryPoints: [path.join(root, 'source/sea-main.ts')],
	outfile: main,
	bundle: true,
	platform: 'node',
	format: 'cjs',
	target: 'node20',
	logLevel: 'warning',
	legalComments: 'none',
});

// 2. The scenarios as assets, listed in a manifest asset (Node 20 cannot list assets).
const scenarios = [];
const walk = dir => {
	for (const name of readdirSync(path.join(root, dir)).sort()) {
		const relative = `${dir}/${name}`;
		if (statSync(path.join(root, relative)).isDirectory()) walk(relative);
		else if (/\.ya?ml$/.test(name)) scenarios.push(relative);
	}
};
walk('scenarios');
if (scenarios.length === 0) fail('no scenario files under scenarios/.');
writeFileSync(path.join(work, MANIFEST), `${JSON.stringify(scenarios)}\n`);
const assets = {[MANIFEST]: path.join(work, MANIFEST), [BUNDLE_ASSET]: path.join(work, 'wizard.cjs')};
if (existsSync(path.join(work, 'wizard.cjs.cache'))) assets[CACHE_ASSET] = path.join(work, 'wizard.cjs.cache');
for (const file of scenarios) assets[file] = path.join(root, file);

const blob = path.join(work, 'sea-prep.blob');
writeFileSync(
	path.join(work, 'sea-config.json'),
	`${JSON.stringify({main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false, assets}, null, 2)}\n`,
);
try {
	execFileSync(process.execPath, ['--experimental-sea-config', path.join(work, 'sea-config.json')], {stdio: 'pipe'});
} catch (error) {
	fail(`node --experimental-sea-config failed:\n${error.stderr ?? ''}${error.stdout ?? ''}`);
}

// 3. A copy of this Node with the blob injected. Its debugging symbols are
// not needed to run it: stripped where strip(1) exists (~12 MB less).
rmSync(output, {force: true});
copyFileSync(process.execPath, output);
chmodSync(output, 0o755);
let stripped = false;
try {
	execFileSync('strip', ['--strip-all', output], {stdio: ['ignore', 'ignore', 'ignore']});
	stripped = true;
} catch {
	// No binutils: the executable is larger, nothing else changes.
}
// postject's ELF library warns about each note section of the stripped
// binary ("Can't find string offset for section name '.note'"): harmless.
const write = process.stderr.write.bind(process.stderr);
process.stderr.write = (chunk, ...rest) => (/Can't find string offset for section name/.test(String(chunk)) ? true : write(chunk, ...rest));
try {
	await postject.inject(output, 'NODE_SEA_BLOB', readFileSync(blob), {sentinelFuse: FUSE});
} finally {
	process.stderr.write = write;
}

const size = statSync(output).size;
process.stdout.write(
	`${path.relative(root, output)}: ${(size / 2 ** 20).toFixed(1)} MiB (Node ${process.version}${stripped ? ', stripped' : ''}; ${scenarios.length} scenario files inside)\n`,
);
