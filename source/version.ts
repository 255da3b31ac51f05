/**
 * The version of this build: package.json's version and the commit it was
 * built from, baked into the bundle by the build (buildWizardBundle in
 * source/build-plugins.mjs defines __UPGRADE_WIZARD_BUILD__), so the single
 * executable knows them without a package.json beside it. Run from the
 * sources (the tests), package.json is read and the commit is unknown.
 */
import {readFileSync} from 'node:fs';

declare const __UPGRADE_WIZARD_BUILD__: {version: string; commit: string | null} | undefined;

function fromSources(): {version: string; commit: string | null} {
	try {
		const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {version?: string};
		return {version: pkg.version ?? 'unknown', commit: null};
	} catch {
		return {version: 'unknown', commit: null};
	}
}

export const BUILD = typeof __UPGRADE_WIZARD_BUILD__ === 'undefined' ? fromSources() : __UPGRADE_WIZARD_BUILD__;
