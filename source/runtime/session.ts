/**
 * Where the wizard runs, for every path: over SSH or not, inside tmux or
 * screen or not, and the command that starts it again inside tmux.
 */
import type {SessionFacts} from '../../machines/kit.ts';
import {shellQuote, type Host} from '../host/types.ts';
import type {ProbeEnv} from './runtime.ts';

export function sessionFacts(host: Host, {processEnv, relaunch}: ProbeEnv): SessionFacts {
	const env = host.env();
	return {
		ssh: Boolean(env.SSH_CONNECTION || env.SSH_CLIENT || env.SSH_TTY),
		// Whether the wizard itself runs inside tmux/screen is a fact of this
		// process, also when the host is simulated.
		multiplexer: Boolean(processEnv.TMUX || processEnv.STY || env.TMUX || env.STY),
		...(relaunch ? {relaunch: relaunch.map(shellQuote).join(' ')} : {}),
	};
}
