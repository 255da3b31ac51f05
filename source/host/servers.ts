/** The hosts of a multi-server deployment (PureMessage), one per server, made when first needed. */
import path from 'node:path';
import type {CommandTarget} from './types.ts';
import type {Scenario} from './scenario.ts';
import {SimulatedHost} from './simulated-host.ts';
import {SshHost} from './ssh-host.ts';
import type {Host} from './types.ts';

/**
 * The Host of each server of a deployment, made once: this machine for the
 * server the wizard runs on; over SSH (or the scenario's simulated server)
 * for the others. A server reached by hand gets no host: its commands are
 * shown, never run.
 */
export function serverHosts(host: Host, scenario: Scenario | null, stateDir: string, options: {speed?: number; fixedStart?: {clockMs: number; bootId: string}} = {}) {
	const made = new Map<string, Promise<Host>>();
	return (target: CommandTarget): Promise<Host> => {
		if (target.access === 'local') return Promise.resolve(host);
		if (target.access === 'manual') return Promise.reject(new Error(`${target.name} is reached by hand: the wizard runs nothing there`));
		let found = made.get(target.name);
		if (!found) {
			if (scenario) {
				const file = scenario.servers[target.name];
				found = file
					? SimulatedHost.open(file, {stateFile: path.join(stateDir, `host-${target.name}.json`), ...(options.speed !== undefined ? {speed: options.speed} : {}), ...(options.fixedStart ? {fixedStart: options.fixedStart, processEnv: {}} : {})})
					: Promise.reject(new Error(`the scenario has no server "${target.name}" (add it under servers:)`));
			} else if (target.ssh) found = Promise.resolve(new SshHost(target.ssh, {}, `${target.name} (ssh ${target.ssh.destination})`));
			else found = Promise.reject(new Error(`${target.name}: access ssh needs ssh: in the deployment file`));
			made.set(target.name, found);
		}
		return found;
	};
}

