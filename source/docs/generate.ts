/**
 * The documentation of one upgrade path, from the code: every screen as an
 * SVG image of the 80x24 terminal, a walkthrough in Markdown and a Mermaid
 * state diagram. Deterministic: the same code and scenarios give the same
 * bytes (a fixed simulated clock, no machine paths, no random ids).
 */
import path from 'node:path';
import type {AnyStateMachine, AnyStateNode} from 'xstate';
import {WIZARD_BACKUP_DIR, type StepMeta, type WizardContext} from '../../machines/kit.ts';
import {displayCommand} from '../host/types.ts';
import type {ProbeFn} from '../runtime/runtime.ts';
import {freshUi, screenModel, type ScreenModel} from '../ui/screen.ts';
import {lineText} from '../ui/text.ts';
import {collect, type Recorded, type ScenarioWalk} from './collect.ts';
import {explore, type Screen} from './explore.ts';
import {emulate, screenBytes, toSvg} from './terminal.tsx';

/** What a product adds to its machine for the documentation. */
export type ProductDocs = {
	/** The simulated clock when every walk starts. */
	clockMs: number;
	/** The command the wizard names to start itself inside tmux. */
	relaunch: string[];
	/** The reason a skip gives on the screens. */
	skipReason: string;
	/** What of a context decides the machine's next move (see explore.ts). */
	contextKey: (context: WizardContext<any>) => unknown;
	/** The scenario walks whose probe answers feed the exploration. */
	walks: () => ScenarioWalk[];
	/** What the exploration types on an input screen ("step.screen"), besides the screen's default. */
	inputs?: Record<string, string | string[]>;
};

export type DocsInput = {
	product: string;
	machine: AnyStateMachine;
	probes: Record<string, ProbeFn>;
	docs: ProductDocs;
};

/** One generated file: a name inside the output folder and its content. */
export type DocFile = {name: string; content: string};

type Shot = Screen & {number: number; file: string; model: ScreenModel; text: string[]};

const STEP_ORDER_NONE = 1_000_000;

export async function generateDocs(input: DocsInput): Promise<DocFile[]> {
	const {machine, docs} = input;
	const walks = docs.walks();
	const recorded = await collect({machine, probes: input.probes, walks, clockMs: docs.clockMs, relaunch: docs.relaunch});
	const screens = explore({machine, input: {startedAt: docs.clockMs}, recorded, contextKey: docs.contextKey, skipReason: docs.skipReason, ...(docs.inputs ? {inputs: docs.inputs} : {})});
	const hostLabel = recorded.hostLabel ?? `${input.product} (simulated)`;

	// Steps in the machine's order; inside a step, the screens in the order a walk meets them.
	const stepIndex = new Map(Object.keys(machine.root.states).map((id, index) => [id, index]));
	const declared = new Map(screens.map((s, index) => [s.id, index]));
	const ordered = [...screens].sort(
		(a, b) => stepIndex.get(a.step)! - stepIndex.get(b.step)! || Math.min(a.depth, STEP_ORDER_NONE) - Math.min(b.depth, STEP_ORDER_NONE) || declared.get(a.id)! - declared.get(b.id)!,
	);
	const digits = String(ordered.length).length < 2 ? 2 : String(ordered.length).length;

	const files: DocFile[] = [];
	const shots: Shot[] = [];
	for (const [index, screen] of ordered.entries()) {
		const number = index + 1;
		const file = `${String(number).padStart(digits, '0')}-${screen.id.replaceAll('.', '-')}.svg`;
		const model = screenModel({
			machine,
			snapshot: screen.snapshot as never,
			ui: freshUi(screen.id),
			output: outputFor(recorded, screen),
			hostLabel,
			now: 0,
		});
		const cells = await emulate(screenBytes(model));
		const text = cells.map(row => row.map(c => c.char).join('').replace(/\s+$/, ''));
		files.push({name: file, content: toSvg(cells, `${model.product}, step ${model.stepNumber}/${model.stepCount}: ${model.stepTitle} (${screen.id})`)});
		shots.push({...screen, number, file, model, text});
	}
	files.push({name: 'walkthrough.md', content: walkthrough(input, walks, recorded, shots)});
	files.push({name: 'states.mmd', content: `${overviewDiagram(machine)}\n`});
	return files;
}

const NO_OUTPUT = {command: null, lines: [], total: 0, startedAt: null};

/** What a screen shows of live output: what the walks recorded for its step, at the clock's start. */
function outputFor(recorded: Recorded, screen: Screen) {
	const view = recorded.outputs[screen.step];
	const node = screen.screen;
	if (!view) return NO_OUTPUT;
	if (node === 'running') return {...view.first, startedAt: 0};
	if (node === 'done') return {...view.last, startedAt: 0};
	return NO_OUTPUT;
}

// -- describing the machine -----------------------------------------------------

type Transition = {source: string; event: string; guard: string | null; target: string | null};

function guardText(guard: unknown): string | null {
	if (guard === undefined || guard === null) return null;
	if (typeof guard === 'string') return guard;
	if (typeof guard === 'function') {
		const inner = (guard as {guards?: unknown[]}).guards;
		return inner ? inner.map(g => guardText(g)).join(' and ') : 'a condition on the answer';
	}
	const {type, params} = guard as {type: string; params?: {word?: string}};
	if (type === 'typedWord' && params?.word) return `typed "${params.word}"`;
	return type;
}

/** Where a transition leads, relative to the step: a screen of it, or another step. */
function targetText(step: string, target: AnyStateNode | undefined): string | null {
	if (!target) return null;
	const [, targetStep, screen] = target.id.split('.');
	if (targetStep === step) return screen ?? targetStep!;
	return screen ? `${targetStep}.${screen}` : targetStep!;
}

function transitionsOf(machine: AnyStateMachine, step: string): Transition[] {
	const stepNode = machine.root.states[step]!;
	const list: Transition[] = [];
	const nodes: Array<[string, AnyStateNode]> = Object.keys(stepNode.states).length > 0 ? Object.entries(stepNode.states) : [[step, stepNode]];
	for (const [source, node] of nodes) {
		for (const [event, transitions] of Object.entries(node.on)) {
			for (const t of transitions as Array<{guard?: unknown; target?: AnyStateNode[]}>) {
				list.push({source, event, guard: guardText(t.guard), target: targetText(step, t.target?.[0])});
			}
		}
		for (const t of (node.always ?? []) as Array<{guard?: unknown; target?: AnyStateNode[]}>) {
			list.push({source, event: 'always', guard: guardText(t.guard), target: targetText(step, t.target?.[0])});
		}
	}
	return list;
}

const EVENT_WORDS: Record<string, string> = {
	always: 'at once',
	'operator.continue': 'Enter',
	'operator.skip': 's (skip; asks why)',
	'operator.retry': 'r (try again)',
	'operator.recheck': 'r (check again)',
	'operator.fix': 'f (fix)',
	'operator.choose': 'a choice',
	'operator.confirm': 'the typed word',
	'operator.input': 'typed text',
	'operator.override': 'o (override; typed)',
	'host.booted': 'the wizard starts again after a reboot',
	'host.session': 'the wizard runs inside tmux',
};

function eventWords(type: string): string {
	if (EVENT_WORDS[type]) return EVENT_WORDS[type]!;
	const actor = /^xstate\.(done|error)\.actor\.(\w+)\./.exec(type);
	if (actor) {
		const [, outcome, kind] = actor;
		if (kind === 'probe') return outcome === 'done' ? 'the check answers' : 'the check fails';
		return outcome === 'done' ? 'the commands end' : 'the commands cannot start';
	}
	return type;
}

/** How the last event of a way led to a screen, in words. */
function arrival(screen: Screen): string {
	if (screen.reached === 'restart') return 'the wizard was stopped (a crash, a lost connection) while this step ran, and is started again';
	if (screen.reached === 'none') return 'no event of the machine leads here; shown with the facts of the step\'s other screens';
	const event = screen.events[screen.events.length - 1];
	if (!event) return 'the wizard starts';
	const words = eventWords(event.type);
	if (event.type === 'operator.choose') return `the operator chooses "${String(event.value)}"`;
	if (event.type === 'operator.confirm') return `the operator types "${String(event.text)}"`;
	if (event.type === 'operator.input') return `the operator types "${String(event.value)}" and presses Enter`;
	if (event.type === 'operator.override') return `the operator presses o and types "${String(event.text)}"`;
	if (event.type === 'operator.skip') return `the operator presses s and gives the reason "${String(event.reason)}"`;
	if (event.type === 'operator.continue') return 'the operator presses Enter';
	if (event.type.startsWith('operator.')) return `the operator presses ${words}`;
	if (event.type === 'host.booted') return event.bootId === 'boot-1' ? `${words}, but the boot id is unchanged` : `${words}, with a new boot id`;
	if (event.type.startsWith('xstate.done.actor.') && !event.type.includes('.probe.')) {
		const output = event.output as {failedIndex: number | null} | undefined;
		return output?.failedIndex === null ? 'the commands end with exit status 0' : 'a command fails';
	}
	return words;
}

// -- Markdown -------------------------------------------------------------------

const md = (text: string) => text.replaceAll('|', '\\|');

function walkthrough(input: DocsInput, walks: ScenarioWalk[], recorded: Recorded, shots: Shot[]): string {
	const {machine} = input;
	const rootMeta = machine.root.meta as {title: string; phases: Array<{id: string; title: string}>};
	const phaseTitle = new Map(rootMeta.phases.map(p => [p.id, p.title]));
	// Steps only: a state that just passes on to the next (no meta.step) has no section.
	const steps = Object.keys(machine.root.states).filter(id => (machine.root.states[id]!.meta as {step?: boolean} | undefined)?.step);
	const scenarios = [...new Set(walks.map(w => path.basename(w.scenario).replace(/\.ya?ml$/, '')))];
	const out: string[] = [];
	out.push(
		`# ${rootMeta.title}: the wizard, screen by screen`,
		'',
		`Generated by \`upgrade-wizard docs ${input.product} --out DIR\` from the upgrade machine and the simulated host; do not edit by hand.`,
		`Every screen is the wizard's own rendering at 80x24, taken from a terminal emulator. The facts on the screens come from`,
		`the simulated host's scenarios (${scenarios.map(s => `\`${s}\``).join(', ')}), walked headless through the wizard.`,
		'',
		`${steps.length} steps, ${shots.length} screens. The state diagram of the whole path is in [states.mmd](states.mmd):`,
		'',
		'```mermaid',
		overviewDiagram(machine),
		'```',
		'',
		'## Steps',
		'',
		...steps.map((step, index) => {
			const meta = machine.root.states[step]!.meta as StepMeta<unknown> | undefined;
			return `${index + 1}. [${md(meta?.title ?? step)}](#${anchor(index + 1, meta?.title ?? step)})`;
		}),
		'',
	);
	steps.forEach((step, index) => {
		const node = machine.root.states[step]!;
		const meta = (node.meta ?? {}) as StepMeta<WizardContext<unknown>>;
		const stepShots = shots.filter(s => s.step === step);
		const first = stepShots.find(s => s.reached === 'path') ?? stepShots[0]!;
		const context = first.snapshot.context as WizardContext<unknown>;
		out.push(`## ${index + 1}. ${meta.title ?? step}`, '');
		out.push(`Phase: ${phaseTitle.get(meta.phase) ?? meta.phase ?? ''}${meta.source ? `. From the vendor's procedure: *${meta.source}*` : ''}.`, '');
		if (meta.why) out.push(meta.why, '');
		if (meta.what) out.push(meta.what, '');
		const commandContext = (stepShots.find(s => s.screen === 'review' && s.reached === 'path') ?? first).snapshot.context as WizardContext<unknown>;
		const commands = meta.commands?.(commandContext) ?? [];
		if (commands.length > 0) {
			out.push('Commands (shown in full before they run; Enter runs them):', '', '```sh', ...commands.map(c => displayCommand(c)), '```', '');
		}
		if (meta.changes) out.push(`The step changes files itself: each change is shown as a diff first, and the old file is kept under \`${WIZARD_BACKUP_DIR}/\` (never beside it, where apt, dpkg and ucf write their own copies).`, '');
		if (meta.probeShows && meta.probeShows.length > 0) out.push(`Checks on the host (read-only): ${meta.probeShows.map(p => `\`${md(p)}\``).join(', ')}.`, '');
		if (meta.fix) out.push(`\`f\` on the blocked screen runs: ${meta.fix(context).map(c => `\`${displayCommand(c)}\``).join(', ')}.`, '');
		if (meta.override) out.push(`\`o\` on the blocked screen: type "${meta.override.word}" to ${meta.override.what}; the word goes to the transcript.`, '');
		if (meta.skippable) out.push('`s` skips the step; the wizard asks why and writes the reason to the transcript.', '');
		if (meta.advice && meta.advice.length > 0) {
			out.push('What the commands will ask, and the answer:', '', '| prompt | answer | why |', '| --- | --- | --- |');
			for (const a of meta.advice) out.push(`| ${md(a.prompt)} | ${md(a.answer)} | ${md(a.why)} |`);
			out.push('');
		}
		const decisions = decisionLines(transitionsOf(machine, step));
		if (decisions.length > 0) out.push('Guards and where they lead:', '', ...decisions, '');
		const blocked = stepShots.find(s => s.screen === 'blocked' && s.reached === 'path');
		if (blocked) {
			const remedy = meta.remedy?.(blocked.snapshot.context as WizardContext<unknown>) ?? [];
			if (remedy.length > 0) out.push('When a check fails, the blocked screen says what to do:', '', ...remedy.map(r => `> ${md(r)}`), '');
		}
		out.push('```mermaid', stepDiagram(machine, step), '```', '');
		out.push('Screens:', '');
		for (const shot of stepShots) {
			out.push(
				`### Screen ${shot.file.split('-')[0]}: ${shot.id}`,
				'',
				`View: ${shot.model.view}. Reached when ${arrival(shot)}.`,
				'',
				`![${md(shot.model.stepTitle)}: ${shot.id}](${shot.file})`,
				'',
			);
		}
	});
	if (recorded.ends.length > 0) {
		out.push('## The scenario walks', '', 'Where each walk on the simulated host stopped (a careful operator, answering as each screen asks):', '');
		walks.forEach((walk, i) => {
			const name = path.basename(walk.scenario).replace(/\.ya?ml$/, '');
			const answers = Object.entries(walk.answers ?? {}).map(([k, v]) => `${k} = ${JSON.stringify(v)}`);
			out.push(`- \`${name}\`${answers.length > 0 ? ` (${answers.join(', ')})` : ''}: ${recorded.ends[i]}`);
		});
		out.push('');
	}
	return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

/** GitHub's heading anchors: lower case, spaces to dashes, punctuation dropped. */
function anchor(index: number, title: string): string {
	return `${index}-${title}`
		.toLowerCase()
		.replace(/[^\p{L}\p{N}\s-]/gu, '')
		.replaceAll(' ', '-');
}

function decisionLines(transitions: Transition[]): string[] {
	const groups = new Map<string, Transition[]>();
	for (const t of transitions) {
		const key = `${t.source}\u0000${t.event}`;
		groups.set(key, [...(groups.get(key) ?? []), t]);
	}
	const lines: string[] = [];
	for (const group of groups.values()) {
		if (!group.some(t => t.guard)) continue;
		const {source, event} = group[0]!;
		const parts = group.map((t, i) =>
			t.guard ? `if \`${t.guard}\` holds: ${t.target ?? 'stays'}` : `${i === 0 ? '' : 'otherwise '}${t.target ?? 'stays'}`,
		);
		lines.push(`- on \`${source}\`, ${eventWords(event)}: ${parts.join('; ')}`);
	}
	return lines;
}

// -- Mermaid --------------------------------------------------------------------

const mermaidLabel = (text: string) => text.replaceAll(/[:;"#]/g, '').replaceAll(/\s+/g, ' ').trim();

/** The path as a diagram of its steps: every transition that leaves a step. */
export function overviewDiagram(machine: AnyStateMachine): string {
	const lines = ['stateDiagram-v2'];
	const steps = Object.keys(machine.root.states);
	for (const step of steps) {
		const title = (machine.root.states[step]!.meta as {title?: string} | undefined)?.title ?? step;
		lines.push(`    state "${mermaidLabel(title)}" as ${step}`);
	}
	lines.push(`    [*] --> ${(machine.root.config as {initial?: string}).initial ?? steps[0]}`);
	const edges = new Map<string, Set<string>>();
	for (const step of steps) {
		for (const t of transitionsOf(machine, step)) {
			if (!t.target) continue;
			const targetStep = t.target.split('.')[0]!;
			if (!steps.includes(targetStep) || targetStep === step) continue;
			const key = `${step} --> ${targetStep}`;
			const label = t.guard ? mermaidLabel(t.guard) : mermaidLabel(eventWords(t.event));
			edges.set(key, (edges.get(key) ?? new Set()).add(label));
		}
		if (machine.root.states[step]!.type === 'final') lines.push(`    ${step} --> [*]`);
	}
	for (const [key, labels] of edges) lines.push(`    ${key} : ${[...labels].join(' / ')}`);
	return lines.join('\n');
}

/** One step's screens and the ways between them and out of the step. */
function stepDiagram(machine: AnyStateMachine, step: string): string {
	const node = machine.root.states[step]!;
	const lines = ['stateDiagram-v2'];
	if (Object.keys(node.states).length === 0) {
		lines.push(`    [*] --> ${step}`);
		if (node.type === 'final') lines.push(`    ${step} --> [*]`);
		return lines.join('\n');
	}
	const initial = (node.config as {initial?: string}).initial ?? Object.keys(node.states)[0];
	lines.push(`    [*] --> ${initial}`);
	const outside = new Set<string>();
	for (const t of transitionsOf(machine, step)) {
		if (!t.target) continue;
		let target = t.target;
		if (!(t.target in node.states)) {
			target = `to_${t.target.replaceAll('.', '_')}`;
			if (!outside.has(target)) {
				outside.add(target);
				lines.push(`    state "${mermaidLabel(t.target)}" as ${target}`);
			}
		}
		const label = t.guard ? `${mermaidLabel(eventWords(t.event))} if ${mermaidLabel(t.guard)}` : mermaidLabel(eventWords(t.event));
		lines.push(`    ${t.source} --> ${target} : ${label}`);
	}
	return lines.join('\n');
}

