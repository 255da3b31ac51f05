import {describe, expect, it} from 'vitest';
import {stripAnsi} from '../../source/probes/ansi.ts';
import {countFindings, parseChecklist} from '../../source/probes/pmg8to9.ts';
import {sample} from './samples.ts';

const PACKAGES = 'CHECKING VERSION INFORMATION FOR PMG PACKAGES';

describe('pmg8to9', () => {
	const run = sample('pmg8to9-tty.txt');

	it('reads every result line of a coloured run, in order', () => {
		const {findings} = parseChecklist(run);
		expect(findings).toHaveLength(23);
		expect(findings[1]).toEqual({level: 'WARN', text: 'updates for the following packages are available:\npmg-api, pmg-gui', section: PACKAGES});
		expect(findings[2]).toEqual({level: 'PASS', text: 'proxmox-mailgateway package has version >= 8.2.0', section: PACKAGES});
		expect(findings.at(-1)).toEqual({level: 'PASS', text: 'no dkms modules found', section: 'MISCELLANEOUS CHECKS'});
	});

	it('puts results printed before the first header in no section', () => {
		expect(parseChecklist(run).findings[0]).toEqual({level: 'INFO', text: 'Check the rulesystem...', section: null});
	});

	it('files the header-less cluster and service checks under the package section', () => {
		const {findings} = parseChecklist(run);
		expect(findings.find(f => f.text.startsWith('no cluster'))?.section).toBe(PACKAGES);
		expect(findings.find(f => f.text.startsWith('Not upgraded but core services'))).toMatchObject({level: 'WARN', section: PACKAGES});
	});

	it('joins indented continuation lines and stops at the blank line after them', () => {
		const {findings} = parseChecklist(run);
		const ntp = findings.find(f => f.text.startsWith('systemd-timesyncd'));
		expect(ntp?.text).toBe(
			"systemd-timesyncd is not the best choice for time-keeping on servers, due to only applying updates on boot.\nIt's recommended to use one of:\n* chrony\n* ntpsec\n* openntpd",
		);
		const services = findings.find(f => f.text.startsWith('Not upgraded'));
		expect(services?.text.split('\n').slice(1)).toEqual(['postfix', 'pmg-smtp-filter']);
	});

	it('does not take progress lines for results', () => {
		const {findings} = parseChecklist(run);
		expect(findings.some(f => f.text.includes('Checking for package updates'))).toBe(false);
	});

	it('reads the summary, whose reset codes start the following lines', () => {
		expect(parseChecklist(run).summary).toEqual({total: 14, passed: 6, skipped: 3, warnings: 3, failures: 0});
	});

	it('counts the same from the lines as the summary does (INFO is not counted in TOTAL)', () => {
		const {findings, summary} = parseChecklist(run);
		const counts = countFindings(findings);
		expect(counts).toEqual({PASS: 6, INFO: 9, SKIP: 3, NOTICE: 2, WARN: 3, FAIL: 0});
		expect(counts.PASS + counts.SKIP + counts.NOTICE + counts.WARN + counts.FAIL).toBe(summary?.total);
	});

	it('reads the same run without colour, and with CRLF', () => {
		const plain = stripAnsi(run);
		expect(parseChecklist(plain)).toEqual(parseChecklist(run));
		expect(parseChecklist(plain.replace(/\n/g, '\r\n'))).toEqual(parseChecklist(run));
	});

	it('counts FAIL lines even when the summary says otherwise', () => {
		const text = `= MISCELLANEOUS CHECKS =

\u001b[1;31mFAIL: Resolved node IP '192.0.2.10' not configured or active for 'pmg'
\u001b[0m
= SUMMARY =

TOTAL:    1
PASSED:   1
SKIPPED:  0
WARNINGS: 0
FAILURES: 0
`;
		const {findings, summary} = parseChecklist(text);
		expect(countFindings(findings).FAIL).toBe(1);
		expect(summary?.failures).toBe(0);
	});

	it('reads a NOTICE count if a checklist prints one', () => {
		expect(parseChecklist('= SUMMARY =\n\nTOTAL:    3\nNOTICE:   1\nFAILURES: 2\n').summary).toEqual({total: 3, notices: 1, failures: 2});
	});

	it('gives no summary for a run that stopped early', () => {
		const truncated = run.slice(0, run.indexOf('= SUMMARY ='));
		const {findings, summary} = parseChecklist(truncated);
		expect(summary).toBeNull();
		expect(findings).toHaveLength(23);
		expect(parseChecklist(run.slice(0, 200)).findings.length).toBeGreaterThan(0);
	});

	it('gives nothing for empty output and garbage', () => {
		expect(parseChecklist('')).toEqual({findings: [], summary: null});
		expect(parseChecklist('bash: pmg8to9: command not found\n\u0000\u0001\u0002')).toEqual({findings: [], summary: null});
		expect(parseChecklist('PASSING: no\nFAILURES: 3\nWARN').findings).toEqual([]);
	});

	it('does not let an indented line after a progress line join the previous result', () => {
		const {findings} = parseChecklist('PASS: one\nChecking something..\n  indented detail\n');
		expect(findings).toEqual([{level: 'PASS', text: 'one', section: null}]);
	});
});
