/**
 * Command lines as text: how one argument is quoted for a POSIX shell, and
 * the exact OpenSSH client command line the wizard uses to reach a server.
 * Pure, so a machine can show a command before it runs and a host can run
 * it. ssh always hands the remote side one string for its shell, so every
 * argument is quoted for that shell with shellQuote; locally ssh itself is
 * started from an argument vector, never through a local shell.
 */

/** Quote one argument for display, the way a POSIX shell would read it back. */
export function shellQuote(argument: string): string {
	if (argument !== '' && /^[\w@%+=:,./-]+$/.test(argument)) return argument;
	return `'${argument.replaceAll("'", `'\\''`)}'`;
}

/** How a server is reached over SSH, from the deployment file. */
export type SshTarget = {
	destination: string;
	port: number | null;
	identity: string | null;
	/** An ssh config file (ssh -F): its Host entries say how to reach the destination. */
	config?: string | null;
};

export type SshOptions = {
	/** -t: a terminal for an interactive command (pmx-setup's questions). */
	tty?: boolean;
	/** More -o options (tests: a throwaway known_hosts file). */
	extra?: string[];
};

/** Key-based and in batch mode: ssh never stops to ask for a password. */
export function sshArgv(target: SshTarget, argv: string[], options: SshOptions = {}): string[] {
	return [
		'ssh',
		...(options.tty ? ['-t'] : []),
		'-o', 'BatchMode=yes',
		...(target.config ? ['-F', target.config] : []),
		...(target.identity ? ['-i', target.identity, '-o', 'IdentitiesOnly=yes'] : []),
		...(target.port ? ['-p', String(target.port)] : []),
		...(options.extra ?? []),
		target.destination,
		'--',
		argv.map(shellQuote).join(' '),
	];
}
