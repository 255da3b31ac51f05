/**
 * The wizard on the real terminal: mounts the Ink app for a Wizard, and lends
 * the terminal to interactive commands (apt, dpkg's questions): unmount Ink,
 * raw mode off, the child runs with the terminal, then the screen is drawn
 * again from the actor, which kept going meanwhile.
 */
import {spawnSync} from 'node:child_process';
import {render, type Instance} from 'ink';
import React from 'react';
import type {AnyStateMachine} from 'xstate';
import type {RunRecord} from '../host/types.ts';
import type {Wizard} from '../runtime/runtime.ts';
import {App} from './App.tsx';
import {KeyStream} from './key-stream.ts';

export type SessionOptions = {
	machine: AnyStateMachine;
	wizard: Wizard;
	hostLabel: string;
	transcriptPath?: string;
	dryRun?: boolean;
	training?: boolean;
	notice?: string[];
	runs?: RunRecord[];
	onLeave: () => void;
};

export type TerminalSession = {
	/** Take the screen down for good (leaving). */
	close(): void;
};

export function attachTerminal(options: SessionOptions): TerminalSession {
	const {wizard} = options;
	let instance: Instance | null = null;
	// The terminal, one key per write (see key-stream.ts); a new one for each mount.
	let keys: KeyStream | null = null;
	let notice = options.notice && options.notice.length > 0 ? options.notice : undefined;
	const mount = () => {
		keys = new KeyStream(process.stdin);
		instance = render(
			<App
				machine={options.machine}
				actor={wizard.actor}
				output={wizard.output}
				hostLabel={options.hostLabel}
				send={event => wizard.send(event)}
				onLeave={options.onLeave}
				{...(options.transcriptPath ? {transcriptPath: options.transcriptPath} : {})}
				{...(options.dryRun ? {dryRun: true} : {})}
				{...(options.training ? {training: true} : {})}
				{...(notice ? {notice} : {})}
				{...(options.runs && options.runs.length > 0 ? {runs: options.runs} : {})}
				problem={wizard.problem}
			/>,
			{exitOnCtrlC: false, patchConsole: false, maxFps: 20, stdin: keys as unknown as NodeJS.ReadStream},
		);
		// The notice is read once; a redraw after a command must not show it again.
		notice = undefined;
	};
	wizard.terminal = {
		async suspend() {
			// Ctrl-C soon reaches the command and this process alike (once raw
			// mode is off): the command decides what it means; the wizard must
			// not die under it.
			process.on('SIGINT', ignoreInterrupt);
			const closing = instance;
			instance = null;
			closing?.unmount();
			// React runs Ink's effect cleanups after unmount() returns; one of them
			// may still touch raw mode. Let them finish, then set the terminal
			// back to its normal mode (echo, line editing) for the command.
			await closing?.waitUntilExit().catch(() => undefined);
			await new Promise(resolve => setTimeout(resolve, 20));
			keys?.destroy();
			keys = null;
			if (process.stdin.isTTY) process.stdin.setRawMode(false);
			stopReading(process.stdin);
		},
		async resume(finished) {
			// Keys typed for the command that this process read anyway must not
			// act on the wizard (an Enter meant for dpkg would press on here).
			while (process.stdin.read() !== null) {
				// Dropped.
			}
			if (finished) {
				// The command's last words (apt's errors) stay on screen until the operator has read them.
				process.stdout.write(
					`\n[${finished.exitCode === 0 ? 'done' : `exit ${finished.exitCode}`}] ${finished.display}\nPress Enter to return to the wizard. `,
				);
				waitForEnter();
			}
			// A clean screen: the frame is drawn from the top, whatever the command left.
			if (process.stdout.isTTY) process.stdout.write('\u001B[2J\u001B[H');
			startReading(process.stdin);
			mount();
			// A Ctrl-C meant for the command may still be on its way to this
			// process (the whole process group gets it): keep ignoring it a
			// moment longer. Ink reads Ctrl-C as a key from here on.
			setTimeout(() => process.off('SIGINT', ignoreInterrupt), 500).unref();
		},
	};
	mount();
	return {
		close() {
			instance?.unmount();
			instance = null;
			keys?.destroy();
			keys = null;
		},
	};
}

const ignoreInterrupt = () => {
	// The wizard waits for the command; see suspend().
};

type TtyHandle = {reading?: boolean; readStop?: () => number; readStart?: () => number};
const handleOf = (stdin: NodeJS.ReadStream) => (stdin as unknown as {_handle?: TtyHandle})._handle;

/**
 * Stop this process reading the terminal. Ink's unmount only removes its
 * listener: Node goes on reading into the stream's buffer, and whatever the
 * operator types for the command (dpkg's Y/N) would be swallowed here.
 * Node's public pause() does not stop a terminal stream's reads, so the
 * terminal handle is told directly; startReading undoes exactly this.
 */
function stopReading(stdin: NodeJS.ReadStream) {
	stdin.pause();
	const handle = handleOf(stdin);
	if (handle?.readStop && handle.reading) {
		handle.reading = false;
		handle.readStop();
	}
}

function startReading(stdin: NodeJS.ReadStream) {
	const handle = handleOf(stdin);
	if (handle?.readStart && !handle.reading) {
		handle.reading = true;
		handle.readStart();
	}
}

/**
 * Wait for Enter on the terminal in its normal (line) mode. A tiny shell
 * reads the line, so this process's own terminal stream, which Ink has just
 * let go of, is left alone; nothing else needs to happen meanwhile.
 */
function waitForEnter(): void {
	// Only Enter (or the end of input) counts: a Ctrl-C here, or one that
	// reaches the terminal's process group late, ends the little shell, not
	// the wait, and the command's last words stay until they were read.
	for (let tries = 0; tries < 100; tries++) {
		const result = spawnSync('sh', ['-c', 'read _'], {stdio: 'inherit'});
		if (result.signal === null) return;
	}
}
