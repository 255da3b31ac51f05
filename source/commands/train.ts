/**
 * `upgrade-wizard train`: the wizard on a simulated host for training. It
 * lists the bundled training scenarios (title, what goes wrong,
 * difficulty), starts the wizard on the chosen one with every step saying
 * why it exists, and ends with a summary of what the trainee met and did.
 * A trainer's own scenario file is checked first: a mistake is named with
 * its file, line and field.
 */
import {readdir, readFile} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {loadScenario, ScenarioError, type Scenario} from '../host/scenario.ts';
import {EXIT, PRODUCTS, scenarioDir, scenarioKey, UsageError, type Product} from '../products.ts';
import {trainingSummary} from '../training/summary.ts';
import {wrap} from '../ui/text.ts';
import {pickTraining} from '../ui/TrainingPicker.tsx';
import {runWizard} from './wizard.tsx';
import {answered, didYouMean, parseCommand, seeHelp} from '../cli-args.ts';
import {TRAIN} from '../cli-spec.ts';

type Args = {name: string | null; file: string | null; list: boolean; reset: boolean; stateDir: string | null};

function parse(argv: string[]): Args | number {
	const parsed = parseCommand(TRAIN, argv);
	const done = answered(parsed, TRAIN);
	if (done !== null || parsed.kind !== 'run') return done ?? EXIT.ok;
	const {values, operands} = parsed;
	const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : null);
	if (operands.length > 1) throw new UsageError(`one scenario at a time: got ${operands[0]} and ${operands[1]}. ${seeHelp(TRAIN)}`);
	const args: Args = {name: operands[0] ?? null, file: str('scenario'), list: values.list === true, reset: values.reset === true, stateDir: str('state-dir')};
	if (args.name && args.file) throw new UsageError(`give a scenario name or --scenario FILE, not both. ${seeHelp(TRAIN)}`);
	return args;
}

/** A bundled training scenario. */
export type Training = {product: Product; name: string; file: string; scenario: Scenario};

const DIFFICULTY_ORDER = {easy: 0, medium: 1, hard: 2} as const;

/** The bundled scenarios of every product, easy ones first. */
export async function trainings(): Promise<Training[]> {
	const list: Training[] = [];
	for (const product of Object.keys(PRODUCTS) as Product[]) {
		const dir = path.join(scenarioDir(), product);
		const names = (await readdir(dir).catch(() => [] as string[])).filter(n => n.endsWith('.yaml')).sort();
		for (const name of names) {
			const file = path.join(dir, name);
			list.push({product, name: name.slice(0, -'.yaml'.length), file, scenario: await loadScenario(file)});
		}
	}
	const rank = (t: Training) => DIFFICULTY_ORDER[t.scenario.difficulty ?? 'medium'];
	return list.sort((a, b) => a.product.localeCompare(b.product) || rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/** What goes wrong: the description up to its lesson ("Learn ..."), which the summary repeats at the end. */
export function whatGoesWrong(description: string): string {
	const text = description.replace(/\s+/g, ' ').trim();
	const lesson = text.search(/(^|\. )Learn /);
	return lesson > 0 ? text.slice(0, lesson + 1) : text;
}

export function listing(list: Training[]): string {
	const out = ['Training scenarios: the wizard on a simulated host; nothing on this machine is changed.', ''];
	list.forEach((t, index) => {
		const head = `${String(index + 1).padStart(3)}. ${t.name}`;
		out.push(`${head.padEnd(30)} ${(t.scenario.difficulty ?? '-').padEnd(7)} ${t.product}: ${t.scenario.title}`);
		for (const l of wrap(whatGoesWrong(t.scenario.description), 72)) out.push(`       ${l}`);
		out.push('');
	});
	out.push('Start one with: upgrade-wizard train NAME   (your own file: --scenario FILE)');
	return `${out.join('\n')}\n`;
}

function fitLines(lines: string[], max: number): string[] {
	return lines.length <= max ? lines : [...lines.slice(0, max - 1), '(the whole description: upgrade-wizard train --list)'];
}

/** Where a training keeps its place and transcript: apart from `--simulate` runs of the same scenario. */
/** A training's place: by the scenario file's path and content (scenarioKey), not its name alone. */
function trainingDir(product: string, name: string, file: string): string {
	const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
	return path.join(base, 'upgrade-wizard', 'training', `${product}-${name}-${scenarioKey(file)}`);
}

export async function run(argv: string[]): Promise<number> {
	let args: Args;
	let training: Training | null = null;
	try {
		const parsed = parse(argv);
		if (typeof parsed === 'number') return parsed;
		args = parsed;
		if (args.file) {
			// A trainer's file: every field checked before anything starts.
			const scenario = await loadScenario(args.file);
			if (!Object.hasOwn(PRODUCTS, scenario.product)) {
				throw new UsageError(`${args.file}: product "${scenario.product}" has no upgrade path yet; available: ${Object.keys(PRODUCTS).join(', ')}.`);
			}
			const name = path.basename(args.file).replace(/\.ya?ml$/, '');
			training = {product: scenario.product as Product, name, file: path.resolve(args.file), scenario};
		} else {
			const list = await trainings();
			// Without a terminal, or on one that cannot move the cursor (TERM=dumb): the list as text.
			if (args.list || (!args.name && (!(process.stdin.isTTY && process.stdout.isTTY) || process.env.TERM === 'dumb'))) {
				process.stdout.write(listing(list));
				return EXIT.ok;
			}
			if (args.name) {
				// Products share names (each has a clean.yaml): "vmm/clean" picks the product's own.
				training = list.find(t => `${t.product}/${t.name}` === args.name) ?? list.find(t => t.name === args.name) ?? null;
				if (!training) {
					const names = [...new Set(list.map(t => t.name))];
					// A product's name: its scenarios, and how to start one.
					const product = (Object.keys(PRODUCTS) as Product[]).find(p => p === args.name);
					// By code unit: the same order whatever the locale.
					const namesOf = (p: Product) => list.filter(t => t.product === p).map(t => t.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join(', ');
					if (product) throw new UsageError(`"${product}" is a product, not a scenario: start one of its scenarios with upgrade-wizard train ${product}/NAME (${namesOf(product)}), or pick from the list with upgrade-wizard train.`);
					const known = (Object.keys(PRODUCTS) as Product[]).map(p => `${p}: ${namesOf(p)}`).join('; ');
					throw new UsageError(`no training scenario "${args.name}"${didYouMean(args.name, names)}. Known: ${known} (where products share a name, add the product: vmm/clean); or --scenario FILE. ${seeHelp(TRAIN)}`);
				}
			} else {
				const picked = await pickTraining(
					list.map(t => ({name: t.name, difficulty: t.scenario.difficulty ?? '-', title: `${t.product}: ${t.scenario.title}`, whatGoesWrong: whatGoesWrong(t.scenario.description)})),
				);
				if (picked === null) return EXIT.ok;
				training = list[picked]!;
			}
		}
	} catch (error) {
		if (error instanceof UsageError || error instanceof ScenarioError) {
			process.stderr.write(`upgrade-wizard train: ${error.message}\n`);
			return EXIT.usage;
		}
		throw error;
	}

	const chosen = training;
	const list = args.file ? [] : await trainings();
	// The name alone where it is unique, else with its product (vmm/clean).
	const shared = !args.file && list.find(t => t.name === chosen.name)?.product !== chosen.product;
	const againArgs = ['train', ...(args.file ? ['--scenario', args.file] : [shared ? `${chosen.product}/${chosen.name}` : chosen.name]), ...(args.stateDir ? ['--state-dir', args.stateDir] : [])];
	const stateDir = args.stateDir ?? trainingDir(chosen.product, chosen.name, chosen.file);
	return runWizard([chosen.product, '--simulate', chosen.file, '--state-dir', stateDir, ...(args.reset ? ['--reset'] : [])], {
		notice: [
			`Training: ${chosen.scenario.title}${chosen.scenario.difficulty ? ` (${chosen.scenario.difficulty})` : ''}`,
			'',
			// The notice has the body's rows: a long description is cut, the list has it whole.
			...fitLines(wrap(chosen.scenario.description.replace(/\s+/g, ' ').trim(), 76), 10),
			'',
			'Every command runs on the simulated host; apt and dpkg ask you on the',
			'terminal, as on a real host. Each screen says why its step exists; ? shows',
			'more; ! opens a command line where a step stops. q leaves with a summary.',
		],
		againArgs,
		summary: async (wizard, transcriptPath, again) =>
			trainingSummary({
				machine: PRODUCTS[chosen.product].machine() as never,
				scenarioTitle: chosen.scenario.title,
				transcript: await readFile(transcriptPath, 'utf8').catch(() => ''),
				snapshot: wizard.actor.getSnapshot() as never,
				again,
			}),
	});
}
