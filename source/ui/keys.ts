/**
 * The one place keys are bound. Input is split into single keys first, so a
 * burst (a fast iKVM, `tmux send-keys Down Enter`, typed-ahead answers) counts
 * key by key, each against the screen that is current at that moment.
 */
import type {OperatorEvent} from '../../machines/kit.ts';
import {freshUi, type ScreenModel, type UiState} from './screen.ts';

export type Key =
	| {name: 'enter' | 'up' | 'down' | 'pageup' | 'pagedown' | 'escape' | 'backspace' | 'ctrl-c' | 'tab'}
	| {name: 'char'; char: string};

type InkKey = {
	upArrow: boolean;
	downArrow: boolean;
	pageUp: boolean;
	pageDown: boolean;
	return: boolean;
	escape: boolean;
	backspace: boolean;
	delete: boolean;
	ctrl: boolean;
	tab: boolean;
};

/** Turn what Ink's useInput reports into single keys (a pasted or burst chunk becomes many). */
export function splitKeys(input: string, key: InkKey): Key[] {
	if (key.ctrl && input === 'c') return [{name: 'ctrl-c'}];
	if (key.upArrow) return [{name: 'up'}];
	if (key.downArrow) return [{name: 'down'}];
	if (key.pageUp) return [{name: 'pageup'}];
	if (key.pageDown) return [{name: 'pagedown'}];
	if (key.escape) return [{name: 'escape'}];
	if (key.tab) return [{name: 'tab'}];
	if ((key.backspace || key.delete) && input.length <= 1) return [{name: 'backspace'}];
	if (key.return && input.length <= 1) return [{name: 'enter'}];
	const keys: Key[] = [];
	for (const char of input) {
		if (char === '\r' || char === '\n') keys.push({name: 'enter'});
		else if (char === '\u007f' || char === '\b') keys.push({name: 'backspace'});
		else if (char === '\u0003') keys.push({name: 'ctrl-c'});
		else if (char >= ' ') keys.push({name: 'char', char});
	}
	return keys;
}

/** Keys the list takes on a choose screen (with j, k and the digits of its options). */
const LIST_KEYS = new Set<Key['name']>(['up', 'down', 'enter']);

export type KeyEffects = {
	send: (event: OperatorEvent) => void;
	/** Leave the wizard; the place is kept. */
	leave: () => void;
};

/**
 * Apply one key to the current screen. Returns the screen's new state;
 * events go to `effects.send`.
 */
export function handleKey(key: Key, model: ScreenModel, ui: UiState, effects: KeyEffects): UiState {
	const next = {...ui, message: null};
	const char = key.name === 'char' ? key.char : '';
	const accepts = model.accepts;

	// Free text (a path, a host name): kept exactly as typed; Enter on an empty line takes the default.
	if (model.view === 'input' && ui.mode === 'keys') {
		if (char === '?' && ui.text === '') return {...next, mode: 'help', scroll: 0};
		if (key.name === 'char') return {...next, text: next.text + char};
		if (key.name === 'backspace') return {...next, text: next.text.slice(0, -1)};
		if (key.name === 'escape') return {...next, text: ''};
		if (key.name === 'ctrl-c') {
			effects.leave();
			return next;
		}
		if (key.name !== 'enter') return next;
		const fallback = model.inputDefault ?? '';
		const value = next.text.trim() === '' ? fallback : next.text;
		if (value.trim() === '') return {...next, text: '', message: 'Type a value, then Enter.'};
		effects.send({type: 'operator.input', value});
		return {...next, text: ''};
	}

	// Typed text: skip reasons, overrides, confirmations.
	const typing = ui.mode === 'skip' || ui.mode === 'override' || (model.view === 'confirm' && ui.mode === 'keys');
	if (typing) {
		const confirming = ui.mode === 'keys';
		// No confirmation word starts with "?": on an empty line it shows why.
		if (confirming && char === '?' && next.text === '') return {...next, mode: 'help', scroll: 0};
		// Letters are text here, so skipping a confirmation is on Tab.
		if (confirming && key.name === 'tab' && accepts.has('operator.skip')) return {...next, mode: 'skip', text: ''};
		if (key.name === 'char') return {...next, text: next.text + char};
		if (key.name === 'backspace') return {...next, text: next.text.slice(0, -1)};
		if (key.name === 'escape') {
			return ui.mode === 'keys' ? {...next, text: ''} : {...next, mode: 'keys', text: ''};
		}
		if (key.name === 'ctrl-c') {
			effects.leave();
			return next;
		}
		if (key.name !== 'enter') return next;
		const text = next.text.trim();
		if (ui.mode === 'skip') {
			if (text === '') return {...next, message: 'A skip needs a reason: type why, then Enter (Esc cancels).'};
			effects.send({type: 'operator.skip', reason: text});
			return {...next, mode: 'keys', text: ''};
		}
		if (ui.mode === 'override') {
			const word = model.meta.override?.word ?? '';
			if (text.toLowerCase() !== word.toLowerCase()) return {...next, message: `Type exactly "${word}" to override, or Esc.`};
			effects.send({type: 'operator.override', text});
			return {...next, mode: 'keys', text: ''};
		}
		const word = model.screenMeta.confirm?.word ?? '';
		if (text.toLowerCase() !== word.toLowerCase()) return {...next, text: '', message: `Type exactly "${word}" and press Enter.`};
		effects.send({type: 'operator.confirm', text});
		return {...next, text: ''};
	}

	if (ui.mode === 'help') {
		if (key.name === 'escape' || char === '?' || char === 'q' || key.name === 'enter') return {...next, mode: 'keys', scroll: 0};
		return scroll(key, next, model);
	}

	if (ui.mode === 'leave') {
		// Only a plain y leaves; anything else (Enter too) lets the command finish here.
		if (char === 'y' || char === 'Y') effects.leave();
		return {...next, mode: 'keys'};
	}

	if (key.name === 'ctrl-c' || char === 'q') {
		if (model.view === 'running') return {...next, mode: 'leave'};
		effects.leave();
		return next;
	}
	if (char === '?') return {...next, mode: 'help', scroll: 0};
	// The detail view: long lines wrapped in full, or cut at the edge again. The
	// body changes length, so it is read from its top again.
	if (char === 'w') return {...next, wrap: !ui.wrap, scroll: 0, seen: 0};

	if (model.view === 'choose') {
		// The list (ink-select-input, see App) moves on Up/Down and j/k, picks
		// on Enter and on the digit of an option; the screen keeps the
		// highlighted row. Here: a digit that names no option says so.
		if (/^[1-9]$/.test(char) && Number(char) > model.options.length) return {...next, message: `There is no choice ${char}.`};
		if (LIST_KEYS.has(key.name) || char === 'j' || char === 'k' || /^[1-9]$/.test(char)) return ui;
		return next;
	}

	if (key.name === 'enter' && accepts.has('operator.continue')) {
		effects.send({type: 'operator.continue'});
		return next;
	}
	if (char === 's' && accepts.has('operator.skip')) return {...next, mode: 'skip', text: ''};
	if (char === 'r') {
		if (accepts.has('operator.recheck')) effects.send({type: 'operator.recheck'});
		else if (accepts.has('operator.retry')) effects.send({type: 'operator.retry'});
		return next;
	}
	if (char === 'f' && accepts.has('operator.fix')) {
		effects.send({type: 'operator.fix'});
		return next;
	}
	if (char === 'o' && accepts.has('operator.override')) return {...next, mode: 'override', text: ''};
	if (char === 'c' && model.view === 'blocked' && accepts.has('operator.choose')) {
		effects.send({type: 'operator.choose', value: 'yes'});
		return next;
	}
	return scroll(key, next, model);
}

function scroll(key: Key, ui: UiState, model: ScreenModel): UiState {
	const max = Math.max(0, model.body.length - model.bodyRows);
	const char = key.name === 'char' ? key.char : '';
	let offset = ui.scroll;
	if (key.name === 'down' || char === 'j') offset += 1;
	else if (key.name === 'up' || char === 'k') offset -= 1;
	else if (key.name === 'pagedown' || char === ' ') offset += model.bodyRows - 2;
	else if (key.name === 'pageup') offset -= model.bodyRows - 2;
	else return ui;
	const at = Math.min(max, Math.max(0, offset));
	return {...ui, scroll: at, seen: Math.max(ui.seen, at)};
}

/** Environment variable: how long (ms) a screen that runs something is on the terminal before its Enter counts. */
export const SETTLE_VARIABLE = 'UPGRADE_WIZARD_SETTLE_MS';
/** A moment to read what a screen will run before Enter runs it. */
export const SETTLE_MS = 700;
/**
 * No key that acts counts within this long after its screen was drawn: it
 * was pressed for the screen before (no one reads and answers a new screen
 * that fast).
 */
export const GLANCE_MS = 150;

/** The settle time: UPGRADE_WIZARD_SETTLE_MS when it is a number of milliseconds, else SETTLE_MS. */
export function settleTime(env: NodeJS.ProcessEnv = process.env): number {
	const value = env[SETTLE_VARIABLE];
	return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value) : SETTLE_MS;
}

/** Whether the event runs commands or changes files on the host. */
export function runsSomething(event: OperatorEvent, model: ScreenModel): boolean {
	if (event.type === 'operator.continue') return model.runs;
	if (event.type === 'operator.retry' || event.type === 'operator.fix') return true;
	return event.type === 'operator.choose' && model.view === 'blocked';
}

/**
 * Why an event from a key may not act on the screen on the terminal yet, or
 * null when it may: the screen has been shown `shownMs` ms.
 */
export function refusal(event: OperatorEvent, model: ScreenModel, shownMs: number, settleMs: number): string | null {
	const runs = runsSomething(event, model);
	if (shownMs < (runs ? settleMs : Math.min(settleMs, GLANCE_MS))) {
		return runs ? 'key ignored: read the screen first, Enter counts in a moment' : 'key ignored: the screen had just changed; read it first';
	}
	if (runs && event.type === 'operator.continue' && model.unread > 0) {
		return `Enter ignored: read to the end first (PgDn/Space, ${model.unread} more ${model.unread === 1 ? 'line' : 'lines'})`;
	}
	return null;
}

export {freshUi};
