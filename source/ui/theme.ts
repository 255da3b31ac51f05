/**
 * Tones and symbols. Meaning never rests on colour alone: every status is a
 * word ([PASS], [FAIL]); colour only helps where the terminal has it.
 * NO_COLOR turns colour off; the Linux console (TERM=linux) gets ASCII lines.
 */
export type Tone = 'plain' | 'ok' | 'warn' | 'fail' | 'info' | 'dim' | 'accent' | 'bold';

export type Theme = {
	color: boolean;
	unicode: boolean;
	rule: string;
	pointer: string;
	colorOf: (tone: Tone) => string | undefined;
};

const colors: Record<Tone, string | undefined> = {
	plain: undefined,
	ok: 'green',
	warn: 'yellow',
	fail: 'red',
	info: 'cyan',
	dim: 'gray',
	accent: 'cyan',
	bold: undefined,
};

export function makeTheme(env: NodeJS.ProcessEnv = process.env): Theme {
	const color = !('NO_COLOR' in env) && env.TERM !== 'dumb';
	// The first one set decides, as in the C library: LC_ALL=POSIX (or C) means ASCII whatever LANG says.
	const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
	const unicode = env.TERM !== 'linux' && env.TERM !== 'dumb' && /utf-?8/i.test(locale);
	return {
		color,
		unicode,
		rule: unicode ? '─' : '-',
		pointer: '>',
		colorOf: tone => (color ? colors[tone] : undefined),
	};
}

export const levelTone = (level: string): Tone =>
	level === 'PASS' ? 'ok' : level === 'FAIL' ? 'fail' : level === 'WARN' || level === 'NOTICE' ? 'warn' : 'info';
