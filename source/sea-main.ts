/**
 * The main script of the single executable (`npm run build:binary`): the
 * wizard's bundle and V8's code cache of a real start of it are assets of
 * the executable, compiled and run here as dist/cli.js runs dist/wizard.cjs
 * (source/launch.ts). The executable is a copy of the Node that made the
 * cache, so V8 takes it; if it did not, the bundle would be compiled as
 * without it. The bundle itself sees that it runs in the executable
 * (source/entry.ts) and unpacks the scenarios it carries.
 */
import {getAsset} from 'node:sea';
import {compileSource} from './code-cache.ts';

/** The asset names; source/build-binary.mjs adds them. */
export const BUNDLE_ASSET = 'wizard.cjs';
export const CACHE_ASSET = 'wizard.cjs.cache';

function cacheAsset(): Buffer | undefined {
	try {
		return Buffer.from(getAsset(CACHE_ASSET));
	} catch {
		return undefined; // Built without one.
	}
}

// What the bundle takes for its own file: the executable.
compileSource(Buffer.from(getAsset(BUNDLE_ASSET)), cacheAsset(), process.execPath).run();
