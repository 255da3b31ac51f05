/**
 * The upgrade paths this tool has, and what every command shares: exit
 * statuses, scenario files, where state and transcripts go.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {pmgUpgradeMachine} from '../machines/pmg-8-to-9.ts';
import {pmgProbes} from './runtime/pmg-probes.ts';
import {vmmUpgradeMachine} from '../machines/vmm-0.5-to-0.6.ts';
import {vmmProbes} from './runtime/vmm-probes.ts';
import {pmUpgradeMachine} from '../machines/puremessage-5.6-to-6.ts';
import {pmProbes} from './runtime/pm-probes.ts';
import {escapeControls} from './probes/ansi.ts';
import {ScenarioError} from './host/scenario.ts';

/** Exit statuses, documented in the README. */
export const EXIT = {ok: 0, failure: 1, usage: 2, notTerminal: 3, state: 4, checkWarn: 5, checkFail: 6, checkUnfinished: 7, locked: 8, rebooting: 0} as const;

export const PRODUCTS = {
	pmg: {machine: pmgUpgradeMachine, probes: pmgProbes, defaultScenario: 'clean', isProductHost: () => existsSync('/usr/bin/pmgversion')},
	// vmm installs itself as /usr/local/sbin/vmm (its install.sh); older installs used /usr/local/bin.
	vmm: {machine: vmmUpgradeMachine, probes: vmmProbes, defaultScenario: 'clean', isProductHost: () => existsSync('/usr/local/sbin/vmm') || existsSync('/usr/local/bin/vmm')},
	// A 5.6.1 server has /opt/pmx; one where 6 is installed already has /opt/pmx6 beside it.
	puremessage: {machine: pmUpgradeMachine, probes: pmProbes, defaultScenario: 'three-servers', isProductHost: () => existsSync('/opt/pmx')},
} as const;
export type Product = keyof typeof PRODUCTS;

/** A mistake in the command line or a file it names; what it quotes is shown with control bytes escaped. */
export class UsageError extends Error {
	constructor(message: string) {
		super(escapeControls(message));
	}
}

let unpackedScenarios: string | null = null;

/** The single executable unpacks the scenarios it carries and says where (source/entry.ts). */
export function useScenarioDir(dir: string) {
	unpackedScenarios = dir;
}

/** Where the bundled scenario files are, next to the built CLI or the sources. */
export function scenarioDir(): string {
	if (unpackedScenarios) return unpackedScenarios;
	const here = path.dirname(fileURLToPath(import.meta.url));
	for (const candidate of [path.resolve(here, '../scenarios'), path.resolve(here, '../../scenarios')]) {
		if (existsSync(candidate)) return candidate;
	}
	return path.resolve(here, '../scenarios');
}

export function resolveScenario(product: string, name: string): string {
	if (name.includes('/') || name.endsWith('.yaml') || name.endsWith('.yml')) {
		if (!existsSync(name)) throw new UsageError(`scenario file ${name} does not exist.`);
		return path.resolve(name);
	}
	const file = path.join(scenarioDir(), product, `${name}.yaml`);
	if (!existsSync(file)) {
		const dir = path.join(scenarioDir(), product);
		const known = existsSync(dir) ? readdirSync(dir).filter(f => f.endsWith('.yaml')).map(f => f.slice(0, -5)).sort() : [];
		throw new UsageError(`no bundled scenario "${name}" for ${product}. Bundled: ${known.join(', ') || 'none'}; or give a scenario file's path.`);
	}
	return file;
}

/**
 * A scenario describes one product's host: refused for another product, with
 * the file, the line of its `product:` and the command that plays it.
 */
export function refuseOtherProduct(scenario: {path: string; chain: string[]; product: string}, product: string, command: (product: string) => string): void {
	if (scenario.product === product) return;
	// The file of the chain that names the product: this one, or one it extends.
	let from: {path: string; line: number} | null = null;
	for (const file of [...scenario.chain].reverse()) {
		const index = readFileSync(file, 'utf8').split('\n').findIndex(l => /^product\s*:/.test(l));
		if (index >= 0) {
			from = {path: file, line: index + 1};
			break;
		}
	}
	const here = from?.path === scenario.path;
	throw new ScenarioError(
		scenario.path,
		here ? from!.line : 0,
		'',
		`product: ${scenario.product}${from && !here ? ` (from ${from.path}:${from.line})` : ''}, a scenario of ${scenario.product}, not of ${product}`,
		`run it as: ${command(scenario.product)}`,
	);
}

/**
 * Debian locations on a real host, a per-user place for simulations. A dry
 * run keeps its own place in a `dry-run` directory inside: a real run never
 * resumes where a dry run stopped (nothing of it ran), and a dry run never
 * moves, locks or writes a real run's place.
 */
export function stateLocation(product: string, simulated: string | null, stateDir: string | null, dryRun = false): {state: string; transcript: string} {
	if (dryRun) {
		const real = stateLocation(product, simulated, stateDir);
		const state = path.join(real.state, 'dry-run');
		return {state, transcript: path.join(state, 'transcript.log')};
	}
	if (stateDir) return {state: stateDir, transcript: path.join(stateDir, 'transcript.log')};
	if (simulated) {
		const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
		const dir = path.join(base, 'upgrade-wizard', 'simulated', `${product}-${path.basename(simulated).replace(/\.ya?ml$/, '')}`);
		return {state: dir, transcript: path.join(dir, 'transcript.log')};
	}
	return {state: path.join('/var/lib/upgrade-wizard', product), transcript: path.join('/var/log/upgrade-wizard', `${product}.log`)};
}

