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

// Every escape sequence a program may write: CSI (cursor moves, clearing,
// colours), OSC (titles, hyperlinks), DCS/SOS/PM/APC strings, and the short
// two-byte ones (ESC 7, ESC c); then any other control character but tab.
const ANY_ESCAPE = /\u001B\[[0-?]*[ -/]*[@-~]?|\u001B[\]P^_X][^\u0007\u001B]*(?:\u0007|\u001B\\)?|\u001B[ -/]*[0-~]?|\u009B[0-?]*[ -/]*[@-~]?|[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/**
 * A command's output as the tail view may draw it: text only. No escape
 * sequence reaches the terminal (a title, a clear screen, a cursor move
 * under the wizard); a carriage return keeps what was written after it on
 * its line (a progress bar's last state). The raw bytes stay in runs/.
 */
export function terminalText(text: string): string {
	if (text.includes('\r')) text = text.split('\n').map(line => line.slice(line.lastIndexOf('\r') + 1)).join('\n');
	return text.replace(ANY_ESCAPE, '');
}

/** Does `bytes` hold anything terminalText would change (fast check for whole chunks)? */
export function needsTerminalText(bytes: Buffer): boolean {
	for (let i = 0; i < bytes.length; i++) {
		const b = bytes[i]!;
		if ((b < 0x20 && b !== 0x0a && b !== 0x09) || b === 0x7f) return true;
		// C1 CSI (U+009B) in UTF-8.
		if (b === 0xc2 && bytes[i + 1] === 0x9b) return true;
	}
	return false;
}

/** A chunk of output as the screen and the transcript get it. */
export function terminalBytes(bytes: Buffer): Buffer {
	return needsTerminalText(bytes) ? Buffer.from(terminalText(bytes.toString('utf8')), 'utf8') : bytes;
}

// Control characters but newline and tab, DEL, and the C1 controls (U+0080-U+009F).
const CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * Text from a file or a command quoted in a message, safe for a terminal:
 * every control character but newline and tab written as \xHH, so that an
 * ESC in a scenario key or a binary file's bytes are shown, not obeyed.
 */
export function escapeControls(text: string): string {
	return text.replace(CONTROLS, c => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
