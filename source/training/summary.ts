/**
 * The end of a training run: which guards stopped the trainee and how each
 * ended, which commands failed, what the trainee decided (fixes, overrides,
 * choices, typed confirmations), and what was skipped and why. Read from the
 * transcript (every decision is written there) and the wizard's last
 * snapshot (each step's status and skip reason). Pure: text in, text out.
 */
import type {AnyStateMachine} from 'xstate';
import type {WizardContext} from '../../machines/kit.ts';
import {position} from '../runtime/runtime.ts';
import {wrap} from '../ui/text.ts';

export type SummaryInput = {
	machine: AnyStateMachine;
	scenarioTitle: string;
	/** The transcript's text: every session of this training so far. */
	transcript: string;
	snapshot: {value: unknown; status: string; context: WizardContext<unknown>};
	/** How to come back to this training, e.g. "upgrade-wizard train low-disk". */
	again: string;
};

type Decision = {where: string; what: string};

const titleOf = (machine: AnyStateMachine, step: string) =>
	((machine.root.states[step]?.meta as {title?: string} | undefined)?.title ?? step) as string;

/** The guard that lets a step pass: the first guarded way from its `evaluate` to `passed`. */
export function guardOf(machine: AnyStateMachine, step: string): string | null {
	const evaluate = machine.root.states[step]?.states.evaluate;
	for (const t of (evaluate?.always ?? []) as Array<{guard?: unknown; target?: Array<{key: string}>}>) {
		if (typeof t.guard === 'string') return t.guard;
		if (t.guard && typeof t.guard === 'object' && 'type' in t.guard) return String((t.guard as {type: string}).type);
	}
	return null;
}

const DECISIONS: Record<string, (detail: Record<string, string>) => string> = {
	'operator.fix': () => 'ran the fix (f)',
	'operator.retry': () => 'tried again (r)',
	'operator.recheck': () => 'checked again (r)',
	'operator.choose': d => `chose "${d.value ?? ''}"`,
	'operator.confirm': d => `confirmed by typing "${d.text ?? ''}"`,
	'operator.input': d => `gave "${d.value ?? ''}"`,
	'operator.override': d => `overrode the check by typing "${d.text ?? ''}"`,
	'operator.skip': d => `skipped it: "${d.reason ?? ''}"`,
};

/** Lines of the transcript the wizard noted: "# <time> <what>". */
function notes(transcript: string): string[] {
	return transcript
		.split('\n')
		.filter(l => l.startsWith('# '))
		.map(l => l.replace(/^# \S+ /, ''));
}

function details(rest: string): Record<string, string> {
	const out: Record<string, string> = {};
	for (const match of rest.matchAll(/(\w+)=("(?:[^"\\]|\\.)*")/g)) out[match[1]!] = JSON.parse(match[2]!) as string;
	return out;
}

export function trainingSummary(input: SummaryInput): string {
	const {machine, snapshot} = input;
	const context = snapshot.context;
	const stoppedAt: string[] = [];
	const failedAt: string[] = [];
	const failedCommands = new Map<string, string[]>();
	const decisions: Decision[] = [];
	/** Skips by step, with the reason typed (a skipped step may still be checked, and pass, afterwards). */
	const skips = new Map<string, string>();
	/** Overrides by step, with the word typed. */
	const overrides = new Map<string, string>();
	let where = '';
	let commands = 0;
	for (const note of notes(input.transcript)) {
		const at = /^at (\w+)\.(\w*)$/.exec(note);
		if (at) {
			where = at[1]!;
			if (at[2] === 'blocked' && !stoppedAt.includes(where)) stoppedAt.push(where);
			if (at[2] === 'failed' || at[2] === 'fixFailed' || at[2] === 'probeFailed') if (!failedAt.includes(where)) failedAt.push(where);
			continue;
		}
		const status = /^exit status (\d+) after [\d.]+ s: (.*)$/.exec(note);
		if (status) commands += 1;
		if (status && status[1] !== '0') {
			const list = failedCommands.get(where) ?? [];
			list.push(`${status[2]} (exit ${status[1]})`);
			failedCommands.set(where, list);
			continue;
		}
		const event = /^(operator\.\w+)(?: (.*))?$/.exec(note);
		if (event && DECISIONS[event[1]!]) {
			const detail = details(event[2] ?? '');
			decisions.push({where, what: DECISIONS[event[1]!]!(detail)});
			if (event[1] === 'operator.skip') skips.set(where, detail.reason ?? '');
			if (event[1] === 'operator.override') overrides.set(where, detail.text ?? '');
		}
	}

	const {step} = position(snapshot.value);
	const outcome = (id: string) => {
		const s = context.status[id];
		if (!s) return 'not decided yet';
		// An override the guard took: the step passed with it (a wrong word changes nothing).
		if (s.status === 'passed' && overrides.has(id)) return `passed with the override "${overrides.get(id)}"`;
		if (s.status === 'passed') return 'passed in the end';
		if (s.status === 'skipped') return `skipped${s.reason ? `: "${s.reason}"` : ''}`;
		return id === step && snapshot.status !== 'done' ? 'not passed yet (you are at this step)' : 'still not passed';
	};

	const out: string[] = [`Training summary: ${input.scenarioTitle}`, ''];
	out.push(
		snapshot.status === 'done'
			? 'You finished the upgrade.'
			: `You stopped at step "${titleOf(machine, step)}". To go on from there: ${input.again}`,
		'',
	);
	out.push('Guards that stopped you:');
	if (stoppedAt.length === 0) out.push('  none');
	for (const s of stoppedAt) {
		const guard = guardOf(machine, s);
		out.push(`  - ${titleOf(machine, s)}${guard ? ` (${guard})` : ''}: ${outcome(s)}`);
	}
	out.push('', 'Commands that failed:');
	if (failedAt.length === 0) out.push('  none');
	for (const s of failedAt) {
		const commands = failedCommands.get(s) ?? [];
		out.push(`  - ${titleOf(machine, s)}: ${commands.length > 0 ? commands.join('; ') : 'a check could not run'}; ${outcome(s)}`);
	}
	out.push('', `What you did (${commands} ${commands === 1 ? 'command' : 'commands'} ran on the simulated host, each in the transcript):`);
	if (decisions.length === 0) out.push('  pressed Enter on every screen');
	for (const d of decisions) out.push(`  - ${titleOf(machine, d.where)}: ${d.what}`);
	for (const [id, s] of Object.entries(context.status)) if (s.status === 'skipped' && !skips.has(id)) skips.set(id, s.reason ?? '');
	out.push('', 'What you skipped, and why:');
	if (skips.size === 0) out.push('  nothing');
	for (const [id, reason] of skips) out.push(`  - ${titleOf(machine, id)}: ${reason ? `"${reason}"` : 'no reason asked (a choice on the screen)'}`);
	// Bullets wrap under their text, so the summary reads well at 80 columns.
	const lines = out.flatMap(l => {
		const bullet = /^( *- )/.exec(l)?.[1];
		if (l.length <= 78) return [l];
		const lead = bullet ?? '';
		const indent = ' '.repeat(lead.length);
		return wrap(l.slice(lead.length), 78 - lead.length).map((w, i) => (i === 0 ? lead : indent) + w);
	});
	return `${lines.join('\n')}\n`;
}
