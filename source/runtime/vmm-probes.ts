/**
 * The vmm machine's probes: looks at the host, turned into facts by the pure
 * parsers in source/probes/vmm.ts. None of them connects to the database:
 * where the operator types the password at pg_dump's and psql's own prompt,
 * only commands on the terminal can; the probes read what those wrote.
 */
import {
	DUMP_COMPLETE,
	dumpPath,
	KEEP_KEYS,
	LAYOUT_SCRIPT,
	REMOVED_VIEWS,
	SOURCE_FILES,
	type VmmContext,
	type VmmFacts,
	type VmmProbe,
} from '../../machines/vmm-0.5-to-0.6.ts';
import {maskLines, type FileChange} from '../../machines/kit.ts';
import type {Host} from '../host/types.ts';
import {driverOf, dumpIsComplete, lineDiff, SECRET_LINE, mergeConfig, parseDovecotVersion, parsePythonVersion, parseVmmVersion, viewReferences} from '../probes/vmm.ts';
import type {ProbeEnv, ProbeFn} from './runtime.ts';
import {sessionFacts} from './session.ts';

type Facts = Partial<VmmFacts>;

const run = (host: Host, ...argv: string[]) => host.run({argv}, {capture: 'all'});
const join = (dir: string, relative: string) => `${dir.replace(/\/+$/, '') || ''}/${relative}`;

/** Where the Dovecot SQL configuration may lie in a 0.6.x source (its layout changed between releases). */
const DOVECOT_SAMPLES = ['dovecot-sql.conf.ext', 'dovecot/dovecot-sql.conf.ext', 'dovecot-sql.conf', 'dovecot/dovecot-sql.conf', 'doc/dovecot-sql.conf.ext'];
const INSTALLED_DOVECOT = ['/etc/dovecot/dovecot-sql.conf.ext', '/etc/dovecot/dovecot-sql.conf'];

async function dovecotSample(host: Host, dir: string): Promise<string | null> {
	for (const candidate of DOVECOT_SAMPLES) if ((await host.stat(join(dir, candidate)))?.isFile) return candidate;
	return null;
}

/** Where an administrator usually unpacks a source tarball. */
const SOURCE_PLACES = ['/root', '/usr/local/src', '/usr/src'];

const PYTHON_VERSION = "import sys; print('%d.%d.%d' % tuple(sys.version_info[:3]))";

/** Lines of a `psql -At -o FILE` listing; null when the file is not there. */
async function listing(host: Host, file: string): Promise<string[] | null> {
	const text = await host.readFile(file);
	if (text === null) return null;
	return text.split('\n').map(l => l.trim()).filter(l => l !== '');
}

async function sqlFile(host: Host, file: string | undefined, pattern: RegExp): Promise<Facts> {
	const path = file ?? '';
	const info = path ? await host.stat(path) : null;
	if (!info?.isFile) return {sqlFile: {path, exists: false, matches: false}};
	const text = (await host.readFile(path)) ?? '';
	return {sqlFile: {path, exists: true, matches: pattern.test(text)}};
}

const probes: Record<VmmProbe, (host: Host, context: VmmContext, env: ProbeEnv) => Promise<Facts>> = {
	async session(host, _context, env) {
		return {session: sessionFacts(host, env)};
	},

	async vmmVersion(host) {
		const result = await run(host, 'vmm', 'version');
		const raw = `${result.stdout}${result.stderr}`;
		return {vmm: {version: result.exitCode === 0 ? parseVmmVersion(result.stdout) : null, raw: result.exitCode === 127 ? '' : raw}};
	},

	async sourceCandidates(host) {
		const found: Array<{path: string; version: number[]}> = [];
		for (const dir of SOURCE_PLACES) {
			for (const name of await host.listDir(dir)) {
				const m = /^vmm-(0\.6\.\d+)$/.exec(name);
				if (m && (await host.stat(`${dir}/${name}/upgrade.sh`))?.isFile) found.push({path: `${dir}/${name}`, version: m[1]!.split('.').map(Number)});
			}
		}
		found.sort((a, b) => b.version[2]! - a.version[2]! || a.path.localeCompare(b.path));
		return {sourceCandidates: found.map(f => f.path)};
	},

	async sourceDir(host, context) {
		const dir = context.choices.sourceDir ?? '';
		const exists = dir !== '' && ((await host.stat(dir))?.isDirectory ?? false);
		const missing: string[] = [];
		for (const file of SOURCE_FILES) if (!(await host.stat(join(dir, file)))?.isFile) missing.push(file);
		const postfixFiles = (await host.listDir(join(dir, 'postfix'))).filter(n => /^pgsql-.+\.cf$/.test(n));
		const driver = driverOf(await host.readFile(join(dir, 'pgsql/set-permissions.py')));
		return {source: {dir, exists, missing, postfixFiles, dovecotSample: await dovecotSample(host, dir), driver}};
	},

	async tools(host, context) {
		const python = await run(host, 'python', '-c', PYTHON_VERSION);
		const version = python.exitCode === 0 ? parsePythonVersion(python.stdout) : null;
		const driver = context.facts.source?.driver ?? 'psycopg2';
		const imports = version ? (await run(host, 'python', '-c', `import ${driver}`)).exitCode === 0 : false;
		const present = async (...argv: string[]) => (await run(host, ...argv)).exitCode === 0;
		const systemd = (await host.stat('/run/systemd/system'))?.isDirectory ?? false;
		return {
			tools: {
				python: python.exitCode === 127 ? null : (version ?? (python.stdout.trim() || python.stderr.trim().split('\n')[0] || 'unknown')),
				driver: imports,
				psql: await present('psql', '--version'),
				pgDump: await present('pg_dump', '--version'),
				dovecot: await present('dovecot', '--version'),
				init: systemd ? 'systemd' : 'sysv',
			},
		};
	},

	async dovecot(host) {
		const result = await run(host, 'dovecot', '--version');
		return {dovecot: {version: result.exitCode === 0 ? parseDovecotVersion(result.stdout) : null, raw: `${result.stdout}${result.stderr}`}};
	},

	async services(host, context) {
		const units = ['postfix', 'dovecot'] as const;
		const services = {} as NonNullable<VmmFacts['services']>;
		if (context.facts.tools?.init === 'systemd') {
			const out = (await run(host, 'systemctl', 'is-active', ...units)).stdout.trim().split('\n');
			units.forEach((unit, i) => (services[unit] = out[i]?.trim() === 'active' ? 'running' : 'stopped'));
			return {services};
		}
		for (const unit of units) {
			// LSB: status exits 0 when running, 3 when not; a missing script is 127.
			const result = await run(host, `/etc/init.d/${unit}`, 'status');
			services[unit] = result.exitCode === 0 ? 'running' : result.exitCode === 127 ? 'missing' : 'stopped';
		}
		return {services};
	},

	async environment(host) {
		return {passwordInEnv: Boolean(host.env().PGPASSWORD)};
	},

	async dump(host, context) {
		const path = dumpPath(context);
		const info = await host.stat(path);
		if (!info?.isFile) return {dump: {path, exists: false, size: 0, complete: false}};
		const text = (await host.readFile(path)) ?? '';
		return {dump: {path, exists: true, size: info.size, complete: dumpIsComplete(text, DUMP_COMPLETE)}};
	},

	async restore(host, context) {
		const base = dumpPath(context);
		const source = await listing(host, `${base}.source-tables.txt`);
		const restored = await listing(host, `${base}.restored-tables.txt`);
		if (source === null || restored === null) return {restore: {problem: 'the lists of tables were not written: did the commands run?'}};
		return {restore: {source, restored}};
	},

	async config(host, context) {
		const dir = context.choices.sourceDir ?? '';
		const references: NonNullable<VmmFacts['config']>['references'] = [];
		const changes: FileChange[] = [];
		const consider = async (path: string, replacement: string | null, keep: readonly string[]) => {
			const text = await host.readFile(path);
			if (text === null) return;
			const found = viewReferences(text, REMOVED_VIEWS);
			if (found.length === 0) return;
			const fresh = replacement ? await host.readFile(join(dir, replacement)) : null;
			const shown = fresh === null ? null : join(dir, replacement!);
			for (const f of found) references.push({path, line: f.line, text: f.text, view: f.view, replacement: shown});
			if (fresh !== null) {
				const after = mergeConfig(text, fresh, keep);
				// The saved state gets the files with their password lines masked; the runtime fills them in from the file.
				if (after !== text) changes.push({path, before: maskLines(text, SECRET_LINE), after: maskLines(after, SECRET_LINE), diff: lineDiff(text, after), masked: SECRET_LINE});
			}
		};
		for (const name of (await host.listDir('/etc/postfix')).filter(n => /^pgsql-.+\.cf$/.test(n))) {
			const replacement = (await host.stat(join(dir, `postfix/${name}`)))?.isFile ? `postfix/${name}` : null;
			await consider(`/etc/postfix/${name}`, replacement, KEEP_KEYS.postfix);
		}
		const sample = await dovecotSample(host, dir);
		for (const path of INSTALLED_DOVECOT) await consider(path, sample, KEEP_KEYS.dovecot);
		return {config: {references, changes}};
	},

	async functionFile(host, context) {
		return sqlFile(host, context.choices.functionFile, /CREATE\s+(OR\s+REPLACE\s+)?FUNCTION\s+dovecotpassword\s*\(/i);
	},

	async layoutFile(host, context) {
		return sqlFile(host, context.choices.layoutFile ?? join(context.choices.sourceDir ?? '', `pgsql/${LAYOUT_SCRIPT}`), /CREATE\s+(OR\s+REPLACE\s+)?FUNCTION|ALTER\s+TABLE|CREATE\s+TYPE/i);
	},
};

/** The probes in the form the runtime binds. */
export const vmmProbes: Record<string, ProbeFn> = Object.fromEntries(
	Object.entries(probes).map(([name, fn]) => [name, (host: Host, context: unknown, env: ProbeEnv) => fn(host, context as VmmContext, env)]),
);
