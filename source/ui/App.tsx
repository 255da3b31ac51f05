/**
 * The wizard's screen: header, body, footer, at 80x24. It reads the actor's
 * snapshot and the live output and sends the operator's events; it never
 * calls the host.
 */
import {Box, Text, useApp, useInput, useStdout} from 'ink';
import SelectInput from 'ink-select-input';
import React, {useCallback, useEffect, useLayoutEffect, useReducer, useRef, useSyncExternalStore} from 'react';
import type {Actor, AnyStateMachine} from 'xstate';
import type {OperatorEvent} from '../../machines/kit.ts';
import type {OutputBuffer} from '../runtime/output.ts';
import {position} from '../runtime/runtime.ts';
import {handleKey, refusal, settleTime, splitKeys, type Key} from './keys.ts';
import {useKeysSettled} from './key-stream.ts';
import {bodyRowsFor, freshUi, optionLines, screenModel, WIDTH, type ScreenModel, type UiState} from './screen.ts';
import {lineText, type Line} from './text.ts';
import type {RunRecord} from '../host/types.ts';
import {makeTheme, type Theme} from './theme.ts';

export type AppProps = {
	machine: AnyStateMachine;
	actor: Actor<AnyStateMachine>;
	output: OutputBuffer;
	hostLabel: string;
	send: (event: OperatorEvent) => void;
	onLeave: () => void;
	transcriptPath?: string;
	dryRun?: boolean;
	/** Training mode: every screen says why its step exists. */
	training?: boolean;
	theme?: Theme;
	/** A fixed clock for screenshots and tests. */
	now?: () => number;
	/** Lines shown above the first screen (e.g. why a saved state was kept aside). */
	notice?: string[];
	/** What became of the commands of a step that was cut off (see Wizard.interruptedRuns). */
	runs?: RunRecord[];
	/** A problem shown on every screen while it lasts (see Wizard.problem). */
	problem?: {subscribe: (listener: () => void) => () => void; get: () => string | null};
	/**
	 * How long (ms) a screen that runs something is on the terminal before its
	 * Enter counts (default: UPGRADE_WIZARD_SETTLE_MS, else 700 ms).
	 */
	settleMs?: number;
};

/** What is on the terminal: a screen of the machine, the notice, or the too-small message. */
type Drawn = {at: string; since: number};
/** How long the footer says that a key was ignored. */
const NOTE_MS = 2000;

const MIN_COLUMNS = 80;
/** 80x24 is the target; 23 rows is accepted for tmux's status line on an 80x24 console. */
const MIN_ROWS = 23;

const noSubscribe = () => () => undefined;
const noProblem = () => null;

export function App(props: AppProps) {
	const {actor, output, machine} = props;
	const theme = props.theme ?? makeTheme();
	const {exit} = useApp();
	const {stdout} = useStdout();
	const snapshot = useSyncExternalStore(
		useCallback(listener => actor.subscribe(listener).unsubscribe, [actor]),
		() => actor.getSnapshot(),
	);
	const live = useSyncExternalStore(output.subscribe, output.snapshot);
	const problem = useSyncExternalStore(props.problem?.subscribe ?? noSubscribe, props.problem?.get ?? noProblem);
	const [, rerender] = useReducer((n: number) => n + 1, 0);
	const ui = useRef<UiState>(freshUi(key(snapshot.value)));
	const notice = useRef(props.notice ?? null);
	const settleMs = props.settleMs ?? settleTime();
	// The screen on the terminal, and since when: every key is bound to it.
	const drawn = useRef<Drawn | null>(null);
	// A key that was ignored: the footer says so for a moment.
	const note = useRef<{text: string; until: number} | null>(null);
	const noteTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
	// Set while the key the list has just taken goes to the other listeners (one key per write: see key-stream.ts).
	const listTook = useRef(false);
	const tookByList = () => {
		listTook.current = true;
		queueMicrotask(() => {
			listTook.current = false;
		});
	};
	useEffect(() => () => {
		if (noteTimer.current) clearTimeout(noteTimer.current);
	}, []);
	const ignore = (text: string) => {
		note.current = {text, until: Date.now() + NOTE_MS};
		if (noteTimer.current) clearTimeout(noteTimer.current);
		noteTimer.current = setTimeout(() => {
			note.current = null;
			rerender();
		}, NOTE_MS);
		noteTimer.current.unref?.();
	};

	// Redraw when the terminal is resized (and say so when it is too small).
	useEffect(() => {
		const onResize = () => rerender();
		stdout.on('resize', onResize);
		return () => {
			stdout.off('resize', onResize);
		};
	}, [stdout]);

	// A running command's clock ticks once a second.
	const running = screenOf(machine, snapshot) === 'running';
	useEffect(() => {
		if (!running) return;
		const timer = setInterval(rerender, 1000);
		return () => clearInterval(timer);
	}, [running]);

	const modelFor = (state: typeof snapshot, uiState: UiState): ScreenModel =>
		screenModel({
			machine,
			snapshot: state as never,
			ui: uiState,
			output: output.snapshot(),
			hostLabel: props.hostLabel,
			...(props.transcriptPath ? {transcriptPath: props.transcriptPath} : {}),
			...(props.dryRun ? {dryRun: true} : {}),
			...(props.training ? {training: true} : {}),
			now: props.now?.() ?? Date.now(),
			bodyRows: bodyRowsFor(stdout.rows),
			...(props.runs ? {runs: props.runs} : {}),
			problem,
		});

	useInput((input, inkKey) => {
		for (const k of splitKeys(input, inkKey)) dispatch(k);
		rerender();
	});

	function dispatch(k: Key) {
		// The list took this key (it moved, or it picked and the machine may
		// have moved on already): nothing more to do with it here.
		if (listTook.current) return;
		const leaving = k.name === 'ctrl-c' || (k.name === 'char' && k.char === 'q');
		const shown = drawn.current;
		// Nothing that is not on the terminal takes a key: the too-small message
		// has only q, and a screen the machine has moved to but that is not drawn
		// yet takes none (the key was pressed for the screen before it).
		if (!shown || shown.at === TOO_SMALL) {
			if (leaving && shown) {
				props.onLeave();
				exit();
			} else ignore('key ignored: enlarge the window first');
			return;
		}
		if (notice.current) {
			if (k.name === 'enter') notice.current = null;
			else if (leaving) props.onLeave();
			return;
		}
		const state = actor.getSnapshot();
		const at = key(state.value);
		if (shown.at !== at) {
			ignore('key ignored: the screen changed; read it first');
			return;
		}
		if (ui.current.at !== at) ui.current = freshUi(at);
		const model = modelFor(state, ui.current);
		// A step that is checking or running takes only ? and q (which asks first while a command runs).
		if ((model.view === 'checking' || model.view === 'running') && ui.current.mode === 'keys' && !leaving && !(k.name === 'char' && k.char === '?')) {
			ignore('key ignored: wait for the result');
			return;
		}
		let refused: string | null = null;
		const next = handleKey(k, model, ui.current, {
			send: event => {
				refused = refusal(event, model, Date.now() - shown.since, settleMs);
				if (refused === null) props.send(event);
			},
			leave: () => {
				props.onLeave();
				exit();
			},
		});
		if (refused !== null) {
			ignore(refused);
			return;
		}
		ui.current = next;
		const after = key(actor.getSnapshot().value);
		if (after !== at) ui.current = freshUi(after);
	}

	const columns = stdout.columns ?? WIDTH;
	const rows = stdout.rows ?? MIN_ROWS;
	const small = columns < MIN_COLUMNS || rows < MIN_ROWS;
	const showing = small ? TOO_SMALL : notice.current ? NOTICE : key(snapshot.value);
	// Once the frame is committed it is what the terminal shows: keys count against it from now on.
	useLayoutEffect(() => {
		if (drawn.current?.at !== showing) drawn.current = {at: showing, since: Date.now()};
	});
	// After each commit (the list's new key handler included) the next key may
	// come; of a burst, the keys after one that led to another screen were
	// meant for the one before: dropped.
	useKeysSettled(showing, () => {
		ignore('key ignored: the screen changed; read it first');
		rerender();
	});
	const noted = note.current && note.current.until > Date.now() ? note.current.text : null;
	if (small) {
		return (
			<Box flexDirection="column">
				<Text>{`This terminal is ${columns}x${rows}; the wizard needs at least 80x24 (80x23 inside tmux).`}</Text>
				<Text>{'Enlarge the window (or set the console mode); the screen redraws by itself.'}</Text>
				<Text>{'q leaves; your progress is kept.'}</Text>
				{noted ? <Text>{noted}</Text> : null}
			</Box>
		);
	}

	if (ui.current.at !== key(snapshot.value)) ui.current = freshUi(key(snapshot.value));
	const model = modelFor(snapshot, ui.current);
	if (notice.current) {
		return (
			<Frame theme={theme} model={{...model, keys: [{key: 'Enter', label: 'continue'}, {key: 'q', label: 'leave'}]}} body={notice.current.map(t => [{text: ` ${t}`}])} />
		);
	}
	const {body, more, start} = visibleBody(model, ui.current.scroll);
	void live;
	const at = key(snapshot.value);
	// The list (ink-select-input) moves and picks by itself; the highlighted
	// row is kept here, in the screen's state, and a pick goes through the
	// same gate as a key: the screen it was made on must be the one drawn,
	// and drawn long enough.
	const list: ListControl = {
		onHighlight: value => {
			tookByList();
			const index = model.options.findIndex(o => o.value === value);
			if (index < 0 || ui.current.at !== at) return;
			ui.current = {...ui.current, selected: index, message: null};
			rerender();
		},
		onSelect: value => {
			tookByList();
			const shown = drawn.current;
			const state = actor.getSnapshot();
			if (!shown || shown.at !== at || key(state.value) !== at || notice.current) {
				ignore('key ignored: the screen changed; read it first');
				rerender();
				return;
			}
			const event: OperatorEvent = {type: 'operator.choose', value};
			const refused = refusal(event, modelFor(state, ui.current), Date.now() - shown.since, settleMs);
			if (refused !== null) {
				ignore(refused);
				rerender();
				return;
			}
			props.send(event);
			const after = key(actor.getSnapshot().value);
			if (after !== at) ui.current = freshUi(after);
			rerender();
		},
	};
	return <Frame theme={theme} model={model} body={body} more={more} start={start} list={list} {...(noted ? {note: noted} : {})} />;
}

/** What the terminal's list does with the operator's moves and picks. */
export type ListControl = {onHighlight: (value: string) => void; onSelect: (value: string) => void};

const TOO_SMALL = '(too small)';
const NOTICE = '(notice)';

/** The body rows a screen shows at a scroll position (live output: its end), and how many lines follow below. */
export function visibleBody(model: ScreenModel, scroll: number): {body: Line[]; more: number; start: number} {
	const rows = model.bodyRows;
	const start = model.pinned ? Math.max(0, model.body.length - rows) : Math.min(scroll, Math.max(0, model.body.length - rows));
	return {
		body: model.pinned ? model.body.slice(-rows) : model.body.slice(start, start + rows),
		more: model.pinned ? 0 : Math.max(0, model.body.length - start - rows),
		start,
	};
}

function key(value: unknown): string {
	const {step, screen} = position(value);
	return `${step}.${screen ?? ''}`;
}

function screenOf(machine: AnyStateMachine, snapshot: {value: unknown}): string | undefined {
	const {step, screen} = position(snapshot.value);
	const node = screen ? machine.root.states[step]?.states[screen] : machine.root.states[step];
	return (node?.meta as {view?: string} | undefined)?.view;
}

/** One body row: its segments in their tones, and on the last row how many lines follow. */
function Row({theme, l, more}: {theme: Theme; l: Line; more?: number | undefined}) {
	return (
		<Text wrap="truncate">
			{lineText(l) === '' ? ' ' : null}
			{l.map((segment, i) => (
				<Text key={i} color={theme.colorOf(segment.tone ?? 'plain')} bold={segment.tone === 'bold'}>
					{segment.text}
				</Text>
			))}
			{more ? <Text color={theme.colorOf('dim')}>{`  (${more} more ${more === 1 ? 'line' : 'lines'})`}</Text> : null}
		</Text>
	);
}

/** ink-select-input draws the mark as part of the row (optionLines), so its own indicator draws nothing. */
const NoIndicator = () => null;

/**
 * Header, phases, body and footer; always model.bodyRows body rows so nothing jumps.
 * The rows of a list (model.list) are drawn by ink-select-input: `body` is
 * the part of model.body from `start` on that fits, `list` what the
 * operator's moves and picks do (none: a picture, as in the docs).
 */
export function Frame({
	theme,
	model,
	body,
	more,
	note,
	start = 0,
	list,
}: {
	theme: Theme;
	model: ScreenModel;
	body: Line[];
	more?: number;
	note?: string;
	start?: number;
	list?: ListControl;
}) {
	const rule = theme.rule.repeat(WIDTH);
	const left = ` ${model.product}  |  ${model.hostLabel}`;
	const right = `step ${model.stepNumber}/${model.stepCount} `;
	const room = WIDTH - right.length - 2;
	const header = `${left.length > room ? `${left.slice(0, room - 1)}~` : left.padEnd(room)}  ${right}`;
	const padded = [...body];
	// A Text with no characters takes no row in Ink: pad with a space so the footer never jumps.
	while (padded.length < model.bodyRows) padded.push([{text: ' '}]);
	return (
		<Box flexDirection="column" width={WIDTH}>
			<Text bold wrap="truncate">
				{header}
			</Text>
			<Text wrap="truncate">
				{model.phases.map((p, index) => (
					<Text key={p.title} color={theme.colorOf(p.state === 'current' ? 'accent' : p.state === 'done' ? 'ok' : 'dim')} bold={p.state === 'current'}>
						{`${index === 0 ? ' ' : '  '}${p.state === 'done' ? '[done]' : p.state === 'current' ? '[>>]' : '[  ]'} ${p.title}`}
					</Text>
				))}
			</Text>
			<Text color={theme.colorOf('dim')}>{rule}</Text>
			<Text bold wrap="truncate">
				{` ${model.stepTitle}`}
			</Text>
			{bodyRows(theme, model, padded, start, more, list)}
			<Text color={theme.colorOf('dim')}>{rule}</Text>
			{note ? (
				<Text wrap="truncate" color={theme.colorOf('warn')}>
					{` ${note}`}
				</Text>
			) : (
			<Text wrap="truncate">
				{model.keys.map((k, index) => (
					<Text key={k.key}>
						{index === 0 ? ' ' : '   '}
						<Text bold>{k.key}</Text>
						{` ${k.label}`}
					</Text>
				))}
			</Text>
			)}
		</Box>
	);
}

/** What ink-select-input hands to each item: the option's rows in view, highlighted or not. */
type ListItem = {key: string; label: string; value: string; theme: Theme; plainRows: RowAt[]; markedRows: RowAt[]};
type RowAt = {l: Line; row: number; more: number | undefined};

function ListRows({isSelected, theme, plainRows, markedRows}: Partial<ListItem> & {isSelected?: boolean}) {
	const rows = (isSelected ? markedRows : plainRows) ?? [];
	if (rows.length === 0) return null;
	return (
		<Box flexDirection="column">
			{rows.map(({l, row, more}) => (
				<Row key={row} theme={theme!} l={l} more={more} />
			))}
		</Box>
	);
}

/**
 * The body rows, a list's rows through ink-select-input: the rows before
 * and after it as they are, each option as the rows of it that are in view.
 * The component is mounted afresh for each screen (and each set of options),
 * starting on the highlighted row of the screen's state.
 */
function bodyRows(theme: Theme, model: ScreenModel, rows: Line[], start: number, more: number | undefined, list: ListControl | undefined) {
	const last = model.bodyRows - 1;
	const moreAt = (row: number) => (more && row === last ? more : undefined);
	const plain = (l: Line, row: number) => <Row key={row} theme={theme} l={l} more={moreAt(row)} />;
	const shape = model.list;
	const end = shape ? shape.first + shape.heights.reduce((a, b) => a + b, 0) : 0;
	if (!shape || end <= start || shape.first >= start + rows.length) return rows.map(plain);
	const from = Math.max(0, shape.first - start);
	const to = Math.min(rows.length, end - start);
	let first = shape.first - start;
	const items: ListItem[] = model.options.map((option, index) => {
		const inView = (selected: boolean) =>
			optionLines(option, index, selected)
				.map((l, offset) => ({l, row: first + offset, more: moreAt(first + offset)}))
				.filter(({row}) => row >= 0 && row < rows.length);
		const item = {key: `${index}:${option.value}`, label: option.label, value: option.value, theme, plainRows: inView(false), markedRows: inView(true)};
		first += shape.heights[index] ?? 0;
		return item;
	});
	return [
		...rows.slice(0, from).map(plain),
		<SelectInput
			key={`list:${model.step}.${model.screen ?? ''}:${items.map(i => i.value).join('|')}`}
			items={items}
			initialIndex={Math.min(shape.selected, items.length - 1)}
			isFocused={Boolean(list)}
			indicatorComponent={NoIndicator}
			itemComponent={ListRows as never}
			onHighlight={item => list?.onHighlight(item.value)}
			onSelect={item => list?.onSelect(item.value)}
		/>,
		...rows.slice(to).map((l, offset) => plain(l, to + offset)),
	];
}
