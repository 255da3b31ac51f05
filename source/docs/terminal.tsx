/**
 * A screen exactly as a terminal shows it: the wizard's own Frame (Ink)
 * renders the screen model to the bytes it writes to a terminal; those go
 * into a real terminal emulator (xterm.js, headless) of 80x24; the
 * emulator's cells (characters, colours, bold) become an SVG image.
 */
import xterm from '@xterm/headless';
import chalk from 'chalk';
import {renderToString} from 'ink';
import React from 'react';
import {Frame, visibleBody} from '../ui/App.tsx';
import type {ScreenModel} from '../ui/screen.ts';
import {makeTheme} from '../ui/theme.ts';

export const COLUMNS = 80;
export const ROWS = 24;

/** A terminal with colours and UTF-8, as on an SSH session or a desktop terminal. */
export const DOCS_THEME = makeTheme({TERM: 'xterm-256color', LANG: 'C.UTF-8'});

/** What the wizard writes to the terminal for this screen (ANSI colours, bold). */
export function screenBytes(model: ScreenModel): string {
	const {body, more} = visibleBody(model, 0);
	// Colour must not depend on whether this process has a terminal: 16 colours, always.
	const level = chalk.level;
	chalk.level = 1;
	try {
		return renderToString(<Frame theme={DOCS_THEME} model={model} body={body} more={more} />, {columns: COLUMNS});
	} finally {
		chalk.level = level;
	}
}

/** One cell of the emulator's screen. */
export type Cell = {char: string; width: number; fg: number | null; bg: number | null; bold: boolean; dim: boolean; inverse: boolean};

/** The emulator's screen after it received the bytes: ROWS rows of COLUMNS cells. */
export async function emulate(bytes: string): Promise<Cell[][]> {
	// convertEol: a terminal's line discipline turns "\n" into "\r\n" (onlcr).
	const terminal = new xterm.Terminal({cols: COLUMNS, rows: ROWS, convertEol: true, allowProposedApi: true, scrollback: 0});
	try {
		await new Promise<void>(resolve => terminal.write(bytes, resolve));
		const buffer = terminal.buffer.active;
		const rows: Cell[][] = [];
		for (let y = 0; y < ROWS; y++) {
			const line = buffer.getLine(buffer.viewportY + y);
			const cells: Cell[] = [];
			for (let x = 0; x < COLUMNS; x++) {
				const cell = line?.getCell(x);
				if (!cell) {
					cells.push({char: ' ', width: 1, fg: null, bg: null, bold: false, dim: false, inverse: false});
					continue;
				}
				cells.push({
					char: cell.getChars() || (cell.getWidth() === 0 ? '' : ' '),
					width: cell.getWidth(),
					fg: cell.isFgDefault() ? null : cell.isFgPalette() ? cell.getFgColor() : 0x1000000 + cell.getFgColor(),
					bg: cell.isBgDefault() ? null : cell.isBgPalette() ? cell.getBgColor() : 0x1000000 + cell.getBgColor(),
					bold: cell.isBold() !== 0,
					dim: cell.isDim() !== 0,
					inverse: cell.isInverse() !== 0,
				});
			}
			rows.push(cells);
		}
		return rows;
	} finally {
		terminal.dispose();
	}
}

/** The text of each row, as the terminal shows it (trailing spaces dropped). */
export const rowsText = (cells: Cell[][]) => cells.map(row => row.map(c => c.char).join('').replace(/\s+$/, ''));

/* A dark terminal with the usual 16 colours (the xterm defaults, softened a little). */
const PALETTE = [
	'#1e1e1e', '#cd3131', '#0dbc79', '#e5e510', '#2472c8', '#bc3fbc', '#11a8cd', '#e5e5e5',
	'#8a8a8a', '#f14c4c', '#23d18b', '#f5f543', '#3b8eea', '#d670d6', '#29b8db', '#ffffff',
];
const FOREGROUND = '#d4d4d4';
const BACKGROUND = '#1e1e1e';
const CELL_WIDTH = 9;
const CELL_HEIGHT = 18;
const FONT_SIZE = 15;
const PAD = 8;

function colour(index: number | null, fallback: string): string {
	if (index === null) return fallback;
	if (index >= 0x1000000) return `#${(index - 0x1000000).toString(16).padStart(6, '0')}`;
	if (index < 16) return PALETTE[index]!;
	if (index >= 232) {
		const v = (8 + (index - 232) * 10).toString(16).padStart(2, '0');
		return `#${v}${v}${v}`;
	}
	const n = index - 16;
	const step = (c: number) => (c === 0 ? 0 : 55 + c * 40).toString(16).padStart(2, '0');
	return `#${step(Math.floor(n / 36))}${step(Math.floor(n / 6) % 6)}${step(n % 6)}`;
}

const escapeXml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

type Style = {fg: string; bg: string | null; bold: boolean; dim: boolean};

function styleOf(cell: Cell): Style {
	let fg = colour(cell.fg, FOREGROUND);
	let bg = cell.bg === null ? null : colour(cell.bg, BACKGROUND);
	if (cell.inverse) [fg, bg] = [bg ?? BACKGROUND, fg];
	return {fg, bg, bold: cell.bold, dim: cell.dim};
}

const sameStyle = (a: Style, b: Style) => a.fg === b.fg && a.bg === b.bg && a.bold === b.bold && a.dim === b.dim;

/**
 * The screen as an SVG image: one text run per stretch of cells with the
 * same style, each placed on its cell grid (textLength keeps the columns
 * whatever monospace font the viewer has). `title` names the screen.
 */
export function toSvg(cells: Cell[][], title: string): string {
	const width = COLUMNS * CELL_WIDTH + 2 * PAD;
	const height = ROWS * CELL_HEIGHT + 2 * PAD;
	const backgrounds: string[] = [];
	const texts: string[] = [];
	cells.forEach((row, y) => {
		let x = 0;
		while (x < row.length) {
			const style = styleOf(row[x]!);
			let end = x + 1;
			while (end < row.length && sameStyle(styleOf(row[end]!), style)) end++;
			const run = row.slice(x, end);
			const columns = run.reduce((n, c) => n + (c.width === 0 ? 0 : c.width), 0);
			const left = PAD + x * CELL_WIDTH;
			const top = PAD + y * CELL_HEIGHT;
			if (style.bg) backgrounds.push(`<rect x="${left}" y="${top}" width="${columns * CELL_WIDTH}" height="${CELL_HEIGHT}" fill="${style.bg}"/>`);
			// Spaces around the text are drawn by the background alone: only the text is placed.
			const text = run.map(c => c.char).join('');
			const trimmed = text.trim();
			if (trimmed !== '') {
				const lead = text.length - text.trimStart().length;
				const attributes = [
					`x="${left + lead * CELL_WIDTH}"`,
					`y="${top + CELL_HEIGHT - 5}"`,
					`textLength="${(columns - lead - (text.length - text.trimEnd().length)) * CELL_WIDTH}"`,
					'lengthAdjust="spacingAndGlyphs"',
					...(style.fg === FOREGROUND ? [] : [`fill="${style.fg}"`]),
					...(style.bold ? ['font-weight="bold"'] : []),
					...(style.dim ? ['opacity="0.6"'] : []),
				];
				texts.push(`<text ${attributes.join(' ')}>${escapeXml(trimmed)}</text>`);
			}
			x = end;
		}
	});
	return [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(title)}">`,
		`<title>${escapeXml(title)}</title>`,
		`<rect width="${width}" height="${height}" rx="6" fill="${BACKGROUND}"/>`,
		...backgrounds,
		`<g font-family="'DejaVu Sans Mono', 'Menlo', 'Consolas', monospace" font-size="${FONT_SIZE}" fill="${FOREGROUND}" xml:space="preserve">`,
		...texts,
		'</g>',
		'</svg>',
		'',
	].join('\n');
}

/** The text an SVG made by toSvg shows, row by row, placed by its coordinates (for tests and checks). */
export function svgText(svg: string): string[] {
	const rows: string[][] = Array.from({length: ROWS}, () => Array.from({length: COLUMNS}, () => ' '));
	const unescape = (t: string) => t.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&amp;', '&');
	for (const match of svg.matchAll(/<text x="(\d+)" y="(\d+)"[^>]*>([^<]*)<\/text>/g)) {
		const column = (Number(match[1]) - PAD) / CELL_WIDTH;
		const row = (Number(match[2]) + 5 - PAD - CELL_HEIGHT) / CELL_HEIGHT;
		[...unescape(match[3]!)].forEach((char, i) => {
			if (rows[row]) rows[row]![column + i] = char;
		});
	}
	return rows.map(r => r.join('').replace(/\s+$/, ''));
}
