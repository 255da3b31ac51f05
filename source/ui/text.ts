/** Plain-text layout helpers: the screen is built as lines that fit 80 columns. */
import type {Tone} from './theme.ts';

export type Segment = {text: string; tone?: Tone};
/** One screen line: segments of text, each with a tone. */
export type Line = Segment[];

export const line = (text: string, tone?: Tone): Line => [{text, ...(tone ? {tone} : {})}];
export const blank: Line = [{text: ''}];
export const lineText = (l: Line) => l.map(s => s.text).join('');

/** Wrap a paragraph at word boundaries; a word longer than the width is cut. */
export function wrap(text: string, width: number, indent = ''): string[] {
	const out: string[] = [];
	for (const paragraph of text.split('\n')) {
		let current = '';
		for (const word of paragraph.split(/\s+/).filter(Boolean)) {
			if (current === '') current = indent + word;
			else if (current.length + 1 + word.length <= width) current += ` ${word}`;
			else {
				out.push(current);
				current = indent + word;
			}
			while (current.length > width) {
				out.push(current.slice(0, width));
				current = indent + current.slice(width);
			}
		}
		out.push(current);
	}
	return out;
}

/**
 * Break a command line for display without changing it: lines break at one
 * space (dropped), so joining them with single spaces gives the text back.
 * A run without spaces longer than the width is cut where it must be.
 */
export function wrapExact(text: string, width: number): string[] {
	const out: string[] = [];
	let rest = text;
	while (rest.length > width) {
		const space = rest.lastIndexOf(' ', width);
		if (space > 0) {
			out.push(rest.slice(0, space));
			rest = rest.slice(space + 1);
		} else {
			out.push(rest.slice(0, width));
			rest = rest.slice(width);
		}
	}
	out.push(rest);
	return out;
}

/** Cut a line to the width, marking the cut. */
export function fit(text: string, width: number): string {
	return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}~`;
}

/** A count with thousands separated by commas (200,000): without Intl, whose first number format costs ICU's set-up. */
export const count = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export function clock(ms: number): string {
	const s = Math.max(0, Math.floor(ms / 1000));
	const pad = (n: number) => String(n).padStart(2, '0');
	return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}
