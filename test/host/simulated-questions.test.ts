import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {questionsOf, SimulatedHost, splitWords} from '../../source/host/simulated-host.ts';

/*
 * What a simulated command's questions lead to (apt's [Y/n], dpkg's
 * conffile question, a password), answered as the scenario wrote them
 * (no terminal here), and the built-ins a trainee uses on the simulated
 * host's command line: rm, mv, cp, df, du, ls -l, with their effect on the
 * files and the free space.
 */

const dir = mkdtempSync(path.join(os.tmpdir(), 'muw-sim-q-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));
let counter = 0;

function scenario(body: string): string {
	const file = path.join(dir, `q${++counter}.yaml`);
	writeFileSync(
		file,
		`product: pmg
title: Questions
host: { hostname: sim1.example.lan }
filesystems:
  - { mount: /, size: 32G, free: 9.5G }
  - { mount: /mnt/usb, size: 100G, free: 60G }
files:
  /etc/issue: "mine\\n"
  /var/big.tgz: { content: "x", size: 4G }
${body}`,
	);
	return file;
}

const open = (file: string) => SimulatedHost.open(file, {speed: 0, processEnv: {}, answers: 'scripted'});
const GiB = 1024 ** 3;

describe('questions in a scenario entry, answered as scripted', () => {
	it('cuts the output at each question and keeps the scripted answer', () => {
		const parts = questionsOf("a\nDo you want to continue? [Y/n] n\nb\nConfiguration file '/etc/issue'\n*** issue (Y/I/N/O/D/Z) [default=N] ? Y\nInstalling new version of config file /etc/issue ...\nc\n");
		expect(parts.map(p => p.question?.kind ?? null)).toEqual(['apt', 'dpkg', null]);
		expect(parts[0]).toMatchObject({text: 'a\n', question: {prompt: 'Do you want to continue? [Y/n] ', scripted: 'n', defaultYes: true}});
		expect(parts[1]).toMatchObject({question: {file: '/etc/issue', scripted: 'Y', defaultKeep: true}});
		// dpkg's line after Y is what the answer prints, not part of the text.
		expect(parts[2]!.text).toBe('c\n');
	});

	it("n to apt's question: Abort., exit 1, none of the effects; on_no when the entry has one", async () => {
		const host = await open(
			scenario(`commands:
  - match: '^apt remove x$'
    stdout: |
      Do you want to continue? [Y/n] n
      Removing x ...
    effects: [{ remove: /etc/issue }]
  - match: '^apt modernize-sources$'
    stdout: |
      Rewrite 1 sources? [Y/n] n
      rewritten
    on_no:
      stdout: "Simulated output:\\n"
      effects: [{ write: { path: /var/previewed, content: "n\\n" } }]
    effects: [{ remove: /etc/issue }]
`),
		);
		const removed = await host.run({argv: ['apt', 'remove', 'x']});
		expect(removed).toMatchObject({exitCode: 1, stdout: 'Do you want to continue? [Y/n] n\nAbort.\n'});
		expect(await host.readFile('/etc/issue')).toBe('mine\n');
		const preview = await host.run({argv: ['apt', 'modernize-sources']});
		expect(preview).toMatchObject({exitCode: 0, stdout: 'Rewrite 1 sources? [Y/n] n\nSimulated output:\n'});
		expect(await host.readFile('/var/previewed')).toBe('n\n');
		expect(await host.readFile('/etc/issue')).toBe('mine\n');
	});

	it('dpkg: N keeps the edited file and leaves .dpkg-dist; Y installs the maintainer\'s and keeps .dpkg-old', async () => {
		const entry = (answer: string) => `commands:
  - match: '^apt dist-upgrade$'
    stdout: |
      Configuration file '/etc/issue'
      *** issue (Y/I/N/O/D/Z) [default=N] ? ${answer}
      done
    conffiles:
      /etc/issue: "shipped\\n"
`;
		const keep = await open(scenario(entry('N')));
		expect((await keep.run({argv: ['apt', 'dist-upgrade']})).stdout).toBe("Configuration file '/etc/issue'\n*** issue (Y/I/N/O/D/Z) [default=N] ? N\ndone\n");
		expect(await keep.readFile('/etc/issue')).toBe('mine\n');
		expect(await keep.readFile('/etc/issue.dpkg-dist')).toBe('shipped\n');
		const take = await open(scenario(entry('Y')));
		expect((await take.run({argv: ['apt', 'dist-upgrade']})).stdout).toContain('Installing new version of config file /etc/issue ...\ndone\n');
		expect(await take.readFile('/etc/issue')).toBe('shipped\n');
		expect(await take.readFile('/etc/issue.dpkg-old')).toBe('mine\n');
	});

	it('-W asks for the -U user\'s password of the scenario; the scripted answer is that password', async () => {
		const host = await open(scenario(`passwords: { vmm: s3cret }
commands:
  - match: '^pg_dump -h localhost -U vmm -[wW] mailsys$'
    stdout: "dumped\\n"
`));
		const asked = await host.run({argv: ['pg_dump', '-h', 'localhost', '-U', 'vmm', '-W', 'mailsys']});
		expect(asked).toMatchObject({exitCode: 0, stdout: 'Password: \ndumped\n'});
		expect(asked.stdout).not.toContain('s3cret');
		expect((await host.run({argv: ['pg_dump', '-h', 'localhost', '-U', 'vmm', '-w', 'mailsys']})).stdout).toBe('dumped\n');
	});
});

describe('who answers', () => {
	it('the trainee by default; the scenario\'s written answers only where it says answers: scripted', async () => {
		const entry = `commands:
  - match: '^apt remove x$'
    stdout: |
      Do you want to continue? [Y/n] Y
      Removing x ...
`;
		const trainee = await SimulatedHost.open(scenario(entry), {speed: 0, processEnv: {}});
		expect(trainee.scenario.answers).toBe('trainee');
		expect(trainee.answersItself).toBe(false);
		const scripted = await SimulatedHost.open(scenario(`answers: scripted\n${entry}`), {speed: 0, processEnv: {}});
		expect(scripted.answersItself).toBe(true);
		// On the terminal too, the written answer: no program is started, nothing is read.
		expect(await scripted.runInteractive({argv: ['apt', 'remove', 'x']})).toMatchObject({exitCode: 0, stdout: 'Do you want to continue? [Y/n] Y\nRemoving x ...\n'});
	});
});

describe('the command line\'s built-ins', () => {
	it('mv to another file system frees the space; rm frees it; df and du say so', async () => {
		const host = await open(scenario('solution: [ "mv /var/big.tgz /mnt/usb/" ]\n'));
		expect((await host.run({argv: ['df', '-h', '/']})).stdout).toMatch(/ 32G +23G +9\.5G +71% \/\n$/);
		expect((await host.run({argv: ['du', '-sh', '/var']})).stdout).toBe('4.0G\t/var\n');
		expect(await host.shell({terminal: false})).toEqual(['mv /var/big.tgz /mnt/usb/']);
		// Typed once: a second scripted walk does not type it again.
		expect(await host.shell({terminal: false})).toEqual([]);
		expect(await host.readFile('/var/big.tgz')).toBeNull();
		expect((await host.stat('/mnt/usb/big.tgz'))?.size).toBe(4 * GiB);
		expect((await host.diskSpace('/')).availableBytes).toBe(13.5 * GiB);
		expect((await host.diskSpace('/mnt/usb')).availableBytes).toBe(56 * GiB);
		expect((await host.run({argv: ['ls', '-lh', '/mnt/usb']})).stdout).toMatch(/^total \d+\n-rw-r--r-- 1 root root  4\.0G .* big\.tgz\n$/);
		expect(await host.run({argv: ['rm', '/mnt/usb/big.tgz']})).toMatchObject({exitCode: 0});
		expect((await host.diskSpace('/mnt/usb')).availableBytes).toBe(60 * GiB);
		expect(await host.run({argv: ['rm', '/mnt/usb/big.tgz']})).toMatchObject({exitCode: 1, stderr: "rm: cannot remove '/mnt/usb/big.tgz': No such file or directory\n"});
		expect(await host.run({argv: ['rm', '/mnt']})).toMatchObject({exitCode: 1, stderr: "rm: cannot remove '/mnt': Is a directory\n"});
	});

	it('cp refuses what does not fit', async () => {
		const host = await open(scenario(''));
		await host.run({argv: ['mv', '/var/big.tgz', '/mnt/usb/big.tgz']});
		expect((await host.run({argv: ['cp', '/mnt/usb/big.tgz', '/var/a.tgz']})).exitCode).toBe(0);
		expect((await host.run({argv: ['cp', '/mnt/usb/big.tgz', '/var/b.tgz']})).exitCode).toBe(0);
		expect((await host.run({argv: ['cp', '/mnt/usb/big.tgz', '/var/c.tgz']})).exitCode).toBe(0);
		// 13.5G free, three 4G copies made: 1.5G left.
		expect((await host.diskSpace('/')).availableBytes).toBe(1.5 * GiB);
		expect(await host.run({argv: ['cp', '/mnt/usb/big.tgz', '/var/d.tgz']})).toMatchObject({exitCode: 1, stderr: "cp: error writing '/var/d.tgz': No space left on device\n"});
		expect(await host.readFile('/var/d.tgz')).toBeNull();
	});

	it('splits words as sh does for quotes and backslashes', () => {
		expect(splitWords(`mv  '/a b' "/c\\"d" e\\ f ''`)).toEqual(['mv', '/a b', '/c"d', 'e f', '']);
	});
});
