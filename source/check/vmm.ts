/**
 * The read-only pre-flight checks of the vmm 0.5.2 -> 0.6.x upgrade: what
 * the wizard's own guards stop at (source/../machines/vmm-0.5-to-0.6.ts),
 * asked before the maintenance window. The facts come from the wizard's own
 * probes (source/runtime/vmm-probes.ts); none of them connects to the
 * database or changes the host: every command is in READ_ONLY_COMMANDS.
 */
import {dovecotAtLeast12, normalizeVersion, REMOVED_VIEWS, SOURCE_FILES, updateScriptFor, type VmmContext, type VmmFacts} from '../../machines/vmm-0.5-to-0.6.ts';
import type {Host} from '../host/types.ts';
import {vmmProbes} from '../runtime/vmm-probes.ts';
import {finding, runChecks} from './findings.ts';
import type {Finding} from './findings.ts';

/** The commands a vmm check may run, by their first words: all of them only read. */
export const READ_ONLY_COMMANDS = [
	'vmm version',
	'python -c',
	'psql --version',
	'pg_dump --version',
	'dovecot --version',
	'systemctl is-active',
	'/etc/init.d/postfix status',
	'/etc/init.d/dovecot status',
];

type Facts = Partial<VmmFacts>;

/** A context for the probes: the facts gathered so far, and the source directory found. */
function contextFor(host: Host, facts: Facts, sourceDir: string | undefined): VmmContext {
	return {startedAt: host.now(), facts, choices: sourceDir ? {sourceDir} : {}, confirmations: {}, status: {}, runs: 0} as unknown as VmmContext;
}

export async function vmmChecks(host: Host): Promise<Finding[]> {
	const facts: Facts = {};
	const ask = async (name: string, sourceDir?: string) => Object.assign(facts, await vmmProbes[name]!(host, contextFor(host, facts, sourceDir), {processEnv: {}}));
	return runChecks(host, [
		['version', 'vmm version', () => version(ask, facts)],
		['source', 'vmm 0.6.x source', () => source(ask, facts)],
		['tools', 'tools of the update scripts', () => tools(ask, facts)],
		['dovecot', 'Dovecot version', () => dovecot(ask, facts)],
		['services', 'mail services', () => services(ask, facts)],
		['pgpassword', 'database password', () => password(ask, facts)],
		['config', 'queries on removed views', () => config(ask, facts)],
	]);
}

type Ask = (name: string, sourceDir?: string) => Promise<Facts>;

async function version(ask: Ask, facts: Facts): Promise<Finding[]> {
	await ask('vmmVersion');
	const raw = facts.vmm?.version ?? null;
	if (raw === null) {
		const said = facts.vmm?.raw.trim().split('\n')[0];
		return [finding('version', 'FAIL', 'vmm version', said ? `vmm version did not give a version: ${said}` : 'vmm is not installed here (vmm version did not run)', 'Run the check on the mail server where vmm is installed, as root.')];
	}
	const v = normalizeVersion(raw);
	if (v === null) return [finding('version', 'FAIL', 'vmm version', `vmm ${raw}: no upgrade route for this version`, 'The wizard upgrades 0.5.2, 0.6.0 and 0.6.1 to 0.6.x.')];
	if (v === '0.4') return [finding('version', 'FAIL', 'vmm version', `vmm ${raw}: the 0.6 update scripts expect 0.5.2`, 'Upgrade to vmm 0.5.2 first (its own upgrade notes), then run the check again.')];
	if (v === '0.5.2') return [finding('version', 'PASS', 'vmm version', `vmm ${raw}: the full upgrade to 0.6.x`)];
	return [finding('version', 'INFO', 'vmm version', v === '0.6.1' ? `vmm ${raw}: only upgrade.sh is needed` : `vmm ${raw}: a backup, the two database fixes, upgrade.sh`)];
}

async function source(ask: Ask, facts: Facts): Promise<Finding[]> {
	await ask('sourceCandidates');
	const [dir] = facts.sourceCandidates ?? [];
	if (!dir) {
		return [finding('source', 'WARN', 'vmm 0.6.x source', 'no unpacked vmm-0.6.x with upgrade.sh in /root, /usr/local/src or /usr/src', 'Unpack the vmm 0.6.x release there before the window (the wizard asks where it is).', 'tar -xzf vmm-0.6.2.tar.gz -C /root')];
	}
	await ask('sourceDir', dir);
	const s = facts.source!;
	if (s.missing.length > 0 || s.postfixFiles.length === 0) {
		const missing = [...s.missing, ...(s.postfixFiles.length === 0 ? ['postfix/pgsql-*.cf'] : [])];
		return [finding('source', 'FAIL', 'vmm 0.6.x source', `${dir} lacks ${missing.join(', ')}`, `Unpack the release again: the upgrade needs ${SOURCE_FILES.join(', ')} and postfix/pgsql-*.cf.`)];
	}
	return [finding('source', 'PASS', 'vmm 0.6.x source', `${dir}, with the update scripts and ${s.postfixFiles.length} Postfix query files`)];
}

async function tools(ask: Ask, facts: Facts): Promise<Finding[]> {
	await ask('tools', facts.source?.dir);
	const t = facts.tools!;
	const driver = facts.source?.driver ?? 'psycopg2';
	const missing = [
		...(t.python === null ? ['python'] : !t.python.startsWith('2.') ? [`python 2 (python is ${t.python})`] : []),
		...(t.python !== null && !t.driver ? [`the python module ${driver}`] : []),
		...(t.psql ? [] : ['psql']),
		...(t.pgDump ? [] : ['pg_dump']),
		...(t.dovecot ? [] : ['dovecot']),
	];
	if (missing.length > 0) return [finding('tools', 'FAIL', 'tools of the update scripts', `missing: ${missing.join(', ')}`, 'Install them: set-permissions.py needs python 2 with its driver, the backup pg_dump and psql.')];
	return [finding('tools', 'PASS', 'tools of the update scripts', `python ${t.python} with ${driver}, psql, pg_dump, dovecot (${t.init})`)];
}

async function dovecot(ask: Ask, facts: Facts): Promise<Finding[]> {
	await ask('dovecot');
	const v = facts.dovecot?.version ?? null;
	const script = updateScriptFor(v);
	if (!script) {
		return [finding('dovecot', 'FAIL', 'Dovecot version', v ? `Dovecot ${v}: no update script for this version` : 'dovecot --version gave no version', 'The update script depends on it: find out which Dovecot runs here.', 'dovecot --version')];
	}
	const layout = dovecotAtLeast12(v) ? '' : '; the layout update comes after Dovecot is upgraded to 1.2 or newer';
	return [finding('dovecot', 'PASS', 'Dovecot version', `Dovecot ${v}: ${script.script} (${script.why})${layout}`)];
}

async function services(ask: Ask, facts: Facts): Promise<Finding[]> {
	await ask('services');
	const s = facts.services!;
	const missing = Object.entries(s).filter(([, state]) => state === 'missing').map(([unit]) => unit);
	if (missing.length > 0) return [finding('services', 'WARN', 'mail services', `no init script for ${missing.join(', ')}`, 'The wizard stops and starts them: find out how they run here.')];
	const running = Object.entries(s).filter(([, state]) => state === 'running').map(([unit]) => unit);
	return running.length > 0
		? [finding('services', 'NOTICE', 'mail services', `running: ${running.join(', ')}`, 'As expected before the window; the wizard stops them before the database changes.')]
		: [finding('services', 'NOTICE', 'mail services', 'postfix and dovecot are stopped', 'Mail is not being delivered now: start them unless the window has begun.')];
}

async function password(ask: Ask, facts: Facts): Promise<Finding[]> {
	await ask('environment');
	return facts.passwordInEnv
		? [finding('pgpassword', 'NOTICE', 'database password', 'PGPASSWORD is set: the wizard passes it to pg_dump and psql (shown as ***)')]
		: [finding('pgpassword', 'PASS', 'database password', 'not in the environment: pg_dump and psql ask for it, or read ~/.pgpass')];
}

async function config(ask: Ask, facts: Facts): Promise<Finding[]> {
	if (!facts.source?.dir) return [finding('config', 'SKIP', 'queries on removed views', 'no vmm 0.6.x source to take the new queries from')];
	await ask('config', facts.source.dir);
	const refs = facts.config!.references;
	if (refs.length === 0) return [finding('config', 'PASS', 'queries on removed views', `no Postfix or Dovecot query names one of the ${REMOVED_VIEWS.length} views 0.6 removes`)];
	const files = [...new Set(refs.map(r => r.path))];
	return [finding('config', 'NOTICE', 'queries on removed views', `${refs.length} queries in ${files.join(', ')} use views 0.6 removes`, 'The wizard shows the new files with your connection settings kept, for you to accept.')];
}
