/**
 * A module made at build time (source/build-plugins.mjs): resolves once
 * yoga's WebAssembly is compiled, which a CommonJS bundle cannot await at
 * its top level.
 */
declare module 'yoga-ready' {
	export const yogaReady: Promise<void>;
}
