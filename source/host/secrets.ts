/**
 * Secrets of the environment commands run with: which variables are
 * secret, which of their values are masked (shown as ***), and which
 * commands get them at all.
 *
 * A variable is secret when a word of its name (the parts between `_`)
 * ends in PASSWORD, PASSWD, PASSPHRASE, PASS, SECRET, TOKEN, KEY or
 * CREDENTIAL(S), in any case: PGPASSWORD, DB_PASS, API_KEY, apiKey,
 * AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN. Not secret: KEYBOARD, XKB_KEYMAP,
 * PGPASSFILE (a path), PWD and OLDPWD (directories), TOKENIZERS_PARALLELISM.
 *
 * A value is masked wherever it occurs in a command's output; a value of
 * several lines as a whole (also when its lines reach the wizard in two
 * reads: see LineMasker) and each of its lines alone. A value (or a line of it) shorter than
 * MIN_SECRET_LENGTH characters is not: masking `1` or `no` would garble
 * every line of output, and such a value protects nothing anyway.
 */
import {SECRET_NAME} from './types.ts';

/** Shorter values (or lines of a value) are not masked. */
export const MIN_SECRET_LENGTH = 4;

export const isSecretName = (name: string): boolean => SECRET_NAME.test(name);

/** The values to mask of an environment's secret variables, longest first (a value inside another is masked with it). */
export function secretValues(env: Record<string, string | null | undefined>): string[] {
	const values = new Set<string>();
	for (const [name, value] of Object.entries(env)) {
		if (typeof value !== 'string' || !isSecretName(name)) continue;
		// The whole value (masked first, being longest: a short line of it is masked with the rest),
		// then each line of it alone, in case a command prints one line of it.
		// Without the newlines it ends with: the last line of output reaches the wizard without its own.
		const whole = value.replace(/(\r?\n)+$/, '');
		if (whole.length >= MIN_SECRET_LENGTH) values.add(whole);
		// Output reaches the wizard with CR-LF as LF (wholeLines): the value as it then reads.
		if (whole.includes('\r\n')) values.add(whole.replaceAll('\r\n', '\n'));
		for (const line of value.split(/\r?\n/)) if (line.length >= MIN_SECRET_LENGTH) values.add(line);
	}
	return [...values].sort((a, b) => b.length - a.length);
}

/**
 * Which programs get a secret variable of the wizard's own environment
 * (an allow-list; every other command, apt and dpkg among them, runs
 * without any secret variable the wizard was started with). PostgreSQL's
 * clients read PGPASSWORD (libpq), and vmm's set-permissions.py connects
 * through libpq too. A variable a command sets itself (its `env`) always
 * reaches it.
 */
const SECRET_USERS: Array<{names: RegExp; programs: RegExp; script?: RegExp}> = [
	{names: /^PG/, programs: /^(psql|pg_dump|pg_dumpall|pg_restore|pg_upgradecluster|createdb|dropdb|createuser|dropuser|vacuumdb|reindexdb|clusterdb)$/},
	{names: /^PG/, programs: /^python[0-9.]*$/, script: /(^|\/)set-permissions\.py$/},
];

const basename = (file: string) => file.slice(file.lastIndexOf('/') + 1);

/** May the program of `argv` get the wizard's secret variable `name`? */
export function getsSecret(name: string, argv: readonly string[]): boolean {
	const program = basename(argv[0] ?? '');
	return SECRET_USERS.some(use => use.names.test(name) && use.programs.test(program) && (!use.script || use.script.test(argv[1] ?? '')));
}

/**
 * The environment a command runs with: `base` without the secret
 * variables the command has no use for, then the command's own changes.
 */
export function commandEnv(base: NodeJS.ProcessEnv, changes: Record<string, string | null> | undefined, argv: readonly string[]): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [name, value] of Object.entries(base)) if (!isSecretName(name) || getsSecret(name, argv)) env[name] = value;
	for (const [name, value] of Object.entries(changes ?? {})) {
		if (value === null) delete env[name];
		else env[name] = value;
	}
	return env;
}

/** `text` with every secret replaced by ***. */
export function maskText(text: string, secrets: readonly string[]): string {
	for (const secret of secrets) if (text.includes(secret)) text = text.replaceAll(secret, '***');
	return text;
}

/** Every string in `value` (a snapshot, say) masked; the same object when none holds a secret. */
export function maskDeep<T>(value: T, secrets: readonly string[]): T {
	if (secrets.length === 0) return value;
	const walk = (v: unknown): unknown => {
		if (typeof v === 'string') return maskText(v, secrets);
		if (Array.isArray(v)) {
			const out = v.map(walk);
			return out.some((x, i) => x !== v[i]) ? out : v;
		}
		if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
			let changed = false;
			const out: Record<string, unknown> = {};
			for (const [k, x] of Object.entries(v)) {
				const y = walk(x);
				if (y !== x) changed = true;
				// Keys are names the wizard chose (steps, facts), not output.
				out[k] = y;
			}
			return changed ? out : v;
		}
		return v;
	};
	return walk(value) as T;
}

/**
 * Masks a stream of output that arrives as chunks of whole lines (joined
 * with "\n", a "\n" implied between two chunks), whatever the chunks:
 * a secret of several lines whose first lines end one chunk and whose
 * last lines begin the next is masked as a whole. The lines that could be
 * the start of such a secret are held back until the next chunk (or the
 * end) says what follows them. Without a secret of several lines nothing
 * is held and the bytes are only masked (the common, fast case).
 */
export class LineMasker {
	private held: string | null = null;

	constructor(private readonly secrets: () => readonly string[]) {}

	/** The bytes to pass on now (masked), or null when all of them are held back. */
	feed(bytes: Buffer): Buffer | null {
		const secrets = this.secrets();
		const multiLine = secrets.filter(secret => secret.includes('\n'));
		if (multiLine.length === 0 && this.held === null) return maskBytes(bytes, secrets);
		// Unmasked while held: a line of the value masked alone would hide the value's beginning.
		const text = this.held === null ? bytes.toString('utf8') : `${this.held}\n${bytes.toString('utf8')}`;
		this.held = null;
		// The longest end of the text that is a secret's beginning up to one of its newlines.
		let from = text.length;
		for (const secret of multiLine) {
			for (let at = secret.indexOf('\n'); at !== -1; at = secret.indexOf('\n', at + 1)) {
				if (at > 0 && text.length - at < from && text.endsWith(secret.slice(0, at))) from = text.length - at;
			}
		}
		if (from === text.length) return Buffer.from(maskText(text, secrets), 'utf8');
		// Held from the start of its line: what is passed on stays whole lines.
		const lineStart = text.lastIndexOf('\n', from - 1) + 1;
		this.held = text.slice(lineStart);
		return lineStart === 0 ? null : Buffer.from(maskText(text.slice(0, lineStart - 1), secrets), 'utf8');
	}

	/** What is still held, at the end of the output (masked), or null. */
	end(): Buffer | null {
		const held = this.held;
		this.held = null;
		return held === null ? null : Buffer.from(maskText(held, this.secrets()), 'utf8');
	}
}

/** `bytes` with every secret replaced by ***: the same bytes when none occurs in them. */
export function maskBytes(bytes: Buffer, secrets: readonly string[]): Buffer {
	if (!secrets.some(secret => bytes.includes(secret))) return bytes;
	return Buffer.from(maskText(bytes.toString('utf8'), secrets), 'utf8');
}
