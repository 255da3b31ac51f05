/**
 * `upgrade-wizard <product>`: the interactive wizard on this host or a
 * simulated one.
 */
import {spawnSync} from 'node:child_process';
import {copyFile, readdir, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {LocalHost} from '../host/local-host.ts';
import {serverHosts} from '../host/servers.ts';
import {CHECKS} from './check.ts';
import {SimulatedHost} from '../host/simulated-host.ts';
import {loadScenario, ScenarioError, type Scenario} from '../host/scenario.ts';
import {shellQuote, type Host} from '../host/types.ts';
import {EXIT, PRODUCTS, refuseOtherProduct, resolveScenario, stateLocation, UsageError, type Product} from '../products.ts';
import {acquireLock, LockedError, type Lock} from '../runtime/lock.ts';
import {leaveOnSignals} from '../runtime/signals.ts';
import {position, Wizard} from '../runtime/runtime.ts';
import {StateStore} from '../runtime/store.ts';
import {Transcript} from '../runtime/transcript.ts';
import {isSingleExecutable, selfArgv} from '../self.ts';
import {attachTerminal} from '../ui/session.tsx';
import {answered, didYouMean, parseCommand, seeHelp} from '../cli-args.ts';
import {COMMAND_NAMES, PRODUCT_NAMES, WIZARD} from '../cli-spec.ts';

const NOT_PRODUCT_HOST: Record<Product, string[]> = {
	pmg: ['This machine is not a Proxmox Mail Gateway host: the wizard runs on the'],
	vmm: ['This machine has no vmm (/usr/local/sbin/vmm): the wizard runs on the'],
	puremessage: ['This machine is not a PureMessage server (no /opt/pmx): the wizard runs on the'],
};
const OTHER_SCENARIOS: Record<Product, string> = {
	pmg: 'Other scenarios: --simulate low-disk, old-version, bad-locale, ...',
	vmm: 'Other scenarios: --simulate dovecot-1.1, from-0.6.0, old-0.4, ...',
	puremessage: 'Other scenarios: --simulate single, five-servers, hostname-changed, ...',
};

type Args = {product: Product; simulate: string | null; dryRun: boolean; stateDir: string | null; reset: boolean; deployment?: string};

/** The wizard's arguments (`upgrade-wizard <product> [options]`), or how it answered --help or --version. */
export function parseWizardArgs(argv: string[]): Args | number {
	const parsed = parseCommand(WIZARD, argv);
	const done = answered(parsed, WIZARD);
	if (done !== null || parsed.kind !== 'run') return done ?? EXIT.ok;
	const {values, operands} = parsed;
	const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
	const [first, ...more] = operands;
	if (!first) throw new UsageError(`name the product to upgrade, e.g. upgrade-wizard pmg. ${seeHelp(WIZARD)}`);
	if (!Object.hasOwn(PRODUCTS, first)) {
		throw new UsageError(`unknown product "${first}"${didYouMean(first, [...PRODUCT_NAMES, ...COMMAND_NAMES])}. Available: ${Object.keys(PRODUCTS).join(', ')}. ${seeHelp(WIZARD)}`);
	}
	if (more.length > 0) throw new UsageError(`one product at a time: got ${first} and ${more[0]}. ${seeHelp(WIZARD)}`);
	const product = first as Product;
	const simulate = str('simulate');
	const deployment = str('deployment');
	if (deployment && product !== 'puremessage') throw new UsageError(`--deployment is for upgrade-wizard puremessage. ${seeHelp(WIZARD)}`);
	return {
		product,
		simulate: simulate ?? null,
		dryRun: values['dry-run'] === true,
		stateDir: str('state-dir') ?? null,
		reset: values.reset === true,
		// A path on the machine the wizard runs on (or the simulated one): absolute for the probes.
		...(deployment ? {deployment: simulate || deployment.startsWith('/') ? deployment : path.resolve(deployment)} : {}),
	};
}

/** What `upgrade-wizard train` adds: why on every screen, its notice first, a summary at the end. */
export type TrainingHooks = {
	notice: string[];
	/** The arguments that start this training again (after the program), e.g. train low-disk. */
	againArgs: string[];
	summary: (wizard: Wizard, transcriptPath: string, again: string) => Promise<string>;
};

export async function runWizard(argv: string[], training?: TrainingHooks): Promise<number> {
	let args: Args;
	let scenario: string | null = null;
	let loadedScenario: Scenario | null = null;
	const notice: string[] = [...(training?.notice ?? [])];
	try {
		const parsed = parseWizardArgs(argv);
		if (typeof parsed === 'number') return parsed;
		args = parsed;
		// Named scenarios are checked before anything else, terminal or not.
		if (args.simulate) scenario = resolveScenario(args.product, args.simulate);
		else if (!PRODUCTS[args.product].isProductHost()) {
			scenario = resolveScenario(args.product, PRODUCTS[args.product].defaultScenario);
			notice.push(...NOT_PRODUCT_HOST[args.product], `bundled simulated host (scenario "${PRODUCTS[args.product].defaultScenario}"). Nothing here is changed.`, OTHER_SCENARIOS[args.product]);
		}
		// A scenario file with an error is named with its line and field now, terminal or not.
		if (scenario) loadedScenario = await loadScenario(scenario);
		if (loadedScenario && args.simulate) refuseOtherProduct(loadedScenario, args.product, other => `upgrade-wizard ${other} --simulate ${args.simulate}`);
	} catch (error) {
		if (error instanceof UsageError || error instanceof ScenarioError) {
			process.stderr.write(`upgrade-wizard: ${error.message}\n`);
			return EXIT.usage;
		}
		throw error;
	}
	if (!process.stdin.isTTY || !process.stdout.isTTY) {
		process.stderr.write(
			`upgrade-wizard: the wizard needs a terminal (stdin and stdout). Run it from a console, iKVM or an SSH session inside tmux.${
				Object.hasOwn(CHECKS, args.product) ? `\nWithout a terminal (cron, monitoring), the read-only pre-flight report: upgrade-wizard check ${args.product}` : ''
			}\n`,
		);
		return EXIT.notTerminal;
	}
	// A dumb terminal cannot move the cursor, which every redraw of a screen does.
	if (process.env.TERM === 'dumb') {
		process.stderr.write(
			`upgrade-wizard: TERM=dumb: this terminal cannot move the cursor, which the wizard's screens need. Set TERM to the terminal you use (TERM=linux on the console, TERM=vt100 on a serial line) and start it again.${
				Object.hasOwn(CHECKS, args.product) ? `\nWithout a full terminal, the read-only report: upgrade-wizard check ${args.product}` : ''
			}\n`,
		);
		return EXIT.notTerminal;
	}
	const product = PRODUCTS[args.product];
	const machine = product.machine();

	const where = stateLocation(args.product, scenario, args.stateDir, args.dryRun);
	// The real run's place: a dry run reads the simulated host's state from it, never writes it.
	const realState = stateLocation(args.product, scenario, args.stateDir).state;
	const store = new StateStore(where.state, args.product, (machine.root.meta as {version: number}).version);
	let transcript: Transcript;
	let host: Host;
	let lock: Lock;
	try {
		await store.prepare();
		// Before anything is read or reset: a second wizard on the same saved place would run steps twice.
		lock = await acquireLock(where.state);
		transcript = await Transcript.open(where.transcript);
		if (args.reset) {
			const loaded = await store.load();
			if (loaded.kind === 'ok') await store.clear();
			notice.push('--reset: the saved place was forgotten; starting at the first step.');
			if (scenario) {
				await rm(path.join(where.state, 'host.json'), {force: true});
				// The other servers of a simulated deployment.
				for (const name of await readdir(where.state)) if (/^host-.+\.json$/.test(name)) await rm(path.join(where.state, name), {force: true});
			}
		}
		// A dry run shows the simulated host as the real run left it, on a copy of its state.
		if (args.dryRun && scenario) await copyHostStates(realState, where.state);
		host = scenario ? await SimulatedHost.open(scenario, {stateFile: path.join(where.state, 'host.json'), ...(loadedScenario ? {scenario: loadedScenario} : {})}) : new LocalHost(process.env, {runDir: path.join(where.state, 'runs')});
	} catch (error: unknown) {
		if (error instanceof LockedError) {
			process.stderr.write(`upgrade-wizard: ${error.message}\n`);
			return EXIT.locked;
		}
		if (error instanceof ScenarioError) {
			process.stderr.write(`upgrade-wizard: ${error.message}\n`);
			return EXIT.usage;
		}
		const code = (error as NodeJS.ErrnoException).code;
		process.stderr.write(
			`upgrade-wizard: cannot use ${where.state} for the saved place and transcript: ${(error as Error).message}\n` +
				(code === 'EROFS'
					? 'That file system is mounted read-only: choose a directory on a writable one with --state-dir (or remount it read-write).\n'
					: 'Check that the directory is writable and the disk is not full, or choose another with --state-dir.\n'),
		);
		return EXIT.state;
	}

	process.on('exit', () => lock.releaseSync());
	if (lock.tookOverFrom !== null) {
		notice.push(`A lock left by a wizard that is no longer running (pid ${lock.tookOverFrom}) was taken over.`);
		await transcript.note(`took over the lock of pid ${lock.tookOverFrom}, which no longer runs`);
	}
	const loaded = await store.load();
	if (loaded.kind === 'unusable') {
		notice.push(
			`The saved place could not be used: ${loaded.reason}.`,
			`It was kept as ${loaded.keptAs}.`,
			'Enter starts the upgrade from the first step; q leaves.',
		);
	}
	// Inside tmux the same wizard starts again and resumes from the saved place.
	// A simulation names its state directory, so a tmux server started with another
	// environment (HOME, XDG_STATE_HOME) still finds the same saved place.
	const relaunch = [
		'tmux', 'new-session', '-A', '-s', 'upgrade-wizard', '--',
		// Without --reset: the wizard inside tmux resumes at the saved place, it does not forget it again.
		...selfArgv().filter(arg => arg !== '--reset'), ...(scenario && !args.stateDir ? ['--state-dir', realState] : []),
	];
	const wizard = new Wizard({
		relaunch,
		hostFor: serverHosts(host, loadedScenario, where.state),
		...(args.deployment ? {deployment: args.deployment} : {}),
		machine,
		host,
		store,
		transcript,
		probes: product.probes,
		dryRun: args.dryRun,
		processEnv: process.env,
		...(loaded.kind === 'ok' ? {snapshot: loaded.saved.snapshot} : {}),
	});

	let leave: (code: number) => void = () => undefined;
	const left = new Promise<number>(resolve => {
		leave = resolve;
	});
	const runs = await wizard.interruptedRuns();
	const open = () =>
		attachTerminal({
			runs,
			machine,
			wizard,
			hostLabel: host.label,
			transcriptPath: where.transcript,
			dryRun: args.dryRun,
			training: Boolean(training),
			notice,
			onLeave: () => leave(EXIT.ok),
		});

	leaveOnSignals(leave);
	let relaunched: Promise<number> | null = null;
	wizard.actor.subscribe(state => {
		const {step, screen} = position(state.value);
		if (step === 'reboot' && screen === 'waiting' && wizard.rebooting) setTimeout(() => leave(EXIT.rebooting), 300);
		// The operator chose to continue inside tmux: hand over to a wizard
		// started there, which resumes from the saved place.
		// Already inside tmux or screen (the simulated host said otherwise): nothing to relaunch.
		if (screen === 'relaunch' && (process.env.TMUX || process.env.STY)) setTimeout(() => wizard.send({type: 'host.session'}), 0);
		if (screen === 'relaunch' && !process.env.TMUX && !process.env.STY && !relaunched) {
			relaunched = (async () => {
				await wizard.flushed();
				await wizard.terminal!.suspend();
				process.stdout.write(`\n$ ${relaunch.map(shellQuote).join(' ')}\n`);
				// The wizard inside tmux takes the lock over from this one.
				await lock.release();
				const result = spawnSync(relaunch[0]!, relaunch.slice(1), {stdio: 'inherit'});
				if (result.error) {
					process.stderr.write(`upgrade-wizard: tmux could not be started (${result.error.message}). Install it (apt install tmux) or choose to go on without it.\n`);
				}
				leave(result.status ?? EXIT.failure);
				return result.status ?? EXIT.failure;
			})();
		}
	});

	const session = open();
	await wizard.start();
	const code = await left;
	session.close();
	try {
		await wizard.flushed();
	} catch (error) {
		process.stderr.write(`upgrade-wizard: the saved place could not be written: ${(error as Error).message}\n`);
		await transcript.close();
		return EXIT.state;
	}
	const {step} = position(wizard.actor.getSnapshot().value);
	const command = training ? selfCommand(training.againArgs) : againCommand(args);
	if (wizard.rebooting) process.stdout.write(`\nThe host is rebooting. After it is back, run:\n  ${command}\nto continue with the steps after the reboot.\n`);
	else if (wizard.actor.getSnapshot().status === 'done') process.stdout.write(`\nThe upgrade is finished. Transcript: ${where.transcript}\n`);
	else {
		process.stdout.write(`\nProgress kept at step "${step}". To continue, run:\n  ${command}\n`);
		// Left while a command ran (a signal, or q and y): it goes on without the wizard.
		if (position(wizard.actor.getSnapshot().value).screen === 'running' && !scenario) {
			process.stdout.write('A command of this step may still be running on the host; it was not stopped.\nStarted again, the wizard follows it to its end instead of starting it again.\n');
		}
	}
	await transcript.note(`wizard left at ${step}`);
	await transcript.close();
	if (training) process.stdout.write(`\n${await training.summary(wizard, where.transcript, command)}`);
	await lock.release();
	return code;
}

/** The command that starts this wizard again where it left off, as the operator started it. */
function againCommand(args: Args): string {
	const options = [
		// A dry run continues as a dry run, on its own saved place.
		...(args.dryRun ? ['--dry-run'] : []),
		...(args.simulate ? ['--simulate', args.simulate] : []),
		...(args.stateDir ? ['--state-dir', args.stateDir] : []),
		...(args.deployment ? ['--deployment', args.deployment] : []),
	];
	if (process.env.npm_lifecycle_event === 'start') return ['npm', 'start', ...(options.length > 0 ? ['--', ...options] : [])].map(shellQuote).join(' ');
	return selfCommand([args.product, ...options]);
}

/** The simulated hosts' saved states (host.json, host-<server>.json) of `from`, copied over those of `to`. */
async function copyHostStates(from: string, to: string): Promise<void> {
	const hostFile = (name: string) => /^host(-.+)?\.json$/.test(name);
	for (const name of (await readdir(to)).filter(hostFile)) await rm(path.join(to, name), {force: true});
	const names = await readdir(from).catch(() => [] as string[]);
	for (const name of names.filter(hostFile)) await copyFile(path.join(from, name), path.join(to, name));
}

/** This program with other arguments, as the operator started it. */
function selfCommand(rest: string[]): string {
	const script = process.argv[1] ?? 'upgrade-wizard';
	// The single executable as the operator named it (./upgrade-wizard-linux-x64): no node on such a host.
	if (isSingleExecutable()) return [script, ...rest].map(shellQuote).join(' ');
	const program = path.basename(script) === 'upgrade-wizard' ? ['upgrade-wizard'] : ['node', path.relative(process.cwd(), script) || script];
	return [...program, ...rest].map(shellQuote).join(' ');
}

