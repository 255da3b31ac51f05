import {describe, expect, it} from 'vitest';
import type {OperatorEvent} from '../../machines/kit.ts';
import {pmgUpgradeMachine, type PmgContext} from '../../machines/pmg-8-to-9.ts';
import {OutputBuffer} from '../../source/runtime/output.ts';
import {handleKey, splitKeys, type Key} from '../../source/ui/keys.ts';
import {freshUi, screenModel, type UiState} from '../../source/ui/screen.ts';

const context: PmgContext = {startedAt: 0, facts: {}, status: {}, lastRun: null, error: null, choices: {}, confirmations: {}};
const model = (value: Record<string, string>) =>
	screenModel({
		machine: pmgUpgradeMachine() as never,
		snapshot: pmgUpgradeMachine().resolveState({value, context}) as never,
		ui: freshUi(''),
		output: new OutputBuffer().snapshot(),
		hostLabel: '',
	});

const noKey = {upArrow: false, downArrow: false, pageUp: false, pageDown: false, return: false, escape: false, backspace: false, delete: false, ctrl: false, tab: false};

function press(keys: Key[], value: Record<string, string>) {
	const sent: OperatorEvent[] = [];
	let left = false;
	let ui: UiState = freshUi('');
	const m = model(value);
	for (const key of keys) ui = handleKey(key, m, ui, {send: e => sent.push(e), leave: () => (left = true)});
	return {sent, ui, left: () => left};
}

const chars = (text: string): Key[] => [...text].map(char => ({name: 'char', char}));

describe('keys', () => {
	it('splits a burst into single keys, Enter and typed letters included', () => {
		expect(splitKeys('stored\r', noKey)).toEqual([...chars('stored'), {name: 'enter'}]);
		expect(splitKeys('2\r', noKey)).toEqual([{name: 'char', char: '2'}, {name: 'enter'}]);
	});

	it('on a confirmation, letters are typed (s and q too), Tab skips with a reason, ? on an empty line explains', () => {
		const typed = press([...chars('sq'), {name: 'enter'}], {purgePostgres: 'confirm'});
		expect(typed.left()).toBe(false);
		expect(typed.sent).toEqual([]);
		expect(typed.ui.message).toBe('Type exactly "works" and press Enter.');

		const skipped = press([{name: 'tab'}, ...chars('purge next week'), {name: 'enter'}], {purgePostgres: 'confirm'});
		expect(skipped.sent).toEqual([{type: 'operator.skip', reason: 'purge next week'}]);

		expect(press(chars('?'), {purgePostgres: 'confirm'}).ui.mode).toBe('help');
		expect(press([...chars('works'), {name: 'enter'}], {purgePostgres: 'confirm'}).sent).toEqual([{type: 'operator.confirm', text: 'works'}]);
	});

	it('while a command runs, q or Ctrl-C asks first; only y leaves, and the default is to stay', () => {
		const asked = press(chars('q'), {updateCurrent: 'running'});
		expect(asked.left()).toBe(false);
		expect(asked.ui.mode).toBe('leave');
		expect(press([{name: 'ctrl-c'}, {name: 'enter'}], {updateCurrent: 'running'}).left()).toBe(false);
		expect(press([...chars('q'), ...chars('n')], {updateCurrent: 'running'}).ui.mode).toBe('keys');
		expect(press([...chars('q'), ...chars('y')], {updateCurrent: 'running'}).left()).toBe(true);
		expect(press(chars('q'), {updateCurrent: 'review'}).left()).toBe(true);
		// The question is on screen, under the command's output.
		const m = screenModel({
			machine: pmgUpgradeMachine() as never,
			snapshot: pmgUpgradeMachine().resolveState({value: {updateCurrent: 'running'}, context}) as never,
			ui: asked.ui,
			output: new OutputBuffer().snapshot(),
			hostLabel: '',
		});
		expect(m.body.map(l => l.map(x => x.text).join('')).join('\n')).toContain('It is not stopped if you leave');
		expect(m.keys.map(k => k.key)).toEqual(['y', 'other key']);
	});

	it('on a list, moves and picks are the list\'s (ink-select-input, see app.test.tsx); a digit with no option says so', () => {
		for (const keys of [chars('2'), [{name: 'down'}, {name: 'enter'}] as Key[], chars('jk')]) {
			const listed = press(keys, {systemdBoot: 'decide'});
			expect(listed.sent).toEqual([]);
			expect(listed.ui).toEqual(freshUi(''));
		}
		const none = press(chars('7'), {systemdBoot: 'decide'});
		expect(none.sent).toEqual([]);
		expect(none.ui.message).toBe('There is no choice 7.');
	});
});
