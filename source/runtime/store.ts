/**
 * The saved place of an upgrade: the machine's persisted snapshot, written
 * after every transition with temp file + fsync + rename + directory fsync.
 * A file that cannot be used is kept aside under a new name and explained;
 * it is never silently discarded or silently loaded.
 */
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {makeDirectory, writeFileAtomic} from '../host/local-host.ts';

export const STATE_FORMAT = 1;

export type SavedState = {
	format: number;
	product: string;
	/** The machine definition's version: a state of another version is not loaded. */
	machineVersion: number;
	savedAt: string;
	snapshot: unknown;
};

export type LoadResult =
	| {kind: 'none'}
	| {kind: 'ok'; saved: SavedState}
	| {kind: 'unusable'; reason: string; keptAs: string};

export class StateStore {
	constructor(
		readonly dir: string,
		readonly product: string,
		readonly machineVersion: number,
	) {}

	get file() {
		return path.join(this.dir, 'state.json');
	}

	async prepare(): Promise<void> {
		await makeDirectory(this.dir, 0o700);
		await fs.chmod(this.dir, 0o700);
	}

	async load(now: Date = new Date()): Promise<LoadResult> {
		let text: string;
		try {
			text = await fs.readFile(this.file, 'utf8');
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {kind: 'none'};
			throw error;
		}
		const reason = this.problem(text);
		if (reason === null) return {kind: 'ok', saved: JSON.parse(text) as SavedState};
		const keptAs = `${this.file}.unusable-${now.toISOString().replaceAll(':', '-')}`;
		await fs.rename(this.file, keptAs);
		return {kind: 'unusable', reason, keptAs};
	}

	async save(snapshot: unknown, now: Date = new Date()): Promise<void> {
		const saved: SavedState = {
			format: STATE_FORMAT,
			product: this.product,
			machineVersion: this.machineVersion,
			savedAt: now.toISOString(),
			snapshot,
		};
		await writeFileAtomic(this.file, `${JSON.stringify(saved)}\n`, 0o600);
	}

	async clear(): Promise<void> {
		await fs.rm(this.file, {force: true});
	}

	private problem(text: string): string | null {
		let data: Partial<SavedState>;
		try {
			data = JSON.parse(text) as Partial<SavedState>;
		} catch (error) {
			return `it is not valid JSON (${(error as Error).message}); the file is damaged`;
		}
		if (typeof data !== 'object' || data === null || typeof data.snapshot !== 'object' || data.snapshot === null)
			return 'it holds no saved step';
		if (data.format !== STATE_FORMAT) return `it has format ${String(data.format)}, this wizard reads format ${STATE_FORMAT}`;
		if (data.product !== this.product) return `it belongs to the ${String(data.product)} upgrade, not ${this.product}`;
		if (data.machineVersion !== this.machineVersion)
			return `it was saved by version ${String(data.machineVersion)} of the ${this.product} steps; this wizard has version ${this.machineVersion}`;
		return null;
	}
}
