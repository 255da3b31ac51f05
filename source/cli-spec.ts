/**
 * The one description of the command line: commands, their arguments and
 * options, the products, keys, exit statuses, files and environment. The
 * parser (source/cli-args.ts), every `--help`, the man page and the bash
 * completion (source/manual.ts) are made from it, so none of them can name
 * an option the others do not know.
 *
 * It imports nothing of the wizard: the build reads it to write the man
 * page and the completion without loading a machine.
 */

export type OptionSpec = {
	/** The long name, without the dashes. */
	name: string;
	short?: string;
	/** The value's placeholder (SCENARIO, DIR); none for a switch. */
	value?: string;
	/** What a shell completes the value with: files, folders or the product's bundled scenarios. */
	complete?: 'file' | 'dir' | 'scenario';
	help: string;
};

export type Synopsis = {args: string; help?: string};

export type CommandSpec = {
	/** The first word; '' for the wizard itself (`upgrade-wizard <product>`). */
	name: string;
	/** One line, in the overview of `upgrade-wizard --help`. */
	summary: string;
	synopsis: Synopsis[];
	/** Paragraphs, after the synopsis. */
	description: string;
	/** What its words other than options are: a product, or a training scenario's name. */
	operand: {name: string; choices: readonly string[]} | null;
	options: OptionSpec[];
};

export const PROGRAM = 'upgrade-wizard';

/** The upgrade paths (source/products.ts has their machines; a test keeps both lists the same). */
export const PRODUCT_LIST = [
	{name: 'pmg', help: 'Proxmox Mail Gateway 8 -> 9 (in place)'},
	{name: 'vmm', help: 'vmm 0.5.2 -> 0.6.x (also from 0.6.0, 0.6.1; Dovecot >= 1.2 layout)'},
	{name: 'puremessage', help: 'Sophos PureMessage 5.6.1 -> 6, single and multi-server'},
] as const;
export const PRODUCT_NAMES = PRODUCT_LIST.map(p => p.name);

/** Every command has these. */
export const COMMON_OPTIONS: OptionSpec[] = [
	{name: 'help', short: 'h', help: 'this text'},
	{name: 'version', short: 'V', help: 'the version of upgrade-wizard (and the commit it was built from)'},
];

const simulate: OptionSpec = {
	name: 'simulate',
	value: 'SCENARIO',
	complete: 'scenario',
	help: "run on a simulated host: a scenario name (e.g. clean, low-disk) or a scenario file; the default when this is not the product's host",
};

export const WIZARD: CommandSpec = {
	name: '',
	summary: 'the wizard: one explicit step at a time, on this host or a simulated one',
	synopsis: [
		{args: 'pmg [--simulate SCENARIO] [--dry-run] [--state-dir DIR] [...]'},
		{args: 'vmm [--simulate SCENARIO] [--dry-run] [--state-dir DIR] [...]'},
		{args: 'puremessage [--deployment FILE] [--simulate SCENARIO] [...]'},
	],
	description:
		'Walks you through a major-version upgrade of a mail system. Each step shows why it exists and the exact command before anything runs; the place reached is saved, so the wizard continues where it was left (also after a reboot). It needs a terminal; inside tmux when the host offers it.',
	operand: {name: 'product', choices: PRODUCT_NAMES},
	options: [
		simulate,
		{name: 'dry-run', help: 'show every step and command, execute nothing'},
		{name: 'state-dir', value: 'DIR', complete: 'dir', help: 'keep the saved place and the transcript in DIR'},
		{name: 'reset', help: 'forget the saved place (it is kept aside, not deleted)'},
		{name: 'deployment', value: 'FILE', complete: 'file', help: 'puremessage: the deployment file (servers, roles, access); default /etc/upgrade-wizard/puremessage-deployment.yaml'},
	],
};

export const CHECK: CommandSpec = {
	name: 'check',
	summary: 'a read-only report before, during or after the upgrade, without a terminal (cron, monitoring)',
	synopsis: [{args: 'check <product> [--json] [--simulate SCENARIO]'}, {args: 'check puremessage [--deployment FILE] [--ssh-config FILE] [--json]'}],
	description:
		'Runs every read-only check of the path on this host and prints one line per finding (PASS, INFO, SKIP, NOTICE, WARN, FAIL) with what to do, then the counts. Nothing on the host is changed. PureMessage checks every server of the deployment file, over OpenSSH where the file says so. PMG says first where the host stands: before the upgrade (the pre-flight checks), after it (PMG 9 on trixie: PostgreSQL 17/main, postfix and the PMG services active and enabled, 15/main left, bookworm repositories left, the .dpkg-dist, .dpkg-old, .ucf-dist and .dpkg-new files under /etc), or half-way (what was left undone and the next step). Exit status 0: nothing to act on (after the upgrade: finished and running); 5: warnings; 6: failures (after the upgrade: something does not run); 7: an upgrade left unfinished.',
	operand: {name: 'product', choices: PRODUCT_NAMES},
	options: [
		{name: 'json', help: 'the same report as JSON (schema in the README)'},
		{...simulate, help: 'run the checks on a simulated host: a scenario name or file'},
		{name: 'deployment', value: 'FILE', complete: 'file', help: 'puremessage: the deployment file; default /etc/upgrade-wizard/puremessage-deployment.yaml'},
		{name: 'ssh-config', value: 'FILE', complete: 'file', help: 'puremessage: an ssh config file, passed to ssh as -F FILE'},
	],
};

export const DOCS: CommandSpec = {
	name: 'docs',
	summary: 'the documentation of an upgrade path (screens, walkthrough, state diagram), generated from the code',
	synopsis: [{args: 'docs <product> --out DIR'}],
	description:
		'Writes into DIR: NN-<step>-<screen>.svg (each screen at 80x24, as a terminal shows it), walkthrough.md (the steps in order: why, commands, guards, the screens) and states.mmd (the state diagram). Files of an earlier run that are no longer generated are removed; other files in DIR are left alone.',
	operand: {name: 'product', choices: PRODUCT_NAMES},
	options: [{name: 'out', value: 'DIR', complete: 'dir', help: 'the folder the files are written to (required)'}],
};

export const TRAIN: CommandSpec = {
	name: 'train',
	summary: 'practise an upgrade on a simulated host: pick a training scenario, get a summary at the end',
	synopsis: [
		{args: 'train', help: 'list the training scenarios and pick one'},
		{args: 'train NAME', help: 'start the scenario NAME (e.g. low-disk)'},
		{args: 'train PRODUCT/NAME', help: 'where products share a name (vmm/clean)'},
		{args: 'train --scenario FILE', help: 'check your own scenario file, then start it'},
		{args: 'train --list', help: 'only list the scenarios'},
	],
	description:
		'Nothing on this machine is changed: every command runs on the simulated host. Each screen says why its step exists; at the end (or when you leave with q) a summary shows which checks stopped you, what you did and what you skipped. The scenario format is in docs/scenarios.md.',
	operand: {name: 'scenario', choices: []},
	options: [
		{name: 'list', help: 'only list the training scenarios'},
		{name: 'scenario', value: 'FILE', complete: 'file', help: 'your own scenario file: checked first, then started'},
		{name: 'reset', help: 'start the scenario again from the first step'},
		{name: 'state-dir', value: 'DIR', complete: 'dir', help: "keep the training's saved place and transcript in DIR"},
	],
};

/** The commands by their first word (the wizard has none). */
export const COMMANDS = [CHECK, DOCS, TRAIN] as const;
export const COMMAND_NAMES = COMMANDS.map(c => c.name);

/** The keys of the wizard's screens: the key, a word or two for --help, the whole for the manual. */
export const KEYS: [string, string, string][] = [
	['Enter', 'continue/run', 'continue, or run the command shown'],
	['Up/Down, j/k', 'move', 'move in a list'],
	['1-9', 'pick', 'pick an entry of a list'],
	['s', 'skip (asks why)', 'skip the step (asks why; the reason goes into the transcript)'],
	['r', 'check again', 'check again'],
	['f', 'fix', 'fix: show the command that fixes what a check found'],
	['o', 'override (typed)', 'override a failed check (typed confirmation)'],
	['?', 'why', 'why this step exists'],
	['q', 'leave (progress is kept)', 'leave; the place is kept and the wizard continues there when started again'],
];

export const EXIT_STATUSES: [string, string][] = [
	['0', 'left with q (place kept), finished, or stopped for the reboot; check: nothing to act on'],
	['1', 'unexpected error (the message and stack are printed)'],
	['2', 'bad arguments, or a scenario file with an error (file, line and field named)'],
	['3', 'not run on a terminal, or on one that cannot move the cursor (TERM=dumb)'],
	['4', 'the state or transcript directory cannot be used (not writable, disk full)'],
	['5', 'check: at least one WARN and no FAIL'],
	['6', 'check: at least one FAIL'],
	['7', 'check pmg: an upgrade left unfinished (half-way between PMG 8 and 9; the next step is named)'],
	['8', 'another wizard is running with the same saved place (its pid is named)'],
	['129, 143', 'stopped by SIGHUP (the session dropped) or SIGTERM: the place is saved, start it again'],
];

export const FILES: [string, string][] = [
	['/var/lib/upgrade-wizard/PRODUCT/', 'the saved place of the upgrade on this host, its lock, and the output of commands that ran'],
	['/var/log/upgrade-wizard/PRODUCT.log', 'the transcript: every command, its output and every decision'],
	['/etc/upgrade-wizard/puremessage-deployment.yaml', 'puremessage: the servers of the deployment, their roles and access'],
	['$XDG_STATE_HOME/upgrade-wizard/simulated/', 'the saved places and transcripts of simulations (--simulate), one folder each'],
	['$XDG_STATE_HOME/upgrade-wizard/training/', 'the same for trainings (upgrade-wizard train)'],
	['/usr/share/upgrade-wizard/scenarios/', 'Debian package: the bundled scenarios, to read and to base your own on (extends:)'],
];

export const ENVIRONMENT: [string, string][] = [
	['XDG_STATE_HOME', 'where simulations and trainings keep their place; default ~/.local/state'],
	['TMUX, STY', 'set inside tmux or screen: the wizard does not offer to start again inside tmux'],
	['SSH_CONNECTION, SSH_CLIENT, SSH_TTY', 'set in an SSH session: the wizard offers to continue inside tmux, where a dropped session loses nothing'],
	['LANG, LC_ALL, LC_CTYPE', 'a UTF-8 locale lets the screen draw with Unicode characters; the first one set decides (LC_ALL=C or POSIX: ASCII)'],
	['TERM', 'linux: ASCII only; dumb: the wizard does not start (it cannot move the cursor), check runs'],
	['NO_COLOR', 'set (to anything): no colours'],
];

/** The words a command's options are known by, for the parser and the completion. */
export function optionsOf(command: CommandSpec): OptionSpec[] {
	return [...command.options, ...COMMON_OPTIONS];
}
