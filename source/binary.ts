/**
 * Entry of the single executable (`npm run build:binary`): Node's
 * single-executable-application support runs this as a CommonJS script, so
 * nothing may wait at the top level. Yoga's WebAssembly is compiled first
 * (ink needs it only once it lays out a frame), the scenario files the
 * executable carries are unpacked, then the CLI runs as `node dist/cli.js`
 * would.
 */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {getAsset, isSea} from 'node:sea';
import {yogaReady} from 'yoga-ready';
import {useScenarioDir} from './products.ts';
import {markSingleExecutable} from './self.ts';

/** The name of the asset that lists the others (source/build-binary.mjs writes it). */
export const MANIFEST = 'scenarios.json';

/**
 * The scenarios are assets of the executable; the scenario loader reads
 * files (and `extends:` names its base by a path), so they are written to a
 * fresh private directory (mode 0700), removed again when the wizard exits.
 */
function unpackScenarios(): string {
	const keys = JSON.parse(getAsset(MANIFEST, 'utf8')) as string[];
	const dir = mkdtempSync(path.join(os.tmpdir(), 'upgrade-wizard-'));
	process.on('exit', () => rmSync(dir, {recursive: true, force: true}));
	for (const key of keys) {
		const file = path.join(dir, key);
		mkdirSync(path.dirname(file), {recursive: true, mode: 0o700});
		writeFileSync(file, getAsset(key, 'utf8'), {mode: 0o600});
	}
	return path.join(dir, 'scenarios');
}

async function start() {
	if (isSea()) {
		markSingleExecutable();
		useScenarioDir(unpackScenarios());
	}
	await yogaReady;
	await import('./cli.tsx');
}

start().catch((error: unknown) => {
	process.stderr.write(`upgrade-wizard: could not start: ${(error as Error).stack ?? String(error)}\n`);
	process.exit(1);
});
