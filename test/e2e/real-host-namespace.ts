import {chmodSync, existsSync, mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';

/*
 * Real-host mode on real processes, touching nothing outside the test: a
 * private mount namespace in which /usr/bin is an overlay, the stand-in
 * commands (pmgversion, which makes the wizard take this for a PMG host,
 * and apt, ...) on top of the machine's own /usr/bin.
 */

/** Root, unshare, and a machine that is not a PMG host itself. */
export const canUseNamespace = process.getuid?.() === 0 && existsSync('/usr/bin/unshare') && !existsSync('/usr/bin/pmgversion');

/** pmgversion of a PMG 8.2 host: the short line, then the package list of -v. */
export const PMGVERSION_8_2 = '#!/bin/sh\necho "pmg-api/8.2.7/3e5a2d5d (running kernel: 6.8.12-4-pve)"\necho "proxmox-mailgateway: 8.2.0 (API: 8.2.7/3e5a2d5d, running kernel: 6.8.12-4-pve)"\necho "pmg-api: 8.2.7"\n';

/**
 * Writes the stand-ins (name -> script text) into `dir`/bin and returns the
 * argv that runs `wizardArgs` of the built CLI in the namespace.
 */
export function inNamespace(dir: string, standIns: Record<string, string>, wizardArgs: string[]): string[] {
	const bin = path.join(dir, 'bin');
	mkdirSync(bin, {recursive: true});
	for (const [name, text] of Object.entries(standIns)) {
		writeFileSync(path.join(bin, name), text);
		chmodSync(path.join(bin, name), 0o755);
	}
	const wizard = [process.execPath, path.resolve('dist/cli.js'), ...wizardArgs].join(' ');
	return ['unshare', '-m', '--propagation', 'private', 'sh', '-c', `mount -t overlay overlay -o lowerdir=${bin}:/usr/bin /usr/bin && exec ${wizard}`];
}
