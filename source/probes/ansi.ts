/**
 * Shared text helpers for the probes: tools colour their output when they
 * believe they write to a terminal (pg_lsclusters, the *8to9 checklists),
 * and output copied from a Windows editor or a serial console carries CRLF.
 */

// CSI sequences (colours, cursor moves) and OSC sequences (window titles,
// hyperlinks), the two kinds a terminal-aware CLI actually emits.
const ESCAPES = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)/g;

/** `text` without terminal escape sequences. */
export function stripAnsi(text: string): string {
	return text.replace(ESCAPES, '');
}

/** The lines of a command's output: escapes removed, CRLF and a final newline tolerated. */
export function outputLines(text: string): string[] {
	const lines = stripAnsi(text).split(/\r*\n/);
	if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
	return lines;
}
