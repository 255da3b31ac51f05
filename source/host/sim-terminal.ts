/**
 * The terminal side of a simulated command that asks (apt's "Do you want
 * to continue? [Y/n]", dpkg's conffile question, pg_dump's "Password:"):
 * a small program run with the wizard's terminal as its own (inherited
 * stdio), as a real apt would have it, while the wizard's screen is gone.
 * It only prints what it is told and reads the trainee's answer from the
 * terminal; what an answer means is decided by the simulated host
 * (source/host/simulated-host.ts), which talks to it over a socket on fd 3,
 * one JSON object per line:
 *
 *   to the program:   {"say": text, "delayMs": n}   print, n ms between lines
 *                     {"ask": prompt, "echo": bool}  print the prompt, read a line
 *                     {"end": true}                  exit
 *   from it:          {"said": true} | {"answer": text} | {"eof": true} (Ctrl-D)
 *
 * Ctrl-C reaches it as on a real command (it dies of SIGINT). Under the
 * single executable there is no node to run: the executable itself runs
 * it when SIM_TERMINAL_VARIABLE is set (source/entry.ts).
 */
import {spawn} from 'node:child_process';
import type {Socket} from 'node:net';
import {isSea} from 'node:sea';

/** Set in the environment of the executable that is to be the program. */
export const SIM_TERMINAL_VARIABLE = 'UPGRADE_WIZARD_SIM_TERMINAL';

/** The program, CommonJS with `require`; plain JavaScript, run by `node -e` or by the executable. */
export const SIM_TERMINAL_CODE = String.raw`
const net = require('node:net');
const control = new net.Socket({fd: 3, readable: true, writable: true});
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const reply = object => control.write(JSON.stringify(object) + '\n');
let pending = '';
let chain = Promise.resolve();
control.on('data', data => {
	pending += data.toString('utf8');
	let at;
	while ((at = pending.indexOf('\n')) >= 0) {
		const message = JSON.parse(pending.slice(0, at));
		pending = pending.slice(at + 1);
		chain = chain.then(() => handle(message));
	}
});
control.on('end', () => process.exit(0));
async function handle(message) {
	if (message.end) {
		control.end();
		process.exit(0);
	}
	if (typeof message.say === 'string') {
		const lines = message.say.split('\n');
		for (const [index, line] of lines.entries()) {
			if (index > 0 && message.delayMs > 0) await sleep(message.delayMs);
			process.stdout.write(index < lines.length - 1 ? line + '\n' : line);
		}
		reply({said: true});
	} else if (typeof message.ask === 'string') {
		process.stdout.write(message.ask);
		const answer = await readLine(message.echo !== false);
		reply(answer === null ? {eof: true} : {answer});
	}
}
function readLine(echo) {
	return new Promise(resolve => {
		const input = process.stdin;
		const raw = !echo && input.isTTY;
		if (raw) input.setRawMode(true);
		let line = '';
		const done = text => {
			input.off('data', onData);
			input.pause();
			if (raw) {
				input.setRawMode(false);
				process.stdout.write('\n');
			}
			resolve(text);
		};
		const onData = data => {
			for (const ch of data.toString('utf8')) {
				if (raw && ch === '\u0003') {
					input.setRawMode(false);
					process.kill(process.pid, 'SIGINT');
					return;
				}
				if (ch === '\n' || ch === '\r') return done(line);
				if (ch === '\u0004' && line === '') return done(null);
				if (raw && (ch === '\u007f' || ch === '\b')) line = line.slice(0, -1);
				else line += ch;
			}
		};
		input.on('data', onData);
		input.once('end', () => done(line === '' ? null : line));
		input.resume();
	});
}
`;

export type SimTerminal = {
	say(text: string, delayMs?: number): Promise<void>;
	ask(prompt: string, echo?: boolean): Promise<string>;
	/** As ask, null at the end of input (Ctrl-D on an empty line). */
	read(prompt: string): Promise<string | null>;
	/** Ends the program; the exit status of a program that died (Ctrl-C: 130) or null. */
	end(): Promise<number | null>;
	/** Settles when the program died before it was told to end (a Ctrl-C): its status. */
	died: Promise<number>;
};

/** Start the program on the wizard's terminal (which the caller has handed over). */
export function openSimTerminal(): SimTerminal {
	const sea = isSea();
	const child = spawn(process.execPath, sea ? [] : ['-e', SIM_TERMINAL_CODE], {
		stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
		env: {...process.env, ...(sea ? {[SIM_TERMINAL_VARIABLE]: '1'} : {})},
	});
	const control = child.stdio[3] as Socket;
	let pending = '';
	const waiting: Array<(message: {said?: boolean; answer?: string; eof?: boolean}) => void> = [];
	control.on('data', (data: Buffer) => {
		pending += data.toString('utf8');
		let at: number;
		while ((at = pending.indexOf('\n')) >= 0) {
			const message = JSON.parse(pending.slice(0, at)) as {said?: boolean; answer?: string; eof?: boolean};
			pending = pending.slice(at + 1);
			waiting.shift()?.(message);
		}
	});
	control.on('error', () => undefined);
	let ended = false;
	const exited = new Promise<number>(resolve => {
		child.on('exit', (code, signal) => resolve(signal === 'SIGINT' ? 130 : signal ? 128 + 15 : (code ?? 1)));
		child.on('error', () => resolve(127));
	});
	const died = exited.then(status => {
		if (ended) return new Promise<number>(() => undefined);
		return status;
	});
	const request = (message: object) =>
		new Promise<{said?: boolean; answer?: string; eof?: boolean}>((resolve, reject) => {
			waiting.push(resolve);
			control.write(`${JSON.stringify(message)}\n`);
			void died.then(status => reject(Object.assign(new Error(`interrupted (exit status ${status})`), {exitStatus: status})));
		});
	return {
		async say(text, delayMs = 0) {
			if (text !== '') await request({say: text, delayMs});
		},
		async ask(prompt, echo = true) {
			return (await request({ask: prompt, echo})).answer ?? '';
		},
		async read(prompt) {
			const reply = await request({ask: prompt, echo: true});
			return reply.eof ? null : (reply.answer ?? '');
		},
		async end() {
			ended = true;
			control.write(`${JSON.stringify({end: true})}\n`);
			const status = await exited;
			return status === 0 ? null : status;
		},
		died,
	};
}
