/**
 * `systemctl is-active U...` and `systemctl is-enabled U...` print one word
 * per unit, in the order given.
 *
 * is-active goes on through units it does not know (they are `inactive`);
 * its words are active, reloading, inactive, failed, activating,
 * deactivating, maintenance and refreshing.
 *
 * is-enabled (systemd 252, Debian bookworm) STOPS at the first unit that
 * has no unit file: "Failed to get unit file state for x.service: No such
 * file or directory" on stderr, exit 1, and no word for that unit or any
 * after it. The words it prints are therefore always for a prefix of the
 * list. Its words: enabled, enabled-runtime, linked, linked-runtime, alias,
 * masked, masked-runtime, static, indirect, disabled, generated, transient,
 * bad (and not-found in later systemd).
 *
 * Without systemd as PID 1 is-active prints nothing on stdout ("System has
 * not been booted with systemd ...") while is-enabled still answers from
 * the unit files.
 */
import {outputLines} from './ansi.ts';

/** A unit's activity, or `unknown` when systemctl printed nothing for it. */
export type ActiveState = 'active' | 'inactive' | 'failed' | 'activating' | 'deactivating' | 'reloading' | 'maintenance' | 'refreshing' | 'unknown' | (string & {});

/** A unit's enablement, `not-found` when it has no unit file, `unknown` when systemctl printed nothing for it. */
export type EnabledState = 'enabled' | 'enabled-runtime' | 'disabled' | 'static' | 'masked' | 'masked-runtime' | 'indirect' | 'generated' | 'alias' | 'linked' | 'not-found' | 'unknown' | (string & {});

/** Lines that are state words; sysv redirect notes and the like are not. */
const words = (stdout: string) =>
	outputLines(stdout)
		.map(l => l.trim())
		.filter(l => /^[a-z][a-z-]*$/.test(l));

const byPosition = (units: string[], stdout: string): Record<string, string> => {
	const found = words(stdout);
	return Object.fromEntries(units.map((unit, k) => [unit, found[k] ?? 'unknown']));
};

/** State per unit from `systemctl is-active` output. */
export function parseIsActive(units: string[], stdout: string): Record<string, ActiveState> {
	return byPosition(units, stdout);
}

/** State per unit from `systemctl is-enabled` output; with its stderr, the unit it stopped at is `not-found`. */
export function parseIsEnabled(units: string[], stdout: string, stderr = ''): Record<string, EnabledState> {
	const states: Record<string, EnabledState> = byPosition(units, stdout);
	for (const line of outputLines(stderr)) {
		const missing = /unit file state for (\S+?):/.exec(line);
		if (!missing) continue;
		const named = missing[1]!;
		// systemctl adds .service to a bare name before it complains.
		const unit = units.find(u => u === named || `${u}.service` === named);
		if (unit !== undefined && states[unit] === 'unknown') states[unit] = 'not-found';
	}
	return states;
}
