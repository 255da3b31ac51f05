/**
 * A host that plays a scenario file (source/host/scenario.ts): commands are
 * answered by the scenario's entries or by a few built-ins (systemctl,
 * reboot, cat, ls), files and services live in memory, and every change is
 * saved to a state file so that the wizard, stopped and started again (also
 * after the simulated reboot), finds the same host. Nothing here touches
 * the real machine except that state file.
 */
import {randomUUID} from 'node:crypto';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {TAIL_BYTES, writeFileAtomic} from './local-host.ts';
import {adviceText} from './local-host.ts';
import {expandGroups, expandText, loadScenario, type Answers, type CommandEntry, type Condition, type Effect, type Scenario, type ServiceSpec} from './scenario.ts';
import {openSimTerminal, type SimTerminal} from './sim-terminal.ts';
import {displayCommand, type CommandResult, type CommandSpec, type DiskSpace, type FileInfo, type Host, type Identity, type OutputChunk, type RunOptions} from './types.ts';

/** Environment variable that overrides the speed option: 0 = no delays, 1 = real durations. */
export const SPEED_VARIABLE = 'UPGRADE_WIZARD_SIM_SPEED';
/** Simulated seconds a reboot takes. */
export const REBOOT_SECONDS = 60;
const DAY_MS = 24 * 3600 * 1000;
const STATE_FORMAT = 'mail-upgrade-wizard simulated host';
const STATE_VERSION = 1;

export type SimulatedHostOptions = {
	/** JSON file the host's changes are saved to and loaded from; none: in memory only. */
	stateFile?: string;
	/** 0 = no delays, 1 = real durations (default); UPGRADE_WIZARD_SIM_SPEED overrides it. */
	speed?: number;
	/** Where UPGRADE_WIZARD_SIM_SPEED is read from (default process.env). */
	processEnv?: NodeJS.ProcessEnv;
	/** The scenario at scenarioPath, already loaded (parsing it again costs ~70 ms at start). */
	scenario?: Scenario;
	/**
	 * A fixed start (clock and boot ids) instead of the real time and random
	 * ids, for output that must be the same on every run (the generated docs).
	 */
	fixedStart?: {clockMs: number; bootId: string};
	/** Who answers the questions of commands run on the terminal; default: what the scenario says (the trainee). */
	answers?: Answers;
};

type FileState = {content: string; mtimeMs: number; mode: number; size?: number};

/** What the state file holds: the host's changes over the scenario. */
type SavedHost = {
	format: typeof STATE_FORMAT;
	version: typeof STATE_VERSION;
	scenario: string;
	title: string;
	/** Simulated time of the first open: files without an mtime are a day older. */
	startedMs: number;
	clockMs: number;
	bootId: string;
	boots: number;
	/** Files written (with content) or removed (null) since the scenario began. */
	files: Record<string, FileState | null>;
	services: Record<string, ServiceSpec>;
	/** Free bytes per mount that changed. */
	free: Record<string, number>;
	/** The scenario's solution was typed on the command line (scripted walks). */
	solved?: boolean;
};

type Answer = {stdout: string; stderr: string; exit: number; duration: number; effects: Effect[]; match: RegExpExecArray | null; entry?: CommandEntry};

/** A question in a scenario entry's output, with the answer written after it there. */
type Question =
	| {kind: 'apt'; prompt: string; defaultYes: boolean; scripted: string}
	| {kind: 'dpkg'; prompt: string; file: string; defaultKeep: boolean; scripted: string}
	| {kind: 'password'; prompt: string; expected?: string};

type Part = {text: string; question: Question | null};

const APT_QUESTION = /^(.*\? \[(Y\/n|y\/N)\]) ?(\S*)$/;
const DPKG_QUESTION = /^(\*\*\* \S+ \(Y\/I\/N\/O\/D\/Z\) \[default=([YN])\] \?) ?(\S*)$/;
const PASSWORD_QUESTION = /^(Password(?: for user [^:]+)?:) ?$/;

/**
 * An entry's output cut at its questions. The answer written after a
 * question is the scripted one; dpkg's "Installing new version" line after
 * a Y is what the answer prints, not part of the text.
 */
export function questionsOf(stdout: string): Part[] {
	const parts: Part[] = [];
	let text = '';
	let file = '';
	const lines = stdout.split('\n');
	for (let i = 0; i < lines.length; i++) {
		const line = lines[i]!;
		const last = i === lines.length - 1;
		const conffile = /Configuration file '([^']+)'/.exec(line);
		if (conffile) file = conffile[1]!;
		const apt = APT_QUESTION.exec(line);
		const dpkg = DPKG_QUESTION.exec(line);
		const password = PASSWORD_QUESTION.exec(line);
		if (dpkg && file) {
			parts.push({text, question: {kind: 'dpkg', prompt: `${dpkg[1]!} `, file, defaultKeep: dpkg[2] === 'N', scripted: dpkg[3] ?? ''}});
			text = '';
			if (lines[i + 1]?.startsWith(`Installing new version of config file ${file} `)) i++;
		} else if (apt) {
			parts.push({text, question: {kind: 'apt', prompt: `${apt[1]!} `, defaultYes: apt[2] === 'Y/n', scripted: apt[3] ?? ''}});
			text = '';
		} else if (password) {
			parts.push({text, question: {kind: 'password', prompt: `${password[1]!} `}});
			text = '';
		} else text += last ? line : `${line}\n`;
	}
	parts.push({text, question: null});
	return parts;
}

/** A unified diff of two texts, whole files as one hunk (what dpkg's D shows, enough to decide). */
function wholeDiff(oldName: string, oldText: string, newName: string, newText: string): string {
	const a = outputLines(oldText);
	const b = outputLines(newText);
	const lines = [`--- ${oldName}`, `+++ ${newName}`, `@@ -1,${a.length} +1,${b.length} @@`];
	let i = 0;
	let j = 0;
	while (i < a.length || j < b.length) {
		if (i < a.length && j < b.length && a[i] === b[j]) {
			lines.push(` ${a[i]}`);
			i++;
			j++;
		} else if (i < a.length && !b.slice(j).includes(a[i]!)) lines.push(`-${a[i++]}`);
		else if (j < b.length) lines.push(`+${b[j++]}`);
		else lines.push(`-${a[i++]}`);
	}
	return `${lines.join('\n')}\n`;
}

/** Sizes as df -h and ls -lh print them: 9.5G, 612M, 4.0K. */
/** A command line split into words as sh does for the simple cases: quotes, backslashes, spaces. */
export function splitWords(text: string): string[] {
	const words: string[] = [];
	let word = '';
	let quote: string | null = null;
	let started = false;
	for (let i = 0; i < text.length; i++) {
		const ch = text[i]!;
		if (quote) {
			if (ch === quote) quote = null;
			else if (ch === '\\' && quote === '"' && i + 1 < text.length) word += text[++i];
			else word += ch;
		} else if (ch === '"' || ch === "'") {
			quote = ch;
			started = true;
		} else if (ch === '\\' && i + 1 < text.length) {
			word += text[++i];
			started = true;
		} else if (/\s/.test(ch)) {
			if (started || word !== '') words.push(word);
			word = '';
			started = false;
		} else word += ch;
	}
	if (started || word !== '') words.push(word);
	return words;
}

function humanSize(bytes: number): string {
	const units = ['', 'K', 'M', 'G', 'T'];
	let value = bytes;
	let unit = 0;
	while (value >= 1024 && unit < units.length - 1) {
		value /= 1024;
		unit++;
	}
	if (unit === 0) return String(bytes);
	return `${value < 10 ? (Math.ceil(value * 10) / 10).toFixed(1) : Math.ceil(value)}${units[unit]}`;
}

function modeText(mode: number): string {
	const bits = 'rwxrwxrwx';
	return `-${[...bits].map((c, i) => (mode & (1 << (8 - i)) ? c : '-')).join('')}`;
}

const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

/** Text split into the lines a process would stream: a final newline ends the last line. */
function outputLines(text: string): string[] {
	if (text === '') return [];
	const lines = text.split('\n');
	if (lines[lines.length - 1] === '') lines.pop();
	return lines;
}

/** The last `limit` bytes of a text, not starting inside a UTF-8 character. */
function tail(text: string, limit = TAIL_BYTES): string {
	const bytes = Buffer.from(text, 'utf8');
	if (bytes.length <= limit) return text;
	let start = bytes.length - limit;
	while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
	return bytes.subarray(start).toString('utf8');
}

const normalize = (file: string): string => {
	if (!file.startsWith('/')) throw new Error(`simulated host: "${file}" is not an absolute path`);
	return path.posix.normalize(file).replace(/(.)\/$/, '$1');
};

const ancestors = (file: string): string[] => {
	const list: string[] = [];
	for (let dir = path.posix.dirname(file); ; dir = path.posix.dirname(dir)) {
		list.push(dir);
		if (dir === '/') return list;
	}
};

function readSpeed(option: number | undefined, env: NodeJS.ProcessEnv): number {
	const raw = env[SPEED_VARIABLE];
	if (raw !== undefined && raw.trim() !== '') {
		const value = Number(raw);
		if (!Number.isFinite(value) || value < 0) throw new Error(`${SPEED_VARIABLE}="${raw}": expected a number >= 0 (0 = no delays, 1 = real durations)`);
		return value;
	}
	if (option !== undefined && (!Number.isFinite(option) || option < 0)) throw new Error(`speed ${option}: expected a number >= 0`);
	return option ?? 1;
}

export class SimulatedHost implements Host {
	readonly kind = 'simulated' as const;
	readonly label: string;
	/** Seconds of real time per simulated second of command output. */
	readonly speed: number;
	private saving: Promise<void> = Promise.resolve();

	private readonly answers: Answers;
	/** When the session that this one resumes began (its saved state was found); null for a fresh one. */
	resumedFrom: number | null = null;

	private constructor(
		readonly scenario: Scenario,
		private readonly state: SavedHost,
		private readonly stateFile: string | null,
		speed: number,
		private readonly fixedIds = false,
		answers?: Answers,
	) {
		this.answers = answers ?? scenario.answers;
		this.label = `${scenario.host.hostname} (simulated)`;
		this.speed = speed;
	}

	/** Load the scenario and, when there is one, the saved state of an earlier run. */
	static async open(scenarioPath: string, options: SimulatedHostOptions = {}): Promise<SimulatedHost> {
		const speed = readSpeed(options.speed, options.processEnv ?? process.env);
		const scenario = options.scenario ?? (await loadScenario(scenarioPath));
		const stateFile = options.stateFile ? path.resolve(options.stateFile) : null;
		let state: SavedHost | null = null;
		if (stateFile) {
			let text: string | null = null;
			try {
				text = await fs.readFile(stateFile, 'utf8');
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
			}
			if (text !== null) state = parseState(text, stateFile);
		}
		const fresh = state === null;
		if (!state) {
			const now = options.fixedStart?.clockMs ?? Date.now();
			state = {
				format: STATE_FORMAT,
				version: STATE_VERSION,
				scenario: path.resolve(scenarioPath),
				title: scenario.title,
				startedMs: now,
				clockMs: now,
				bootId: options.fixedStart?.bootId ?? randomUUID(),
				boots: 0,
				files: {},
				services: {},
				free: {},
			};
		}
		const host = new SimulatedHost(scenario, state, stateFile, speed, options.fixedStart !== undefined, options.answers);
		if (!fresh) host.resumedFrom = state.startedMs;
		if (stateFile && fresh) {
			await fs.mkdir(path.dirname(stateFile), {recursive: true});
			await host.persist();
		}
		return host;
	}

	// -- commands -------------------------------------------------------------

	async run(command: CommandSpec, options: RunOptions = {}): Promise<CommandResult> {
		const line = displayCommand(command);
		const startedMs = this.state.clockMs;
		let answer = this.answer(command, line);
		// No terminal here: its questions get the answers the scenario wrote after them.
		if (answer.entry && this.partsOf(answer, line).length > 1) answer = await this.converse(answer, null, options, line);
		// One line per chunk: the lines are spread over the command's duration.
		const stdoutLines = outputLines(answer.stdout).map(text => ({stream: 'stdout' as const, bytes: Buffer.from(text)}));
		const stderrLines = outputLines(answer.stderr).map(text => ({stream: 'stderr' as const, bytes: Buffer.from(text)}));
		const chunks: OutputChunk[] = [...stdoutLines, ...stderrLines];
		const totalMs = answer.duration * 1000 * this.speed;
		if (chunks.length === 0 && totalMs > 0) await sleep(totalMs);
		for (const chunk of chunks) {
			if (totalMs > 0) await sleep(totalMs / chunks.length);
			options.onOutput?.(chunk);
		}
		return this.finish(answer, startedMs, options);
	}

	private async finish(answer: Answer, startedMs: number, options: RunOptions): Promise<CommandResult> {
		this.state.clockMs += Math.round(answer.duration * 1000);
		for (const effect of answer.effects) this.apply(effect, answer.match);
		await this.persist();
		const keep = options.capture === 'tail' ? tail : (text: string) => text;
		return {
			exitCode: answer.exit,
			stdout: keep(answer.stdout),
			stderr: keep(answer.stderr),
			startedAt: new Date(startedMs).toISOString(),
			endedAt: new Date(this.state.clockMs).toISOString(),
		};
	}

	/**
	 * Whether the questions of a command run on the terminal are answered
	 * here (the answers the scenario wrote), so that no terminal is needed.
	 */
	get sizeCheck(): Readonly<Record<string, string>> {
		return this.scenario.sizeCheck;
	}

	get answersItself(): boolean {
		return this.answers === 'scripted';
	}

	/**
	 * A command run on the terminal (the wizard has handed it over): its
	 * output goes to the terminal as a real one's would, and its questions
	 * (apt's [Y/n], dpkg's conffile question with the wizard's advice under
	 * it, a password) wait for the trainee's answer, read from the terminal
	 * by a small program with the terminal as its own (sim-terminal.ts).
	 * What the trainee answers has its consequences: n stops apt, Y replaces
	 * an edited conffile, N keeps it and leaves the maintainer's as .dpkg-dist.
	 */
	async runInteractive(command: CommandSpec, options: RunOptions = {}): Promise<CommandResult> {
		if (this.answersItself) return this.run(command, options);
		const line = displayCommand(command);
		const startedMs = this.state.clockMs;
		const answer = this.answer(command, line);
		const terminal = openSimTerminal();
		let result: Answer;
		try {
			result = await this.converse(answer, terminal, options, line);
			for (const text of outputLines(result.stderr)) options.onOutput?.({stream: 'stderr', bytes: Buffer.from(text)});
			if (result.stderr !== '') await terminal.say(result.stderr);
		} catch (error) {
			const status = (error as {exitStatus?: number}).exitStatus;
			if (status === undefined) throw error;
			// Ctrl-C: the command is gone, nothing of what it would have done is done.
			options.onOutput?.({stream: 'stderr', bytes: Buffer.from('^C')});
			this.state.clockMs += 1000;
			await this.persist();
			return {exitCode: status, stdout: '', stderr: '', startedAt: new Date(startedMs).toISOString(), endedAt: new Date(this.state.clockMs).toISOString()};
		}
		await terminal.end();
		return this.finish(result, startedMs, options);
	}

	/**
	 * An entry's output cut at its questions; a database program run with
	 * -W (set-permissions.py with -a) asks for its -U user's password first,
	 * when the scenario knows that password.
	 */
	private partsOf(answer: Answer, line: string): Part[] {
		const parts = questionsOf(answer.stdout);
		const words = line.split(' ');
		const program = words.find(w => !w.includes('=') && w !== 'env' && w !== 'python' && w !== 'python3') ?? '';
		const asks = (/^(pg_dump|pg_restore|psql|createdb|dropdb)$/.test(path.posix.basename(program)) && words.includes('-W')) || (program.endsWith('set-permissions.py') && words.includes('-a'));
		const user = /(?:^| )-U (\S+)/.exec(line)?.[1];
		const expected = user ? this.scenario.passwords[user] : undefined;
		if (asks && expected !== undefined) parts.unshift({text: '', question: {kind: 'password', prompt: 'Password: ', expected}});
		return parts;
	}

	/**
	 * An entry's output played up to each question, the question answered by
	 * the trainee on `terminal` (or, without one, as the scenario wrote), and
	 * what the answer leads to: the output, exit status and effects of the run.
	 */
	private async converse(answer: Answer, terminal: SimTerminal | null, options: RunOptions, line: string): Promise<Answer> {
		const entry = answer.entry;
		const parts = this.partsOf(answer, line);
		const lineCount = Math.max(1, outputLines(answer.stdout).length);
		const delayMs = (answer.duration * 1000 * this.speed) / lineCount;
		let stdout = '';
		let pendingLine = '';
		const say = async (text: string) => {
			if (text === '') return;
			stdout += text;
			if (terminal) {
				// Whole lines to the transcript as they are shown.
				const lines = `${pendingLine}${text}`.split('\n');
				pendingLine = lines.pop() ?? '';
				for (const l of lines) options.onOutput?.({stream: 'stdout', bytes: Buffer.from(l)});
				await terminal.say(text, delayMs);
			}
		};
		const ask = async (question: Question, scripted: string, advice: string): Promise<string> => {
			if (!terminal) return scripted;
			return terminal.ask(`${question.prompt}${advice}`, question.kind !== 'password');
		};
		/** The question and its answer as one line of the output (a password is not shown). */
		const answered = async (question: Question, typed: string) => {
			const shown = question.kind === 'password' ? '' : typed;
			stdout += `${question.prompt}${shown}\n`;
			if (terminal) options.onOutput?.({stream: 'stdout', bytes: Buffer.from(`${pendingLine}${question.prompt}${shown}`)});
			pendingLine = '';
		};
		const extra: Effect[] = [];
		const list = options.conffileAdvice;
		for (const part of parts) {
			await say(part.text);
			const q = part.question;
			if (!q) continue;
			if (q.kind === 'apt') {
				const advice = terminal && list ? adviceText({kind: 'apt', prompt: q.prompt.trim(), defaultYes: q.defaultYes}, list) : '';
				const typed = (await ask(q, q.scripted, advice)).trim();
				await answered(q, typed);
				const yes = typed === '' ? q.defaultYes : /^y(es)?$/i.test(typed);
				if (yes) continue;
				const no = entry?.onNo;
				if (no) {
					await say(expandText(no.stdout, answer.match));
					return {...answer, stdout, stderr: expandText(no.stderr, answer.match), exit: no.exit, effects: [...extra, ...no.effects]};
				}
				await say('Abort.\n');
				return {...answer, stdout, stderr: '', exit: 1, effects: extra};
			}
			if (q.kind === 'dpkg') {
				const current = this.file(normalize(q.file))?.content ?? '';
				const shipped = entry?.conffiles[q.file] ?? `# ${q.file}: the package maintainer's version (simulated)\n`;
				for (;;) {
					const advice = terminal && list ? adviceText({kind: 'dpkg', path: q.file, prompt: q.prompt.trim()}, list) : '';
					const typed = (await ask(q, q.scripted, advice)).trim().toUpperCase();
					await answered(q, typed);
					const choice = typed === '' ? (q.defaultKeep ? 'N' : 'Y') : typed;
					if (choice === 'Y' || choice === 'I') {
						await say(`Installing new version of config file ${q.file} ...\n`);
						extra.push({kind: 'write', path: `${q.file}.dpkg-old`, content: current, mode: null, size: null});
						extra.push({kind: 'write', path: q.file, content: shipped, mode: null, size: null});
						break;
					}
					if (choice === 'N' || choice === 'O') {
						extra.push({kind: 'write', path: `${q.file}.dpkg-dist`, content: shipped, mode: null, size: null});
						break;
					}
					if (choice === 'D') await say(wholeDiff(q.file, current, `${q.file}.dpkg-new`, shipped));
					else if (choice === 'Z') await say('(training: the simulated host has no shell to start; look at the file with the wizard\'s command line, then answer Y or N)\n');
					if (!terminal) break;
				}
				continue;
			}
			const expected = q.expected ?? entry?.password ?? null;
			const typed = await ask(q, expected ?? '', '');
			await answered(q, typed);
			if (expected !== null && typed !== expected) {
				const user = /-U (\S+)/.exec(line)?.[1] ?? 'postgres';
				const program = line.split(' ').find(word => !word.includes('=') && word !== 'env') ?? 'psql';
				return {...answer, stdout, stderr: `${program}: error: connection to server failed: FATAL:  password authentication failed for user "${user}"\n`, exit: 1, effects: extra};
			}
		}
		if (pendingLine !== '' && terminal) options.onOutput?.({stream: 'stdout', bytes: Buffer.from(pendingLine)});
		return {...answer, stdout, effects: [...extra, ...answer.effects]};
	}

	/**
	 * The simulated host's command line, for the trainee (the wizard's ! key
	 * in training): commands are answered as the wizard's are (the
	 * scenario's entries, then the built-ins: ls, cat, df, du, rm, mv, cp,
	 * systemctl), so the trainee can act on the host as on a real one (free
	 * space, move a file away). On the terminal, which the caller has handed
	 * over, until exit or Ctrl-D. Without a terminal, or where the scenario's
	 * answers are scripted, the scenario's `solution` is typed instead, once.
	 * Returns the command lines that ran.
	 */
	async shell(options: {terminal: boolean; note?: (text: string) => void; onOutput?: (chunk: OutputChunk) => void}): Promise<string[]> {
		const ran: string[] = [];
		const one = async (text: string): Promise<string> => {
			ran.push(text);
			options.note?.(`shell on ${this.label}: ${text}`);
			const words = this.expandWords(splitWords(text));
			if (words.length === 0) return '';
			if (words[0] === 'cd') return '(training: cd is not simulated here; give absolute paths)\n';
			const result = await this.run({argv: words}, {capture: 'all', ...(options.onOutput ? {onOutput: options.onOutput} : {})});
			options.note?.(`exit status ${result.exitCode}: ${text}`);
			return `${result.stdout}${result.stderr}`;
		};
		if (!options.terminal || this.answersItself) {
			if (this.state.solved) return ran;
			for (const text of this.scenario.solution) await one(text);
			this.state.solved = true;
			await this.persist();
			return ran;
		}
		const terminal = openSimTerminal();
		const name = this.scenario.host.hostname.split('.')[0];
		const prompt = `${this.scenario.host.user}@${name}:~${this.scenario.host.uid === 0 ? '#' : '$'} `;
		try {
			await terminal.say(
				[
					`[upgrade-wizard] A command line on the simulated host ${this.scenario.host.hostname}: what you`,
					'                 type runs there, as the wizard\'s commands do (ls -l, df -h,',
					'                 du -sh, rm, mv, cp, cat, systemctl, and the commands the',
					'                 scenario knows). Give absolute paths. exit or Ctrl-D goes back.',
					'',
				].join('\n'),
			);
			for (;;) {
				const text = await terminal.read(prompt);
				if (text === null || /^\s*(exit|logout)\s*$/.test(text)) break;
				if (text.trim() === '') continue;
				await terminal.say(await one(text.trim()));
			}
		} catch (error) {
			// Ctrl-C: back to the wizard, as from a shell that was left.
			if ((error as {exitStatus?: number}).exitStatus === undefined) throw error;
			return ran;
		}
		await terminal.end();
		return ran;
	}

	/** Words with * and ? in their last part matched against the simulated files, as a shell does. */
	private expandWords(words: string[]): string[] {
		return words.flatMap(word => {
			if (!/[*?]/.test(word) || !word.startsWith('/')) return [word];
			const dir = path.posix.dirname(word);
			const pattern = new RegExp(`^${path.posix.basename(word).replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`);
			const hits = this.children(normalize(dir)).filter(n => pattern.test(n)).map(n => path.posix.join(dir, n));
			return hits.length > 0 ? hits : [word];
		});
	}

	/** Which scenario entry answers a command line, or null; for tools and tests. */
	matchingEntry(line: string): CommandEntry | null {
		return this.findEntry(line)?.entry ?? null;
	}

	private findEntry(line: string): {entry: CommandEntry; match: RegExpExecArray} | null {
		for (const entry of this.scenario.commands) {
			const match = entry.match.exec(line);
			if (match && entry.when.every(condition => this.holds(condition, match))) return {entry, match};
		}
		return null;
	}

	private answer(command: CommandSpec, line: string): Answer {
		const found = this.findEntry(line);
		if (found) {
			const {entry, match} = found;
			return {stdout: expandText(entry.stdout, match), stderr: expandText(entry.stderr, match), exit: entry.exit, duration: entry.duration, effects: entry.effects, match, entry};
		}
		const builtIn = this.builtIn(command);
		if (builtIn) return {...builtIn, duration: 0, effects: [], match: null};
		const program = command.argv[0] ?? '';
		return {
			stdout: '',
			stderr: `${program}: not simulated in scenario ${this.scenario.title} (no commands[] entry matches "${line}")\n`,
			exit: 127,
			duration: 0,
			effects: [],
			match: null,
		};
	}

	private holds(condition: Condition, match: RegExpExecArray): boolean {
		const file = this.file(normalize(expandGroups(condition.path, match)));
		switch (condition.kind) {
			case 'file_exists':
				return file !== null;
			case 'file_missing':
				return file === null;
			case 'file_contains':
				return file !== null && file.content.includes(condition.text);
			case 'not_file_contains':
				return file === null || !file.content.includes(condition.text);
		}
	}

	private apply(effect: Effect, match: RegExpExecArray | null): void {
		const expand = (p: string) => normalize(match ? expandGroups(p, match) : p);
		switch (effect.kind) {
			case 'write': {
				const file = expand(effect.path);
				this.state.files[file] = {
					content: expandText(effect.content, match),
					mtimeMs: this.state.clockMs,
					mode: effect.mode ?? this.file(file)?.mode ?? 0o644,
					...(effect.size !== null ? {size: effect.size} : {}),
				};
				break;
			}
			case 'remove':
				this.state.files[expand(effect.path)] = null;
				break;
			case 'append': {
				const file = expand(effect.path);
				const before = this.file(file);
				const old = before?.content ?? '';
				// A blank line between the old stanzas and the new ones, as apt writes them.
				const gap = old === '' || old.endsWith('\n\n') ? '' : old.endsWith('\n') ? '\n' : '\n\n';
				this.state.files[file] = {content: `${old}${gap}${expandText(effect.content, match)}`, mtimeMs: this.state.clockMs, mode: before?.mode ?? 0o644};
				break;
			}
			case 'move': {
				const from = expand(effect.from);
				const file = this.file(from);
				if (file) {
					this.state.files[expand(effect.to)] = {...file};
					this.state.files[from] = null;
				}
				break;
			}
			case 'free': {
				const fsys = this.scenario.filesystems.find(f => f.mount === effect.mount)!;
				const current = this.state.free[fsys.mount] ?? fsys.freeBytes;
				const next = effect.relative ? current + effect.bytes : effect.bytes;
				this.state.free[fsys.mount] = Math.max(0, Math.min(fsys.sizeBytes, next));
				break;
			}
			case 'service': {
				const unit = this.service(effect.unit) ?? {active: false, enabled: false, masked: false};
				this.state.services[effect.unit] = {
					active: effect.active ?? unit.active,
					enabled: effect.enabled ?? unit.enabled,
					masked: effect.masked ?? unit.masked,
				};
				break;
			}
			case 'reboot':
				this.reboot();
				break;
		}
	}

	/** A new boot: new boot id, the clock moves on, units start as their enablement says. */
	private reboot(): void {
		this.state.boots += 1;
		this.state.bootId = this.fixedIds ? `boot-${this.state.boots + 1}` : randomUUID();
		this.state.clockMs += REBOOT_SECONDS * 1000;
		for (const unit of this.units()) {
			const s = this.service(unit)!;
			this.state.services[unit] = {...s, active: s.enabled && !s.masked};
		}
	}

	// -- built-ins ------------------------------------------------------------

	private builtIn(command: CommandSpec): {stdout: string; stderr: string; exit: number} | null {
		const [program, ...args] = command.argv;
		switch (program) {
			case 'systemctl':
				return this.systemctl(args);
			case 'reboot':
				if (args.length > 0) return null;
				this.reboot();
				return {stdout: '', stderr: '', exit: 0};
			case 'cat':
				return this.cat(args);
			case 'ls':
				return this.ls(args);
			case 'rm':
				return this.rm(args);
			case 'mv':
			case 'cp':
				return this.copy(program, args);
			case 'df':
				return this.df(args);
			case 'du':
				return this.du(args);
			default:
				return null;
		}
	}

	/** The file system (of the scenario's) that holds a path. */
	private mountOf(file: string) {
		return this.scenario.filesystems
			.filter(f => f.mount === '/' || file === f.mount || file.startsWith(`${f.mount}/`))
			.sort((a, b) => b.mount.length - a.mount.length)[0];
	}

	private sizeOf(file: string): number {
		const f = this.file(file);
		return f ? (f.size ?? Buffer.byteLength(f.content, 'utf8')) : 0;
	}

	/** Free space on a file system changes by `bytes` (a file written or removed there). */
	private changeFree(file: string, bytes: number) {
		const fsys = this.mountOf(file);
		if (!fsys) return;
		const current = this.state.free[fsys.mount] ?? fsys.freeBytes;
		this.state.free[fsys.mount] = Math.max(0, Math.min(fsys.sizeBytes, current + bytes));
	}

	/** The files under a directory (all depths). */
	private filesUnder(dir: string): string[] {
		const prefix = dir === '/' ? '/' : `${dir}/`;
		return [...new Set([...Object.keys(this.scenario.files), ...Object.keys(this.state.files)])].filter(f => f.startsWith(prefix) && this.file(f) !== null);
	}

	private rm(args: string[]): {stdout: string; stderr: string; exit: number} | null {
		const flags = args.filter(a => a.startsWith('-')).join('');
		if (/[^-rfvRi]/.test(flags)) return null;
		const recursive = /[rR]/.test(flags);
		let stdout = '';
		let stderr = '';
		for (const arg of args.filter(a => !a.startsWith('-'))) {
			if (!arg.startsWith('/')) return null;
			const file = normalize(arg);
			if (this.isDirectory(file)) {
				if (!recursive) {
					stderr += `rm: cannot remove '${arg}': Is a directory\n`;
					continue;
				}
				for (const f of this.filesUnder(file)) {
					this.changeFree(f, this.sizeOf(f));
					this.state.files[f] = null;
				}
			} else if (this.file(file)) {
				this.changeFree(file, this.sizeOf(file));
				this.state.files[file] = null;
				if (flags.includes('v')) stdout += `removed '${arg}'\n`;
			} else if (!flags.includes('f')) stderr += `rm: cannot remove '${arg}': No such file or directory\n`;
		}
		return {stdout, stderr, exit: stderr ? 1 : 0};
	}

	private copy(program: string, args: string[]): {stdout: string; stderr: string; exit: number} | null {
		const paths = args.filter(a => !a.startsWith('-'));
		if (args.some(a => a.startsWith('-') && !/^-[vfpai]+$/.test(a)) || paths.length < 2 || paths.some(a => !a.startsWith('/'))) return null;
		const target = normalize(paths[paths.length - 1]!);
		const sources = paths.slice(0, -1).map(normalize);
		const intoDir = this.isDirectory(target);
		if (sources.length > 1 && !intoDir) return {stdout: '', stderr: `${program}: target '${paths[paths.length - 1]}' is not a directory\n`, exit: 1};
		let stderr = '';
		for (const [k, source] of sources.entries()) {
			const found = this.file(source);
			if (!found) {
				stderr += `${program}: cannot stat '${paths[k]}': No such file or directory\n`;
				continue;
			}
			const to = intoDir ? path.posix.join(target, path.posix.basename(source)) : target;
			const size = this.sizeOf(source);
			const fsys = this.mountOf(to);
			const free = fsys ? (this.state.free[fsys.mount] ?? fsys.freeBytes) : Infinity;
			const sameMount = this.mountOf(source)?.mount === fsys?.mount;
			if (!(program === 'mv' && sameMount) && size > free) {
				stderr += `${program}: error writing '${to}': No space left on device\n`;
				continue;
			}
			if (this.file(to)) this.changeFree(to, this.sizeOf(to));
			this.state.files[to] = {...found, mtimeMs: program === 'cp' ? this.state.clockMs : found.mtimeMs};
			if (!(program === 'mv' && sameMount)) this.changeFree(to, -size);
			if (program === 'mv') {
				this.state.files[source] = null;
				if (!sameMount) this.changeFree(source, size);
			}
		}
		return {stdout: '', stderr, exit: stderr ? 1 : 0};
	}

	private df(args: string[]): {stdout: string; stderr: string; exit: number} | null {
		if (args.some(a => a.startsWith('-') && a !== '-h')) return null;
		const human = args.includes('-h');
		const show = (bytes: number) => (human ? humanSize(bytes) : String(Math.round(bytes / 1024)));
		const targets = args.filter(a => !a.startsWith('-'));
		const list = targets.length === 0 ? this.scenario.filesystems : targets.map(t => (t.startsWith('/') ? this.mountOf(normalize(t)) : undefined));
		const rows = [`Filesystem      ${human ? ' Size  Used Avail' : '1K-blocks      Used Available'} Use% Mounted on`];
		let stderr = '';
		for (const [k, fsys] of list.entries()) {
			if (!fsys) {
				stderr += `df: ${targets[k]}: No such file or directory\n`;
				continue;
			}
			const free = this.state.free[fsys.mount] ?? fsys.freeBytes;
			const used = fsys.sizeBytes - free;
			const device = fsys.mount === '/' ? '/dev/mapper/root' : `/dev/sim${fsys.mount.replaceAll('/', '-')}`;
			rows.push(`${device.padEnd(15)} ${show(fsys.sizeBytes).padStart(human ? 5 : 9)} ${show(used).padStart(human ? 5 : 9)} ${show(free).padStart(human ? 5 : 9)} ${`${Math.ceil((used / fsys.sizeBytes) * 100)}%`.padStart(4)} ${fsys.mount}`);
		}
		return {stdout: `${rows.join('\n')}\n`, stderr, exit: stderr ? 1 : 0};
	}

	private du(args: string[]): {stdout: string; stderr: string; exit: number} | null {
		if (args.some(a => a.startsWith('-') && !/^-[shc]+$/.test(a))) return null;
		const human = args.some(a => a.startsWith('-') && a.includes('h'));
		let stdout = '';
		let stderr = '';
		for (const arg of args.filter(a => !a.startsWith('-'))) {
			if (!arg.startsWith('/')) return null;
			const file = normalize(arg);
			const bytes = this.file(file) ? this.sizeOf(file) : this.isDirectory(file) ? this.filesUnder(file).reduce((sum, f) => sum + this.sizeOf(f), 0) : -1;
			if (bytes < 0) stderr += `du: cannot access '${arg}': No such file or directory\n`;
			else stdout += `${human ? humanSize(bytes) : Math.ceil(bytes / 1024)}\t${arg}\n`;
		}
		return {stdout, stderr, exit: stderr ? 1 : 0};
	}

	private cat(args: string[]): {stdout: string; stderr: string; exit: number} | null {
		if (args.length === 0 || args.some(a => a.startsWith('-'))) return null;
		let stdout = '';
		let stderr = '';
		for (const arg of args) {
			const file = arg.startsWith('/') ? normalize(arg) : null;
			const found = file ? this.file(file) : null;
			if (found) stdout += found.content;
			else if (file && this.isDirectory(file)) stderr += `cat: ${arg}: Is a directory\n`;
			else stderr += `cat: ${arg}: No such file or directory\n`;
		}
		return {stdout, stderr, exit: stderr ? 1 : 0};
	}

	private ls(args: string[]): {stdout: string; stderr: string; exit: number} | null {
		const flags = args.filter(a => a.startsWith('-')).join('').replaceAll('-', '');
		const paths = args.filter(a => !a.startsWith('-'));
		if (/[^lha]/.test(flags) || paths.length > 1 || paths.some(a => !a.startsWith('/'))) return null;
		const long = flags.includes('l');
		const human = flags.includes('h');
		const entry = (file: string, name: string) => {
			if (!long) return `${name}\n`;
			const f = this.file(file);
			const size = f ? this.sizeOf(file) : 4096;
			const when = new Date(f?.mtimeMs ?? this.state.startedMs - DAY_MS).toISOString().slice(0, 16).replace('T', ' ');
			const mode = f ? modeText(f.mode) : 'drwxr-xr-x';
			return `${mode} 1 root root ${(human ? humanSize(size) : String(size)).padStart(human ? 5 : 10)} ${when} ${name}\n`;
		};
		const dir = normalize(paths[0] ?? '/');
		if (this.file(dir)) return {stdout: entry(dir, paths[0]!), stderr: '', exit: 0};
		if (!this.isDirectory(dir)) return {stdout: '', stderr: `ls: cannot access '${paths[0]}': No such file or directory\n`, exit: 2};
		const names = this.children(dir);
		const total = long ? `total ${names.reduce((sum, n) => sum + Math.ceil(this.sizeOf(path.posix.join(dir, n)) / 1024), 0)}\n` : '';
		return {stdout: total + names.map(n => entry(path.posix.join(dir, n), n)).join(''), stderr: '', exit: 0};
	}

	private systemctl(args: string[]): {stdout: string; stderr: string; exit: number} | null {
		const quiet = args.some(a => a === '-q' || a === '--quiet');
		const rest = args.filter(a => !['-q', '--quiet', '--no-pager', '--no-legend'].includes(a));
		if (rest.some(a => a.startsWith('-'))) return null;
		const [verb, ...names] = rest;
		if (!verb || names.length === 0) return null;
		const units = names.map(n => n.replace(/\.service$/, ''));
		// systemd's full unit name: a bare name is a service.
		const full = (u: string) => (/\.(socket|timer|target|mount|path|slice|scope|device|swap|automount)$/.test(u) ? u : `${u}.service`);
		const out: string[] = [];
		const err: string[] = [];
		const say = (line: string) => {
			if (!quiet) out.push(line);
		};
		let exit = 0;
		const fail = (line: string, code: number) => {
			err.push(line);
			if (exit === 0) exit = code;
		};
		switch (verb) {
			case 'stop':
				for (const u of units) {
					const s = this.service(u);
					if (!s) fail(`Failed to stop ${full(u)}: Unit ${full(u)} not loaded.`, 5);
					else this.state.services[u] = {...s, active: false};
				}
				break;
			case 'start':
			case 'restart':
				for (const u of units) {
					const s = this.service(u);
					const word = verb === 'start' ? 'start' : 'restart';
					if (!s) fail(`Failed to ${word} ${full(u)}: Unit ${full(u)} not found.`, 5);
					else if (s.masked) fail(`Failed to ${word} ${full(u)}: Unit ${full(u)} is masked.`, 1);
					else this.state.services[u] = {...s, active: true};
				}
				break;
			case 'mask':
				for (const u of units) {
					const s = this.service(u) ?? {active: false, enabled: false, masked: false};
					if (!s.masked) err.push(`Created symlink /etc/systemd/system/${full(u)} → /dev/null.`);
					this.state.services[u] = {...s, masked: true};
				}
				break;
			case 'unmask':
				for (const u of units) {
					const s = this.service(u);
					if (!s?.masked) continue;
					err.push(`Removed "/etc/systemd/system/${full(u)}".`);
					this.state.services[u] = {...s, masked: false};
				}
				break;
			case 'enable':
			case 'disable':
				for (const u of units) {
					const s = this.service(u);
					if (!s) fail(`Failed to ${verb} unit: Unit file ${full(u)} does not exist.`, 1);
					else if (s.masked && verb === 'enable') fail(`Failed to enable unit: Unit file /etc/systemd/system/${full(u)} is masked.`, 1);
					else {
						const link = `/etc/systemd/system/multi-user.target.wants/${full(u)}`;
						if (verb === 'enable' && !s.enabled) err.push(`Created symlink ${link} → /lib/systemd/system/${full(u)}.`);
						if (verb === 'disable' && s.enabled) err.push(`Removed "${link}".`);
						this.state.services[u] = {...s, enabled: verb === 'enable'};
					}
				}
				break;
			case 'is-active': {
				// Exit 0 when at least one unit is active, as systemd does.
				let any = false;
				for (const u of units) {
					const active = this.service(u)?.active ?? false;
					any ||= active;
					say(active ? 'active' : 'inactive');
				}
				exit = any ? 0 : 3;
				break;
			}
			case 'is-enabled': {
				// Exit 0 when at least one unit is enabled; stops at a unit without a unit file.
				let any = false;
				let missing = false;
				for (const u of units) {
					const s = this.service(u);
					if (!s) {
						err.push(`Failed to get unit file state for ${full(u)}: No such file or directory`);
						missing = true;
						break;
					}
					const word = s.masked ? 'masked' : s.enabled ? 'enabled' : 'disabled';
					any ||= word === 'enabled';
					say(word);
				}
				exit = any && !missing ? 0 : 1;
				break;
			}
			case 'status':
				for (const [k, u] of units.entries()) {
					const s = this.service(u);
					if (k > 0) say('');
					if (!s) {
						fail(`Unit ${full(u)} could not be found.`, 4);
						continue;
					}
					const since = new Date(this.state.clockMs).toISOString().replace('T', ' ').slice(0, 19);
					say(`${s.active ? '●' : '○'} ${full(u)}`);
					say(
						s.masked
							? `     Loaded: masked (Reason: Unit ${full(u)} is masked.)`
							: `     Loaded: loaded (/lib/systemd/system/${full(u)}; ${s.enabled ? 'enabled' : 'disabled'}; preset: enabled)`,
					);
					say(`     Active: ${s.active ? `active (running) since ${new Date(this.state.clockMs).toUTCString().slice(0, 3)} ${since} UTC` : 'inactive (dead)'}`);
					if (!s.active && exit === 0) exit = 3;
				}
				break;
			default:
				return null;
		}
		return {stdout: out.map(l => `${l}\n`).join(''), stderr: err.map(l => `${l}\n`).join(''), exit};
	}

	// -- files ----------------------------------------------------------------

	/** A file's current state, or null. */
	private file(file: string): FileState | null {
		if (file in this.state.files) return this.state.files[file] ?? null;
		const given = this.scenario.files[file];
		if (!given) return null;
		return {
			content: given.content,
			mtimeMs: given.mtimeMs ?? this.state.startedMs - DAY_MS,
			mode: given.mode,
			...(given.size !== null ? {size: given.size} : {}),
		};
	}

	/** Every path that ever held a file: its directories exist (also once emptied). */
	private directories(): Set<string> {
		const dirs = new Set<string>(['/']);
		for (const file of [...Object.keys(this.scenario.files), ...Object.keys(this.state.files)]) for (const dir of ancestors(file)) dirs.add(dir);
		for (const fsys of this.scenario.filesystems) {
			dirs.add(fsys.mount);
			for (const dir of ancestors(fsys.mount)) dirs.add(dir);
		}
		return dirs;
	}

	private isDirectory(file: string): boolean {
		return this.file(file) === null && this.directories().has(file);
	}

	private children(dir: string): string[] {
		const prefix = dir === '/' ? '/' : `${dir}/`;
		const names = new Set<string>();
		const candidates = [...Object.keys(this.scenario.files), ...Object.keys(this.state.files)].filter(f => this.file(f) !== null);
		for (const entry of [...candidates, ...this.directories()]) {
			if (entry === dir || !entry.startsWith(prefix)) continue;
			names.add(entry.slice(prefix.length).split('/')[0]!);
		}
		return [...names].sort();
	}

	async readFile(file: string): Promise<string | null> {
		const target = normalize(file);
		const found = this.file(target);
		if (found) return found.content;
		if (this.isDirectory(target)) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${file}'`), {code: 'EISDIR'});
		return null;
	}

	async writeFile(file: string, content: string, mode?: number): Promise<void> {
		const target = normalize(file);
		if (this.isDirectory(target)) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${file}'`), {code: 'EISDIR'});
		const parent = ancestors(target).find(dir => this.file(dir) !== null);
		if (parent) throw Object.assign(new Error(`ENOTDIR: not a directory, open '${file}'`), {code: 'ENOTDIR'});
		this.state.files[target] = {content, mtimeMs: this.state.clockMs, mode: mode ?? this.file(target)?.mode ?? 0o644};
		await this.persist();
	}

	async removeFile(file: string): Promise<void> {
		const target = normalize(file);
		if (this.file(target) === null) return;
		this.state.files[target] = null;
		await this.persist();
	}

	async listDir(dir: string): Promise<string[]> {
		const target = normalize(dir);
		return this.isDirectory(target) ? this.children(target) : [];
	}

	async stat(file: string): Promise<FileInfo | null> {
		const target = normalize(file);
		const found = this.file(target);
		if (found) return {size: found.size ?? Buffer.byteLength(found.content, 'utf8'), mtimeMs: found.mtimeMs, isFile: true, isDirectory: false};
		if (this.isDirectory(target)) return {size: 4096, mtimeMs: this.state.startedMs - DAY_MS, isFile: false, isDirectory: true};
		return null;
	}

	async diskSpace(file: string): Promise<DiskSpace> {
		const target = normalize(file);
		const fsys = this.scenario.filesystems
			.filter(f => f.mount === '/' || target === f.mount || target.startsWith(`${f.mount}/`))
			.sort((a, b) => b.mount.length - a.mount.length)[0];
		if (!fsys) throw new Error(`simulated host: no file system of scenario ${this.scenario.title} holds ${file}; add one under filesystems: (e.g. { mount: /, size: 32G, free: 20G })`);
		const free = this.state.free[fsys.mount] ?? fsys.freeBytes;
		return {totalBytes: fsys.sizeBytes, availableBytes: free, freeBytes: free};
	}

	// -- identity, environment, time -------------------------------------------

	env(): Record<string, string> {
		return {...this.scenario.env};
	}

	async identity(): Promise<Identity> {
		const {hostname, user, uid} = this.scenario.host;
		return {uid, user, hostname};
	}

	async bootId(): Promise<string> {
		return this.state.bootId;
	}

	/** The simulated clock: real time at the first open, then moved on by command durations and reboots. */
	now(): number {
		return this.state.clockMs;
	}

	// -- services and state ---------------------------------------------------

	private units(): string[] {
		return [...new Set([...Object.keys(this.scenario.services), ...Object.keys(this.state.services)])];
	}

	private service(unit: string): ServiceSpec | null {
		return this.state.services[unit] ?? this.scenario.services[unit] ?? null;
	}

	/** Current state of a unit, for tests and tools; null when the host has no such unit. */
	serviceState(unit: string): ServiceSpec | null {
		const s = this.service(unit.replace(/\.service$/, ''));
		return s ? {...s} : null;
	}

	/** Save the host's changes (atomically); changes are queued so the file always ends with the latest. */
	private persist(): Promise<void> {
		const file = this.stateFile;
		if (!file) return Promise.resolve();
		// Under the state directory, like everything there: the operator's alone (0600).
		const next = this.saving.then(() => writeFileAtomic(file, `${JSON.stringify(this.state, null, '\t')}\n`, 0o600));
		this.saving = next.catch(() => undefined);
		return next;
	}
}

function parseState(text: string, file: string): SavedHost {
	const unusable = (why: string) =>
		new Error(`${file}: the simulated host's saved state cannot be used (${why}). Move it aside or delete it to start the scenario afresh (upgrade-wizard --reset does this).`);
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch (error) {
		throw unusable(`not JSON: ${(error as Error).message}`);
	}
	const s = data as Partial<SavedHost> | null;
	if (!s || typeof s !== 'object' || s.format !== STATE_FORMAT) throw unusable('not a simulated host state file');
	if (s.version !== STATE_VERSION) throw unusable(`version ${String(s.version)}, expected ${STATE_VERSION}`);
	const numbers = [s.startedMs, s.clockMs, s.boots];
	if (numbers.some(n => typeof n !== 'number' || !Number.isFinite(n)) || typeof s.bootId !== 'string') throw unusable('clock or boot id missing');
	if (!s.files || typeof s.files !== 'object' || !s.services || typeof s.services !== 'object' || !s.free || typeof s.free !== 'object') {
		throw unusable('files, services or free space missing');
	}
	for (const [name, f] of Object.entries(s.files)) {
		if (f !== null && (typeof f !== 'object' || typeof f.content !== 'string' || typeof f.mtimeMs !== 'number' || typeof f.mode !== 'number')) throw unusable(`file ${name} is malformed`);
	}
	return s as SavedHost;
}
