import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {bootIdentity} from '../../source/host/boot-id.ts';
import {LocalHost} from '../../source/host/local-host.ts';

/*
 * A boot is told from a restart by the kernel's boot id together with a
 * marker under /run. Here both live in a temp directory, on the real file
 * system through LocalHost: "reboot" is what each kind of machine does to
 * them.
 */

let dir = '';
afterEach(() => rmSync(dir, {recursive: true, force: true}));

function machine() {
	dir = mkdtempSync(path.join(os.tmpdir(), 'realhost-bootid-'));
	const kernelBootId = path.join(dir, 'boot_id');
	const run = path.join(dir, 'run');
	const marker = path.join(run, 'upgrade-wizard.boot');
	writeFileSync(kernelBootId, 'a4f1c0de-0000-4000-8000-000000000001\n');
	rmSync(run, {recursive: true, force: true});
	const host = new LocalHost(process.env, {runDir: path.join(dir, 'runs')});
	let n = 0;
	const id = () => bootIdentity(host, {kernelBootId, marker, newMarker: () => `marker-${++n}`});
	return {
		id,
		kernelBootId,
		marker,
		run,
		/** A VM or hardware: new kernel, new (empty) /run. */
		rebootMachine() {
			writeFileSync(kernelBootId, 'a4f1c0de-0000-4000-8000-000000000002\n');
			rmSync(marker, {force: true});
		},
		/** A container: the host's kernel (same boot id), a fresh tmpfs on /run. */
		rebootContainer() {
			rmSync(marker, {force: true});
		},
	};
}

describe('bootIdentity', () => {
	it('stays the same when the wizard is only started again in the same boot', async () => {
		const m = machine();
		mkdirSync(m.run);
		const first = await m.id();
		expect(first).toBe('a4f1c0de-0000-4000-8000-000000000001+marker-1');
		expect(readFileSync(m.marker, 'utf8')).toBe('marker-1\n');
		expect(await m.id()).toBe(first);
		expect(await m.id()).toBe(first);
	});

	it('changes when a container reboots: the boot id is the host kernel\'s and stays, /run is emptied', async () => {
		const m = machine();
		mkdirSync(m.run);
		const before = await m.id();
		m.rebootContainer();
		expect(readFileSync(m.kernelBootId, 'utf8')).toContain('0001');
		const after = await m.id();
		expect(after).not.toBe(before);
		expect(await m.id()).toBe(after);
	});

	it('changes when a machine or VM reboots: a new boot id (and an empty /run)', async () => {
		const m = machine();
		mkdirSync(m.run);
		const before = await m.id();
		m.rebootMachine();
		const after = await m.id();
		expect(after).not.toBe(before);
		expect(after.startsWith('a4f1c0de-0000-4000-8000-000000000002+')).toBe(true);
	});

	it('changes with a new kernel boot id even if the marker survived', async () => {
		const m = machine();
		mkdirSync(m.run);
		const before = await m.id();
		writeFileSync(m.kernelBootId, 'a4f1c0de-0000-4000-8000-000000000003\n');
		expect(existsSync(m.marker)).toBe(true);
		expect(await m.id()).not.toBe(before);
	});

	it('falls back to the kernel boot id alone when /run cannot be written', async () => {
		const m = machine();
		// No run directory: writing the marker fails.
		expect(await m.id()).toBe('a4f1c0de-0000-4000-8000-000000000001');
		expect(await m.id()).toBe('a4f1c0de-0000-4000-8000-000000000001');
	});
});
