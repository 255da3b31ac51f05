/**
 * upgrade-wizard: which command, then hand over to it. `upgrade-wizard
 * <product>` is the wizard; the other commands have a file each in
 * source/commands/.
 */
import {writeSync} from 'node:fs';
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
	// A wizard killed with SIGKILL could not show the cursor again: this start
	// does, and every way out of this one does too (the exit handler runs
	// after a usage error, an uncaught error, SIGTERM and SIGHUP alike).
	showCursor();
	process.on('exit', showCursor);
	main(argv).then(
		code => process.exit(code),
		error => {
			const stack = (error as Error).stack;
			process.stderr.write(`upgrade-wizard: unexpected error: ${stack ? readableStack(stack, fileURLToPath(import.meta.url)) : String(error)}\n`);
			process.exit(EXIT.failure);
		},
	);
}

/** The terminal's cursor visible (DECTCEM), when stdout is a terminal that takes escapes (not TERM=dumb). */
function showCursor() {
	if (process.stdout.isTTY && process.env.TERM !== 'dumb') {
		try {
			writeSync(process.stdout.fd, '\u001B[?25h');
		} catch {
			// The terminal is gone (the SSH session dropped): nothing to show it on.
		}
	}
}
