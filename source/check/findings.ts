/**
 * What `upgrade-wizard check` reports: findings with a stable key, a
 * severity, what was found and what to do; as text for a person and as JSON
 * for cron and monitoring. The exit status says the worst severity.
 */
import {EXIT} from '../products.ts';
import {wrap, wrapExact} from '../ui/text.ts';

export const SEVERITIES = ['PASS', 'INFO', 'SKIP', 'NOTICE', 'WARN', 'FAIL'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type Finding = {
	/** Stable across runs and versions: monitoring keys its alerts on it. */
	key: string;
	severity: Severity;
	/** What was checked, in a few words. */
	title: string;
	/** What was found. */
	detail: string;
	/** What to do; null when nothing is to be done. */
	remediation: {hint: string; command: string | null} | null;
};

export type Report = {product: string; host: string; status: number; counts: Record<Severity, number>; findings: Finding[]};

export function counts(findings: Finding[]): Record<Severity, number> {
	const result = Object.fromEntries(SEVERITIES.map(s => [s, 0])) as Record<Severity, number>;
	for (const f of findings) result[f.severity] += 1;
	return result;
}

/** 0: nothing to act on; EXIT.checkWarn: a warning and no failure; EXIT.checkFail: a failure. */
export function exitStatus(findings: Finding[]): number {
	if (findings.some(f => f.severity === 'FAIL')) return EXIT.checkFail;
	if (findings.some(f => f.severity === 'WARN')) return EXIT.checkWarn;
	return EXIT.ok;
}

export function report(product: string, host: string, findings: Finding[]): Report {
	return {product, host, status: exitStatus(findings), counts: counts(findings), findings};
}

const WIDTH = 80;
const TAG = 9;

/** The report as text, at most 80 columns: one block per finding, then the counts. */
export function renderText(r: Report): string {
	const out = [`upgrade-wizard check ${r.product} on ${r.host}`, ''];
	for (const f of r.findings) {
		const tag = `[${f.severity}]`.padEnd(TAG);
		const first = wrap(`${f.title}: ${f.detail}`, WIDTH - TAG);
		out.push(`${tag}${first[0] ?? ''}`);
		for (const l of first.slice(1)) out.push(`${' '.repeat(TAG)}${l}`);
		if (f.remediation) {
			for (const l of wrap(`-> ${f.remediation.hint}`, WIDTH - TAG - 2)) out.push(`${' '.repeat(TAG)}${l.startsWith('->') ? l : `   ${l}`}`);
			if (f.remediation.command) {
				// Wrapped only at spaces, so joining the lines gives the command back.
				const [head, ...rest] = wrapExact(f.remediation.command, WIDTH - TAG - 5);
				out.push(`${' '.repeat(TAG)}   $ ${head}`, ...rest.map(l => `${' '.repeat(TAG + 5)}${l}`));
			}
		}
	}
	const c = r.counts;
	out.push('', `${r.findings.length} checks: ${SEVERITIES.map(s => `${c[s]} ${s}`).join(', ')}.`);
	out.push(
		r.status === EXIT.ok
			? 'Nothing stands in the way of the upgrade (exit status 0).'
			: r.status === EXIT.checkWarn
				? `Warnings: read them before the maintenance window (exit status ${EXIT.checkWarn}).`
				: `Failures: fix them, then run the check again (exit status ${EXIT.checkFail}).`,
	);
	return `${out.join('\n')}\n`;
}

export function renderJson(r: Report): string {
	return `${JSON.stringify(r, null, 2)}\n`;
}
