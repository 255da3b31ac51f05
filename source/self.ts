/**
 * How this program was started, to start it again (inside tmux) or to tell
 * the operator the command that continues: `node dist/cli.js`, or the single
 * executable alone, which has no script argument (source/entry.ts).
 */
let singleExecutable = false;

export function markSingleExecutable() {
	singleExecutable = true;
}

export function isSingleExecutable(): boolean {
	return singleExecutable;
}

/** The program and the arguments it was given, as argv that starts it again. */
export function selfArgv(): string[] {
	return singleExecutable ? [process.execPath, ...process.argv.slice(2)] : [process.execPath, ...process.argv.slice(1)];
}
