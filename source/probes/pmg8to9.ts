/**
 * The Proxmox `*8to9` checklist scripts (pmg-api src/PMG/CLI/pmg8to9.pm,
 * pve-manager's pve8to9 alike). What they print:
 *   = CHECKING VERSION INFORMATION FOR PMG PACKAGES =     (blank line after)
 *   Checking for package updates..                        (progress, no level)
 *   PASS: all packages up-to-date
 *   WARN: updates for the following packages are available:
 *     pmg-api, pmg-gui                                    (continuation, indented)
 * Levels are PASS, INFO, SKIP, NOTICE, WARN and FAIL. Some findings come
 * before the first header (pmg8to9 checks the rule database first), and the
 * cluster, postgres and service checks have no header of their own, so they
 * appear under the package section.
 *
 * On a terminal a result is coloured as `ESC[32mPASS: text\n` and the reset
 * `ESC[0m` is printed after the newline, so it starts the NEXT line.
 *
 * The summary counts pass, skip, notice, warn and fail (INFO is not
 * counted), but prints no NOTICE line:
 *   = SUMMARY =
 *   TOTAL:    38
 *   PASSED:   29
 *   SKIPPED:  6
 *   WARNINGS: 3
 *   FAILURES: 0
 * The script exits 0 whatever it found, so the FAIL lines are what counts.
 */
import {outputLines} from './ansi.ts';

/** The level word in front of a checklist result. */
export type ChecklistLevel = 'PASS' | 'INFO' | 'SKIP' | 'NOTICE' | 'WARN' | 'FAIL';

/** One result line (with its continuation lines joined by newlines). */
export type ChecklistFinding = {level: ChecklistLevel; text: string; section: string | null};

/** The counts of the SUMMARY block; a count the output did not print stays undefined. */
export type ChecklistSummary = {total?: number; passed?: number; skipped?: number; notices?: number; warnings?: number; failures?: number};

const SUMMARY_KEYS: Record<string, keyof ChecklistSummary> = {
	TOTAL: 'total',
	PASSED: 'passed',
	SKIPPED: 'skipped',
	NOTICE: 'notices',
	NOTICES: 'notices',
	WARNINGS: 'warnings',
	FAILURES: 'failures',
};

const HEADER = /^= (.+) =$/;
const RESULT = /^(PASS|INFO|SKIP|NOTICE|WARN|FAIL): ?(.*)$/;
const COUNT = /^([A-Z]+):\s*(\d+)$/;

/** Read the output of a `*8to9` checklist run: its findings and, if it got that far, its summary. */
export function parseChecklist(text: string): {findings: ChecklistFinding[]; summary: ChecklistSummary | null} {
	const findings: ChecklistFinding[] = [];
	let section: string | null = null;
	let summary: ChecklistSummary | null = null;
	let open: ChecklistFinding | null = null;

	for (const raw of outputLines(text)) {
		const line = raw.trimEnd();
		if (line.trim() === '') {
			open = null;
			continue;
		}
		const header = HEADER.exec(line.trim());
		if (header && !/^\s/.test(line)) {
			section = header[1]!.trim();
			open = null;
			if (section === 'SUMMARY') summary = {};
			continue;
		}
		if (summary && section === 'SUMMARY') {
			const count = COUNT.exec(line.trim());
			const key = count ? SUMMARY_KEYS[count[1]!] : undefined;
			if (count && key) {
				summary[key] = Number(count[2]);
				continue;
			}
		}
		const result = RESULT.exec(line);
		if (result) {
			open = {level: result[1] as ChecklistLevel, text: result[2]!.trim(), section};
			findings.push(open);
			continue;
		}
		if (open && /^\s/.test(line)) {
			open.text += `\n${line.trim()}`;
			continue;
		}
		// A progress line ("Checking ...") or anything else unindented.
		open = null;
	}
	return {findings, summary};
}

/** How many findings of each level, counted from the lines themselves. */
export function countFindings(findings: ChecklistFinding[]): Record<ChecklistLevel, number> {
	const counts: Record<ChecklistLevel, number> = {PASS: 0, INFO: 0, SKIP: 0, NOTICE: 0, WARN: 0, FAIL: 0};
	for (const f of findings) counts[f.level]++;
	return counts;
}
