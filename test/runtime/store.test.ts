import {mkdtempSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {StateStore} from '../../source/runtime/store.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'muw-store-'));
afterAll(() => rmSync(root, {recursive: true, force: true}));
let n = 0;
const fresh = async (product = 'pmg', version = 1) => {
	const store = new StateStore(path.join(root, String(n++)), product, version);
	await store.prepare();
	return store;
};

describe('the saved place', () => {
	it('round-trips a snapshot in a 0700 directory, file 0600', async () => {
		const store = await fresh();
		await store.save({value: {backup: 'choose'}, context: {}});
		const loaded = await store.load();
		expect(loaded.kind).toBe('ok');
		expect(loaded.kind === 'ok' && loaded.saved.snapshot).toEqual({value: {backup: 'choose'}, context: {}});
		expect(statSync(store.dir).mode & 0o777).toBe(0o700);
		expect(statSync(store.file).mode & 0o777).toBe(0o600);
	});

	it('keeps a damaged file aside and says why', async () => {
		const store = await fresh();
		writeFileSync(store.file, '{"format":1,"snap');
		const loaded = await store.load(new Date('2026-11-22T10:00:00Z'));
		expect(loaded.kind).toBe('unusable');
		if (loaded.kind !== 'unusable') return;
		expect(loaded.reason).toContain('not valid JSON');
		expect(readdirSync(store.dir)).toContain(path.basename(loaded.keptAs));
		expect((await store.load()).kind).toBe('none');
	});

	it('does not load a state of another product or another version of the steps', async () => {
		const other = await fresh('vmm');
		await other.save({value: 'x'});
		const asPmg = new StateStore(other.dir, 'pmg', 1);
		const loaded = await asPmg.load();
		expect(loaded.kind === 'unusable' && loaded.reason).toContain('belongs to the vmm upgrade');

		const old = await fresh('pmg', 1);
		await old.save({value: 'x'});
		const newer = new StateStore(old.dir, 'pmg', 2);
		const result = await newer.load();
		expect(result.kind === 'unusable' && result.reason).toContain('version 1');
	});
});
