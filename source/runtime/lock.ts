/**
 * One wizard at a time per saved place: a lock file in the state directory
 * holding the pid of the wizard that owns it. A lock whose process is gone
 * (the wizard was killed, the host rebooted) is taken over, and said so.
 */
import {promises as fs, readFileSync, rmSync} from 'node:fs';
import path from 'node:path';

export class LockedError extends Error {
	constructor(
		readonly pid: number,
		readonly file: string,
	) {
		super(
			`another wizard (pid ${pid}) is running with this saved place (${file}). ` +
				'Leave that one first (q), or continue in it; two wizards would run the same steps twice.',
		);
	}
}

export type Lock = {
	/** The pid of a wizard that died holding the lock, when it was taken over. */
	tookOverFrom: number | null;
	release(): Promise<void>;
	/** For exit handlers, where nothing asynchronous runs any more. */
	releaseSync(): void;
};

const alive = (pid: number): boolean => {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		// EPERM: the process exists but belongs to someone else.
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
};

export async function acquireLock(dir: string, pid: number = process.pid): Promise<Lock> {
	const file = path.join(dir, 'lock');
	let tookOverFrom: number | null = null;
	for (let attempt = 0; attempt < 3; attempt++) {
		try {
			await fs.writeFile(file, `${pid}\n`, {flag: 'wx', mode: 0o600});
			return makeLock(file, pid, tookOverFrom);
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		}
		const holder = Number.parseInt((await fs.readFile(file, 'utf8').catch(() => '')).trim(), 10);
		if (Number.isInteger(holder) && holder > 0 && holder !== pid && alive(holder)) throw new LockedError(holder, file);
		// Stale (or unreadable): remove it and try again; wx keeps two starters from both winning.
		tookOverFrom = Number.isInteger(holder) && holder > 0 ? holder : null;
		await fs.rm(file, {force: true});
	}
	throw new Error(`${file}: could not take the lock; remove the file if no wizard is running.`);
}

function makeLock(file: string, pid: number, tookOverFrom: number | null): Lock {
	const ours = (text: string) => text.trim() === String(pid);
	return {
		tookOverFrom,
		async release() {
			const text = await fs.readFile(file, 'utf8').catch(() => '');
			if (ours(text)) await fs.rm(file, {force: true});
		},
		releaseSync() {
			try {
				if (ours(readFileSync(file, 'utf8'))) rmSync(file, {force: true});
			} catch {
				// Gone already.
			}
		},
	};
}
