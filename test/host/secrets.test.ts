import {describe, expect, it} from 'vitest';
import {commandEnv, getsSecret, isSecretName, maskDeep, secretValues} from '../../source/host/secrets.ts';
import {displayCommand} from '../../source/host/types.ts';

describe('which environment variables are secret', () => {
	it('names with a word ending in PASSWORD, PASSWD, PASSPHRASE, PASS, SECRET, TOKEN, KEY, CREDENTIAL(S)', () => {
		for (const name of ['PGPASSWORD', 'MYSQL_PASSWORD', 'DB_PASSWD', 'DB_PASS', 'GPG_PASSPHRASE', 'CLIENT_SECRET', 'AWS_SECRET_ACCESS_KEY', 'GITHUB_TOKEN', 'API_KEY', 'APIKEY', 'apiKey', 'dbPassword', 'KEY', 'SSH_KEY_FILE', 'AZURE_CREDENTIALS', 'SECRET']) {
			expect(isSecretName(name), name).toBe(true);
		}
	});

	it('not KEYBOARD, KEYMAP, PGPASSFILE, PWD, OLDPWD, PASSTHROUGH, TOKENIZERS_PARALLELISM, PATH, LANG', () => {
		for (const name of ['KEYBOARD', 'XKB_KEYMAP', 'KEYMAP', 'PGPASSFILE', 'PWD', 'OLDPWD', 'PASSTHROUGH', 'TOKENIZERS_PARALLELISM', 'PATH', 'LANG', 'HOME', 'SSH_AUTH_SOCK', 'PGHOST', 'PGUSER']) {
			expect(isSecretName(name), name).toBe(false);
		}
	});

	it('values: a value of several lines whole and each line of it; none shorter than 4 characters; longest first', () => {
		expect(secretValues({PGPASSWORD: 'ab', API_TOKEN: 'abc', PATH: '/usr/bin:/bin', LANG: 'C'})).toEqual([]);
		expect(secretValues({PGPASSWORD: 'abcd', API_TOKEN: 'abcdefgh'})).toEqual(['abcdefgh', 'abcd']);
		expect(secretValues({PRIVATE_KEY: '-----BEGIN KEY-----\r\nMIIEv0AbC\nx\n-----END KEY-----\n'})).toEqual([
			// The whole value first (as written, and with LF for CR-LF), then each line of it.
			'-----BEGIN KEY-----\r\nMIIEv0AbC\nx\n-----END KEY-----',
			'-----BEGIN KEY-----\nMIIEv0AbC\nx\n-----END KEY-----',
			'-----BEGIN KEY-----',
			'-----END KEY-----',
			'MIIEv0AbC',
		]);
		expect(secretValues({PGPASSWORD: undefined, DB_PASS: null})).toEqual([]);
	});

	it('a command shows a secret of its own environment as ***', () => {
		expect(displayCommand({argv: ['pg_dump', 'db'], env: {PGPASSWORD: 'x y', KEYBOARD: 'de'}})).toBe('env PGPASSWORD=*** KEYBOARD=de pg_dump db');
	});
});

describe('which command gets a secret of the wizard environment', () => {
	const base = {PATH: '/usr/bin', PGPASSWORD: 'Corr3ct-Horse', API_TOKEN: 'tok-12345', PGUSER: 'vmm', KEYBOARD: 'de'};

	it('apt and dpkg get none of them, the rest of the environment unchanged', () => {
		for (const argv of [['apt', 'dist-upgrade'], ['/usr/bin/apt-get', 'update'], ['dpkg', '--configure', '-a'], ['sh', '-c', 'echo $PGPASSWORD']]) {
			expect(commandEnv(base, undefined, argv), argv.join(' ')).toEqual({PATH: '/usr/bin', PGUSER: 'vmm', KEYBOARD: 'de'});
		}
	});

	it('PostgreSQL clients and set-permissions.py get PGPASSWORD, not API_TOKEN', () => {
		for (const argv of [['pg_dump', 'mailsys'], ['/usr/bin/psql', '-c', 'select 1'], ['createdb', 'x'], ['dropdb', 'x'], ['pg_upgradecluster', '17', 'main'], ['python', '/root/vmm-0.6.2/pgsql/set-permissions.py', '-U', 'vmm']]) {
			expect(commandEnv(base, undefined, argv), argv.join(' ')).toEqual({PATH: '/usr/bin', PGPASSWORD: 'Corr3ct-Horse', PGUSER: 'vmm', KEYBOARD: 'de'});
		}
		expect(getsSecret('PGPASSWORD', ['python', 'other.py'])).toBe(false);
		expect(getsSecret('API_TOKEN', ['pg_dump'])).toBe(false);
	});

	it("a command's own variables reach it, and its removals apply", () => {
		expect(commandEnv(base, {API_TOKEN: 'mine-1234', PGUSER: null}, ['apt', 'update'])).toEqual({PATH: '/usr/bin', API_TOKEN: 'mine-1234', KEYBOARD: 'de'});
	});
});

describe('masking a saved snapshot', () => {
	it('masks every string, keeps keys, numbers and unchanged objects as they are', () => {
		const unchanged = {a: ['x'], n: 1};
		const snapshot = {value: {backup: 'failed'}, context: {runs: {backup: {tail: ['password: Corr3ct-Horse ok', 'ok'], exitCode: 1}}, unchanged, ['Corr3ct-Horse']: true}};
		const masked = maskDeep(snapshot, ['Corr3ct-Horse']);
		expect(masked.context.runs.backup.tail).toEqual(['password: *** ok', 'ok']);
		expect(masked.value).toBe(snapshot.value);
		expect(masked.context.unchanged).toBe(unchanged);
		expect(snapshot.context.runs.backup.tail[0]).toBe('password: Corr3ct-Horse ok');
		expect(maskDeep(snapshot, [])).toBe(snapshot);
	});
});
