/**
 * `upgrade-wizard check <product> [--json] [--simulate NAME|FILE]`: the
 * read-only pre-flight report, without a terminal, for before the window,
 * after each fix, and for cron or a monitoring system. Exit status 0: nothing
 * to act on; 5: warnings; 6: failures (README, "Exit statuses").
 */
import {existsSync} from 'node:fs';
import path from 'node:path';
import {pmgChecks} from '../check/pmg.ts';
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
import type {Finding} from '../check/findings.ts';
import {EXIT, PRODUCTS, resolveScenario, UsageError} from '../products.ts';

/** What a check gets besides the host: how to reach the other servers of a deployment. */
export type CheckOptions = {deployment?: string; hostFor: (target: ServerTarget) => Promise<Host>};

/** The products that have a pre-flight check, and their checks. */
export const CHECKS: Record<string, (host: Host, options: CheckOptions) => Promise<Finding[]>> = {
	pmg: host => pmgChecks(host),
	vmm: host => vmmChecks(host),
	puremessage: (host, options) => pmChecks(host, options),
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

export const CHECK_HELP = `upgrade-wizard check: a read-only pre-flight report of an upgrade path.

Usage:
  upgrade-wizard check <product> [--json] [--simulate NAME|FILE]
  upgrade-wizard check puremessage [--deployment FILE] [--ssh-config FILE] [...]

Runs every read-only check of the path on this host and prints one line per
finding (PASS, INFO, SKIP, NOTICE, WARN, FAIL) with what to do, then the
counts. Nothing on the host is changed. --json prints the same as JSON
(schema in the README). --simulate runs it on a simulated host instead.
PureMessage checks every server of the deployment file (default
/etc/upgrade-wizard/puremessage-deployment.yaml), over OpenSSH where the
file says so; --ssh-config FILE is passed to ssh as -F FILE.

Exit status: 0 nothing to act on, ${EXIT.checkWarn} warnings, ${EXIT.checkFail} failures, ${EXIT.usage} usage error.
Products with a check: ${Object.keys(CHECKS).join(', ')}`;

type Args = {product: string; json: boolean; simulate: string | null; deployment: string | null; sshConfig: string | null};

function parse(argv: string[]): Args | 'help' {
	let product: string | null = null;
	let json = false;
	let simulate: string | null = null;
	let deployment: string | null = null;
	let sshConfig: string | null = null;
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i]!;
		if (arg === '--help' || arg === '-h') return 'help';
		if (arg === '--json') json = true;
		else if (arg === '--simulate' || arg.startsWith('--simulate=')) {
			const value = arg === '--simulate' ? argv[++i] : arg.slice('--simulate='.length);
			if (!value || value.startsWith('--')) throw new UsageError('--simulate needs a scenario name or file, e.g. --simulate low-disk.');
			simulate = value;
		} else if (arg === '--deployment' || arg === '--ssh-config') {
			const value = argv[++i];
			if (!value || value.startsWith('--')) throw new UsageError(`${arg} needs a file, e.g. ${arg} /root/${arg === '--deployment' ? 'deployment.yaml' : '.ssh/config'}.`);
			if (arg === '--deployment') deployment = value;
			else sshConfig = path.resolve(value);
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
	if ((deployment || sshConfig) && product !== 'puremessage') throw new UsageError('--deployment and --ssh-config are for check puremessage.');
	if (sshConfig && !existsSync(sshConfig)) throw new UsageError(`the ssh config file ${sshConfig} does not exist.`);
	return {product, json, simulate, deployment, sshConfig};
}

export async function run(argv: string[]): Promise<number> {
	let args: Args | 'help';
	let host: Host;
	let scenario: Scenario | null = null;
	try {
		args = parse(argv);
		if (args === 'help') {
			process.stdout.write(`${CHECK_HELP}\n`);
			return EXIT.ok;
		}
		if (args.simulate) {
			const file = resolveScenario(args.product, args.simulate);
			// In memory: a check leaves no state behind, not even a simulated one.
			scenario = await loadScenario(file);
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
	const findings = await CHECKS[args.product]!(host, {hostFor: checkHosts(scenario, args.sshConfig), ...(deployment ? {deployment} : {})});
	const result = report(args.product, host.label, findings);
	process.stdout.write(args.json ? renderJson(result) : renderText(result));
	return result.status;
}
