import {randomUUID} from 'node:crypto';

/**
 * Telling a reboot from a restart of the wizard, on hardware, in a VM and in
 * a container alike.
 *
 * The kernel's boot id changes on every boot of a machine or VM, but a
 * container sees its host's kernel: there the boot id stays the same when
 * the container reboots. What every boot of a systemd system does empty is
 * /run (a fresh tmpfs). So the identity of a boot is the kernel's boot id
 * together with a random marker kept in a file under /run, written by the
 * first wizard that asks in this boot. A new boot changes the one or the
 * other; starting the wizard again in the same boot changes neither.
 */

export const KERNEL_BOOT_ID = '/proc/sys/kernel/random/boot_id';
export const BOOT_MARKER = '/run/upgrade-wizard.boot';

type Files = {
	readFile(path: string): Promise<string | null>;
	writeFile(path: string, content: string, mode?: number): Promise<void>;
};

export async function bootIdentity(
	files: Files,
	options: {kernelBootId?: string; marker?: string; newMarker?: () => string} = {},
): Promise<string> {
	const kernel = ((await files.readFile(options.kernelBootId ?? KERNEL_BOOT_ID)) ?? '').trim();
	const markerPath = options.marker ?? BOOT_MARKER;
	let marker = ((await files.readFile(markerPath).catch(() => null)) ?? '').trim();
	if (marker === '') {
		const fresh = (options.newMarker ?? randomUUID)();
		try {
			await files.writeFile(markerPath, `${fresh}\n`, 0o644);
			marker = fresh;
		} catch {
			// /run not writable (not root): the kernel's boot id alone, as before.
			return kernel;
		}
	}
	return `${kernel}+${marker}`;
}
