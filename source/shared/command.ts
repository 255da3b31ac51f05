/**
 * What a command is, as both the machines (which describe commands) and the
 * hosts (which run them) know it. Nothing here imports either side.
 */

/** A command as an argument vector: never passed through a shell. */
export type CommandSpec = {
	/** Program and arguments, e.g. ['apt', 'dist-upgrade']. */
	argv: string[];
	/**
	 * Environment changes for this command only: a string sets a variable,
	 * `null` removes it (e.g. LANG/LC_* for pg_upgradecluster).
	 */
	env?: Record<string, string | null>;
	/** Working directory; the host's default when absent. */
	cwd?: string;
};

/** A server of a multi-server deployment that a command runs on (the runtime picks its Host). */
export type CommandTarget = {
	name: string;
	hostname: string;
	access: 'local' | 'ssh' | 'manual';
	ssh: {destination: string; port: number | null; identity: string | null; config?: string | null} | null;
};

