import {describe, expect, it} from 'vitest';
import {CLUSTER_DAEMONS, PMG_SERVICES, pmgUpgradeMachine, type PmgContext} from '../../machines/pmg-8-to-9.ts';
import {OutputBuffer} from '../../source/runtime/output.ts';
import {freshUi, screenModel, WIDTH} from '../../source/ui/screen.ts';
import {count, lineText, wrapExact} from '../../source/ui/text.ts';

const context: PmgContext = {startedAt: 0, facts: {}, status: {}, lastRun: null, error: null, choices: {}, confirmations: {}};

const screenAt = (value: Record<string, string>, ctx: PmgContext = context) => {
	const snapshot = pmgUpgradeMachine().resolveState({value, context: ctx});
	return screenModel({
		machine: pmgUpgradeMachine() as never,
		snapshot: snapshot as never,
		ui: freshUi(''),
		output: new OutputBuffer().snapshot(),
		hostLabel: 'pmg1',
	});
};

describe('wrapExact', () => {
	it('breaks at single spaces so the lines joined by a space give the text back', () => {
		const text = `systemctl stop ${[...PMG_SERVICES, ...CLUSTER_DAEMONS].join(' ')}`;
		const lines = wrapExact(text, 40);
		expect(lines.length).toBeGreaterThan(1);
		for (const l of lines) expect(l.length).toBeLessThanOrEqual(40);
		expect(lines.join(' ')).toBe(text);
	});

	it('keeps runs of spaces inside the text, and cuts a word longer than the line', () => {
		const text = "echo 'two  spaces' and more words";
		expect(wrapExact(text, 12).join(' ')).toBe(text);
		const long = `cat /${'x'.repeat(30)}`;
		const lines = wrapExact(long, 12);
		for (const l of lines) expect(l.length).toBeLessThanOrEqual(12);
		expect(lines.slice(1).join('')).toBe(long.slice(4));
	});
});

describe('screens', () => {
	it('shows a command longer than a line in full before it runs', () => {
		const model = screenAt({stopServices: 'review'});
		const all = model.body.map(lineText);
		const text = all.slice(all.findIndex(l => l.includes('Commands (Enter runs them in order)'))).join('\n');
		for (const unit of [...PMG_SERVICES, ...CLUSTER_DAEMONS]) expect(text.match(new RegExp(`\\b${unit}\\b`, 'g'))?.length, unit).toBe(2);
		expect(text).not.toContain('~');
		for (const l of model.body) expect(lineText(l).length).toBeLessThanOrEqual(WIDTH);
	});

	it('after the Debian switch, names the PMG 8 entry as handled later, not as a failure', () => {
		const model = screenAt(
			{debianRepos: 'passed'},
			{
				...context,
				facts: {
					sources: {
						plan: [],
						thirdParty: [],
						errors: [],
						oldPmg: [],
						pmgRepo: null,
						leftovers: [{path: '/etc/apt/sources.list.d/pmg-enterprise.list', line: 1, uri: 'https://enterprise.proxmox.com/debian/pmg', suites: ['bookworm']}],
					},
				},
			},
		);
		const text = model.body.map(lineText).join('\n');
		expect(text).toContain('[PASS]   every Debian and Proxmox entry uses trixie');
		expect(text).toContain('[INFO]   /etc/apt/sources.list.d/pmg-enterprise.list:1');
		expect(text).not.toContain('[FAIL]');
	});

	it('on a confirmation, letters are text: the footer offers Tab to skip and Ctrl-C to leave, not s and q', () => {
		const model = screenAt({purgePostgres: 'confirm'});
		const keys = model.keys.map(k => `${k.key} ${k.label}`);
		expect(keys).toContain('type "works"');
		expect(keys).toContain('Tab skip');
		expect(keys).toContain('Ctrl-C leave');
		expect(keys.some(k => k.startsWith('s ') || k.startsWith('q '))).toBe(false);
	});

	it('on a list, the footer says that a digit chooses at once (it does), not that it only picks', () => {
		const model = screenAt({backup: 'choose'}, {...context, facts: {backupCandidates: []}});
		const keys = model.keys.map(k => `${k.key} ${k.label}`);
		expect(keys).toContain('1-9 choose at once');
		expect(keys).toContain('Enter choose');
		expect(keys.join('   ').length).toBeLessThanOrEqual(WIDTH - 1);
	});

	it('at the door of the dist-upgrade, names which safety check no longer holds', () => {
		const model = screenAt({distUpgradeAdvice: 'notReady'}, {...context, facts: {disk: {availableBytes: 9 * 1024 ** 3, totalBytes: 32 * 1024 ** 3}, pmgApi: '8.2.7'}});
		const text = model.body.map(lineText).join('\n');
		expect(text).toContain('[FAIL] 10 GiB free on /');
		expect(text).toContain('[PASS] pmg-api 8.2.5 or newer');
		expect(model.keys.map(k => k.key)).toContain('r');
	});
});

describe('counts on screen', () => {
	it('separate thousands with commas, as en-US does, for any count of lines', () => {
		for (const n of [0, 7, 999, 1000, 20_007, 200_000, 1_234_567, 2_000_000_000]) expect(count(n)).toBe(n.toLocaleString('en-US'));
	});
});

describe('quoted input on the screens', () => {
	it("a finding quoting a file's or a command's control bytes shows them escaped; no ESC reaches the terminal", () => {
		const model = screenAt(
			{postgresUpgrade: 'passed'},
			{...context, facts: {pgClusters: [{version: '17', cluster: 'main\u001b[2J', status: 'online\u001b]0;owned\u0007'}]}},
		);
		const text = model.body.map(lineText).join('\n');
		expect(text).toContain('cluster 17/main\\x1b[2J: online\\x1b]0;owned\\x07');
		expect(text).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F]/);
	});
});

describe('the theme follows the locale the C library would use', () => {
	it('the first of LC_ALL, LC_CTYPE, LANG that is set decides: POSIX and C are ASCII', async () => {
		const {makeTheme} = await import('../../source/ui/theme.ts');
		const unicode = (env: Record<string, string>) => makeTheme({TERM: 'xterm-256color', ...env}).unicode;
		expect(unicode({LANG: 'C.UTF-8'})).toBe(true);
		expect(unicode({LC_ALL: 'POSIX', LANG: 'C.UTF-8'})).toBe(false);
		expect(unicode({LC_ALL: 'C', LC_CTYPE: 'en_US.UTF-8'})).toBe(false);
		expect(unicode({LC_CTYPE: 'POSIX', LANG: 'de_DE.UTF-8'})).toBe(false);
		expect(unicode({LC_CTYPE: 'en_US.utf8', LANG: 'C'})).toBe(true);
		// Set but empty counts as unset, as in the C library.
		expect(unicode({LC_ALL: '', LANG: 'en_US.UTF-8'})).toBe(true);
		expect(makeTheme({TERM: 'xterm-256color', LC_ALL: 'POSIX', LANG: 'C.UTF-8'}).rule).toBe('-');
	});
});
