/**
 * Entry of the wizard's bundle (dist/wizard.cjs), which runs as a CommonJS
 * script: under the launcher (dist/cli.js, with V8's code cache) or as the
 * main script of the single executable (`npm run build:binary`). Nothing
 * may wait at the top level of a script. Yoga's WebAssembly compiles in the
 * background while the CLI's modules are evaluated, and the CLI starts once
 * it is ready (ink lays nothing out before); in the single executable, the
 * scenario files it carries are unpacked first.
 */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {getAsset, isSea} from 'node:sea';
import {fileURLToPath} from 'node:url';
import {yogaReady} from 'yoga-ready';
import {SIM_TERMINAL_CODE, SIM_TERMINAL_VARIABLE} from './host/sim-terminal.ts';
import {useScenarioDir} from './products.ts';
import {markSingleExecutable} from './self.ts';
import {readableStack} from './stack.ts';

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
	// The executable started again as the terminal of a simulated command (there is no node to run it).
	if (isSea() && process.env[SIM_TERMINAL_VARIABLE] === '1') {
		// eslint-disable-next-line @typescript-eslint/no-implied-eval
		new Function('require', SIM_TERMINAL_CODE)(createRequire(process.execPath));
		return;
	}
	if (isSea()) {
		markSingleExecutable();
		useScenarioDir(unpackScenarios());
	}
	// The CLI's modules are evaluated while yoga's WebAssembly compiles (ink lays nothing out before).
	const {runCli} = await import('./cli.tsx');
	await yogaReady;
	runCli(process.argv.slice(2));
}

start().catch((error: unknown) => {
	const stack = (error as Error).stack;
	process.stderr.write(`upgrade-wizard: could not start: ${stack ? readableStack(stack, fileURLToPath(import.meta.url)) : String(error)}\n`);
	process.exit(1);
});
