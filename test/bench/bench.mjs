/**
 * `npm run bench`: speed and memory of the wizard in a real terminal (tmux,
 * 80x24), each figure side by side with a baseline measured in the same run
 * on the same machine; median of several runs with min and max. Not part of
 * `npm test`: timings are checked here, never by unit tests.
 *
 *   node test/bench/bench.mjs [--runs N] [--quick] [--streaming LINES[,LINES]] [--long SECONDS] [--json FILE] [--binary FILE] [--compare FILE]
 *
 * --quick: fewer runs and only 200,000 lines (to try the script itself).
 * --streaming: only section 2, with these line counts (e.g. 2000000), each
 *   --runs times (3 unless given); the same checks and baseline as always.
 * --long: only a command that prints 40 lines a second for about SECONDS
 *   seconds (as apt dist-upgrade does for minutes), --runs times (3 unless
 *   given): the wizard's peak RSS while it draws a live tail for that long.
 *   No bare side: the command's time is its sleeps.
 * --binary: measure the first frame of a single executable too.
 * --compare: and of another build of the CLI (an older dist/cli.js).
 *
 * What reaches the terminal is read through `tmux pipe-pane` (every byte the
 * program writes, as it arrives), not by polling the screen, so a frame is
 * seen within a millisecond or two of being written.
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const option = name => {
	const i = args.indexOf(name);
	return i === -1 ? undefined : args[i + 1];
};
const quick = args.includes('--quick');
const longSeconds = option('--long') === undefined ? undefined : Number(option('--long'));
if (longSeconds !== undefined && !(longSeconds > 0)) throw new Error(`--long ${option('--long')}: expected seconds, e.g. 30`);
const runs = Number(option('--runs') ?? (quick || args.includes('--streaming') || longSeconds ? 3 : 7));
const jsonFile = option('--json');
const binary = option('--binary');
const compare = option('--compare');
const streamingOnly = option('--streaming')
	?.split(',')
	.map(n => Number(n.replaceAll('_', '')));
if (streamingOnly?.some(n => !Number.isInteger(n) || n < 1)) throw new Error(`--streaming ${option('--streaming')}: expected line counts, e.g. 200000,2000000`);

const work = mkdtempSync(path.join(os.tmpdir(), 'muw-bench-'));
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/*
 * Both sides of every comparison run with the same environment: what a host
 * has, not what this machine's Node is told. NODE_EXTRA_CA_CERTS makes every
 * Node start read a CA bundle (~100 ms here), which a PMG host does not.
 */
const env = {TERM: 'linux', NO_COLOR: '1'};
const unset = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'TMUX'];
const envPrefix = `env ${unset.map(name => `-u ${name}`).join(' ')} ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}`;
const q = text => `'${String(text).replaceAll("'", `'\\''`)}'`;
/** The same environment for a process started without a terminal. */
const benchEnv = Object.fromEntries(Object.entries({...process.env, ...env}).filter(([name]) => !unset.includes(name)));

// ---------------------------------------------------------------- terminal

/** One program in its own tmux server at 80x24; what it writes is logged as it arrives. */
class Pane {
	static count = 0;
	constructor(command) {
		this.socket = `muw-bench-${process.pid}-${Pane.count++}`;
		this.log = path.join(work, `${this.socket}.out`);
		writeFileSync(this.log, '');
		this.offset = 0;
		// The command waits for a line first: the log is attached before it starts.
		this.tmux('-f', '/dev/null', 'new-session', '-d', '-x', '80', '-y', '24', 'sh', '-c', `read _; ${command}; sleep 3600`);
		this.tmux('pipe-pane', '-o', '-t', '0', `cat >> ${q(this.log)}`);
	}

	tmux(...argv) {
		return execFileSync('tmux', ['-L', this.socket, ...argv], {encoding: 'utf8'});
	}

	/** Press keys (tmux names: Enter, Escape, or text); returns the time just before. */
	send(...keys) {
		const at = performance.now();
		this.tmux('send-keys', '-t', '0', ...keys);
		return at;
	}

	/** The terminal output since `from` (a byte offset), without escape sequences. */
	text(from = 0) {
		const size = statSync(this.log).size;
		if (size <= from) return '';
		const fd = openSync(this.log, 'r');
		try {
			const buffer = Buffer.alloc(size - from);
			readSync(fd, buffer, 0, buffer.length, from);
			return buffer.toString('utf8').replace(/\u001B\[[0-9;?]*[A-Za-z]|\u001B[()][A-Z0-9]|\u001B[=>78]/g, '');
		} finally {
			closeSync(fd);
		}
	}

	size() {
		return statSync(this.log).size;
	}

	/** Wait until the output after byte `from` contains `marker`; the time it was seen. */
	async waitFor(marker, from = 0, timeoutMs = 60_000) {
		const deadline = performance.now() + timeoutMs;
		for (;;) {
			if (this.text(from).includes(marker)) return performance.now();
			if (performance.now() > deadline) throw new Error(`no "${marker}" within ${timeoutMs} ms; the terminal got:\n${this.text(from).slice(-2000)}`);
			await sleep(1);
		}
	}

	screen() {
		return this.tmux('capture-pane', '-p', '-t', '0');
	}

	kill() {
		try {
			this.tmux('kill-server');
		} catch {
			// Already gone.
		}
		rmSync(path.join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid()}`, this.socket), {force: true});
	}
}

async function withPane(command, body) {
	const pane = new Pane(command);
	try {
		await sleep(150);
		return await body(pane);
	} finally {
		pane.kill();
	}
}

// ---------------------------------------------------------------- statistics

const median = values => {
	const s = [...values].sort((a, b) => a - b);
	const mid = Math.floor(s.length / 2);
	return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const stats = values => ({median: median(values), min: Math.min(...values), max: Math.max(...values), runs: values.length});

// ---------------------------------------------------------------- measurements

const cli = path.join(root, 'dist/cli.js');
const footer = 'Enter continue';

/** Enter starts the program; the time until `marker` is on the terminal. */
async function startToMarker(command, marker) {
	return withPane(command, async pane => {
		const sent = pane.send('Enter');
		return (await pane.waitFor(marker)) - sent;
	});
}

/** `check pmg` on the default scenario, as cron runs it: no terminal, start to exit; its exit status must be the clean host's. */
function checkWallTime() {
	const time = (argv, expected) => {
		const started = process.hrtime.bigint();
		const result = spawnSync(process.execPath, argv, {encoding: 'utf8', env: benchEnv});
		const ms = Number(process.hrtime.bigint() - started) / 1e6;
		if (result.status !== expected) throw new Error(`${argv.join(' ')} exited ${result.status}, expected ${expected}:\n${result.stderr}`);
		return ms;
	};
	const baseline = [];
	const check = [];
	for (let i = 0; i < runs; i++) {
		baseline.push(time(['-e', '0'], 0));
		// The clean host has pending 8.2 updates: a warning, exit 5.
		check.push(time([cli, 'check', 'pmg', '--simulate', 'clean'], 5));
	}
	return {baseline: stats(baseline), check: stats(check)};
}

async function firstFrame() {
	const sides = {
		'node -e 0 (exits)': () => startToMarker(`${envPrefix} ${q(process.execPath)} -e 0; echo node-exited`, 'node-exited'),
		'wizard: node dist/cli.js pmg, first frame': () => {
			const state = mkdtempSync(path.join(work, 'state-'));
			return startToMarker(`${envPrefix} ${q(process.execPath)} ${q(cli)} pmg --state-dir ${q(state)}`, footer);
		},
	};
	if (compare) {
		sides[`other build: ${compare}`] = () => {
			const state = mkdtempSync(path.join(work, 'state-'));
			return startToMarker(`${envPrefix} ${q(process.execPath)} ${q(path.resolve(compare))} pmg --state-dir ${q(state)}`, footer);
		};
	}
	if (binary) {
		sides['single executable, first frame'] = () => {
			const state = mkdtempSync(path.join(work, 'state-'));
			return startToMarker(`${envPrefix} PATH=/usr/bin:/bin ${q(path.resolve(binary))} pmg --state-dir ${q(state)}`, footer);
		};
	}
	const times = Object.fromEntries(Object.keys(sides).map(name => [name, []]));
	// Interleaved, so a slow moment of the machine hits every side alike.
	for (let i = 0; i < runs; i++) for (const [name, measure] of Object.entries(sides)) times[name].push(await measure());
	return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, stats(values)]));
}

/** The same lines as test/bench/stream.tsx's command prints. */
const producer = lines => `seq -f 'Unpacking package-%.0f (9.0-1) over (8.0-1) ...' 1 ${lines}`;

async function bareStream(lines) {
	const times = path.join(work, `bare-${lines}-${Math.random().toString(36).slice(2)}`);
	return withPane(`t0=$(date +%s%N); ${producer(lines)}; t1=$(date +%s%N); echo "$t0 $t1" > ${q(times)}`, async pane => {
		pane.send('Enter');
		const deadline = Date.now() + 600_000;
		while (!existsSync(times) || readFileSync(times, 'utf8').trim().split(' ').length < 2) {
			if (Date.now() > deadline) throw new Error('the bare command did not finish');
			await sleep(20);
		}
		const [t0, t1] = readFileSync(times, 'utf8').trim().split(' ').map(BigInt);
		const ms = Number(t1 - t0) / 1e6;
		// Everything the command printed went to the terminal (with \r added to each \n by the terminal driver).
		return {ms, bytesPerSecond: (pane.size() / ms) * 1000};
	});
}

/*
 * .mjs: an ES module by its name, as dist/cli.js is by the package's "type".
 * A .js outside any package makes Node 20 compile the bundle as CommonJS
 * first, fail, and compile it again as a module: ~8 MB more RSS for the whole
 * run (84 against 68 MB for `dist/cli.js --version` copied out of the
 * package), which the wizard itself never pays.
 */
const harness = path.join(work, 'stream.mjs');

async function wizardStream(lines, perSecond) {
	const state = mkdtempSync(path.join(work, 'state-'));
	const result = path.join(state, 'result.json');
	return withPane(`${envPrefix} ${q(process.execPath)} ${q(harness)} ${q(state)} ${q(result)} ${lines}${perSecond ? ` ${perSecond}` : ''}`, async pane => {
		pane.send('Enter');
		await pane.waitFor('Enter run');
		pane.send('Enter');
		const deadline = Date.now() + 600_000;
		while (!existsSync(result)) {
			if (Date.now() > deadline) throw new Error(`the wizard did not finish; the screen:\n${pane.screen()}`);
			await sleep(20);
		}
		const measured = JSON.parse(readFileSync(result, 'utf8'));
		// The figures count only if the wizard did its job: the last line on screen, every line in the transcript.
		const screen = pane.screen();
		const last = `package-${lines} (9.0-1)`;
		if (!screen.includes(last) || !screen.includes('[PASS] Done.')) throw new Error(`the screen does not show the end of the output:\n${screen}`);
		const transcript = readFileSync(path.join(state, 'transcript.log'), 'utf8');
		const logged = transcript.split('\n').filter(line => line.startsWith('| Unpacking package-')).length;
		if (logged !== lines) throw new Error(`the transcript has ${logged} of ${lines} lines`);
		rmSync(state, {recursive: true, force: true});
		return {ms: measured.ms, bytesPerSecond: (measured.bytes / measured.ms) * 1000, bytes: measured.bytes, maxRssMb: measured.maxRssKb / 1024};
	});
}

async function streaming(lines, count) {
	const bare = [];
	const wizard = [];
	for (let i = 0; i < count; i++) {
		bare.push(await bareStream(lines));
		wizard.push(await wizardStream(lines));
	}
	const ratio = wizard.map((w, i) => w.ms / bare[i].ms);
	return {
		lines,
		bareMs: stats(bare.map(b => b.ms)),
		wizardMs: stats(wizard.map(w => w.ms)),
		ratio: stats(ratio),
		wizardRssMb: stats(wizard.map(w => w.maxRssMb)),
		bareBytesPerSecond: stats(bare.map(b => b.bytesPerSecond)),
		wizardBytesPerSecond: stats(wizard.map(w => w.bytesPerSecond)),
	};
}

/** Key press to the changed frame: `?` opens the step's "why" and closes it again. */
async function keyLatency() {
	const wizard = [];
	const state = mkdtempSync(path.join(work, 'state-'));
	await withPane(`${envPrefix} ${q(process.execPath)} ${q(cli)} pmg --state-dir ${q(state)}`, async pane => {
		pane.send('Enter');
		await pane.waitFor(footer);
		let from = pane.size();
		pane.send('Enter');
		await pane.waitFor('? why', from);
		await sleep(300);
		for (let i = 0; i < runs * 2; i++) {
			const marker = i % 2 === 0 ? 'Esc/? back' : '? why';
			from = pane.size();
			const sent = pane.send('?');
			wizard.push((await pane.waitFor(marker, from)) - sent);
			// Apart, as a person types: each key meets a settled screen.
			await sleep(150);
		}
	});
	// The terminal's own round trip: a key to its echo by cat.
	const echo = [];
	await withPane('cat', async pane => {
		pane.send('Enter');
		await sleep(200);
		for (let i = 0; i < runs * 2; i++) {
			const from = pane.size();
			const sent = pane.send('x');
			echo.push((await pane.waitFor('x', from)) - sent);
			await sleep(50);
		}
	});
	return {'echo by cat': stats(echo), 'wizard: ? redraws the screen': stats(wizard)};
}

// ---------------------------------------------------------------- report

const ms = v => `${v.toFixed(0)} ms`;
const row = (name, s, format = ms) => `  ${name.padEnd(46)} ${format(s.median).padStart(10)} ${format(s.min).padStart(10)} ${format(s.max).padStart(10)}`;
const head = title => `\n${title}\n  ${''.padEnd(46)} ${'median'.padStart(10)} ${'min'.padStart(10)} ${'max'.padStart(10)}`;
const kb = v => (v >= 1024 * 1024 ? `${(v / 1024 / 1024).toFixed(1)} MB/s` : `${(v / 1024).toFixed(1)} KB/s`);
const mb = v => `${v.toFixed(0)} MB`;
const x = v => `${v.toFixed(2)}x`;

function machine() {
	const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
	return `${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${execFileSync('tmux', ['-V'], {encoding: 'utf8'}).trim()}, ${new Date().toISOString().slice(0, 10)}`;
}

async function main() {
	execFileSync(process.execPath, ['source/build.mjs'], {cwd: root, stdio: 'inherit'});
	execFileSync(process.execPath, ['source/build.mjs', 'test/bench/stream.tsx', harness], {cwd: root, stdio: 'inherit'});
	const report = {machine: machine(), runs, loadBefore: os.loadavg()[0]};
	const out = [`mail-upgrade-wizard benchmark: ${report.machine}`, `tmux 80x24, TERM=linux NO_COLOR=1; ${runs} runs unless said otherwise`];

	if (!streamingOnly && !longSeconds) {
		process.stderr.write('first frame...\n');
		report.firstFrame = await firstFrame();
		out.push(head('1. Process start to first frame (Enter in the terminal to the frame seen on it)'));
		for (const [name, s] of Object.entries(report.firstFrame)) out.push(row(name, s));
		const base = report.firstFrame['node -e 0 (exits)'].median;
		for (const [name, s] of Object.entries(report.firstFrame)) {
			if (!name.startsWith('node -e')) out.push(`  ${name}: ${(s.median / base).toFixed(1)}x node -e 0 (target: 3x)`);
		}
	}

	if (longSeconds) {
		const perSecond = 40;
		const lines = Math.round(longSeconds * perSecond);
		process.stderr.write(`${lines} lines at ${perSecond} a second...\n`);
		const wizard = [];
		for (let i = 0; i < runs; i++) wizard.push(await wizardStream(lines, perSecond));
		report.long = {lines, perSecond, wizardMs: stats(wizard.map(w => w.ms)), wizardRssMb: stats(wizard.map(w => w.maxRssMb))};
		out.push(head(`2b. A command printing ${perSecond} lines a second, ${lines.toLocaleString('en')} lines (${runs} runs)`));
		out.push(row('wizard step: wall time', report.long.wizardMs));
		out.push(row('wizard: peak RSS (target: < 100 MB)', report.long.wizardRssMb, mb));
	}

	report.streaming = [];
	const sizes = longSeconds && !streamingOnly ? [] : streamingOnly ? streamingOnly.map(lines => [lines, runs]) : quick ? [[200_000, 3]] : [[200_000, 5], [2_000_000, 3]];
	for (const [lines, count] of sizes) {
		process.stderr.write(`streaming ${lines} lines...\n`);
		const s = await streaming(lines, count);
		report.streaming.push(s);
		out.push(head(`2. A command printing ${lines.toLocaleString('en')} lines (${count} runs each)`));
		out.push(row('bare command in the terminal: wall time', s.bareMs));
		out.push(row('wizard step: wall time', s.wizardMs));
		out.push(row('wizard / bare (target: <= 1.2x)', s.ratio, x));
		out.push(row('wizard: peak RSS (target: < 100 MB)', s.wizardRssMb, mb));
		out.push(row('bare command: bytes to the terminal', s.bareBytesPerSecond, kb));
		out.push(row('wizard: bytes to the terminal', s.wizardBytesPerSecond, kb));
	}

	if (!streamingOnly && !longSeconds) {
		process.stderr.write('check pmg...\n');
		report.check = checkWallTime();
		out.push(head(`3. check pmg --simulate clean, start to exit (${runs} runs; no terminal)`));
		out.push(row('node -e 0', report.check.baseline));
		out.push(row('upgrade-wizard check pmg --simulate clean', report.check.check));

		process.stderr.write('key latency...\n');
		report.keys = await keyLatency();
		out.push(head(`4. Key press to updated frame (${runs * 2} presses each; includes starting the tmux client that sends the key)`));
		for (const [name, s] of Object.entries(report.keys)) out.push(row(name, s));
	}

	report.loadAfter = os.loadavg()[0];
	// Other work on the machine slows every side, the baselines too: said with the figures.
	out.push(`\nload average (1 min) before ${report.loadBefore.toFixed(2)}, after ${report.loadAfter.toFixed(2)}, on ${os.cpus().length} cores`);
	process.stdout.write(`${out.join('\n')}\n`);
	if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
}

try {
	await main();
} finally {
	rmSync(work, {recursive: true, force: true});
}
