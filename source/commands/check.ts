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
import {answered, didYouMean, parseCommand, seeHelp} from '../cli-args.ts';
import {CHECK} from '../cli-spec.ts';

/** The products that have a pre-flight check, and their checks. */
export const CHECKS: Record<string, (host: Host) => Promise<Finding[]>> = {pmg: pmgChecks};

type Args = {product: string; json: boolean; simulate: string | null};

function parse(argv: string[]): Args | number {
	const parsed = parseCommand(CHECK, argv);
	const done = answered(parsed, CHECK);
	if (done !== null || parsed.kind !== 'run') return done ?? EXIT.ok;
	const [product, ...more] = parsed.operands;
	const known = Object.keys(CHECKS).join(', ');
	if (!product) throw new UsageError(`name the product, e.g. upgrade-wizard check pmg. Products with a check: ${known}. ${seeHelp(CHECK)}`);
	if (more.length > 0) throw new UsageError(`one product at a time: got ${product} and ${more[0]}. ${seeHelp(CHECK)}`);
	if (!Object.hasOwn(CHECKS, product)) {
		throw new UsageError(
			Object.hasOwn(PRODUCTS, product)
				? `there is no pre-flight check for ${product} yet; products with one: ${known}.`
				: `unknown product "${product}"${didYouMean(product, Object.keys(CHECKS))}. Products with a check: ${known}. ${seeHelp(CHECK)}`,
		);
	}
	const simulate = parsed.values.simulate;
	return {product, json: parsed.values.json === true, simulate: typeof simulate === 'string' ? simulate : null};
}

export async function run(argv: string[]): Promise<number> {
	let args: Args;
	let host: Host;
	try {
		const parsed = parse(argv);
		if (typeof parsed === 'number') return parsed;
		args = parsed;
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
