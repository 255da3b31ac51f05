/**
 * The wizard's bundle (dist/wizard.cjs) compiled with V8's code cache for
 * it, for the launcher (source/launch.ts) and the single executable
 * (source/sea-main.ts). V8 checks that a cache fits the
 * source, this Node and its flags, and rejects one that does not: the
 * bundle is then compiled as without it.
 */
import {isAscii} from 'node:buffer';
import {readFileSync, renameSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

export type Compiled = {
	script: vm.Script;
	/** used: V8 took the cache; rejected: it did not fit; none: there is no cache file. */
	cache: 'used' | 'rejected' | 'none';
	/** Write V8's code cache of the script as it is now: with every function compiled so far. */
	writeCache(file: string): void;
	/** Run the bundle as Node runs a CommonJS module of that file name. */
	run(): void;
};

function readOptional(file: string): Buffer | undefined {
	try {
		return readFileSync(file);
	} catch {
		return undefined;
	}
}

export function compileBundle(bundle: string, cacheFile: string): Compiled {
	return compileSource(readFileSync(bundle), readOptional(cacheFile), bundle);
}

/** The bundle's bytes compiled as the script `filename`, with a code cache if there is one. */
export function compileSource(bytes: Buffer, cachedData: Buffer | undefined, filename: string): Compiled {
	// The build makes the bundle ASCII: read as such, it is a one-byte string at once (as UTF-8, ~35 ms more here).
	const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
	// The wrapper Node's CommonJS loader puts around a module, on a line of its own that does
	// not count: lines and columns in stack traces are the bundle's, as its source map has them.
	const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {\n${source}\n})`, {
		filename,
		lineOffset: -1,
		...(cachedData ? {cachedData} : {}),
		importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
	});
	return {
		script,
		cache: !cachedData ? 'none' : script.cachedDataRejected ? 'rejected' : 'used',
		writeCache(file) {
			const temp = `${file}.${process.pid}.tmp`;
			writeFileSync(temp, script.createCachedData());
			renameSync(temp, file);
		},
		run() {
			const module = {exports: {}};
			(script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(filename), module, filename, path.dirname(filename));
		},
	};
}
