/**
 * `upgrade-wizard docs <product> --out DIR`: every screen of the product's
 * upgrade path as an SVG of the 80x24 terminal, a walkthrough in Markdown
 * and the state diagram (Mermaid), generated from the machine and the
 * simulated host. The same code gives the same files, byte for byte.
 */
import {mkdir, readdir, rm, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {DOCS} from '../docs/products.ts';
import {generateDocs} from '../docs/generate.ts';
import {EXIT, PRODUCTS, UsageError, type Product} from '../products.ts';

export const DOCS_HELP = `upgrade-wizard docs: the documentation of an upgrade path, generated from the code.

Usage:
  upgrade-wizard docs <product> --out DIR

Writes into DIR: NN-<step>-<screen>.svg (each screen at 80x24, as a terminal
shows it), walkthrough.md (the steps in order: why, commands, guards, the
screens) and states.mmd (the state diagram). Files of an earlier run that are
no longer generated are removed; other files in DIR are left alone.

Products: ${Object.keys(PRODUCTS).join(', ')}`;

function parse(argv: string[]): {product: Product; out: string} | 'help' {
	let product: string | null = null;
	let out: string | null = null;
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i]!;
		if (arg === '--help' || arg === '-h') return 'help';
		if (arg === '--out' || arg.startsWith('--out=')) {
			const value = arg === '--out' ? argv[++i] : arg.slice('--out='.length);
			if (!value || value.startsWith('--')) throw new UsageError('--out needs a folder, e.g. --out docs/pmg.');
			out = value;
		} else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}. See upgrade-wizard docs --help.`);
		else if (product) throw new UsageError(`one product at a time: got ${product} and ${arg}.`);
		else product = arg;
	}
	if (!product) throw new UsageError(`name the product, e.g. upgrade-wizard docs pmg --out docs/pmg. Products: ${Object.keys(PRODUCTS).join(', ')}.`);
	if (!Object.hasOwn(PRODUCTS, product)) throw new UsageError(`unknown product "${product}". Available: ${Object.keys(PRODUCTS).join(', ')}.`);
	if (!DOCS[product as Product]) throw new UsageError(`the ${product} documentation is not generated yet; available: ${Object.keys(DOCS).join(', ')}.`);
	if (!out) throw new UsageError(`say where the files go: upgrade-wizard docs ${product} --out DIR.`);
	return {product: product as Product, out};
}

/** Generate the files of a product's documentation (also used by the tests). */
export async function docsFiles(product: Product) {
	const {machine, probes} = PRODUCTS[product];
	const docs = DOCS[product];
	if (!docs) throw new UsageError(`the ${product} documentation is not generated yet; available: ${Object.keys(DOCS).join(', ')}.`);
	return generateDocs({product, machine: machine() as never, probes, docs});
}

export async function run(argv: string[]): Promise<number> {
	let args: ReturnType<typeof parse>;
	try {
		args = parse(argv);
	} catch (error) {
		if (error instanceof UsageError) {
			process.stderr.write(`upgrade-wizard docs: ${error.message}\n`);
			return EXIT.usage;
		}
		throw error;
	}
	if (args === 'help') {
		process.stdout.write(`${DOCS_HELP}\n`);
		return EXIT.ok;
	}
	const files = await docsFiles(args.product);
	try {
		await mkdir(args.out, {recursive: true});
		// Screens that no longer exist (renamed or renumbered) must not linger.
		const names = new Set(files.map(f => f.name));
		for (const name of await readdir(args.out)) {
			if (/^\d+-[\w.-]+\.svg$/.test(name) && !names.has(name)) await rm(path.join(args.out, name));
		}
		for (const file of files) await writeFile(path.join(args.out, file.name), file.content);
	} catch (error) {
		process.stderr.write(`upgrade-wizard docs: cannot write to ${args.out}: ${(error as Error).message}\n`);
		return EXIT.state;
	}
	const screens = files.filter(f => f.name.endsWith('.svg')).length;
	process.stdout.write(`Wrote ${screens} screens, walkthrough.md and states.mmd to ${args.out}\n`);
	return EXIT.ok;
}
