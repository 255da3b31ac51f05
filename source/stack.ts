/**
 * A stack trace of the minified bundle (dist/wizard.cjs), with each place in
 * it replaced by the place in the sources, from the bundle's source map
 * (dist/wizard.cjs.map) when it is there: for the message of an unexpected
 * error, read by whoever is asked to fix it. Without a map (run from the
 * sources, or the map not copied), the trace as it is.
 */
import {readFileSync} from 'node:fs';
import {SourceMap} from 'node:module';
import path from 'node:path';

export function readableStack(stack: string, bundle: string): string {
	let map: SourceMap;
	try {
		map = new SourceMap(JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
	} catch {
		return stack;
	}
	const place = new RegExp(`${bundle.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:(\\d+):(\\d+)`, 'g');
	return stack.replace(place, (whole, line: string, column: string) => {
		const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as {originalSource?: string; originalLine?: number; originalColumn?: number};
		if (entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return whole;
		// The map names sources relative to itself (dist/): shown from the folder dist/ is in
		// (source/host/scenario.ts), or in full when they are elsewhere.
		const file = path.resolve(path.dirname(bundle), entry.originalSource);
		const fromRoot = path.relative(path.dirname(path.dirname(bundle)), file);
		return `${fromRoot.startsWith('..') ? file : fromRoot}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
	});
}
