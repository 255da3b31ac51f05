/**
 * `upgrade-wizard check <product> [--json] [--simulate NAME|FILE]`: the
 * read-only pre-flight report, without a terminal, for before the window,
 * after each fix, and for cron or a monitoring system. Exit status 0: nothing
 * to act on; 5: warnings; 6: failures (README, "Exit statuses").
 */
import {pmgChecks} from '../check/pmg.ts';
import {renderJson, renderText, report} from '../check/findings.ts';
import {LocalHost} from '../host/local-host.ts';
import {loadScenario, ScenarioError} from '../host/scenario.ts';
import {SimulatedHost} from '../host/simulated-host.ts';
import type {Host} from '../host/types.ts';
import type {Finding} from '../check/findings.ts';
import {EXIT, PRODUCTS, resolveScenario, UsageError} from '../products.ts';

/** The products that have a pre-flight check, and their checks. */
export const CHECKS: Record<string, (host: Host) => Promise<Finding[]>> = {pmg: pmgChecks};

export const CHECK_HELP = `upgrade-wizard check: a read-only pre-flight report of an upgrade path.

Usage:
  upgrade-wizard check <product> [--json] [--simulate NAME|FILE]

Runs every read-only check of the path on this host and prints one line per
finding (PASS, INFO, SKIP, NOTICE, WARN, FAIL) with what to do, then the
counts. Nothing on the host is changed. --json prints the same as JSON
(schema in the README). --simulate runs it on a simulated host instead.

Exit status: 0 nothing to act on, ${EXIT.checkWarn} warnings, ${EXIT.checkFail} failures, ${EXIT.usage} usage error.
Products with a check: ${Object.keys(CHECKS).join(', ')}`;

type Args = {product: string; json: boolean; simulate: string | null};

function parse(argv: string[]): Args | 'help' {
	let product: string | null = null;
	let json = false;
	let simulate: string | null = null;
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i]!;
		if (arg === '--help' || arg === '-h') return 'help';
		if (arg === '--json') json = true;
		else if (arg === '--simulate' || arg.startsWith('--simulate=')) {
			const value = arg === '--simulate' ? argv[++i] : arg.slice('--simulate='.length);
			if (!value || value.startsWith('--')) throw new UsageError('--simulate needs a scenario name or file, e.g. --simulate low-disk.');
			simulate = value;
		} else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}. See upgrade-wizard check --help.`);
		else if (product) throw new UsageError(`one product at a time: got ${product} and ${arg}.`);
		else product = arg;
	}
	if (!product) throw new UsageError(`name the product, e.g. upgrade-wizard check pmg. Products with a check: ${Object.keys(CHECKS).join(', ')}.`);
	if (!Object.hasOwn(CHECKS, product)) {
		throw new UsageError(
			Object.hasOwn(PRODUCTS, product) ? `there is no pre-flight check for ${product} yet; products with one: ${Object.keys(CHECKS).join(', ')}.` : `unknown product "${product}". Products with a check: ${Object.keys(CHECKS).join(', ')}.`,
		);
	}
	return {product, json, simulate};
}

export async function run(argv: string[]): Promise<number> {
	let args: Args | 'help';
	let host: Host;
	try {
		args = parse(argv);
		if (args === 'help') {
			process.stdout.write(`${CHECK_HELP}\n`);
			return EXIT.ok;
		}
		if (args.simulate) {
			const file = resolveScenario(args.product, args.simulate);
			// In memory: a check leaves no state behind, not even a simulated one.
			host = await SimulatedHost.open(file, {scenario: await loadScenario(file), speed: 0});
		} else host = new LocalHost(process.env);
	} catch (error) {
		if (error instanceof UsageError || error instanceof ScenarioError) {
			process.stderr.write(`upgrade-wizard check: ${error.message}\n`);
			return EXIT.usage;
		}
		throw error;
	}
	const findings = await CHECKS[args.product]!(host);
	const result = report(args.product, host.label, findings);
	process.stdout.write(args.json ? renderJson(result) : renderText(result));
	return result.status;
}
