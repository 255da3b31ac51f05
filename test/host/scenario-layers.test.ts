import {spawnSync} from 'node:child_process';
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {layerFromCache, layerKey, layerToCache, parseLayerText} from '../../source/host/scenario.ts';
import {scenarioLayers} from '../../source/scenario-layers.ts';

/*
 * The build parses the bundled scenario files and the bundle keeps their
 * layers by the SHA-256 of each file's text (source/scenario-layers.ts): a
 * kept layer must be exactly what parsing the file gives, wherever the file
 * is, and a file whose text is not the one the build saw must be parsed.
 */

const root = path.resolve('scenarios');
const bundled = readdirSync(root, {recursive: true, encoding: 'utf8'})
	.filter(name => name.endsWith('.yaml'))
	.sort()
	.map(name => path.join(root, name));
const work = mkdtempSync(path.join(os.tmpdir(), 'muw-layers-'));
afterAll(() => rmSync(work, {recursive: true, force: true}));

describe('the layers the build keeps', () => {
	it('are there for every bundled scenario file, by its text', () => {
		const layers = scenarioLayers(root);
		expect(bundled.length).toBeGreaterThan(20);
		expect(Object.keys(layers).sort()).toEqual(bundled.map(file => layerKey(readFileSync(file, 'utf8'))).sort());
	});

	it.each(bundled.map(file => [path.relative(root, file), file]))('%s: read back, the same as parsed, with this file as its place', (_, file) => {
		const text = readFileSync(file, 'utf8');
		const elsewhere = path.join(work, 'copy', path.basename(file));
		const kept = layerToCache(parseLayerText(text, '/build/scenarios/x.yaml'));
		// Strict: an undefined property, a regular expression or an origin that differs fails.
		expect(layerFromCache(kept, elsewhere)).toStrictEqual(parseLayerText(text, elsewhere));
	});

	it('leave out a file with a mistake, which is reported when loaded', () => {
		const dir = path.join(work, 'mistake');
		mkdirSync(dir, {recursive: true});
		writeFileSync(path.join(dir, 'good.yaml'), 'product: pmg\ntitle: Good\nhost: {hostname: a.example}\n');
		writeFileSync(path.join(dir, 'bad.yaml'), 'product: pmg\ntitle: Bad\nbogus: 1\n');
		expect(Object.keys(scenarioLayers(dir))).toEqual([layerKey(readFileSync(path.join(dir, 'good.yaml'), 'utf8'))]);
	});
});

describe('the built CLI', () => {
	const check = (file: string) => spawnSync(process.execPath, [path.resolve('dist/cli.js'), 'check', 'pmg', '--simulate', file], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}});

	it('parses a bundled file whose text changed since the build', () => {
		const file = path.join(work, 'edited', 'clean.yaml');
		mkdirSync(path.dirname(file), {recursive: true});
		writeFileSync(file, readFileSync(path.join(root, 'pmg/clean.yaml'), 'utf8').replace('hostname: pmg1.example.lan', 'hostname: edited.example.lan'));
		const result = check(file);
		expect(result.stdout).toMatch(/^upgrade-wizard check pmg on edited\.example\.lan \(simulated\)/);
		expect(check(path.join(root, 'pmg/clean.yaml')).stdout).toMatch(/^upgrade-wizard check pmg on pmg1\.example\.lan \(simulated\)/);
	});

	it('names the line of a mistake in a bundled file edited since the build', () => {
		const file = path.join(work, 'broken', 'clean.yaml');
		mkdirSync(path.dirname(file), {recursive: true});
		writeFileSync(file, readFileSync(path.join(root, 'pmg/clean.yaml'), 'utf8').replace(/^title:/m, 'titel:'));
		const result = check(file);
		expect(result.status).toBe(2);
		expect(result.stderr).toMatch(/clean\.yaml:\d+: titel: /);
	});
});
