/**
 * upgrade-wizard: which command, then hand over to it. `upgrade-wizard
 * <product>` is the wizard; the other commands have a file each in
 * source/commands/.
 */
import {run as check} from './commands/check.ts';
import {run as docs} from './commands/docs.ts';
import {run as train} from './commands/train.ts';
import {runWizard} from './commands/wizard.tsx';
import {EXIT} from './products.ts';

/** Commands other than the wizard itself, by their first word. */
const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
	check,
	docs,
	train,
};

async function main(argv: string[]): Promise<number> {
	const [first, ...rest] = argv;
	const command = first ? COMMANDS[first] : undefined;
	return command ? command(rest) : runWizard(argv);
}

main(process.argv.slice(2)).then(
	code => process.exit(code),
	error => {
		process.stderr.write(`upgrade-wizard: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
		process.exit(EXIT.failure);
	},
);
