/**
 * What the operator sees, as data: the header, the body lines and the keys
 * of the current screen, computed from the machine's snapshot, the live
 * output and the screen's own small state (selection, typed text). Pure, so
 * the same model drives the terminal, the tests and the screenshots.
 */
import type {AnyStateMachine} from 'xstate';
import {WIZARD_BACKUP_DIR, type Advice, type Finding, type Option, type RunSummary, type ScreenMeta, type StepCommand, type StepMeta, type View, type FileChange, type WizardContext} from '../../machines/kit.ts';
import {displayCommand} from '../host/types.ts';
import type {OutputView} from '../runtime/output.ts';
import {position, type CommandFate} from '../runtime/runtime.ts';
import {blank, clock, count, fit, line, wrap, wrapExact, type Line} from './text.ts';
import {levelTone, type Tone} from './theme.ts';
import {escapeControls} from '../probes/ansi.ts';

export const WIDTH = 80;
/**
 * Rows for the body: 24 rows less the header (2), two rules, the step's
 * title, the footer, and one spare row (a frame as tall as the terminal
 * makes Ink clear the whole screen on every update).
 */
export const BODY_ROWS = 17;

/**
 * Body rows for a terminal of `rows` rows: 17 at 24 rows, 16 at 23 (tmux's
 * status line takes one row of an 80x24 console), more on a taller terminal.
 */
export const bodyRowsFor = (rows: number | undefined) => Math.max(BODY_ROWS - 1, (rows ?? 24) - 7);

export type Mode = 'keys' | 'skip' | 'override' | 'help' | 'leave';

/** The screen's own state, reset whenever the machine moves to another screen. */
export type UiState = {
	at: string;
	selected: number;
	mode: Mode;
	text: string;
	scroll: number;
	/** The furthest scroll position reached on this screen: what the operator has had on the terminal. */
	seen: number;
	/** Long lines wrapped in full instead of cut at the edge with `~` (the detail view). */
	wrap: boolean;
	message: string | null;
};

export const freshUi = (at: string): UiState => ({at, selected: 0, mode: 'keys', text: '', scroll: 0, seen: 0, wrap: false, message: null});

export type KeyHint = {key: string; label: string};

export type ScreenModel = {
	product: string;
	hostLabel: string;
	step: string;
	screen: string | null;
	stepNumber: number;
	stepCount: number;
	stepTitle: string;
	phases: Array<{title: string; state: 'done' | 'current' | 'todo'}>;
	view: View;
	body: Line[];
	/** Body lines that belong at the bottom and never scroll (live output). */
	pinned: boolean;
	/** Rows the body has on this terminal. */
	bodyRows: number;
	keys: KeyHint[];
	options: Option[];
	/**
	 * Where the options are in the body (a `choose` screen in its list):
	 * the body line of the first one, the rows each takes and the highlighted
	 * one. The terminal draws these rows through ink-select-input.
	 */
	list: {first: number; heights: number[]; selected: number} | null;
	/** On an `input` screen: what Enter on an empty line gives. */
	inputDefault: string | null;
	/** Events the current screen accepts. */
	accepts: Set<string>;
	/** Enter on this screen runs commands or changes files (it waits until the screen has been read). */
	runs: boolean;
	/** Body lines below what the operator has had on the terminal; a screen that runs something needs 0 before Enter. */
	unread: number;
	meta: StepMeta<WizardContext<any>>;
	screenMeta: ScreenMeta<WizardContext<any>>;
};

type Snapshot = {value: unknown; context: WizardContext<any>; status: string};

export type ScreenInput = {
	machine: AnyStateMachine;
	snapshot: Snapshot;
	ui: UiState;
	output: OutputView;
	hostLabel: string;
	transcriptPath?: string;
	dryRun?: boolean;
	/** Training mode: every screen says why its step exists. */
	training?: boolean;
	/** The host has a command line for the trainee (simulated): ! opens it where a step is stopped. */
	shell?: boolean;
	now?: number;
	/** Rows for the body (bodyRowsFor the terminal); BODY_ROWS when not given. */
	bodyRows?: number;
	/** Where commands run: only the local host keeps run records in runs/; a simulated command stops with the wizard. */
	hostKind?: 'local' | 'simulated' | 'ssh';
	/** On an interrupted step: what became of its commands (the host's run records, or the transcript). */
	runs?: CommandFate[];
	/** Something the operator must see on every screen until it is solved (the state cannot be saved). */
	problem?: string | null;
};

const stepIds = (machine: AnyStateMachine) =>
	Object.entries(machine.root.states)
		.filter(([, node]) => (node.meta as {step?: boolean} | undefined)?.step)
		.map(([id]) => id);

/** Event types the screen (and its step) answers. */
export function acceptedEvents(machine: AnyStateMachine, value: unknown): Set<string> {
	const {step, screen} = position(value);
	const stepNode = machine.root.states[step];
	const node = screen ? stepNode?.states[screen] : stepNode;
	return new Set([...Object.keys(node?.on ?? {}), ...Object.keys(stepNode?.on ?? {})]);
}

const findingLines = (findings: Finding[]): Line[] =>
	findings.flatMap(f => {
		// A finding may quote a file or a command's error: control bytes shown, not obeyed.
		const text = escapeControls(f.text);
		// A line that fits is kept as written: its spaces may align columns (the cluster's per-node table).
		const [first, ...rest] = text.length <= WIDTH - 10 && !text.includes('\n') ? [text] : wrap(text, WIDTH - 10);
		return [
			[{text: ` [${f.level}]`.padEnd(9), tone: levelTone(f.level)}, {text: ` ${first ?? ''}`}],
			...rest.map(r => line(`          ${r}`)),
		];
	});

/** Each command in full, never cut: the operator sees exactly what runs. */
const commandLines = (commands: StepCommand[], mark?: (index: number) => string): Line[] =>
	commands.flatMap((c, index) => {
		const prefix = mark ? ` ${mark(index)} ` : '  $ ';
		const display = displayCommand(c);
		const [first = ''] = wrapExact(display, WIDTH - prefix.length - 1);
		// Continuation lines are indented further: cut to what they have room for, never cut off.
		const after = display.slice(first.length);
		const rest = after === '' ? [] : wrapExact(after.startsWith(' ') ? after.slice(1) : after, WIDTH - prefix.length - 3);
		return [
			[{text: prefix, tone: 'dim' as const}, {text: first, tone: 'bold' as const}],
			...rest.map(r => [{text: ' '.repeat(prefix.length + 2)}, {text: r, tone: 'bold' as const}]),
		// A note may hold a command (the ssh line that runs it): wrapped, never cut.
		...(c.note ? wrapExact(`(${c.note})`, WIDTH - 7).map(l => line(`      ${l}`, 'dim')) : []),
		...(c.interactive ? [line('      (runs on the terminal: answer its questions there)', 'dim')] : []),
		];
	});

/** An option of a list as rows: its number and label (marked when highlighted), its hint below. */
export function optionLines(option: Option, index: number, selected: boolean): Line[] {
	return [
		[
			{text: selected ? ' > ' : '   ', tone: 'accent'},
			{text: `${index + 1}. ${option.label}`, tone: selected ? 'bold' : 'plain'},
		],
		// A hint may be a command: shown whole, never cut.
		...(option.hint ? wrapExact(option.hint, WIDTH - 8).map((h, i) => line(`${i === 0 ? '      ' : '        '}${h}`, 'dim')) : []),
	];
}

/**
 * How a long line is shown: cut at the edge with `~` (the default, one row
 * each), or, in the detail view (w), wrapped in full over as many rows as
 * it needs. `cut` records that something was cut, so the footer offers w.
 */
type Fitter = {rows: (text: string, width: number) => string[]; cut: boolean};
const makeFitter = (wrapLong: boolean): Fitter => {
	const fitter: Fitter = {
		cut: false,
		rows(text, width) {
			if (text.length <= width) return [text];
			fitter.cut = true;
			return wrapLong ? wrapExact(text, width) : [fit(text, width)];
		},
	};
	return fitter;
};
/** Rows of `text` under a prefix; continuation rows are indented like the first. */
const fitted = (fitter: Fitter, prefix: string, text: string, tone?: Tone): Line[] =>
	fitter.rows(text, WIDTH - prefix.length).map(r => line(`${prefix}${r}`, tone));

const changeLines = (changes: FileChange[], fitter: Fitter): Line[] =>
	changes.flatMap(change => [
		line(`  ${change.after === null ? 'remove' : change.before === null ? 'create' : 'change'} ${change.path}`, 'bold'),
		...change.diff
			.split('\n')
			.filter(l => l !== '')
			.flatMap(l => fitted(fitter, '    ', l, l.startsWith('+') ? 'ok' : l.startsWith('-') ? 'fail' : 'dim')),
	]);

const adviceLines = (advice: Advice[]): Line[] =>
	advice.flatMap(a => [
		[{text: '  * ', tone: 'dim' as const}, {text: fit(a.prompt, WIDTH - 4), tone: 'bold' as const}],
		...wrap(`-> ${a.answer}: ${a.why}`, WIDTH - 6).map(l => line(`      ${l}`)),
	]);

const why = (meta: StepMeta<any>, rows = 4): Line[] => {
	const lines = wrap(meta.why, WIDTH - 2).map(l => line(` ${l}`));
	return lines.length > rows ? [...lines.slice(0, rows - 1), line(` ${fit(lines[rows - 1]![0]!.text.trim(), WIDTH - 14)} (? for more)`)] : lines;
};

const runLines = (run: RunSummary | null, fitter: Fitter): Line[] =>
	(run?.commands ?? []).flatMap(c => {
		// A dry run's command did not run: no status, no duration.
		if (c.dryRun) {
			const [first = '', ...rest] = fitter.rows(`${c.display} (dry run)`, WIDTH - 12);
			return [[{text: ' [not run] ', tone: 'dim' as const}, {text: first}], ...rest.map(r => line(`           ${r}`))];
		}
		const [first = '', ...rest] = fitter.rows(`${c.display}${c.problem ? `: ${c.problem}` : ''}`, WIDTH - 24);
		return [
			[
				{
					text: c.exitCode !== 0 ? ` [exit ${c.exitCode}] ` : c.problem ? ' [FAIL] ' : ' [done] ',
					tone: c.exitCode === 0 && !c.problem ? ('ok' as const) : ('fail' as const),
				},
				{text: first},
				{text: `  ${(c.durationMs / 1000).toFixed(1)} s`, tone: 'dim' as const},
			],
			...rest.map(r => line(`        ${r}`)),
		];
	});

/**
 * The step counter counts the path actually taken: the steps before this one
 * that were gone through (they have a status), this one, and those after it
 * that may still come. A step its guard left out is not counted, so the
 * counter never jumps; the total shrinks when a later step is left out. A
 * step that passed without a screen (meta.counted) is not counted either.
 */
function stepCounter(all: string[], step: string, status: Record<string, unknown>, counted: (id: string) => boolean): {stepNumber: number; stepCount: number} {
	// The current step always counts; another one unless its meta says it is not (it showed no screen).
	const ids = all.filter(id => id === step || counted(id));
	const at = ids.indexOf(step);
	if (at < 0) return {stepNumber: ids.length, stepCount: ids.length};
	const before = ids.slice(0, at).filter(id => status[id] !== undefined).length;
	return {stepNumber: before + 1, stepCount: before + (ids.length - at)};
}

/** Compute the whole screen. */
export function screenModel(input: ScreenInput): ScreenModel {
	const {machine, snapshot, ui, output} = input;
	const rows = input.bodyRows ?? BODY_ROWS;
	const context = snapshot.context;
	const {step, screen} = position(snapshot.value);
	const stepNode = machine.root.states[step];
	const meta = (stepNode?.meta ?? {title: step, why: '', phase: ''}) as StepMeta<WizardContext<any>>;
	const screenNode = screen ? stepNode?.states[screen] : undefined;
	const declared = (screenNode?.meta ?? stepNode?.meta ?? {view: 'info'}) as ScreenMeta<WizardContext<any>>;
	// A word that depends on what was found (a node's name) is resolved here, for the keys and the footer alike.
	const screenMeta = declared.confirm?.wordFor ? {...declared, confirm: {...declared.confirm, word: declared.confirm.wordFor(context)}} : declared;
	const view: View = screenMeta.view ?? 'info';
	const ids = stepIds(machine);
	const rootMeta = machine.root.meta as {product: string; title: string; phases: Array<{id: string; title: string}>};
	const currentPhase = meta.phase;
	const phaseIndex = rootMeta.phases.findIndex(p => p.id === currentPhase);
	const accepts = acceptedEvents(machine, snapshot.value);
	const options = screenMeta.options?.(context) ?? [];
	const commands = meta.commands?.(context) ?? [];
	const changes = meta.changes?.(context) ?? [];
	const body: Line[] = [];
	const keys: KeyHint[] = [];
	let pinned = false;
	// The first line of each option of a list, found again in the body once lines were added above it.
	const listLines: Line[] = [];
	const listHeights: number[] = [];
	const fitter = makeFitter(ui.wrap);

	const skip = accepts.has('operator.skip') ? [{key: 's', label: 'skip'}] : [];
	// Where a step is stopped, the trainee may act on the simulated host as on a real one.
	const shellKey = input.shell ? [{key: '!', label: 'command line'}] : [];
	switch (view) {
		case 'review': {
			body.push(...why(meta), blank);
			if (meta.reviewFindings) {
				const found = meta.findings?.(context) ?? [];
				if (found.length > 0) body.push(...findingLines(found), blank);
			}
			if (changes.length > 0) {
				// A backup is kept only of a file that exists: one that is created has none.
				const kept = changes.some(c => c.before !== null);
				body.push(line(kept ? ` The wizard will make these changes (old files kept in ${WIZARD_BACKUP_DIR}/${rootMeta.product}/):` : ' The wizard will make these changes (new files: no old ones to keep):', 'bold'), ...changeLines(changes, fitter));
				keys.push({key: 'Enter', label: 'apply'});
			} else {
				body.push(line(` ${commands.length === 1 ? 'Command' : 'Commands'} (Enter runs ${commands.length === 1 ? 'it' : 'them in order'}):`, 'bold'), ...commandLines(commands));
				keys.push({key: 'Enter', label: 'run'});
			}
			if (meta.what) body.push(blank, ...wrap(meta.what, WIDTH - 2).map(l => line(` ${l}`, 'dim')));
			if (meta.advice && meta.advice.length > 0) body.push(blank, line(' What it will ask (? shows all advice):', 'bold'), ...adviceLines(meta.advice));
			keys.push(...skip);
			break;
		}
		case 'running': {
			pinned = true;
			const list = snapshotCommands(screen, meta, context, commands);
			const current = list.findIndex(c => displayCommand(c) === output.command);
			body.push(
				...(changes.length > 0 && screen !== 'fixing'
					? changes.map(c => line(`  ${c.path}`))
					: commandLines(list, index => (index < current ? '[done]' : index === current ? '[ >> ]' : '[    ]'))),
			);
			const elapsed = output.startedAt === null ? 0 : (input.now ?? Date.now()) - output.startedAt;
			body.push(
				blank,
				[
					{text: ` Output (last lines of ${count(output.total)})`, tone: 'bold'},
					{text: `   running ${clock(elapsed)}`, tone: 'dim'},
				],
			);
			const room = Math.max(3, rows - body.length);
			const tail = output.lines.slice(-room);
			body.push(...tail.flatMap(l => fitted(fitter, '  ', l.replaceAll('\t', '  '), 'dim')).slice(-room));
			break;
		}
		case 'interrupted': {
			const runs = input.runs ?? [];
			if (runs.length > 0) {
				body.push(line(' [WARN] The wizard stopped while this step ran. What became of its commands:', 'warn'));
				const labelOf = (r: CommandFate) => (r.state === 'finished' ? `[exit ${r.exitCode}]` : r.state === 'running' ? '[running]' : r.state === 'cut off' ? '[cut off]' : r.state === 'unknown' ? '[unknown]' : '[not run]');
				// One column for the commands, after the widest label ("[exit 137]").
				const column = Math.max(...runs.map(r => labelOf(r).length)) + 2;
				for (const r of runs) {
					const [first = '', ...rest] = fitter.rows(r.display, WIDTH - column - 1);
					body.push([{text: ` ${labelOf(r).padEnd(column - 1)}`, tone: r.state === 'finished' && r.exitCode === 0 ? 'ok' : r.state === 'not started' ? 'dim' : 'warn'}, {text: first}], ...rest.map(r => line(`${' '.repeat(column)}${r}`)));
				}
				const names = (list: CommandFate[]) => list.map(r => r.display).join(', ');
				const finished = runs.filter(r => r.state === 'finished');
				const running = runs.filter(r => r.state === 'running');
				const unknown = runs.filter(r => r.state === 'unknown');
				const toRun = runs.filter(r => r.state === 'cut off' || r.state === 'not started' || r.state === 'unknown');
				const said: string[] = [];
				if (finished.length > 0) {
					const places = [...new Set(finished.map(r => (r.from === 'record' ? (r.recordIn ?? 'its run record') : 'the transcript')))];
					const where = places.length === 1 ? places[0]! : 'the run records and the transcript';
					said.push(`Finished (exit status from ${where}): ${names(finished)}. Not run again; ${finished.length === 1 ? 'its result counts' : 'their results count'}.`);
				}
				for (const r of running) said.push(`Still running${r.pid ? ` (pid ${r.pid})` : ''}: ${r.display}. Enter follows it to its end; it is not started a second time.`);
				const cut = runs.filter(r => r.state === 'cut off');
				if (cut.length > 0) said.push(`Cut off: ${names(cut)} started but has no exit status${input.hostKind === 'simulated' ? ' (a simulated command stops with the wizard)' : ''}.`);
				for (const r of unknown) said.push(`${r.display} was started over SSH and nothing says how it ended: it may still run on the server. Look there (ps) before Enter starts it again.`);
				said.push(toRun.length > 0 ? `Enter runs only what did not finish: ${names(toRun)}.` : running.length > 0 ? 'Enter follows what still runs.' : 'Enter goes on with their results.');
				body.push(blank, ...said.flatMap(t => wrap(t, WIDTH - 2).map(l => line(` ${l}`))));
				keys.push({key: 'Enter', label: 'go on'}, ...skip);
				break;
			}
			const records = input.hostKind === 'local' ? 'its output kept in runs/ next to the saved place. Look there, at' : 'Look at';
			body.push(
				line(' [WARN] The wizard stopped while this step was running:', 'warn'),
				...(changes.length > 0 ? changes.map(c => line(`  ${c.path}`)) : commandLines(commands)),
				blank,
				...wrap(
					`It may still be running, have finished, or been cut off half way: a command keeps running when the wizard stops, ${records} the end of the transcript` +
						(input.transcriptPath ? ` (${input.transcriptPath})` : '') +
						' and at the host (ps) before you run it again.',
					WIDTH - 2,
				).map(l => line(` ${l}`)),
			);
			keys.push({key: 'Enter', label: 'run again'}, ...skip);
			break;
		}
		case 'failed': {
			const run = context.lastRun;
			body.push(line(' [FAIL] This step did not finish.', 'fail'));
			if (context.error) body.push(...wrap(context.error, WIDTH - 4).map(l => line(`  ${l}`, 'fail')));
			body.push(...runLines(run, fitter));
			// What the wizard found in the output (apt's unread repositories) is read in full, wrapped.
			const found = run?.commands.some(c => c.problem) ?? false;
			if (run && run.tail.length > 0)
				body.push(
					blank,
					line(found ? ' What the output says:' : ' Last lines of output:', 'bold'),
					...(found
						? run.tail.flatMap(l => wrapExact(l, WIDTH - 8).map((w, i) => line(`  ${i === 0 ? '' : '    '}${w}`)))
						: run.tail.flatMap(l => fitted(fitter, '  ', l, 'dim'))),
				);
			if (meta.failure) body.push(blank, ...meta.failure.map(l => line(` ${l}`, 'warn')));
			else body.push(blank, ...wrap('Read the output, fix the cause, then press r. Do not guess: the full output is in the transcript.', WIDTH - 2).map(l => line(` ${l}`)));
			keys.push({key: 'r', label: 'try again'}, ...skip, ...shellKey);
			break;
		}
		case 'done': {
			body.push(line(' [PASS] Done.', 'ok'), ...runLines(context.lastRun, fitter));
			const shown = meta.doneOutputLines ?? 8;
			if (output.lines.length > 0) body.push(blank, line(shown > 8 ? ' Output:' : ' Last lines of output:', 'bold'), ...output.lines.slice(-shown).flatMap(l => fitted(fitter, '  ', l, 'dim')));
			keys.push({key: 'Enter', label: 'continue'});
			break;
		}
		case 'checking':
			body.push(...why(meta), blank, line(' Checking ...', 'bold'), ...(meta.probeShows ?? []).map(p => line(`  ${p}`, 'dim')));
			break;
		case 'passed':
			// The commands this step just ran, each with its exit status and duration, then what the check found.
			if (context.lastRun?.step === step && context.lastRun.commands.length > 0) body.push(...runLines(context.lastRun, fitter), blank);
			body.push(...findingLines(meta.findings?.(context) ?? [{level: 'PASS', text: 'ok'}]));
			keys.push({key: 'Enter', label: 'continue'});
			break;
		case 'blocked': {
			if (context.lastRun?.step === step && context.lastRun.commands.length > 0) body.push(...runLines(context.lastRun, fitter), blank);
			body.push(...findingLines((meta.findings?.(context) ?? []).filter(f => f.level !== 'PASS' || true)));
			const remedy = meta.remedy?.(context) ?? [];
			if (remedy.length > 0) body.push(blank, line(' What to do:', 'bold'), ...remedy.map(r => line(`  ${r}`)));
			if (accepts.has('operator.fix') && meta.fix) body.push(blank, line(' f runs:', 'bold'), ...commandLines(meta.fix(context)));
			keys.push({key: 'r', label: 'check again'});
			if (accepts.has('operator.fix')) keys.push({key: 'f', label: 'fix'});
			if (accepts.has('operator.choose')) keys.push({key: 'c', label: 'clean the environment'});
			if (accepts.has('operator.override')) keys.push({key: 'o', label: 'override (typed)'});
			keys.push(...skip, ...shellKey);
			break;
		}
		case 'choose':
			body.push(...why(meta, 3));
			for (const l of screenMeta.lines?.(context) ?? []) body.push(line(` ${l}`));
			body.push(blank);
			options.forEach((option, index) => {
				const lines = optionLines(option, index, index === ui.selected);
				listLines.push(lines[0]!);
				listHeights.push(lines.length);
				body.push(...lines);
			});
			// A digit chooses its row at once (it does not only move there): the footer says so.
			keys.push({key: 'Up/Down', label: 'move'}, {key: 'Enter', label: 'choose'}, {key: '1-9', label: 'choose at once'});
			break;
		case 'confirm': {
			const confirm = screenMeta.confirm;
			body.push(...why(meta, 3), blank);
			if (confirm) body.push(...wrap(confirm.prompt(context), WIDTH - 2).map(l => line(` ${l}`)));
			body.push(blank, [{text: ' > ', tone: 'accent'}, {text: `${ui.text}_`, tone: 'bold'}]);
			keys.push(
				{key: 'type', label: `"${confirm?.word ?? ''}"`},
				{key: 'Enter', label: 'confirm'},
				...(accepts.has('operator.skip') ? [{key: 'Tab', label: 'skip'}] : []),
			);
			break;
		}
		case 'input': {
			const input = screenMeta.input;
			const fallback = input?.default?.(context) ?? null;
			body.push(...why(meta, 3), blank);
			for (const l of screenMeta.lines?.(context) ?? []) body.push(line(` ${l}`));
			if (input) body.push(...wrap(input.prompt(context), WIDTH - 2).map(l => line(` ${l}`, 'bold')));
			if (fallback) body.push(...wrapExact(`Enter on an empty line: ${fallback}`, WIDTH - 2).map(l => line(` ${l}`, 'dim')));
			body.push(blank, ...wrapExact(`> ${ui.text}_`, WIDTH - 2).map((l, i) => (i === 0 ? [{text: ' > ', tone: 'accent' as const}, {text: l.slice(2), tone: 'bold' as const}] : line(` ${l}`, 'bold'))));
			if (input?.example) keys.push({key: 'type', label: `e.g. ${input.example}`});
			keys.push({key: 'Enter', label: fallback ? 'confirm (empty: default)' : 'confirm'}, {key: 'Esc', label: 'clear'});
			// A look at the simulated host first (ls, df, du): ! as the first key, never the start of a path or a figure.
			if (shellKey.length > 0 && ui.text === '') keys.push({key: '!', label: 'shell'});
			break;
		}
		case 'info':
			body.push(...why(meta, 5));
			for (const l of screenMeta.lines?.(context) ?? []) body.push(line(` ${l}`));
			if (meta.advice && meta.advice.length > 0) body.push(blank, ...adviceLines(meta.advice));
			if (accepts.has('operator.continue')) keys.push({key: 'Enter', label: 'continue'});
			if (accepts.has('operator.recheck')) keys.push({key: 'r', label: 'check again'});
			break;
		case 'finished': {
			const left = (meta.findings?.(context) ?? []).filter(f => f.level === 'FAIL' || f.level === 'WARN');
			if (left.length > 0) body.push(line(' [WARN] The steps ran to their end, but not all runs (you chose to go on):', 'warn'), ...findingLines(left));
			else body.push(line(` [PASS] ${meta.why}`, 'ok'));
			const skipped = Object.entries(context.status).filter(([, s]) => s.status === 'skipped');
			if (skipped.length > 0) {
				body.push(blank, line(' Skipped:', 'bold'));
				for (const [id, s] of skipped) body.push(line(`  ${titleOf(machine, id)}: ${s.reason ?? 'no reason given'}`));
			}
			if (input.transcriptPath) body.push(blank, line(' Transcript:', 'dim'), ...wrapExact(input.transcriptPath, WIDTH - 4).map(l => line(`  ${l}`, 'dim')));
			break;
		}
	}
	// In training, the screens that do not explain their step say why it exists too.
	if (input.training && meta.why && !['review', 'checking', 'choose', 'confirm', 'info', 'running'].includes(view)) {
		body.unshift(...why(meta, 3).map(l => l.map(s => ({...s, tone: 'info' as const}))), blank);
	}
	if (ui.message) body.unshift(line(` ${ui.message}`, 'warn'));
	if (input.problem) body.unshift(...wrap(`[FAIL] ${escapeControls(input.problem)}`, WIDTH - 2).map(l => line(` ${l}`, 'fail')));

	if (ui.mode === 'help') {
		body.length = 0;
		body.push(...wrap(meta.why, WIDTH - 2).map(l => line(` ${l}`)));
		if (meta.what) body.push(blank, ...wrap(meta.what, WIDTH - 2).map(l => line(` ${l}`)));
		if (meta.source) body.push(blank, line(` From the vendor's procedure: ${meta.source}`, 'dim'));
		if (commands.length > 0) body.push(blank, line(' Commands:', 'bold'), ...commandLines(commands));
		if (meta.advice && meta.advice.length > 0) body.push(blank, line(' Advice:', 'bold'), ...adviceLines(meta.advice));
		keys.length = 0;
		keys.push({key: 'Esc/?', label: 'back'});
		pinned = false;
	} else if (ui.mode === 'leave') {
		// Asked over the live output, which keeps scrolling meanwhile.
		body.push(
			blank,
			...wrap(
				input.hostKind === 'simulated'
					? 'A command is running. On the simulated host it stops with the wizard, cut off; start the wizard again to run it again. Leave now? y leaves, any other key stays (the default).'
					: `A command is running. It is not stopped if you leave: it runs on${input.hostKind === 'local' ? ', its output kept in runs/ next to the saved place' : ''}; start the wizard again to see how it ended. Leave now? y leaves, any other key stays (the default).`,
				WIDTH - 2,
			).map(l => line(` ${l}`, 'warn')),
		);
		keys.length = 0;
		keys.push({key: 'y', label: 'leave, the command runs on'}, {key: 'other key', label: 'stay'});
	} else if (ui.mode === 'skip' || ui.mode === 'override') {
		const prompt =
			ui.mode === 'skip'
				? ' Why do you skip this step? (goes to the transcript)'
				: ` To ${meta.override?.what ?? 'override the check'}, type "${meta.override?.word ?? ''}":`;
		body.push(blank, line(prompt, 'bold'), [{text: ' > ', tone: 'accent'}, {text: `${ui.text}_`, tone: 'bold'}]);
		keys.length = 0;
		keys.push({key: 'Enter', label: 'confirm'}, {key: 'Esc', label: 'cancel'});
	} else if (view !== 'running') {
		keys.push({key: '?', label: 'why'});
	}
	// A screen whose Enter runs or changes something is read to its end first:
	// until then its footer offers the page key and how much is left, not Enter.
	const runs = ui.mode === 'keys' && (view === 'review' || view === 'interrupted') && accepts.has('operator.continue');
	const unread = pinned ? 0 : Math.max(0, body.length - rows - Math.max(ui.seen, ui.scroll));
	const enter = keys.findIndex(k => k.key === 'Enter');
	if (runs && unread > 0 && enter >= 0) keys.splice(enter, 1, {key: 'PgDn/Space', label: `${unread} more ${unread === 1 ? 'line' : 'lines'}`});
	else if (body.length > rows && !pinned) keys.push({key: 'PgDn/PgUp', label: 'scroll'});
	if (fitter.cut && ui.mode === 'keys' && view !== 'confirm' && view !== 'input') keys.push({key: 'w', label: ui.wrap ? 'cut long lines' : 'full lines'});
	if (ui.mode === 'keys' && (view === 'confirm' || view === 'input')) keys.push({key: 'Ctrl-C', label: 'leave'});
	else if (ui.mode === 'keys') keys.push({key: 'q', label: view === 'running' ? 'leave (asks first)' : 'leave (progress kept)'});
	if (view === 'running' && ui.mode === 'keys') keys.unshift({key: '?', label: 'why'});
	// The footer is one row: when the keys do not fit, q's label is shortened, never a key dropped.
	const footerLength = keys.reduce((n, k) => n + 3 + k.key.length + 1 + k.label.length, -2);
	const q = keys.findIndex(k => k.key === 'q');
	if (footerLength > WIDTH - 1 && q >= 0) keys[q] = {key: 'q', label: 'leave'};

	const phaseList = rootMeta.phases.map((p, index) => ({
		title: p.title,
		state: (snapshot.status === 'done' || index < phaseIndex ? 'done' : index === phaseIndex ? 'current' : 'todo') as 'done' | 'current' | 'todo',
	}));
	return {
		product: rootMeta.title,
		hostLabel: input.hostLabel + (input.dryRun ? ' (dry run)' : '') + (input.training ? ' training' : ''),
		step,
		screen,
		...stepCounter(ids, step, context.status as Record<string, unknown>, id => (machine.root.states[id]?.meta as {counted?: (c: unknown) => boolean} | undefined)?.counted?.(context) ?? true),
		stepTitle: meta.titleFor?.(context) ?? meta.title,
		phases: phaseList,
		view,
		body,
		pinned,
		bodyRows: rows,
		keys,
		options,
		list:
			listLines.length > 0 && ui.mode === 'keys' && body.includes(listLines[0]!)
				? {first: body.indexOf(listLines[0]!), heights: listHeights, selected: ui.selected}
				: null,
		inputDefault: view === 'input' ? (screenMeta.input?.default?.(context) ?? null) : null,
		accepts,
		runs,
		unread,
		meta,
		screenMeta,
	};
}

function snapshotCommands(screen: string | null, meta: StepMeta<any>, context: WizardContext<any>, commands: StepCommand[]) {
	return screen === 'fixing' && meta.fix ? meta.fix(context) : commands;
}

function titleOf(machine: AnyStateMachine, id: string): string {
	return ((machine.root.states[id]?.meta as {title?: string} | undefined)?.title ?? id) as string;
}
