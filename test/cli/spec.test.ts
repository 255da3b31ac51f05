import {describe, expect, it} from 'vitest';
import {closest} from '../../source/cli-args.ts';
import {CHECK, DOCS as DOCS_COMMAND, EXIT_STATUSES, PRODUCT_NAMES} from '../../source/cli-spec.ts';
import {CHECKS} from '../../source/commands/check.ts';
import {DOCS} from '../../source/docs/products.ts';
import {EXIT, PRODUCTS} from '../../source/products.ts';

/*
 * The description of the command line (source/cli-spec.ts) imports no
 * machine, so it lists the products itself: here it must agree with what
 * the wizard has, or --help, the man page and the completion would lie.
 */
describe('the command line description', () => {
	it('names the products the wizard has, and the checks and docs that exist', () => {
		expect([...PRODUCT_NAMES]).toEqual(Object.keys(PRODUCTS));
		expect(CHECK.operand?.choices).toEqual(Object.keys(CHECKS));
		expect(DOCS_COMMAND.operand?.choices).toEqual(Object.keys(DOCS));
	});

	it('documents every exit status the program uses', () => {
		const documented = EXIT_STATUSES.flatMap(([codes]) => codes.split(', ').map(Number));
		for (const code of new Set(Object.values(EXIT))) expect(documented).toContain(code);
	});

	it.each([
		['simualte', ['simulate', 'state-dir'], 'simulate'],
		['jsn', ['json', 'simulate'], 'json'],
		['sim', ['simulate', 'dry-run'], 'simulate'],
		['PMG', ['pmg', 'vmm'], 'pmg'],
		['bogus', ['simulate', 'dry-run', 'reset'], null],
		['postfix', ['pmg', 'vmm', 'puremessage'], null],
		['x', ['help', 'version'], null],
	])('a mistyped %s is taken for %s -> %s', (word, valid, meant) => {
		expect(closest(word, valid)).toBe(meant);
	});
});
