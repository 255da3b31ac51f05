/**
 * The man page upgrade-wizard(1) and the bash completion, made from the
 * description of the command line (source/cli-spec.ts) that the parser and
 * every --help are made from: neither can name an option the program does
 * not take. `npm run build` writes them to dist/ (source/build.mjs).
 */
import {COMMANDS, ENVIRONMENT, EXIT_STATUSES, FILES, KEYS, optionsOf, PRODUCT_LIST, PROGRAM, WIZARD, type CommandSpec, type OptionSpec} from './cli-spec.ts';

/** Text for roff: backslashes and hyphens as roff wants them, no line taken for a request. */
function roff(text: string): string {
	return text
		.replaceAll('\\', '\\e')
		.replaceAll('-', '\\-')
		.replace(/^([.'])/gm, '\\&$1');
}

const bold = (text: string) => `\\fB${roff(text)}\\fR`;

function optionTerm(o: OptionSpec): string {
	return `${o.short ? `${bold(`-${o.short}`)}, ` : ''}${bold(`--${o.name}`)}${o.value ? ` \\fI${o.value}\\fR` : ''}`;
}

function options(list: OptionSpec[]): string[] {
	return list.flatMap(o => ['.TP', optionTerm(o), roff(o.help)]);
}

function synopsis(command: CommandSpec): string[] {
	return command.synopsis.flatMap(s => ['.br', `${bold(PROGRAM)} ${roff(s.args)}`]).slice(1);
}

/** upgrade-wizard(1), in man(7) roff. `date` is the build's (YYYY-MM-DD), for the footer. */
export function manPage(version: string, date: string): string {
	const out = [
		`.TH UPGRADE\\-WIZARD 1 "${date}" "${PROGRAM} ${roff(version)}" "User Commands"`,
		// No hyphenation of words like low-disk, no justification.
		'.nh',
		'.ad l',
		'.SH NAME',
		`${PROGRAM} \\- walks an administrator through a major\\-version upgrade of a mail system`,
		'.SH SYNOPSIS',
		'.nf',
		...synopsis(WIZARD),
		...COMMANDS.flatMap(c => ['.br', ...synopsis(c)]),
		'.br',
		`${bold(PROGRAM)} ${bold('--help')} | ${bold('--version')}`,
		'.fi',
		'.SH DESCRIPTION',
		roff(WIZARD.description),
		'.PP',
		`Each command answers ${bold('--help')} with its options and ${bold('--version')} with the version. A mistake in the arguments is named in one line, with the closest valid option or product, and the exit status is 2.`,
		'.SH PRODUCTS',
		...PRODUCT_LIST.flatMap(p => ['.TP', bold(p.name), roff(p.help)]),
		'.SH COMMANDS',
		'.TP',
		`${bold(PROGRAM)} \\fIproduct\\fR [\\fIoptions\\fR]`,
		roff(`${WIZARD.summary}.`),
		...COMMANDS.flatMap(c => ['.TP', `${bold(`${PROGRAM} ${c.name}`)}`, roff(`${c.summary}. ${c.description}`)]),
		'.SH OPTIONS',
		'Options of the wizard:',
		...options(optionsOf(WIZARD)),
		...COMMANDS.flatMap(c => ['.PP', `Options of ${bold(`${PROGRAM} ${c.name}`)}:`, ...options(c.options)]),
		'.SH KEYS',
		'On the wizard\'s screens:',
		...KEYS.flatMap(([key, , help]) => ['.TP', bold(key), roff(help)]),
		'.SH EXIT STATUS',
		...EXIT_STATUSES.flatMap(([code, meaning]) => ['.TP', bold(code), roff(meaning)]),
		'.SH FILES',
		...FILES.flatMap(([file, what]) => ['.TP', `\\fI${roff(file)}\\fR`, roff(what)]),
		'.SH ENVIRONMENT',
		...ENVIRONMENT.flatMap(([name, what]) => ['.TP', bold(name), roff(what)]),
		'.SH EXAMPLES',
		'.TP',
		bold(`${PROGRAM} pmg --simulate low-disk`),
		'the wizard on a simulated Proxmox Mail Gateway whose disk is too full',
		'.TP',
		bold(`${PROGRAM} check pmg --json`),
		'the pre\\-flight report of this host, for a monitoring system',
		'.TP',
		bold(`${PROGRAM} train`),
		'pick a training scenario',
		'.SH SEE ALSO',
		'.BR tmux (1),',
		'.BR apt (8)',
	];
	return `${out.join('\n')}\n`;
}

const words = (list: readonly string[]) => list.join(' ');

/**
 * The bash completion: commands and products first, then each command's
 * options; values: bundled scenario names (and files) for --simulate,
 * files or folders for the others. `scenarios`: each product's bundled
 * scenario names, `trainings`: the names `train` takes.
 */
export function bashCompletion(scenarios: Record<string, string[]>, trainings: string[]): string {
	const optionWords = (c: CommandSpec) => words(optionsOf(c).flatMap(o => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]));
	const valueCase = (c: CommandSpec) =>
		optionsOf(c)
			.filter(o => o.value)
			.map(o => {
				const names = `--${o.name}`;
				if (o.complete === 'dir') return `\t\t\t${names}) COMPREPLY=($(compgen -d -- "$cur")); return ;;`;
				if (o.complete === 'scenario') return `\t\t\t${names}) COMPREPLY=($(compgen -W "$(_upgrade_wizard_scenarios "$product")" -- "$cur") $(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -- "$cur")); return ;;`;
				return `\t\t\t${names}) COMPREPLY=($(compgen -f -- "$cur")); return ;;`;
			})
			.join('\n');
	const commandCase = (c: CommandSpec, operands: string) => `\t\t${c.name || '*'})
		case $prev in
${valueCase(c)}
		esac
		if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "${optionWords(c)}" -- "$cur")); return; fi
		${operands}
		;;`;
	const products = words(PRODUCT_LIST.map(p => p.name));
	const check = COMMANDS.find(c => c.name === 'check')!;
	const rest = COMMANDS.filter(c => c.name !== 'check');
	return `# bash completion for ${PROGRAM}; generated from its description of the command line (source/cli-spec.ts).
_upgrade_wizard_scenarios() {
	case $1 in
${Object.entries(scenarios)
	.map(([product, names]) => `\t\t${product}) echo "${words(names)}" ;;`)
	.join('\n')}
	esac
}

_upgrade_wizard() {
	local cur prev command product i
	cur=\${COMP_WORDS[COMP_CWORD]}
	prev=\${COMP_WORDS[COMP_CWORD-1]}
	COMPREPLY=()
	if [[ $COMP_CWORD -eq 1 ]]; then
		if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "${optionWords(WIZARD)}" -- "$cur")); return; fi
		COMPREPLY=($(compgen -W "${products} ${words(COMMANDS.map(c => c.name))}" -- "$cur"))
		return
	fi
	command=\${COMP_WORDS[1]}
	# The product the command is about: the first word after it that names one.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case \${COMP_WORDS[i]} in ${PRODUCT_LIST.map(p => p.name).join('|')}) product=\${COMP_WORDS[i]}; break ;; esac
	done
	case $command in
${commandCase(check, `[[ -z $product ]] && COMPREPLY=($(compgen -W "${words(check.operand!.choices)}" -- "$cur"))`)}
${rest.map(c => commandCase(c, c.operand?.name === 'product' ? `[[ -z $product ]] && COMPREPLY=($(compgen -W "${words(c.operand.choices)}" -- "$cur"))` : `COMPREPLY=($(compgen -W "${words(trainings)}" -- "$cur"))`)).join('\n')}
${commandCase(WIZARD, ':')}
	esac
}
complete -F _upgrade_wizard ${PROGRAM}
`;
}
