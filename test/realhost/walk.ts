/**
 * An admin at the console of the real-host container: the single executable
 * runs inside it (nsenter into the container's namespaces), in a tmux pane
 * of 80x24 on this machine, and the walk answers every screen as a careful
 * admin who follows the wizard's own words would: the wizard's screens by
 * their footer, and on the terminal handed to apt and dpkg, their questions
 * as the advice printed under them says.
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {footer, TmuxSession} from '../e2e/tmux.ts';
import type {Container} from './container.ts';

/** The environment of a root login on the console (what env -i leaves plus this). */
export function consoleEnv(extra: Record<string, string> = {}): Record<string, string> {
	return {
		PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
		HOME: '/root',
		TERM: 'linux',
		LANG: 'en_US.UTF-8',
		// The walk presses a key once a screen has been still for 250 ms.
		UPGRADE_WIZARD_SETTLE_MS: '200',
		...extra,
	};
}

/** Start `upgrade-wizard <args>` at the container's console in a new tmux session. */
export function startWizard(container: Container, args: string[], env: Record<string, string>): TmuxSession {
	const pid = container.leader();
	if (!pid) throw new Error('the container is not running');
	const session = new TmuxSession();
	const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
	session.start(['nsenter', '-t', String(pid), '-a', '--', 'env', '-i', ...vars, 'sh', '-c', `cd /root && exec upgrade-wizard ${args.join(' ')}`], {});
	return session;
}

/**
 * Wait for the wizard's session to end while the container reboots under it.
 * systemd-shutdown freezes every process of the container (kill(-1,
 * SIGSTOP)), signals them, then thaws them (SIGCONT). nsenter, outside the
 * container, mirrors its child's stop by stopping itself, and nothing in the
 * container can wake it: it would never reap the wizard, and the container
 * would wait for that zombie for ever (seen with strace: SIGSTOP from the
 * container's PID 1). An admin's shell in the container is thawed with the
 * rest; here the test plays that part and continues nsenter.
 */
export async function waitSessionEnd(session: TmuxSession, timeoutMs: number): Promise<string> {
	const pane = execFileSync('tmux', ['-L', session.socket, 'display-message', '-p', '-t', session.name, '#{pane_pid}'], {encoding: 'utf8'}).trim();
	const thaw = setInterval(() => spawnSync('pkill', ['-CONT', '-P', pane]), 500);
	try {
		return await session.waitFor(s => /\[exit \d+\]/.test(s), timeoutMs);
	} finally {
		clearInterval(thaw);
	}
}

export type WalkLog = {
	/** Every screen the walk answered, in order. */
	screens: string[];
	/** What it answered on the terminal handed to apt/dpkg, with the advice it followed. */
	answers: string[];
};

export type WalkOptions = {
	/** The screen the walk stops at (returned). */
	until: (screen: string) => boolean;
	/** A list: the row to pick (its number), or undefined for the highlighted one. */
	pick?: (screen: string) => number | undefined;
	/**
	 * A blocked screen ("r check again" with nothing to go on): the key the
	 * admin presses after reading it (f to let the wizard fix it, r after a
	 * fix by hand), or null: the walk fails with the screen.
	 */
	onBlocked?: (screen: string) => string | null;
	/** Milliseconds the walk waits for a screen to change before it gives up. */
	stallMs?: number;
};

const wizardFrame = (screen: string) => /^ PMG 8 -> 9 /.test(screen.split('\n')[0] ?? '');

/**
 * The last line of a terminal screen that is not apt's progress bar (apt
 * keeps "Progress: [ 97%] [###...]" on the bottom row while dpkg asks above it).
 */
const lastLine = (screen: string) =>
	screen
		.split('\n')
		.filter(l => l.trim() !== '' && !/^Progress: \[\s*\d+%\]/.test(l))
		.at(-1)
		?.trimEnd() ?? '';

/**
 * The advice the wizard printed under a prompt: the lines from the last
 * "[upgrade-wizard]" on, joined. Empty if there is none.
 */
export function adviceUnderPrompt(screen: string): string {
	const at = screen.lastIndexOf('[upgrade-wizard]');
	if (at < 0) return '';
	return screen
		.slice(at + '[upgrade-wizard]'.length)
		.split('\n')
		.map(l => l.trim())
		.join(' ');
}

/**
 * What to type at dpkg's conffile question, from the advice under it: the
 * first answer the advice names. "D, then decide" is D first (the diff),
 * then "keep yours (N) if the change is yours": the test's edits are its
 * own and needed, so N.
 */
export function conffileAnswer(advice: string, diffSeen: boolean): string {
	const head = advice.split(':').slice(1).join(':').trim();
	if (/^D\b/.test(head)) return diffSeen ? (/keep yours \(N\)/.test(advice) ? 'N' : 'Y') : 'D';
	const letter = /^([YNIO])\b/.exec(head);
	if (!letter) throw new Error(`no answer in the advice under the conffile question: "${advice}"`);
	return letter[1]!;
}

export async function walk(session: TmuxSession, options: WalkOptions, log: WalkLog): Promise<string> {
	const stallMs = options.stallMs ?? 10 * 60_000;
	const diffsSeen = new Set<string>();
	let modernizeAnswered = 0;
	let screen = await session.settle(300, stallMs);
	for (let i = 0; i < 600; i++) {
		if (options.until(screen)) return screen;
		log.screens.push(screen);
		if (/\[exit \d+\]/.test(screen)) throw new Error(`the wizard exited:\n${screen}`);
		const last = lastLine(screen);
		if (wizardFrame(screen)) {
			const keys = footer(screen);
			const word = /type "([^"]+)"/.exec(keys);
			if (/PgDn\/Space \d+ more line/.test(keys)) session.send('NPage');
			else if (word) {
				session.type(word[1]!);
				session.send('Enter');
			} else if (/Up\/Down move/.test(keys)) {
				const row = options.pick?.(screen);
				if (row !== undefined) session.type(String(row));
				else session.send('Enter');
			} else if (/\bc clean the environment/.test(keys)) session.send('c');
			else if (/Enter (run|apply|continue|choose)/.test(keys)) session.send('Enter');
			else if (/r (check|try) again/.test(keys)) {
				const key = options.onBlocked?.(screen) ?? null;
				if (key === null) throw new Error(`blocked:\n${screen}`);
				session.send(key);
			}
			// Otherwise it is checking or running: wait for the next screen.
		} else if (/Press Enter to return to the wizard\.$/.test(last)) {
			session.send('Enter');
		} else if (/\(Y\/I\/N\/O\/D\/Z\) \[default=[YN]\] \?$/.test(last)) {
			const file = /\*\*\* (\S+) \(Y\/I\/N\/O\/D\/Z\)/.exec(last)![1]!;
			const advice = adviceUnderPrompt(screen);
			const answer = conffileAnswer(advice, diffsSeen.has(file));
			if (answer === 'D') diffsSeen.add(file);
			log.answers.push(`${file}: ${answer} (advice: ${advice})`);
			session.type(answer);
			session.send('Enter');
		} else if (/\[Y\/n\]$|\[y\/N\]$/.test(last)) {
			const advice = adviceUnderPrompt(screen);
			// apt's own questions: the advice says Y unless something needed is removed.
			if (/Do you want to continue\? \[Y\/n\]$/.test(last)) {
				if (/^\s+(proxmox-mailgateway|pmg-api)\b/m.test(removedBlock(screen))) throw new Error(`apt would remove PMG:\n${screen}`);
				log.answers.push(`apt: Y (advice: ${advice})`);
				session.type('Y');
			} else if (/^Rewrite .*\? \[Y\/n\]$/.test(last)) {
				// apt modernize-sources: the wizard says "answer n first to see the
				// changes, then run it again and answer Y".
				const answer = modernizeAnswered++ === 0 ? 'n' : 'Y';
				log.answers.push(`${last}: ${answer}`);
				session.type(answer);
			} else {
				const answer = /\bY\b/.test(advice.split(';')[0] ?? '') ? 'Y' : 'n';
				log.answers.push(`${last}: ${answer} (advice: ${advice})`);
				session.type(answer);
			}
			session.send('Enter');
		} else if (/^Package configuration/.test(screen.trimStart())) {
			// debconf's dialogs (libc6, postgresql-common): the seed's advice is
			// "use the default if unsure"; Enter takes the highlighted default.
			log.answers.push(`debconf: default (${screen.split('\n').find(l => /┤/.test(l))?.trim() ?? ''})`);
			session.send('Enter');
		}
		// Anything else is a command's output going on: wait for a change.
		const before = screen;
		await session.waitFor(s => s !== before, stallMs);
		screen = await session.settle(300, stallMs);
	}
	throw new Error(`no end after 600 screens:\n${screen}`);
}

/** apt's "The following packages will be REMOVED:" block of a screen. */
function removedBlock(screen: string): string {
	const m = /The following packages will be REMOVED:\n((?:  .*\n)+)/.exec(screen + '\n');
	return m?.[1] ?? '';
}
