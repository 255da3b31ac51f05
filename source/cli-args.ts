/**
 * The one argument parser of every command (Node's util.parseArgs, from the
 * description in source/cli-spec.ts), the help texts made from the same
 * description, and `--version`. A mistake is a UsageError with one line that
 * says what is wrong and where the help is; every command prints it the same
 * way and exits with status 2 (usageError).
 */
import {parseArgs} from 'node:util';
import {COMMANDS, KEYS, optionsOf, PRODUCT_LIST, PROGRAM, WIZARD, type CommandSpec, type OptionSpec} from './cli-spec.ts';
import {EXIT, UsageError} from './products.ts';
import {BUILD} from './version.ts';
import {wrap} from './ui/text.ts';

export type Parsed = {kind: 'help'} | {kind: 'version'} | {kind: 'run'; values: Record<string, string | true>; operands: string[]};

/** How the operator names the command: `upgrade-wizard check`, or `upgrade-wizard` for the wizard. */
export function commandName(command: CommandSpec): string {
	return command.name ? `${PROGRAM} ${command.name}` : PROGRAM;
}

export const seeHelp = (command: CommandSpec) => `See ${commandName(command)} --help.`;

/** Optimal string alignment distance: edits, a swap of two neighbours counting as one. */
function distance(a: string, b: string): number {
	const d = Array.from({length: a.length + 1}, (_, i) => Array.from({length: b.length + 1}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
	for (let i = 1; i <= a.length; i++) {
		for (let j = 1; j <= b.length; j++) {
			const cost = a[i - 1] === b[j - 1] ? 0 : 1;
			d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
		}
	}
	return d[a.length]![b.length]!;
}

/** The valid word closest to a mistyped one, if one is close enough to be meant (or it begins one alone). */
export function closest(word: string, valid: readonly string[]): string | null {
	const lower = word.toLowerCase();
	const starting = valid.filter(v => lower.length >= 2 && v.startsWith(lower));
	if (starting.length === 1) return starting[0]!;
	let best: string | null = null;
	let bestDistance = Infinity;
	for (const v of valid) {
		const d = distance(lower, v);
		if (d < bestDistance) [best, bestDistance] = [v, d];
	}
	return best !== null && bestDistance <= Math.max(1, Math.floor(best.length / 3)) ? best : null;
}

export const didYouMean = (word: string, valid: readonly string[], prefix = '') => {
	const near = closest(word, valid);
	return near ? ` (did you mean ${prefix}${near}?)` : '';
};

/**
 * The options and operands of one command. `--help` and `--version` win
 * over the rest, once every option is known; the command checks its
 * operands (which product, which scenario) itself.
 */
export function parseCommand(command: CommandSpec, argv: string[]): Parsed {
	const specs = optionsOf(command);
	const byName = new Map(specs.map(o => [o.name, o]));
	const options = Object.fromEntries(specs.map(o => [o.name, {type: o.value ? ('string' as const) : ('boolean' as const), ...(o.short ? {short: o.short} : {})}]));
	// Not strict: the mistakes are worded here, with the help to see and the option meant.
	const {tokens} = parseArgs({args: argv, options, strict: false, allowPositionals: true, tokens: true});
	const values: Record<string, string | true> = {};
	const operands: string[] = [];
	for (const token of tokens) {
		if (token.kind === 'positional') operands.push(token.value);
		if (token.kind !== 'option') continue;
		const spec: OptionSpec | undefined = byName.get(token.name);
		if (!spec) {
			const long = specs.map(o => `--${o.name}`);
			const near = token.rawName.startsWith('--') ? didYouMean(token.rawName.slice(2), specs.map(o => o.name), '--') : didYouMean(token.rawName, long);
			throw new UsageError(`unknown option ${token.rawName}${near}. ${seeHelp(command)}`);
		}
		if (spec.value) {
			// `--simulate --dry-run`: the next word is another option, not the value.
			if (token.value === undefined || token.value === '' || (!token.inlineValue && token.value.startsWith('-'))) {
				throw new UsageError(`--${spec.name} needs a value (${spec.value}), e.g. --${spec.name} ${example(spec)}. ${seeHelp(command)}`);
			}
			if (values[spec.name] !== undefined && values[spec.name] !== token.value) throw new UsageError(`--${spec.name} given twice (${String(values[spec.name])} and ${token.value}); give it once.`);
			values[spec.name] = token.value;
		} else {
			if (token.inlineValue) throw new UsageError(`--${spec.name} takes no value (got ${token.rawName}=${token.value}). ${seeHelp(command)}`);
			values[spec.name] = true;
		}
	}
	if (values.help) return {kind: 'help'};
	if (values.version) return {kind: 'version'};
	return {kind: 'run', values, operands};
}

function example(spec: OptionSpec): string {
	if (spec.complete === 'scenario') return 'low-disk';
	if (spec.complete === 'dir') return spec.name === 'out' ? 'docs/pmg' : '/tmp/wizard-state';
	return 'FILE';
}

/** What a command answers to --help or --version before it does anything else; null to go on. */
export function answered(parsed: Parsed, command: CommandSpec): number | null {
	if (parsed.kind === 'help') process.stdout.write(helpText(command));
	else if (parsed.kind === 'version') process.stdout.write(`${versionText()}\n`);
	else return null;
	return EXIT.ok;
}

/** `upgrade-wizard 0.1.0 (commit 85b3823a1b2c)`: the commit where the build knew it. */
export function versionText(): string {
	return `${PROGRAM} ${BUILD.version}${BUILD.commit ? ` (commit ${BUILD.commit})` : ''}`;
}

/** Rows of a two-column table: the term, then its text wrapped beside it. */
function table(rows: [string, string][], indent = '  ', widest = 24): string[] {
	const width = Math.min(widest, Math.max(...rows.map(([term]) => term.length)) + 2);
	const out: string[] = [];
	for (const [term, text] of rows) {
		const lines = wrap(text, 78 - indent.length - width);
		if (term.length + 2 > width) {
			out.push(`${indent}${term}`);
			for (const l of lines) out.push(`${indent}${' '.repeat(width)}${l}`);
		} else {
			lines.forEach((l, i) => out.push(`${indent}${(i === 0 ? term : '').padEnd(width)}${l}`));
		}
	}
	return out;
}

export const optionTerm = (o: OptionSpec) => `${o.short ? `-${o.short}, ` : ''}--${o.name}${o.value ? ` ${o.value}` : ''}`;

function usageLines(command: CommandSpec): string[] {
	const rows: [string, string][] = command.synopsis.map(s => [`${PROGRAM} ${s.args}`, s.help ?? '']);
	return rows.some(([, help]) => help) ? table(rows, '  ', 40) : rows.map(([term]) => `  ${term}`);
}

/** The help of one command: what it does, how it is called, every option. */
export function helpText(command: CommandSpec): string {
	const out: string[] = [];
	if (!command.name) return overview();
	out.push(`${commandName(command)}: ${command.summary}.`, '', 'Usage:', ...usageLines(command), '', ...wrap(command.description, 78), '', 'Options:', ...table(optionsOf(command).map(o => [optionTerm(o), o.help])));
	if (command.operand?.name === 'product') out.push('', `Products: ${command.operand.choices.join(', ')}`);
	return `${out.join('\n')}\n`;
}

/** `upgrade-wizard --help`: the wizard's usage and options, every command in a line, the keys. */
function overview(): string {
	const out = [
		`${PROGRAM}: walks you through a major-version upgrade of a mail system.`,
		'',
		'Usage:',
		...usageLines(WIZARD),
		...COMMANDS.map(c => `  ${PROGRAM} ${c.synopsis[0]!.args}${c.synopsis.length > 1 ? ' ...' : ''}`),
		'',
		'Commands:',
		...table([['<product>', WIZARD.summary], ...COMMANDS.map((c): [string, string] => [c.name, c.summary])]),
		'',
		'Products:',
		...table(PRODUCT_LIST.map(p => [p.name, p.help])),
		'',
		'Options of the wizard:',
		...table(optionsOf(WIZARD).map(o => [optionTerm(o), o.help])),
		'',
		...wrap(`Keys: ${KEYS.map(([key, brief]) => `${key} ${brief}`).join(', ')}.`, 78),
		'',
		...wrap(`Each command's options: ${PROGRAM} <command> --help (e.g. ${PROGRAM} check --help). The manual: man ${PROGRAM}.`, 78),
	];
	return `${out.join('\n')}\n`;
}
