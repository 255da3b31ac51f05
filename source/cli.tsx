/**
 * upgrade-wizard: which command, then hand over to it. `upgrade-wizard
 * <product>` is the wizard; the other commands have a file each in
 * source/commands/.
 */
import {fileURLToPath} from 'node:url';
import {runWizard} from './commands/wizard.tsx';
import {EXIT} from './products.ts';
import {readableStack} from './stack.ts';

/**
 * Commands other than the wizard itself, by their first word; each loaded
 * when it is asked for (docs brings a terminal emulator the wizard's start
 * does not need).
 */
const COMMANDS: Record<string, () => Promise<{run: (argv: string[]) => Promise<number>}>> = {
	check: () => import('./commands/check.ts'),
	docs: () => import('./commands/docs.ts'),
	train: () => import('./commands/train.ts'),
};

async function main(argv: string[]): Promise<number> {
	const [first, ...rest] = argv;
	const command = first && Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
	return command ? (await command()).run(rest) : runWizard(argv);
}

/** Run the command the arguments name, then exit with its status (source/entry.ts calls this). */
export function runCli(argv: string[]): void {
	main(argv).then(
		code => process.exit(code),
		error => {
			const stack = (error as Error).stack;
			process.stderr.write(`upgrade-wizard: unexpected error: ${stack ? readableStack(stack, fileURLToPath(import.meta.url)) : String(error)}\n`);
			process.exit(EXIT.failure);
		},
	);
}
