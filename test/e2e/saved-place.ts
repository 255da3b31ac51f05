import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {createActor, type AnyStateMachine} from 'xstate';
import {pmgUpgradeMachine} from '../../machines/pmg-8-to-9.ts';

/**
 * A PMG saved place in `state` (created 0700), as the wizard writes it, at
 * the review of "Bring PMG 8.2 up to date" (apt update, then apt
 * dist-upgrade): the wizard started on it goes on there.
 */
export function savedPlaceAtUpdateReview(state: string) {
	const machine: AnyStateMachine = pmgUpgradeMachine();
	const initial = createActor(machine, {input: {startedAt: Date.now()}}).getSnapshot();
	const resolved = machine.resolveState({value: {updateCurrent: 'review'}, context: initial.context});
	mkdirSync(state, {recursive: true, mode: 0o700});
	writeFileSync(
		path.join(state, 'state.json'),
		`${JSON.stringify({format: 1, product: 'pmg', machineVersion: (machine.root.meta as {version: number}).version, savedAt: new Date().toISOString(), snapshot: createActor(machine, {snapshot: resolved, input: {startedAt: Date.now()}}).getPersistedSnapshot()})}\n`,
		{mode: 0o600},
	);
}
