/**
 * What `upgrade-wizard check` reports: findings with a stable key, a
 * severity, what was found and what to do; as text for a person and as JSON
 * for cron and monitoring. The exit status says the worst severity, or that
 * an upgrade was left half-way (a check that knows the phase says so).
 */
import type {Host} from '../host/types.ts';
import {escapeControls} from '../probes/ansi.ts';
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

/** The version of the --json format (source/check/check-report.schema.json); raised when a field changes meaning or goes. */
export const SCHEMA_VERSION = 1;

/**
 * Where the host stands in the upgrade, for a check that can tell: before it,
 * half-way through it (left unfinished: the next step is named), or after it.
 */
export const PHASES = ['before', 'unfinished', 'after'] as const;
export type Phase = (typeof PHASES)[number];

/** What one product's check found: its findings and, where it can tell, the phase. */
export type CheckResult = {findings: Finding[]; phase?: Phase};

export type Report = {schemaVersion: number; product: string; host: string; phase?: Phase; status: number; counts: Record<Severity, number>; findings: Finding[]};

export const finding = (key: string, severity: Severity, title: string, detail: string, hint?: string, command?: string): Finding => ({
	key,
	severity,
	title,
	detail,
	remediation: hint ? {hint, command: command ?? null} : null,
});

/** A notice first when not root, then every check in order; one that cannot run says so as its finding and the others go on. */
export async function runChecks(host: Host, checks: Array<[string, string, () => Promise<Finding[]>]>): Promise<Finding[]> {
	const out: Finding[] = [];
	const {uid, user} = await host.identity();
	if (uid !== 0) out.push(finding('root', 'NOTICE', 'user', `running as ${user} (uid ${uid}), not root: some files cannot be read`, 'Run the check as root for complete results.'));
	for (const [key, title, check] of checks) {
		try {
			out.push(...(await check()));
		} catch (error) {
			out.push(finding(key, 'WARN', title, `could not be checked: ${(error as Error).message}`, 'Look at this by hand, then run the check again.'));
		}
	}
	return out;
}

export function counts(findings: Finding[]): Record<Severity, number> {
	const result = Object.fromEntries(SEVERITIES.map(s => [s, 0])) as Record<Severity, number>;
	for (const f of findings) result[f.severity] += 1;
	return result;
}

/**
 * 0: nothing to act on; EXIT.checkWarn: a warning and no failure;
 * EXIT.checkFail: a failure; EXIT.checkUnfinished: an upgrade left half-way,
 * whatever else was found (its next step comes first).
 */
export function exitStatus(findings: Finding[], phase?: Phase): number {
	if (phase === 'unfinished') return EXIT.checkUnfinished;
	if (findings.some(f => f.severity === 'FAIL')) return EXIT.checkFail;
	if (findings.some(f => f.severity === 'WARN')) return EXIT.checkWarn;
	return EXIT.ok;
}

export function report(product: string, host: string, result: CheckResult | Finding[]): Report {
	const {findings, phase} = Array.isArray(result) ? {findings: result, phase: undefined} : result;
	return {schemaVersion: SCHEMA_VERSION, product, host, ...(phase ? {phase} : {}), status: exitStatus(findings, phase), counts: counts(findings), findings};
}

const HEADLINE: Record<Phase, string> = {
	before: 'before the upgrade',
	unfinished: 'an upgrade left unfinished',
	after: 'after the upgrade',
};

/** The last line of the text report: what the exit status means in this phase. */
function verdict(r: Report): string {
	if (r.status === EXIT.checkUnfinished) return `The upgrade is unfinished: take the next step named above (exit status ${EXIT.checkUnfinished}).`;
	if (r.phase === 'after') {
		return r.status === EXIT.ok
			? 'The upgrade is finished and everything checked runs (exit status 0).'
			: r.status === EXIT.checkWarn
				? `The upgrade is finished and the mail services run; warnings: tidy up what they name (exit status ${EXIT.checkWarn}).`
				: `The upgrade is finished, but something fails: fix it, then run the check again (exit status ${EXIT.checkFail}).`;
	}
	return r.status === EXIT.ok
		? 'Nothing stands in the way of the upgrade (exit status 0).'
		: r.status === EXIT.checkWarn
			? `Warnings: read them before the maintenance window (exit status ${EXIT.checkWarn}).`
			: `Failures: fix them, then run the check again (exit status ${EXIT.checkFail}).`;
}

const escapeFinding = (f: Finding): Finding => ({
	...f,
	title: escapeControls(f.title),
	detail: escapeControls(f.detail),
	remediation: f.remediation ? {hint: escapeControls(f.remediation.hint), command: f.remediation.command === null ? null : escapeControls(f.remediation.command)} : null,
});

const WIDTH = 80;
const TAG = 9;

/** The report as text, at most 80 columns: one block per finding, then the counts. */
export function renderText(report: Report): string {
	// Details quote files and commands' errors: their control bytes are shown, not obeyed.
	const r = {...report, host: escapeControls(report.host), findings: report.findings.map(escapeFinding)};
	const out = [`upgrade-wizard check ${r.product} on ${r.host}`, ...(r.phase ? [`Phase: ${HEADLINE[r.phase]}`] : []), ''];
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
	out.push(...wrap(verdict(r), WIDTH));
	return `${out.join('\n')}\n`;
}

export function renderJson(r: Report): string {
	return `${JSON.stringify(r, null, 2)}\n`;
}
