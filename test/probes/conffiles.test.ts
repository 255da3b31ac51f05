import {readFileSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {CONFFILE_ADVICE} from '../../machines/pmg-8-to-9.ts';
import {adviceFor, parseConffiles, parseMd5sum, parseSimulatedUpgrade, predictPrompts, PromptWatcher, type PromptEvent} from '../../source/probes/conffiles.ts';

const sample = (name: string) => readFileSync(new URL(`samples/${name}`, import.meta.url), 'utf8');

describe('dpkg-query ${Conffiles}', () => {
	it('reads every package\'s conffiles from real output of this machine (Debian 12)', () => {
		const conffiles = parseConffiles(sample('dpkg-conffiles.txt'));
		expect(conffiles.get('base-files')).toContainEqual({path: '/etc/issue', md5: '349d61a0e072d678e3e94923f0c3ce0e', obsolete: false});
		expect(conffiles.get('procps')!.map(c => c.path)).toEqual(['/etc/init.d/procps', '/etc/sysctl.conf', '/etc/sysctl.d/README.sysctl']);
		// A package without conffiles is there, with none.
		expect(conffiles.get('adwaita-icon-theme')).toEqual([]);
		// Flags after the checksum: remove-on-upgrade counts as gone.
		expect(conffiles.get('pkgconf')).toEqual([{path: '/etc/dpkg/dpkg.cfg.d/pkgconf-hook-config', md5: 'newconffile', obsolete: true}]);
		expect(conffiles.size).toBeGreaterThan(500);
	});

	it('takes obsolete flags, architecture-qualified names and CRLF', () => {
		const text = 'libc6:amd64\t /etc/ld.so.conf.d/x86_64-linux-gnu.conf d4e7a7b88a71b5ffd9e2644e71a0cfab\r\nudev\t /etc/udev/udev.conf 0123456789abcdef0123456789abcdef obsolete\r\n';
		const conffiles = parseConffiles(text);
		expect(conffiles.get('libc6')).toEqual([{path: '/etc/ld.so.conf.d/x86_64-linux-gnu.conf', md5: 'd4e7a7b88a71b5ffd9e2644e71a0cfab', obsolete: false}]);
		expect(conffiles.get('udev')![0]!.obsolete).toBe(true);
		expect(parseConffiles('').size).toBe(0);
	});
});

describe('apt-get -s dist-upgrade and md5sum', () => {
	it('the packages the upgrade unpacks, from real output', () => {
		const upgraded = parseSimulatedUpgrade(sample('apt-get-s-dist-upgrade.txt'));
		expect(upgraded.has('base-files')).toBe(true);
		expect(upgraded.has('bash')).toBe(true);
		// "Conf" lines and the package list above them are not more packages.
		expect(upgraded.has('Reading')).toBe(false);
		expect([...upgraded].length).toBeGreaterThan(100);
	});

	it('md5sum lines, also of names with spaces; a missing file is not there', () => {
		const sums = parseMd5sum('349d61a0e072d678e3e94923f0c3ce0e  /etc/issue\nc0c09cba30da0565737cace8000d64ee  /etc/my file.conf\n');
		expect(sums.get('/etc/issue')).toBe('349d61a0e072d678e3e94923f0c3ce0e');
		expect(sums.get('/etc/my file.conf')).toBe('c0c09cba30da0565737cace8000d64ee');
		expect(sums.has('/nonexistent')).toBe(false);
	});
});

describe('which questions dpkg may ask', () => {
	it('changed conffiles of upgraded packages only; unchanged, deleted, obsolete and not upgraded ones do not ask', () => {
		const conffiles = parseConffiles(sample('dpkg-conffiles.txt'));
		const upgraded = new Set(['base-files', 'procps', 'openssh-client']);
		const current = new Map([
			['/etc/issue', 'ffffffffffffffffffffffffffffffff'], // changed here
			['/etc/sysctl.conf', 'c0c09cba30da0565737cace8000d64ee'], // as shipped
			['/etc/ssh/ssh_config', '00000000000000000000000000000000'], // changed; openssh-client upgraded
			['/etc/adduser.conf', '11111111111111111111111111111111'], // changed, but adduser is not upgraded
		]);
		expect(predictPrompts(conffiles, upgraded, current)).toEqual([
			{path: '/etc/issue', package: 'base-files'},
			{path: '/etc/ssh/ssh_config', package: 'openssh-client'},
		]);
	});

	it('the seed\'s advice for each file it names, and how to decide for any other', () => {
		expect(adviceFor('/etc/issue', CONFFILE_ADVICE)).toMatchObject({answer: 'N (keep yours, the default)', known: true});
		expect(adviceFor('/etc/ssh/sshd_config', CONFFILE_ADVICE).why).toContain('KbdInteractiveAuthentication');
		expect(adviceFor('/etc/clamav/freshclam.conf', CONFFILE_ADVICE).answer).toBe('N (keep yours, the default)');
		expect(adviceFor('/etc/default/grub', CONFFILE_ADVICE).answer).toMatch(/^D /);
		expect(adviceFor('/etc/postfix/main.cf.proto', CONFFILE_ADVICE).answer).toMatch(/^Y /);
		expect(adviceFor('/etc/cron.d/pmg-daily', CONFFILE_ADVICE).answer).toMatch(/^N /);
		expect(adviceFor('/etc/pmg/templates/main.cf.in', CONFFILE_ADVICE).answer).toContain('review');
		expect(adviceFor('/etc/sysctl.conf', CONFFILE_ADVICE)).toMatchObject({known: false, answer: "D, then decide (not in the vendor's list)"});
		// Not a prefix match on plain files.
		expect(adviceFor('/etc/issue.net', CONFFILE_ADVICE).known).toBe(false);
	});
});

describe('watching the terminal output for the question', () => {
	const watch = () => {
		const events: PromptEvent[] = [];
		return {events, watcher: new PromptWatcher(e => events.push(e))};
	};
	const dpkg = (file: string) =>
		`\r\nConfiguration file '${file}'\r\n ==> Modified (by you or by a script) since installation.\r\n ==> Package distributor has shipped an updated version.\r\n   What would you like to do about it ?  Your options are:\r\n    Y or I  : install the package maintainer's version\r\n    N or O  : keep your currently-installed version\r\n      D     : show the differences between the versions\r\n      Z     : start a shell to examine the situation\r\n The default action is to keep your current version.\r\n*** ${file.split('/').pop()} (Y/I/N/O/D/Z) [default=N] ? `;

	it('reports dpkg\'s question once it waits, however the output is cut into chunks', () => {
		const {events, watcher} = watch();
		const text = `Unpacking openssh-server (1:10.0p1-7) over (1:9.2p1-2+deb12u7) ...\r\n${dpkg('/etc/ssh/sshd_config')}`;
		for (let i = 0; i < text.length; i += 7) watcher.write(text.slice(i, i + 7));
		expect(events).toEqual([{kind: 'dpkg', path: '/etc/ssh/sshd_config', prompt: '*** sshd_config (Y/I/N/O/D/Z) [default=N] ?'}]);
	});

	it('again after D (the question comes back), not while the same question waits, then for the next file', () => {
		const {events, watcher} = watch();
		watcher.write(dpkg('/etc/issue'));
		watcher.write(''); // nothing new arrives while dpkg waits
		watcher.write('D\r\n--- /etc/issue\r\n+++ /etc/issue.dpkg-new\r\n');
		watcher.write('*** issue (Y/I/N/O/D/Z) [default=N] ? ');
		watcher.write('N\r\nSetting up base-files ...\r\n');
		watcher.write(dpkg('/etc/default/grub'));
		expect(events.map(e => ('path' in e ? e.path : e.prompt))).toEqual(['/etc/issue', '/etc/issue', '/etc/default/grub']);
	});

	it('apt\'s own questions (apt 2.6 and 3.0), in chunks, once each while they wait', () => {
		const {events, watcher} = watch();
		const text = 'After this operation, 96.3 kB of additional disk space will be used.\r\nDo you want to continue? [Y/n] ';
		for (let i = 0; i < text.length; i += 5) watcher.write(text.slice(i, i + 5));
		watcher.write('');
		watcher.write('Y\r\nGet:1 http://deb.debian.org/debian trixie/main amd64 apt amd64 3.0.3 [1,442 kB]\r\n');
		watcher.write('Warning: Target Packages (main/binary-amd64/Packages) is configured multiple times\r\n');
		watcher.write('  Freed space: 68.2 MB\r\n\r\nContinue anyway? [y/N] ');
		watcher.write('\r\nContinue? [Y/n] ');
		expect(events).toEqual([
			{kind: 'apt', prompt: 'Do you want to continue? [Y/n]', defaultYes: true},
			{kind: 'apt', prompt: 'Continue anyway? [y/N]', defaultYes: false},
			{kind: 'apt', prompt: 'Continue? [Y/n]', defaultYes: true},
		]);
		// Not a question: apt's summary line, and "continue" inside a sentence.
		const quiet = watch();
		quiet.watcher.write('Do you want to continue? [Y/n] Y\r\nwe continue [later]\r\n');
		expect(quiet.events).toEqual([]);
	});

	it('ucf\'s dialog, drawn over rows with cursor moves and colours, once per file', () => {
		const {events, watcher} = watch();
		const dialog =
			'\u001B[0m\u001B[7;5H\u001B[37m\u001B[44mA new version (/tmp/fileHmBcJ7) of configuration file /etc/ssh/sshd_config is\u001B[8;5Havailable, but the version installed currently has been locally modified.\u001B[10;5HWhat do you want to do about modified configuration file sshd_config?';
		watcher.write(dialog.slice(0, 40));
		watcher.write(dialog.slice(40));
		watcher.write(dialog); // redrawn
		expect(events).toEqual([{kind: 'ucf', path: '/etc/ssh/sshd_config'}]);
	});

	it('ordinary output asks nothing', () => {
		const {events, watcher} = watch();
		watcher.write('Setting up postfix (3.10.1-1) ...\r\nConfiguration file `/etc/postfix/main.cf\' is fine\r\n*** not a question\r\n');
		expect(events).toEqual([]);
	});
});

describe('the PMG path asks for the advice', () => {
	it('the dist-upgrade to 9 runs apt on the terminal with the seed\'s conffile advice; the 8.x update does not', async () => {
		const {pmgUpgradeMachine} = await import('../../machines/pmg-8-to-9.ts');
		const commandsOf = (step: string) => (pmgUpgradeMachine().root.states[step]!.meta as {commands: (c: unknown) => Array<{argv: string[]; interactive?: boolean; conffileAdvice?: unknown}>}).commands({});
		const upgrade = commandsOf('distUpgrade').find(c => c.argv.join(' ') === 'apt dist-upgrade')!;
		expect(upgrade.interactive).toBe(true);
		expect(upgrade.conffileAdvice).toBe(CONFFILE_ADVICE);
		// Only apt's own questions are advised there: no advice of the 9 upgrade for a file of an 8.x update.
		expect(commandsOf('updateCurrent').find(c => c.argv.join(' ') === 'apt dist-upgrade')!.conffileAdvice).toEqual([]);
		expect(commandsOf('purgePostgres').find(c => c.argv[1] === 'purge')!.conffileAdvice).toEqual([]);
	});
});
