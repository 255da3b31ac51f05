/**
 * Locales: `locale -a` lists what is installed with glibc's normalised
 * codeset (`de_DE.utf8`), while environments, often sent along by an SSH
 * client, name them as `de_DE.UTF-8`. A variable naming a locale that is not
 * installed makes perl print "Setting locale failed" in every maintainer
 * script, and makes pg_upgradecluster/initdb fail or pick the wrong encoding.
 */
import {outputLines} from './ansi.ts';

/** Installed locale names from `locale -a`, one per line; noise lines are dropped. */
export function parseLocaleList(text: string): string[] {
	const names: string[] = [];
	for (const raw of outputLines(text)) {
		const name = raw.trim();
		// `locale: Cannot set LC_CTYPE ...` lands here when stderr is merged.
		if (name === '' || /[\s:]/.test(name)) continue;
		if (!names.includes(name)) names.push(name);
	}
	return names;
}

// As glibc's _nl_normalize_codeset: the codeset keeps only letters and
// digits, lower-cased, and an all-digit codeset gets `iso` in front.
// Language, territory and modifier stay as written: glibc does not fold
// their case. `de_DE.UTF-8` -> `de_DE.utf8`, `en_GB.ISO-8859-15` -> `en_GB.iso885915`.
/** A locale name spelled the way `locale -a` lists it. */
export function normalizeLocale(name: string): string {
	const trimmed = name.trim();
	const match = /^([^.@]*)(?:\.([^@]*))?(@.*)?$/.exec(trimmed);
	if (!match) return trimmed;
	const [, base, codeset, modifier = ''] = match;
	if (codeset === undefined) return `${base}${modifier}`;
	const cleaned = codeset.replace(/[^A-Za-z0-9]/g, '').toLowerCase();
	return `${base}.${/^\d+$/.test(cleaned) ? `iso${cleaned}` : cleaned}${modifier}`;
}

/**
 * The variables that select locale categories. LANGUAGE is left out on
 * purpose: it is a colon-separated list of message-catalogue languages,
 * not a locale; gettext skips entries it has no catalogue for and setlocale
 * never reads it, so it cannot fail. LC_TERMINAL and LC_TERMINAL_VERSION
 * (iTerm2 sends them through SSH's AcceptEnv LC_*) are not locales either.
 */
const LOCALE_VARIABLES = [
	'LC_ALL',
	'LANG',
	'LC_ADDRESS',
	'LC_COLLATE',
	'LC_CTYPE',
	'LC_IDENTIFICATION',
	'LC_MEASUREMENT',
	'LC_MESSAGES',
	'LC_MONETARY',
	'LC_NAME',
	'LC_NUMERIC',
	'LC_PAPER',
	'LC_TELEPHONE',
	'LC_TIME',
];

/** Always there: C and POSIX are built into glibc, and Debian's libc-bin ships C.utf8 itself. */
const BUILT_IN = new Set(['C', 'POSIX', 'C.utf8']);

/** The locale variables in `env` that name a locale not in `available`, LC_ALL and LANG first. */
export function localeProblems(env: Record<string, string | undefined>, available: string[]): Array<{variable: string; value: string}> {
	const installed = new Set(available.map(normalizeLocale));
	const problems: Array<{variable: string; value: string}> = [];
	for (const variable of LOCALE_VARIABLES) {
		const value = env[variable];
		if (value === undefined || value.trim() === '') continue;
		const normal = normalizeLocale(value);
		if (BUILT_IN.has(normal) || installed.has(normal)) continue;
		problems.push({variable, value});
	}
	return problems;
}
