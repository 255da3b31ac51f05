/**
 * For the build (source/build-plugins.mjs): every bundled scenario file
 * under a folder, parsed and checked, as source/host/scenario.ts keeps it
 * by the SHA-256 of its text. A file with a mistake is left out: the wizard
 * reports it when the file is loaded, as it reports any other.
 */
import {readdirSync, readFileSync, statSync} from 'node:fs';
import path from 'node:path';
import {layerKey, layerToCache, parseLayerText} from './host/scenario.ts';

export function scenarioLayers(root: string): Record<string, string> {
	const layers: Record<string, string> = {};
	const walk = (dir: string) => {
		for (const name of readdirSync(dir).sort()) {
			const file = path.join(dir, name);
			if (statSync(file).isDirectory()) walk(file);
			else if (/\.ya?ml$/.test(name)) {
				const text = readFileSync(file, 'utf8');
				try {
					layers[layerKey(text)] = layerToCache(parseLayerText(text, file));
				} catch {
					// Reported when loaded.
				}
			}
		}
	};
	walk(root);
	return layers;
}
