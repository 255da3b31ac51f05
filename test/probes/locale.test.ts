import {describe, expect, it} from 'vitest';
import {localeProblems, normalizeLocale, parseLocaleList} from '../../source/probes/locale.ts';
import {sample} from './samples.ts';

const INSTALLED = ['C', 'C.utf8', 'POSIX', 'de_DE.utf8', 'en_US.utf8', 'en_GB.iso885915', 'de_AT@euro'];

describe('locale -a', () => {
	it('reads the real list of a machine with no generated locales', () => {
		expect(parseLocaleList(sample('locale-a.txt'))).toEqual(['C', 'C.utf8', 'POSIX']);
	});

	it('reads a longer list, CRLF and all, and drops locale\'s own complaints', () => {
		const text = 'C\r\nC.utf8\r\nde_DE.utf8\r\nlocale: Cannot set LC_CTYPE to default locale: No such file or directory\r\nen_US.utf8\r\nPOSIX\r\n\r\n';
		expect(parseLocaleList(text)).toEqual(['C', 'C.utf8', 'de_DE.utf8', 'en_US.utf8', 'POSIX']);
	});

	it('reads empty output as no locales', () => {
		expect(parseLocaleList('')).toEqual([]);
	});
});

describe('normalizeLocale', () => {
	it('spells the codeset as glibc does, so de_DE.UTF-8 matches de_DE.utf8', () => {
		expect(normalizeLocale('de_DE.UTF-8')).toBe('de_DE.utf8');
		expect(normalizeLocale('de_DE.utf8')).toBe('de_DE.utf8');
		expect(normalizeLocale('en_GB.ISO-8859-15')).toBe('en_GB.iso885915');
		expect(normalizeLocale('en_GB.8859-15')).toBe('en_GB.iso885915');
		expect(normalizeLocale('de_DE.UTF-8@euro')).toBe('de_DE.utf8@euro');
		expect(normalizeLocale('C.UTF-8')).toBe('C.utf8');
	});

	it('leaves names without a codeset as they are', () => {
		expect(normalizeLocale('de_AT@euro')).toBe('de_AT@euro');
		expect(normalizeLocale('POSIX')).toBe('POSIX');
		expect(normalizeLocale(' en_US ')).toBe('en_US');
	});
});

describe('localeProblems', () => {
	it('finds LANG and LC_* variables naming a locale that is not installed', () => {
		const env = {LANG: 'fr_FR.UTF-8', LC_TIME: 'de_DE.UTF-8', LC_MESSAGES: 'nl_NL.UTF-8', LC_ALL: undefined, PATH: '/usr/bin'};
		expect(localeProblems(env, INSTALLED)).toEqual([
			{variable: 'LANG', value: 'fr_FR.UTF-8'},
			{variable: 'LC_MESSAGES', value: 'nl_NL.UTF-8'},
		]);
	});

	it('accepts C, POSIX, C.UTF-8 and empty values even when locale -a printed nothing', () => {
		const env = {LANG: 'C.UTF-8', LC_ALL: '', LC_CTYPE: 'C.utf8', LC_COLLATE: 'C', LC_NUMERIC: 'POSIX', LC_TIME: '  '};
		expect(localeProblems(env, [])).toEqual([]);
	});

	it('does not check LANGUAGE, a list of message languages rather than a locale', () => {
		expect(localeProblems({LANGUAGE: 'fr_FR:fr:en', LANG: 'en_US.UTF-8'}, INSTALLED)).toEqual([]);
	});

	it('does not check LC_TERMINAL, which iTerm2 sends through SSH', () => {
		expect(localeProblems({LC_TERMINAL: 'iTerm2', LC_TERMINAL_VERSION: '3.5.0'}, INSTALLED)).toEqual([]);
	});

	it('reports LC_ALL first, then LANG, then the categories', () => {
		const env = {LC_TIME: 'xx_XX', LANG: 'yy_YY', LC_ALL: 'zz_ZZ'};
		expect(localeProblems(env, INSTALLED).map(p => p.variable)).toEqual(['LC_ALL', 'LANG', 'LC_TIME']);
	});

	it('tells a locale without codeset from the UTF-8 one', () => {
		expect(localeProblems({LANG: 'de_DE'}, INSTALLED)).toEqual([{variable: 'LANG', value: 'de_DE'}]);
		expect(localeProblems({LANG: 'en_GB.ISO-8859-15', LC_MONETARY: 'de_AT@euro'}, INSTALLED)).toEqual([]);
	});
});
