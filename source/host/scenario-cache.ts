/**
 * The layers of the bundled scenario files, parsed and checked by the build,
 * by the SHA-256 of each file's text (source/host/scenario.ts). Empty here:
 * the build puts them in when it bundles (source/build-plugins.mjs); run
 * from the sources, as the tests do, every file is parsed. A file whose
 * text differs from the one the build saw is parsed too.
 */
export const PARSED_LAYERS: Readonly<Record<string, string>> = {};
