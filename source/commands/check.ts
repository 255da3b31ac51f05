/**
 * `upgrade-wizard check <product> [--json] [--simulate NAME|FILE]`: the
 * read-only report, without a terminal, for before the window, after each
 * fix, after the upgrade, and for cron or a monitoring system. Exit status 0:
 * nothing to act on; 5: warnings; 6: failures; 7: an upgrade left unfinished
 * (README, "Exit statuses").
 */
import {existsSync} from 'node:fs';
import path from 'node:path';
import {pmgCheck} from '../check/pmg.ts';
import {pmChecks} from '../check/puremessage.ts';
import {vmmChecks} from '../check/vmm.ts';
import type {ServerTarget} from '../../machines/puremessage-5.6-to-6.ts';
import {SshHost} from '../host/ssh-host.ts';
import type {Scenario} from '../host/scenario.ts';
import {renderJson, renderText, report} from '../check/findings.ts';
import {LocalHost} from '../host/local-host.ts';
import {loadScenario, ScenarioError} from '../host/scenario.ts';
import {SimulatedHost} from '../host/simulated-host.ts';
import type {Host} from '../host/types.ts';
import type {CheckResult} from '../check/findings.ts';
import {EXIT, PRODUCTS, refuseOtherProduct, resolveScenario, UsageError} from '../products.ts';
import {answered, didYouMean, parseCommand, seeHelp} from '../cli-args.ts';
import {CHECK} from '../cli-spec.ts';

/** What a check gets besides the host: how to reach the other servers of a deployment. */
export type CheckOptions = {deployment?: string; hostFor: (target: ServerTarget) => Promise<Host>};

/** The products that have a pre-flight check, and their checks. */
export const CHECKS: Record<string, (host: Host, options: CheckOptions) => Promise<CheckResult>> = {
	pmg: host => pmgCheck(host),
	vmm: async host => ({findings: await vmmChecks(host)}),
	puremessage: async (host, options) => ({findings: await pmChecks(host, options)}),
};

/**
 * The hosts of the other servers, for a check: over OpenSSH (with the
 * operator's ssh config file, if named), or the scenario's simulated
 * servers, in memory so the check leaves nothing behind.
 */
export function checkHosts(scenario: Scenario | null, sshConfig: string | null) {
	const made = new Map<string, Promise<Host>>();
	return (target: ServerTarget): Promise<Host> => {
		let found = made.get(target.name);
		if (!found) {
			if (target.access === 'manual') found = Promise.reject(new Error(`${target.name} is reached by hand`));
			else if (scenario) {
				const file = scenario.servers[target.name];
				found = file ? SimulatedHost.open(file, {speed: 0}) : Promise.reject(new Error(`the scenario has no server "${target.name}" (add it under servers:)`));
			} else if (target.ssh) found = Promise.resolve(new SshHost(target.ssh, sshConfig ? {extra: ['-F', sshConfig]} : {}, `${target.name} (ssh ${target.ssh.destination})`));
			else found = Promise.reject(new Error(`${target.name}: access ssh needs ssh: in the deployment file`));
			made.set(target.name, found);
		}
		return found;
	};
}

type Args = {product: string; json: boolean; simulate: string | null; deployment: string | null; sshConfig: string | null};

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
	const {simulate, deployment} = parsed.values;
	const sshConfig = typeof parsed.values['ssh-config'] === 'string' ? path.resolve(parsed.values['ssh-config']) : null;
	if ((typeof deployment === 'string' || sshConfig) && product !== 'puremessage') throw new UsageError(`--deployment and --ssh-config are for check puremessage. ${seeHelp(CHECK)}`);
	if (sshConfig && !existsSync(sshConfig)) throw new UsageError(`the ssh config file ${sshConfig} does not exist.`);
	return {
		product,
		json: parsed.values.json === true,
		simulate: typeof simulate === 'string' ? simulate : null,
		deployment: typeof deployment === 'string' ? deployment : null,
		sshConfig,
	};
}

export async function run(argv: string[]): Promise<number> {
	let args: Args;
	let host: Host;
	let scenario: Scenario | null = null;
	try {
		const parsed = parse(argv);
		if (typeof parsed === 'number') return parsed;
		args = parsed;
		if (args.simulate) {
			const file = resolveScenario(args.product, args.simulate);
			// In memory: a check leaves no state behind, not even a simulated one.
			scenario = await loadScenario(file);
			refuseOtherProduct(scenario, args.product, other => `upgrade-wizard check ${other} --simulate ${args.simulate}`);
			host = await SimulatedHost.open(file, {scenario, speed: 0});
		} else host = new LocalHost(process.env);
	} catch (error) {
		if (error instanceof UsageError || error instanceof ScenarioError) {
			process.stderr.write(`upgrade-wizard check: ${error.message}\n`);
			return EXIT.usage;
		}
		throw error;
	}
	const deployment = args.deployment && !args.simulate ? path.resolve(args.deployment) : args.deployment;
	const checked = await CHECKS[args.product]!(host, {hostFor: checkHosts(scenario, args.sshConfig), ...(deployment ? {deployment} : {})});
	const result = report(args.product, host.label, checked);
	process.stdout.write(args.json ? renderJson(result) : renderText(result));
	return result.status;
}
