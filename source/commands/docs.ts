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
import {answered, didYouMean, parseCommand, seeHelp} from '../cli-args.ts';
import {DOCS as DOCS_COMMAND} from '../cli-spec.ts';

function parse(argv: string[]): {product: Product; out: string} | number {
	const parsed = parseCommand(DOCS_COMMAND, argv);
	const done = answered(parsed, DOCS_COMMAND);
	if (done !== null || parsed.kind !== 'run') return done ?? EXIT.ok;
	const [product, ...more] = parsed.operands;
	const out = parsed.values.out;
	if (!product) throw new UsageError(`name the product, e.g. upgrade-wizard docs pmg --out docs/pmg. Products: ${Object.keys(PRODUCTS).join(', ')}. ${seeHelp(DOCS_COMMAND)}`);
	if (more.length > 0) throw new UsageError(`one product at a time: got ${product} and ${more[0]}. ${seeHelp(DOCS_COMMAND)}`);
	if (!Object.hasOwn(PRODUCTS, product)) {
		throw new UsageError(`unknown product "${product}"${didYouMean(product, Object.keys(PRODUCTS))}. Available: ${Object.keys(PRODUCTS).join(', ')}. ${seeHelp(DOCS_COMMAND)}`);
	}
	if (!DOCS[product as Product]) throw new UsageError(`the ${product} documentation is not generated yet; available: ${Object.keys(DOCS).join(', ')}.`);
	if (typeof out !== 'string') throw new UsageError(`say where the files go: upgrade-wizard docs ${product} --out DIR. ${seeHelp(DOCS_COMMAND)}`);
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
	if (typeof args === 'number') return args;
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
