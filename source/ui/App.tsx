/**
 * The wizard's screen: header, body, footer, at 80x24. It reads the actor's
 * snapshot and the live output and sends the operator's events; it never
 * calls the host.
 */
import {Box, Text, useApp, useInput, useStdout} from 'ink';
import React, {useCallback, useEffect, useReducer, useRef, useSyncExternalStore} from 'react';
import type {Actor, AnyStateMachine} from 'xstate';
import type {OperatorEvent} from '../../machines/kit.ts';
import type {OutputBuffer} from '../runtime/output.ts';
import {position} from '../runtime/runtime.ts';
import {handleKey, splitKeys, type Key} from './keys.ts';
import {bodyRowsFor, freshUi, screenModel, WIDTH, type ScreenModel, type UiState} from './screen.ts';
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
};

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
		if (notice.current) {
			if (k.name === 'enter') notice.current = null;
			else if (k.name === 'ctrl-c' || (k.name === 'char' && k.char === 'q')) props.onLeave();
			return;
		}
		// Each key is judged against the screen that is current now, not the
		// one React last drew: a burst may cross several screens.
		const state = actor.getSnapshot();
		const at = key(state.value);
		if (ui.current.at !== at) ui.current = freshUi(at);
		const model = modelFor(state, ui.current);
		ui.current = handleKey(k, model, ui.current, {
			send: props.send,
			leave: () => {
				props.onLeave();
				exit();
			},
		});
		const after = key(actor.getSnapshot().value);
		if (after !== at) ui.current = freshUi(after);
	}

	const columns = stdout.columns ?? WIDTH;
	const rows = stdout.rows ?? MIN_ROWS;
	if (columns < MIN_COLUMNS || rows < MIN_ROWS) {
		return (
			<Box flexDirection="column">
				<Text>{`This terminal is ${columns}x${rows}; the wizard needs at least 80x24 (80x23 inside tmux).`}</Text>
				<Text>{'Enlarge the window (or set the console mode); the screen redraws by itself.'}</Text>
				<Text>{'q leaves; your progress is kept.'}</Text>
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
	const {body, more} = visibleBody(model, ui.current.scroll);
	void live;
	return <Frame theme={theme} model={model} body={body} more={more} />;
}

/** The body rows a screen shows at a scroll position (live output: its end), and whether more follows. */
export function visibleBody(model: ScreenModel, scroll: number): {body: Line[]; more: boolean} {
	const rows = model.bodyRows;
	const start = model.pinned ? 0 : Math.min(scroll, Math.max(0, model.body.length - rows));
	return {
		body: model.pinned ? model.body.slice(-rows) : model.body.slice(start, start + rows),
		more: !model.pinned && start + rows < model.body.length,
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

/** Header, phases, body and footer; always model.bodyRows body rows so nothing jumps. */
export function Frame({theme, model, body, more}: {theme: Theme; model: ScreenModel; body: Line[]; more?: boolean}) {
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
			{padded.map((l, index) => (
				<Text key={index} wrap="truncate">
					{lineText(l) === '' ? ' ' : null}
					{l.map((segment, i) => (
						<Text key={i} color={theme.colorOf(segment.tone ?? 'plain')} bold={segment.tone === 'bold'}>
							{segment.text}
						</Text>
					))}
					{more && index === model.bodyRows - 1 ? <Text color={theme.colorOf('dim')}>{'  (more below)'}</Text> : null}
				</Text>
			))}
			<Text color={theme.colorOf('dim')}>{rule}</Text>
			<Text wrap="truncate">
				{model.keys.map((k, index) => (
					<Text key={k.key}>
						{index === 0 ? ' ' : '   '}
						<Text bold>{k.key}</Text>
						{` ${k.label}`}
					</Text>
				))}
			</Text>
		</Box>
	);
}
