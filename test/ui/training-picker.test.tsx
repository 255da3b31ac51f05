import {render} from 'ink-testing-library';
import {describe, expect, it} from 'vitest';
import {listRows, pickerKey, TrainingPickerView, type PickerItem} from '../../source/ui/TrainingPicker.tsx';
import {makeTheme} from '../../source/ui/theme.ts';
import {feedKeys} from './key-feed.ts';

const items: PickerItem[] = Array.from({length: 30}, (_, i) => ({
	name: `scenario-${i + 1}`,
	difficulty: i % 2 ? 'medium' : 'easy',
	title: `pmg: title ${i + 1}`,
	whatGoesWrong: `What goes wrong in number ${i + 1}. `.repeat(i === 4 ? 30 : 1).trim(),
}));

const tick = () => new Promise(resolve => setTimeout(resolve, 0));

describe('the training list', () => {
	it('scrolls to keep the highlighted scenario on screen, and a number jumps to it', () => {
		const rows = 24;
		let state = {index: 0, top: 0, typed: '', done: false};
		const press = (key: Parameters<typeof pickerKey>[1]) => {
			const next = pickerKey(state, key, items.length, rows);
			state = next.state;
			return next.chosen;
		};
		for (let i = 0; i < listRows(rows); i++) press({name: 'down'});
		expect(state.index).toBe(listRows(rows));
		expect(state.top).toBe(1);
		press({name: 'char', char: '2'});
		press({name: 'char', char: '5'});
		expect(state.index).toBe(24);
		expect(state.top).toBeLessThanOrEqual(24);
		expect(state.top + listRows(rows)).toBeGreaterThan(24);
		press({name: 'pageup'});
		press({name: 'pageup'});
		press({name: 'pageup'});
		expect(state).toMatchObject({index: 0, top: 0});
		press({name: 'up'});
		expect(state.index).toBe(0);
		expect(press({name: 'enter'})).toBe(0);
		expect(press({name: 'down'})).toBeUndefined();
	});

	it('q and Escape leave without a choice', () => {
		for (const key of [{name: 'char', char: 'q'}, {name: 'escape'}] as const) {
			expect(pickerKey({index: 3, top: 0, typed: '', done: false}, key, items.length, 24).chosen).toBeNull();
		}
	});

	it('draws 24 rows at most, within 80 columns, with the highlighted one\'s description and "more below"', async () => {
		let chosen: number | null | undefined;
		const {lastFrame, stdin} = render(<TrainingPickerView items={items} theme={makeTheme({NO_COLOR: '1', TERM: 'linux'})} onDone={c => (chosen = c)} />);
		await tick();
		const frame = lastFrame()!;
		const lines = frame.split('\n');
		expect(lines.length).toBeLessThanOrEqual(24);
		for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
		expect(frame).toContain('[>]  1. scenario-1');
		expect(frame).toContain('(more below)');
		expect(frame).toContain('What goes wrong in number 1.');
		// A long description is cut with a pointer to where it is whole.
		for (let i = 0; i < 4; i++) {
			stdin.write('\u001B[B');
			await tick();
			await tick();
		}
		expect(lastFrame()).toContain('(the whole text: on the next screen)');
		stdin.write('\r');
		await tick();
		await tick();
		expect(chosen).toBe(4);
	});

	it('a burst in one write counts key by key: Down Down Enter starts the third; numbers jump, two digits too; Up on the first goes to the last', async () => {
		const until = async (ok: () => boolean) => {
			for (let i = 0; i < 200 && !ok(); i++) await new Promise(resolve => setTimeout(resolve, 10));
			expect(ok()).toBe(true);
		};
		const theme = makeTheme({NO_COLOR: '1', TERM: 'linux'});
		let chosen: number | null | undefined;
		const first = render(<TrainingPickerView items={items} theme={theme} onDone={c => (chosen = c)} />);
		const type = feedKeys(first.stdin);
		await until(() => (first.lastFrame() ?? '').includes('[>]  1. scenario-1 '));
		type('\u001B[B\u001B[B\r');
		await until(() => chosen !== undefined);
		expect(chosen).toBe(2);
		first.unmount();

		chosen = undefined;
		const second = render(<TrainingPickerView items={items} theme={theme} onDone={c => (chosen = c)} />);
		const typeAgain = feedKeys(second.stdin);
		await until(() => (second.lastFrame() ?? '').includes('[>]  1. scenario-1 '));
		// 1 then 2: number 12, highlighted, not started (the list would pick on a digit).
		typeAgain('12');
		await until(() => (second.lastFrame() ?? '').includes('[>] 12. scenario-12'));
		expect(chosen).toBeUndefined();
		// Then Up from number 1 goes round to the last, which scrolls into view.
		typeAgain('1');
		await until(() => (second.lastFrame() ?? '').includes('[>]  1. scenario-1 '));
		typeAgain('\u001B[A');
		await until(() => (second.lastFrame() ?? '').includes('[>] 30. scenario-30'));
		expect(second.lastFrame()).toContain('(more above)');
		expect(second.lastFrame()).toContain('What goes wrong in number 30.');
		typeAgain('\r');
		await until(() => chosen !== undefined);
		expect(chosen).toBe(29);
		second.unmount();
	});
});
