/**
 * Drive the built CLI in a real terminal: tmux at 80x24, keys through
 * send-keys, the screen through capture-pane. Each session runs on its own
 * tmux server so tests never touch a user's sessions.
 */
import {execFileSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {rmSync} from 'node:fs';
import path from 'node:path';

export class TmuxSession {
	readonly socket = `muw-test-${process.pid}-${randomBytes(3).toString('hex')}`;
	readonly name = 'wizard';

	private tmux(...args: string[]): string {
		return execFileSync('tmux', ['-L', this.socket, ...args], {encoding: 'utf8'});
	}

	/** Start `command` (argv) in a fresh 80x24 pane; the pane stays after it exits. */
	start(argv: string[], env: Record<string, string> = {}, size = {columns: 80, rows: 24}, unset: string[] = []) {
		const quoted = argv.map(a => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
		// A screen that runs something takes Enter only after it has been shown a
		// moment (700 ms by default). The walks press keys once a screen has been
		// still for 250 ms (settle()), so they get a settle time below that unless
		// a test sets its own (0 where a test is about something else and presses
		// a key as soon as its screen appears; the gate is test/e2e/key-gate.test.ts's).
		const envs = Object.entries({UPGRADE_WIZARD_SETTLE_MS: '200', ...env}).map(([k, v]) => `${k}='${v.replaceAll("'", `'\\''`)}'`).join(' ');
		const unsets = unset.map(name => `-u ${name}`).join(' ');
		// After the wizard exits, print its status and keep the pane readable.
		// Ctrl-C in the pane reaches this shell too (same process group), and
		// dash dies of it once the wizard exits, taking the pane along: a
		// trap keeps it (a handler, unlike an ignored signal, is not inherited).
		const shell = `trap 'true' INT; env ${unsets} ${envs} ${quoted}; echo "[exit $?]"; sleep 3600`;
		this.tmux('-f', '/dev/null', 'new-session', '-d', '-s', this.name, '-x', String(size.columns), '-y', String(size.rows), 'sh', '-c', shell);
	}

	/** The screen, one line per row; `joined`: a line the terminal wrapped is one line again (what a copy gives). */
	capture(joined = false): string {
		// tmux ends the last one with a newline too.
		return this.tmux('capture-pane', '-p', ...(joined ? ['-J'] : []), '-t', this.name).replace(/\n$/, '');
	}

	/** tmux key names: Enter, Down, Escape, C-c; or literal text with `literal`. */
	send(...keys: string[]) {
		this.tmux('send-keys', '-t', this.name, ...keys);
	}

	type(text: string) {
		this.tmux('send-keys', '-t', this.name, '-l', text);
	}

	/** `text` reaches the program in one write (a paste: what a fast iKVM or a typed-ahead burst does). */
	paste(text: string) {
		this.tmux('set-buffer', '-b', 'burst', text);
		this.tmux('paste-buffer', '-d', '-b', 'burst', '-t', this.name);
	}

	resize(columns: number, rows: number) {
		this.tmux('resize-window', '-t', this.name, '-x', String(columns), '-y', String(rows));
	}

	async waitFor(predicate: (screen: string) => boolean, timeoutMs = 15_000): Promise<string> {
		const deadline = Date.now() + timeoutMs;
		let screen = '';
		while (Date.now() < deadline) {
			screen = this.capture();
			if (predicate(screen)) return screen;
			await new Promise(resolve => setTimeout(resolve, 50));
		}
		throw new Error(`timed out after ${timeoutMs} ms; the screen was:\n${screen}`);
	}

	/** Wait until the screen has not changed for `quietMs` (a frame is complete). */
	async settle(quietMs = 250, timeoutMs = 15_000): Promise<string> {
		const deadline = Date.now() + timeoutMs;
		let last = this.capture();
		let since = Date.now();
		while (Date.now() < deadline) {
			await new Promise(resolve => setTimeout(resolve, 50));
			const now = this.capture();
			if (now !== last) {
				last = now;
				since = Date.now();
			} else if (Date.now() - since >= quietMs) return now;
		}
		return last;
	}

	kill() {
		try {
			this.tmux('kill-server');
		} catch {
			// Already gone.
		}
		// tmux may leave its socket file behind.
		rmSync(path.join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, this.socket), {force: true});
	}
}

/** The footer: the last non-empty line of the wizard's frame. */
export function footer(screen: string): string {
	const lines = screen.split('\n').filter(l => l.trim() !== '');
	return lines.at(-1) ?? '';
}

/**
 * The wizard handed the terminal over to a command: below the last frame's
 * bottom rule the command line ("$ apt dist-upgrade") and what follows, or
 * (once its output scrolled the frame away) no rule at all.
 */
export function handedOver(screen: string): boolean {
	const lines = screen.split('\n');
	let rule = -1;
	lines.forEach((l, index) => {
		if (/^[-\u2500]{20,}$/.test(l.trim())) rule = index;
	});
	return rule === -1 || lines.slice(rule + 1).some(l => l.startsWith('$ '));
}

/** The wizard refused a key for its timing (the screen was new to it): nothing happened, the key may be pressed again. */
const TIMING_REFUSAL = /^key ignored: (the screen had just changed|read the screen first)/;

/**
 * A walk's next screen to answer: where the footer says a key was ignored
 * for its timing (on a loaded machine the wizard may count a screen as new
 * a little longer than the walk waited), the screen once the note is gone,
 * as a person would press the key again. Nothing else is passed over.
 */
export async function pastTimingRefusal(session: TmuxSession, screen: string): Promise<string> {
	while (TIMING_REFUSAL.test(footer(screen))) {
		await session.waitFor(s => !TIMING_REFUSAL.test(footer(s)), 10_000);
		screen = await session.settle();
	}
	return screen;
}
