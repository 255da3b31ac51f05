/**
 * dist/cli.js: starts the bundled wizard (dist/wizard.cjs) with V8's code
 * cache for it (dist/wizard.cjs.cache, made by `npm run build`).
 *
 * Without the cache, Node parses the whole bundle at every start and
 * compiles each function the first frame needs, a good part of the time to
 * the first frame. With it, V8 takes the code as it was compiled at the end
 * of a real start. A cache that does not fit (another Node, `node
 * --cpu-prof`) is rejected and the bundle compiled as without it: slower,
 * nothing else changes.
 */
import path from 'node:path';
import {compileBundle} from './code-cache.ts';

// A CommonJS script (dist/package.json says so): Node starts one sooner than an ES module.
const bundle = path.join(__dirname, 'wizard.cjs');
const compiled = compileBundle(bundle, `${bundle}.cache`);

// Set by the build only (buildCli in source/build-plugins.mjs): at the end of the run, the cache, with what the run compiled.
const writeTo = process.env.UPGRADE_WIZARD_WRITE_CODE_CACHE;
if (writeTo) {
	delete process.env.UPGRADE_WIZARD_WRITE_CODE_CACHE;
	process.on('exit', () => compiled.writeCache(writeTo));
}

compiled.run();
