/**
 * The list of training scenarios as one 80x24 screen: the scenarios in a
 * window that scrolls, the highlighted one's "what goes wrong" below it,
 * keys at the bottom. A printed list of every description would scroll the
 * top off a console's 24 rows before the question is asked.
 */
import {Box, render, Text, useApp, useInput, useStdout} from 'ink';
import SelectInput from 'ink-select-input';
import {useEffect, useReducer} from 'react';
import {KeyStream, useKeyIntercept, useKeysSettled} from './key-stream.ts';
import {splitKeys, type Key} from './keys.ts';
import {fit, wrap} from './text.ts';
import {makeTheme, type Theme} from './theme.ts';

const WIDTH = 80;
/** Rows besides the list: title, rule, column heads, rule, label, description, rule, keys. */
const DESCRIPTION_ROWS = 6;
const FIXED_ROWS = 6 + DESCRIPTION_ROWS;

export type PickerItem = {name: string; difficulty: string; title: string; whatGoesWrong: string};

type PickerState = {index: number; top: number; typed: string; done: boolean};

/** How many scenarios the list shows at once on a terminal of `rows` rows (tmux's status line leaves 23). */
export const listRows = (rows: number) => Math.max(3, Math.min(rows, 24) - FIXED_ROWS);

/** One key against the list: the new state, and the choice when one was made (null: leave). */
export function pickerKey(state: PickerState, key: Key, count: number, rows: number): {state: PickerState; chosen?: number | null} {
	const visible = listRows(rows);
	const move = (index: number): PickerState => moveTo(state, index, count, rows);
	if (state.done) return {state};
	switch (key.name) {
		case 'up':
			return {state: move(state.index - 1)};
		case 'down':
			return {state: move(state.index + 1)};
		case 'pageup':
			return {state: move(state.index - visible)};
		case 'pagedown':
			return {state: move(state.index + visible)};
		case 'enter':
			return {state: {...state, done: true}, chosen: state.index};
		case 'escape':
		case 'ctrl-c':
			return {state: {...state, done: true}, chosen: null};
		case 'backspace':
			return {state: {...state, typed: state.typed.slice(0, -1)}};
		case 'char': {
			if (key.char === 'q') return {state: {...state, done: true}, chosen: null};
			if (key.char === 'k') return {state: move(state.index - 1)};
			if (key.char === 'j') return {state: move(state.index + 1)};
			if (/\d/.test(key.char)) {
				// Digits jump to that number; a second digit within range makes it two-digit.
				const typed = Number(state.typed + key.char) <= count ? state.typed + key.char : key.char;
				const target = Number(typed);
				if (target < 1 || target > count) return {state: {...state, typed: ''}};
				return {state: {...move(target - 1), typed}};
			}
			return {state};
		}
		default:
			return {state};
	}
}

/** What moves the list besides a key: ink-select-input's highlight and pick. */
type PickerAction = Key | {name: 'highlight'; index: number} | {name: 'choose'; index: number};

/** One row of the list as ink-select-input hands it over: drawn only while in the window. */
type PickerRow = {key: string; label: string; value: string; text: (marked: boolean) => string; shown: boolean; theme: Theme};

function PickerRowView({isSelected, text, shown, theme}: Partial<PickerRow> & {isSelected?: boolean}) {
	if (!shown || !text) return null;
	return (
		<Text wrap="truncate" bold={isSelected} color={theme!.colorOf(isSelected ? 'accent' : 'plain')}>
			{text(Boolean(isSelected))}
		</Text>
	);
}

const NoIndicator = () => null;

function Picker({items, theme, onDone}: {items: PickerItem[]; theme: Theme; onDone: (chosen: number | null) => void}) {
	const {exit} = useApp();
	const {stdout} = useStdout();
	const rows = stdout.rows || 24;
	// The reducer stays pure (React may run it during render); leaving is an effect of the state it ends in.
	// `jumps` counts moves the list did not make itself (a number, a page): the list starts again there.
	const [state, dispatch] = useReducer(
		(current: PickerState & {chosen: number | null; jumps: number}, action: PickerAction) => {
			if (current.done) return current;
			if (action.name === 'choose') return {...current, done: true, chosen: action.index};
			if (action.name === 'highlight') return {...current, ...moveTo(current, action.index, items.length, rows)};
			const next = pickerKey(current, action, items.length, rows);
			const jumped = next.state.index !== current.index;
			return {...next.state, chosen: next.chosen === undefined ? current.chosen : next.chosen, jumps: current.jumps + (jumped ? 1 : 0)};
		},
		{index: 0, top: 0, typed: '', done: false, chosen: null, jumps: 0},
	);
	useEffect(() => {
		if (!state.done) return;
		onDone(state.chosen);
		exit();
	}, [state.done]);
	useKeysSettled();
	// Numbers jump (a second digit makes it two-digit): taken before Ink, where the list would pick on a digit.
	useKeyIntercept(raw => {
		if (!/^\d$/.test(raw) && raw !== '\u007f' && raw !== '\b') return false;
		dispatch(raw === '\u007f' || raw === '\b' ? {name: 'backspace'} : {name: 'char', char: raw});
		return true;
	});
	useInput((input, inkKey) => {
		// Up/Down, j/k and Enter are the list's (ink-select-input); pages, leaving and numbers are here.
		for (const key of splitKeys(input, inkKey)) {
			if (key.name === 'up' || key.name === 'down' || key.name === 'enter') continue;
			if (key.name === 'char' && (key.char === 'j' || key.char === 'k')) continue;
			dispatch(key);
		}
	});
	const visible = listRows(rows);
	const current = items[state.index]!;
	const description = wrap(current.whatGoesWrong, WIDTH - 2);
	const cut = description.length > DESCRIPTION_ROWS - 1;
	const descriptionLines = cut ? [...description.slice(0, DESCRIPTION_ROWS - 2), '(the whole text: on the next screen)'] : description;
	while (descriptionLines.length < DESCRIPTION_ROWS - 1) descriptionLines.push('');
	const rule = theme.rule.repeat(WIDTH);
	const above = state.top > 0;
	const below = state.top + visible < items.length;
	const listItems: PickerRow[] = items.map((item, index) => ({
		key: String(index),
		label: item.name,
		value: String(index),
		shown: index >= state.top && index < state.top + visible,
		text: marked => fit(`${marked ? '[>]' : '   '}${String(index + 1).padStart(3)}. ${item.name.padEnd(24)} ${item.difficulty.padEnd(7)} ${item.title}`, WIDTH - 1),
		theme,
	}));
	const blankRows = Math.max(0, visible - (Math.min(items.length, state.top + visible) - state.top));
	return (
		<Box flexDirection="column" width={WIDTH}>
			<Text bold wrap="truncate">
				{' Training: the wizard on a simulated host; nothing on this machine changes'}
			</Text>
			<Text color={theme.colorOf('dim')}>{rule}</Text>
			<Text color={theme.colorOf('dim')} wrap="truncate">
				{fit(`       scenario                 level   title${above ? '   (more above)' : ''}`, WIDTH - 1)}
			</Text>
			<SelectInput
				key={`jump:${state.jumps}`}
				items={listItems}
				initialIndex={state.index}
				indicatorComponent={NoIndicator}
				itemComponent={PickerRowView as never}
				onHighlight={item => dispatch({name: 'highlight', index: Number(item.value)})}
				onSelect={item => dispatch({name: 'choose', index: Number(item.value)})}
			/>
			{Array.from({length: blankRows}, (_, offset) => (
				<Text key={`blank${offset}`}> </Text>
			))}
			<Text color={theme.colorOf('dim')} wrap="truncate">
				{below ? `${rule.slice(0, WIDTH - 16)} (more below) -` : rule}
			</Text>
			<Text bold wrap="truncate">{fit(` ${current.title}. What goes wrong:`, WIDTH - 1)}</Text>
			{descriptionLines.map((l, offset) => (
				<Text key={offset} wrap="truncate">{` ${l}` || ' '}</Text>
			))}
			<Text color={theme.colorOf('dim')}>{rule}</Text>
			<Text wrap="truncate">{' Up/Down or number choose   Enter start   q leave'}</Text>
		</Box>
	);
}

/** The list with `index` highlighted, scrolled so that it is in view. */
function moveTo(state: PickerState, index: number, count: number, rows: number): PickerState {
	const visible = listRows(rows);
	const clamped = Math.max(0, Math.min(count - 1, index));
	const top = clamped < state.top ? clamped : clamped >= state.top + visible ? clamped - visible + 1 : state.top;
	return {...state, index: clamped, top, typed: ''};
}

/** Show the picker on the terminal until the operator starts one (its index) or leaves (null). */
export async function pickTraining(items: PickerItem[]): Promise<number | null> {
	let chosen: number | null = null;
	// The terminal, one key per write (see key-stream.ts).
	const keys = new KeyStream(process.stdin);
	const instance = render(<Picker items={items} theme={makeTheme()} onDone={c => (chosen = c)} />, {
		exitOnCtrlC: false,
		patchConsole: false,
		stdin: keys as unknown as NodeJS.ReadStream,
	});
	await instance.waitUntilExit();
	instance.unmount();
	keys.destroy();
	// The wizard draws next from the top of a clean screen (ink would start below the list).
	if (process.stdout.isTTY) process.stdout.write('\u001B[2J\u001B[H');
	return chosen;
}

export {Picker as TrainingPickerView};
