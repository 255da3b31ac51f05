/**
 * SIGTERM (a shutdown) and SIGHUP (the SSH session dropped): the wizard
 * leaves as if the operator had, saving its place, with 128 + the signal's
 * number. A command that runs at that moment is not signalled: it runs in
 * its own process group and writes to files (source/host/local-host.ts).
 */
import os from 'node:os';

export const LEAVING_SIGNALS = ['SIGTERM', 'SIGHUP'] as const;

export function leaveOnSignals(leave: (code: number) => void) {
	for (const signal of LEAVING_SIGNALS) {
		process.on(signal, () => leave(128 + (os.constants.signals[signal] ?? 0)));
	}
}
