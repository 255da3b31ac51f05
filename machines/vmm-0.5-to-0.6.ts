/**
 * vmm (Virtual Mail Manager: Postfix + Dovecot on PostgreSQL) 0.5.2 -> 0.6.x,
 * and the shorter routes from 0.6.0 and 0.6.1, and the database layout
 * update after Dovecot was upgraded to >= v1.2.beta2. Follows the document
 * "Upgrading to vmm 0.6.x" and vmm 0.6.2's own UPGRADE notes, which complete
 * what the document lost. Pure: probes and commands are actors the runtime
 * provides.
 */
import {and, assign, setup} from 'xstate';
import {
	common,
	freshContext,
	inputScreen,
	once,
	runtimeActors,
	phases,
	step,
	type FileChange,
	type Finding,
	type OperatorEvent,
	type StepCommand,
	type WizardContext,
	sessionStep,
	type SessionFacts,
} from './kit.ts';

/** The update script for Dovecot v1.2.x/v2.0.x/v2.1.x. */
export const SCRIPT_DOVECOT_12 = 'update_tables_0.5.x-0.6-dovecot-1.2.x.pgsql';
/** The update script for Dovecot v1.0.x/v1.1.x. */
export const SCRIPT_DOVECOT_10 = 'update_tables_0.5.x-0.6.pgsql';
/** The layout update after Dovecot was upgraded to >= v1.2.beta2. */
export const LAYOUT_SCRIPT = 'dovecot_update_v1.2+.pgsql';
/** Where the wizard suggests to put the dovecotpassword() statement copied from the 0.6.x source. */
export const FUNCTION_FILE = '/root/dovecotpassword.pgsql';
/** What a plain-format pg_dump writes last when it finished. */
export const DUMP_COMPLETE = '-- PostgreSQL database dump complete';
/** The fix of the document for users whose transport points to the erroneous transport "domain". */
export const TRANSPORT_FIX_SQL = "UPDATE users SET tid = NULL WHERE tid = (SELECT tid FROM transport WHERE transport = 'domain')";
/** The tables and views of the public schema, one per line: compared between the database and its restored dump. */
export const LIST_TABLES_SQL =
	"SELECT table_name || ' ' || table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1";
/** The views of vmm 0.5.2 that 0.6 replaces by functions. */
export const REMOVED_VIEWS = [
	'dovecot_password',
	'dovecot_user',
	'postfix_alias',
	'postfix_gid',
	'postfix_maildir',
	'postfix_relocated',
	'postfix_transport',
	'postfix_uid',
];
/** Files of the 0.6.x source the upgrade needs, relative to it. */
export const SOURCE_FILES = [`pgsql/${SCRIPT_DOVECOT_12}`, `pgsql/${SCRIPT_DOVECOT_10}`, 'pgsql/set-permissions.py', 'upgrade.sh'];

export type VmmVersion = '0.4' | '0.5.2' | '0.6.0' | '0.6.1';
export type Route = 'upgrade' | 'dovecot12';

/** What the probes have found on the host so far. */
export type VmmFacts = {
	/** Over SSH, inside tmux or screen (the first step). */
	session?: SessionFacts;
	/** What `vmm version` said: the version, or null when vmm did not answer. */
	vmm?: {version: string | null; raw: string};
	source?: {
		dir: string;
		/** The directory exists (false: nothing is there by that name; absent in older saved places). */
		exists?: boolean;
		/** Required files (relative) that are not there. */
		missing: string[];
		/** postfix/pgsql-*.cf of the source. */
		postfixFiles: string[];
		/** The Dovecot SQL configuration of the source, relative, when there is one. */
		dovecotSample: string | null;
		/** The PostgreSQL module set-permissions.py imports. */
		driver: string;
	};
	tools?: {
		/** python's version, null when it does not run. */
		python: string | null;
		/** The driver imports under that python. */
		driver: boolean;
		psql: boolean;
		pgDump: boolean;
		dovecot: boolean;
		init: 'systemd' | 'sysv';
	};
	dovecot?: {version: string | null; raw: string};
	services?: Record<'postfix' | 'dovecot', 'running' | 'stopped' | 'missing'>;
	/** PGPASSWORD is set in the environment commands get. */
	passwordInEnv?: boolean;
	dump?: {path: string; exists: boolean; size: number; complete: boolean};
	restore?: {source: string[]; restored: string[]} | {problem: string};
	config?: {
		/** Lines of the installed configuration that name a removed view. */
		references: Array<{path: string; line: number; text: string; view: string; replacement: string | null}>;
		/** The new files, with the installed connection settings kept, as changes to preview. */
		changes: FileChange[];
	};
	sqlFile?: {path: string; exists: boolean; matches: boolean};
	/** Unpacked vmm-0.6.x directories found in the usual places, newest version first: suggestions only. */
	sourceCandidates?: string[];
};

export type VmmContext = WizardContext<VmmFacts>;
export type VmmInput = {startedAt: number};

export type VmmProbe = 'session' | 'vmmVersion' | 'sourceCandidates' | 'sourceDir' | 'tools' | 'dovecot' | 'services' | 'environment' | 'dump' | 'restore' | 'config' | 'functionFile' | 'layoutFile';

const KNOWN: Record<string, VmmVersion> = {'0.4': '0.4', '0.4-r41': '0.4', '0.5.2': '0.5.2', '0.6.0': '0.6.0', '0.6.1': '0.6.1'};

/** 0.4, 0.4.x and 0.4-r41 count as one: each goes to 0.5.2 first. */
export function normalizeVersion(version: string | null | undefined): VmmVersion | null {
	if (!version) return null;
	if (/^0\.4(\.\d+)?(-r\d+)?$/.test(version)) return '0.4';
	return KNOWN[version] ?? null;
}

/** The installed version: as detected, or as the operator said when detection failed. */
export const installed = (c: VmmContext): VmmVersion | null =>
	(c.choices.version as VmmVersion | undefined) ?? normalizeVersion(c.facts.vmm?.version);

/** Major and minor of a Dovecot version ("2.1.7", "1.2.beta2", "2.3.19.1 (9f4a0a5b)"). */
export function dovecotSeries(version: string | null | undefined): [number, number] | null {
	const m = /^(\d+)\.(\d+)/.exec(version ?? '');
	return m ? [Number(m[1]), Number(m[2])] : null;
}

/** The update script for a Dovecot version, and the document's reason; null when the version is unknown. */
export function updateScriptFor(version: string | null | undefined): {script: string; why: string} | null {
	const series = dovecotSeries(version);
	if (!series) return null;
	const [major, minor] = series;
	if (major === 1 && minor <= 1) return {script: SCRIPT_DOVECOT_10, why: `Dovecot ${version} is v1.0.x/v1.1.x`};
	if ((major === 1 && minor === 2) || (major === 2 && minor <= 1)) return {script: SCRIPT_DOVECOT_12, why: `Dovecot ${version} is v1.2.x/v2.0.x/v2.1.x`};
	if (major >= 2) return {script: SCRIPT_DOVECOT_12, why: `Dovecot ${version} is >= 1.2.0 (vmm's UPGRADE; the document names up to v2.1.x)`};
	return null;
}

/** Dovecot >= 1.2.0 (the layout update needs >= v1.2.beta2, which "1.2" covers). */
export const dovecotAtLeast12 = (version: string | null | undefined) => {
	const series = dovecotSeries(version);
	return Boolean(series) && (series![0] > 1 || (series![0] === 1 && series![1] >= 2));
};

/** The directory typed was checked and refused (missing, or not a 0.6.x source). */
const sourceRefused = (c: VmmContext): boolean => {
	const s = c.facts.source;
	return s !== undefined && Boolean(c.choices.sourceDir) && s.dir === c.choices.sourceDir && (s.exists === false || s.missing.length > 0 || s.postfixFiles.length === 0);
};
/** Enter on the empty line: what was typed, unless it was refused and a source was found, then that one. */
const badSourceDefault = (c: VmmContext): string => {
	const found = c.facts.sourceCandidates?.[0];
	if (sourceRefused(c) && found && found !== c.choices.sourceDir) return found;
	return c.choices.sourceDir ?? found ?? '';
};
const src = (c: VmmContext, relative: string) => `${(c.choices.sourceDir ?? '').replace(/\/+$/, '') || '/'}/${relative}`;
const db = (c: VmmContext) => ({
	host: c.choices.dbHost ?? 'localhost',
	user: c.choices.dbUser ?? 'vmm',
	name: c.choices.dbName ?? 'mailsys',
});
export const scratchName = (c: VmmContext) => `${db(c).name}_verify`;
const prompting = (c: VmmContext) => c.choices.password === 'prompt';

/** Connection arguments: -W makes the program ask for the password itself, -w forbids asking (PGPASSWORD or ~/.pgpass). */
const connection = (c: VmmContext) => {
	const {host, user} = db(c);
	return [...(host ? ['-h', host] : []), '-U', user, prompting(c) ? '-W' : '-w'];
};

/** A database command: on the terminal when it asks for the password, so the password never passes the wizard. */
const dbCommand = (c: VmmContext, argv: string[], note?: string): StepCommand => ({
	argv,
	...(prompting(c) ? {interactive: true} : {}),
	...(note ? {note} : {}),
});

export const dumpPath = (c: VmmContext) => c.choices.dumpFile ?? defaultDumpPath(c);
export const defaultDumpPath = (c: VmmContext) => {
	const stamp = new Date(c.startedAt).toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
	return `/root/${db(c).name}-${installed(c) ?? 'vmm'}-${stamp}.sql`;
};
const tablesFile = (c: VmmContext, which: 'source' | 'restored') => `${dumpPath(c)}.${which}-tables.txt`;

export const backupCommand = (c: VmmContext): StepCommand => dbCommand(c, ['pg_dump', ...connection(c), '-f', dumpPath(c), db(c).name]);

export const restoreCommands = (c: VmmContext): StepCommand[] => {
	const scratch = scratchName(c);
	return [
		dbCommand(c, ['dropdb', ...connection(c), '--if-exists', scratch], 'a scratch database left by an earlier try'),
		dbCommand(c, ['createdb', ...connection(c), scratch]),
		dbCommand(c, ['psql', ...connection(c), '-d', scratch, '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-q', '-f', dumpPath(c)], 'restores the dump into the scratch database'),
		dbCommand(c, ['psql', ...connection(c), '-d', db(c).name, '-At', '-o', tablesFile(c, 'source'), '-c', LIST_TABLES_SQL]),
		dbCommand(c, ['psql', ...connection(c), '-d', scratch, '-At', '-o', tablesFile(c, 'restored'), '-c', LIST_TABLES_SQL]),
		dbCommand(c, ['dropdb', ...connection(c), scratch], 'the scratch database is not needed any more'),
	];
};

/** One script applied in one transaction, stopping at the first error: a failure leaves the database as it was. */
export const applyScript = (c: VmmContext, file: string): StepCommand =>
	dbCommand(c, ['psql', ...connection(c), '-d', db(c).name, '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-f', file], 'one transaction, stops at the first error');

export const chosenScript = (c: VmmContext) => updateScriptFor(c.facts.dovecot?.version);

export const permissionsCommand = (c: VmmContext): StepCommand => {
	const {host, user, name} = db(c);
	return dbCommand(c, [
		'python',
		src(c, 'pgsql/set-permissions.py'),
		...(prompting(c) ? ['-a'] : []),
		...(host ? ['-H', host] : []),
		'-U',
		user,
		'-n',
		name,
		'-D',
		c.choices.dovecotUser ?? 'dovecot',
		'-M',
		c.choices.postfixUser ?? 'postfix',
	]);
};

const MAIL_SERVICES = ['postfix', 'dovecot'] as const;

/** Stop Postfix, then Dovecot; start them the other way round: as the document does. */
export const serviceCommands = (c: VmmContext, action: 'stop' | 'start'): StepCommand[] => {
	const order = action === 'stop' ? ['postfix', 'dovecot'] : ['dovecot', 'postfix'];
	if (c.facts.tools?.init === 'systemd') return order.map(unit => ({argv: ['systemctl', action, unit]}));
	return order.map(unit => ({argv: [`/etc/init.d/${unit}`, action]}));
};

export const vmmGuards = {
	/** The installed version is one the document has a route for (detected or told). */
	versionKnown: ({context}: {context: VmmContext}) => installed(context) !== null,
	/** vmm 0.4 / 0.4-r41: it must go to 0.5.2 first. */
	tooOld: ({context}: {context: VmmContext}) => installed(context) === '0.4',
	sourceDirValid: ({context}: {context: VmmContext}) => {
		const s = context.facts.source;
		return Boolean(s) && s!.dir === context.choices.sourceDir && s!.missing.length === 0 && s!.postfixFiles.length > 0;
	},
	/** python 2 with the driver, psql, pg_dump and dovecot: what the 0.6.x scripts call. */
	toolsPresent: ({context}: {context: VmmContext}) => {
		const t = context.facts.tools;
		return Boolean(t) && Boolean(t!.python?.startsWith('2.')) && t!.driver && t!.psql && t!.pgDump && t!.dovecot;
	},
	dovecotVersionKnown: ({context}: {context: VmmContext}) => updateScriptFor(context.facts.dovecot?.version) !== null,
	/** The layout update is for Dovecot >= v1.2.beta2; the other routes take any known version. */
	dovecotFitsRoute: ({context}: {context: VmmContext}) =>
		context.choices.route !== 'dovecot12' || dovecotAtLeast12(context.facts.dovecot?.version),
	mailServicesStopped: ({context}: {context: VmmContext}) => {
		const s = context.facts.services;
		return Boolean(s) && MAIL_SERVICES.every(unit => s![unit] !== 'running');
	},
	mailServicesRunning: ({context}: {context: VmmContext}) => {
		const s = context.facts.services;
		return Boolean(s) && MAIL_SERVICES.every(unit => s![unit] === 'running');
	},
	/** The dump exists, is not empty and ends with pg_dump's completion marker. */
	dumpComplete: ({context}: {context: VmmContext}) => {
		const d = context.facts.dump;
		return Boolean(d) && d!.path === dumpPath(context) && d!.exists && d!.size > 0 && d!.complete;
	},
	/** A complete dump that restored into a scratch database with the same tables and views as the source. */
	backupVerified: ({context}: {context: VmmContext}) => {
		if (!vmmGuards.dumpComplete({context})) return false;
		const r = context.facts.restore;
		if (!r || 'problem' in r) return false;
		return r.source.length > 0 && r.source.join('\n') === r.restored.join('\n');
	},
	configClean: ({context}: {context: VmmContext}) => context.facts.config !== undefined && context.facts.config.references.length === 0,
	configChangesOffered: ({context}: {context: VmmContext}) => (context.facts.config?.changes.length ?? 0) > 0,
	sqlFileReady: ({context}: {context: VmmContext}) => {
		const f = context.facts.sqlFile;
		return Boolean(f) && f!.exists && f!.matches;
	},
	route061: ({context}: {context: VmmContext}) => installed(context) === '0.6.1' && context.choices.route === 'upgrade',
	route060: ({context}: {context: VmmContext}) => installed(context) === '0.6.0' && context.choices.route === 'upgrade',
	routeDovecot12: ({context}: {context: VmmContext}) => context.choices.route === 'dovecot12',
	dovecotBefore12: ({context}: {context: VmmContext}) => !dovecotAtLeast12(context.facts.dovecot?.version),
};

/** What must hold at the door of each database change, with its words for the screen. */
export const DATABASE_CHECKS = [
	['toolsPresent', 'python 2 with its PostgreSQL driver, psql, pg_dump and dovecot'],
	['dovecotVersionKnown', 'the Dovecot version, which decides the script'],
	['backupVerified', 'a complete dump that restores'],
] as const satisfies ReadonlyArray<readonly [keyof typeof vmmGuards, string]>;

const phaseList = phases(['prepare', 'Preparation'], ['database', 'Database'], ['config', 'Configuration'], ['finish', 'Finish']);

const pass = (ok: boolean, yes: string, no: string): Finding => (ok ? {level: 'PASS', text: yes} : {level: 'FAIL', text: no});

const ROUTE_LABEL: Record<VmmVersion, {label: string; hint: string}> = {
	'0.4': {label: 'vmm 0.4 / 0.4-r41', hint: 'upgrade to 0.5.2 first'},
	'0.5.2': {label: 'Upgrade vmm 0.5.2 to 0.6.x', hint: 'stop, back up, update the database, permissions, queries, upgrade.sh'},
	'0.6.0': {label: 'Upgrade vmm 0.6.0 to 0.6.x', hint: 'back up, the two database fixes, upgrade.sh'},
	'0.6.1': {label: 'Upgrade vmm 0.6.1 to 0.6.x', hint: 'upgrade.sh only'},
};

/** Where the tools step leads: 0.6.1 needs only upgrade.sh. */
const afterTools = [{guard: 'route061', target: '#wizard.upgradeSh'}, {target: '#wizard.dovecotVersion'}];
const afterDatabase = [{guard: 'route060', target: '#wizard.backup'}, {target: '#wizard.stopServices'}];
const afterRestore = [
	{guard: 'route060', target: '#wizard.transportFix'},
	{guard: 'routeDovecot12', target: '#wizard.layoutUpdate'},
	{target: '#wizard.update'},
];
const afterPermissions = [{guard: 'routeDovecot12', target: '#wizard.startServices'}, {target: '#wizard.config'}];
const afterStart = [{guard: 'routeDovecot12', target: '#wizard.finished'}, {target: '#wizard.upgradeSh'}];
const afterTransport = [{guard: 'dovecotBefore12', target: '#wizard.dovecotPassword'}, {target: '#wizard.upgradeSh'}];

const passedTo = (id: string) => [{type: 'recordStatus', params: {step: id, status: 'passed'}}];

const configFindings = (c: VmmContext): Finding[] => {
	const cfg = c.facts.config;
	if (!cfg) return [];
	if (cfg.references.length === 0) return [{level: 'PASS', text: 'no Postfix pgsql-*.cf and no dovecot-sql.conf(.ext) names a dovecot_* or postfix_* view'}];
	return cfg.references.map(r => ({
		level: 'FAIL' as const,
		text: `${r.path}:${r.line}: ${r.view} -> ${r.replacement ?? 'no replacement file in the 0.6.x source: see INSTALL/Configure.Dovecot_2 there'}`,
	}));
};

const dovecotFindings = (c: VmmContext): Finding[] => {
	const d = c.facts.dovecot;
	if (!d) return [];
	const chosen = updateScriptFor(d.version);
	if (!chosen) return [{level: 'FAIL', text: `dovecot --version said "${d.raw.trim().split('\n')[0] ?? ''}": no version the document knows`}];
	const lines: Finding[] = [{level: 'PASS', text: `Dovecot ${d.version}`}];
	if (c.choices.route === 'dovecot12') {
		lines.push(
			dovecotAtLeast12(d.version)
				? {level: 'PASS', text: `>= v1.2.beta2: ${LAYOUT_SCRIPT} applies`}
				: {level: 'FAIL', text: `older than v1.2.beta2: upgrade Dovecot first; ${LAYOUT_SCRIPT} is for >= v1.2.beta2`},
		);
	} else if (installed(c) === '0.6.0') {
		lines.push(
			dovecotAtLeast12(d.version)
				? {level: 'INFO', text: 'Dovecot >= 1.2.0: the dovecotpassword() replacement is not needed'}
				: {level: 'WARN', text: 'Dovecot < 1.2.0: dovecotpassword() must be replaced (a later step)'},
		);
	} else {
		lines.push({level: 'INFO', text: `update script: pgsql/${chosen.script}`}, {level: 'INFO', text: `because ${chosen.why}`});
	}
	return lines;
};

const toolFindings = (c: VmmContext): Finding[] => {
	const t = c.facts.tools;
	if (!t) return [];
	const driver = c.facts.source?.driver ?? 'psycopg2';
	return [
		t.python === null
			? {level: 'FAIL', text: 'python: not found (vmm 0.6.x calls "python", Python 2)'}
			: pass(t.python.startsWith('2.'), `python ${t.python}`, `python is ${t.python}: vmm 0.6.x is Python 2 software and fails under it`),
		t.python === null ? {level: 'FAIL', text: `${driver}: not checked, no python`} : pass(t.driver, `python imports ${driver}`, `python cannot import ${driver}, the driver set-permissions.py uses`),
		pass(t.psql, 'psql on PATH', 'psql: not found (postgresql-client)'),
		pass(t.pgDump, 'pg_dump on PATH', 'pg_dump: not found (postgresql-client)'),
		pass(t.dovecot, 'dovecot on PATH (upgrade.sh asks it for its version)', 'dovecot: not found on PATH (upgrade.sh calls it)'),
		{level: 'INFO', text: t.init === 'systemd' ? 'services: systemd (systemctl)' : 'services: init scripts (/etc/init.d)'},
	];
};

const serviceFindings = (want: 'stopped' | 'running') => (c: VmmContext): Finding[] =>
	MAIL_SERVICES.map(unit => {
		const state = c.facts.services?.[unit] ?? 'unknown';
		const ok = want === 'stopped' ? state !== 'running' && state !== 'unknown' : state === 'running';
		return {level: ok ? 'PASS' : 'FAIL', text: `${unit}: ${state}`} as Finding;
	});

const sqlFileFindings = (what: string) => (c: VmmContext): Finding[] => {
	const f = c.facts.sqlFile;
	if (!f) return [];
	if (!f.exists) return [{level: 'FAIL', text: `${f.path}: not found`}];
	return [pass(f.matches, `${f.path}: holds ${what}`, `${f.path}: does not hold ${what}`)];
};

export const vmmUpgradeMachine = once(() =>
	setup({
	types: {
		context: {} as VmmContext,
		events: {} as OperatorEvent,
		input: {} as VmmInput,
	},
	guards: {
		...common.guards,
		...vmmGuards,
		dovecotSuits: and(['dovecotVersionKnown', 'dovecotFitsRoute']),
		readyForDatabaseChange: and(DATABASE_CHECKS.map(([name]) => name)),
	} as never,
	actions: {
		...common.actions,
		/** Back from "upgrade 0.4 first": ask vmm again, forget what was said. */
		forgetVersion: assign(({context}: {context: VmmContext}) => {
			const {version: _version, ...choices} = context.choices;
			const {vmm: _vmm, ...facts} = context.facts;
			return {choices, facts};
		}),
	} as never,
	actors: runtimeActors<VmmFacts, VmmProbe, VmmContext>(),
}).createMachine({
	id: 'wizard',
	context: ({input}) => freshContext(input.startedAt),
	meta: {product: 'vmm', title: 'vmm 0.5.2 -> 0.6.x', phases: phaseList, version: 1},
	initial: 'session',
	states: {
		session: sessionStep<VmmContext>({
			id: 'session',
			next: 'version',
			phase: 'prepare',
			why: 'The upgrade stops Postfix and Dovecot and changes the database; pg_dump and psql ask for the password on the terminal. A dropped SSH connection kills a command that has the terminal: run the wizard inside tmux or screen, or from a console.',
			fallbackRelaunch: 'tmux new-session -A -s upgrade-wizard -- upgrade-wizard vmm',
		}),
		version: step<VmmContext>({
			id: 'version',
			next: 'route',
			title: 'The installed vmm version',
			phase: 'prepare',
			source: 'Upgrading to vmm 0.6.x (and vmm 0.6.2\'s UPGRADE)',
			why: 'Each installed version takes its own route: 0.4 must first go to 0.5.2; 0.5.2 updates the database and the configuration; 0.6.0 needs two database fixes; 0.6.1 only upgrade.sh.',
			probe: 'vmmVersion',
			probeShows: ['vmm version'],
			guard: 'versionKnown',
			afterPassed: 'leave',
			findings: c => {
				const v = installed(c);
				if (c.choices.version) return [{level: 'INFO', text: `vmm ${v}, as you said (vmm version did not tell)`}];
				return [v ? {level: 'PASS', text: `vmm ${c.facts.vmm?.version} installed`} : {level: 'FAIL', text: 'the installed version is not known'}];
			},
			remedy: () => ['Press r to ask vmm again.'],
			extraStates: {
				evaluate: {
					always: [{guard: 'versionKnown', target: 'passed', actions: passedTo('version')}, {target: 'ask'}],
				},
				ask: {
					meta: {
						view: 'choose',
						lines: (c: VmmContext) => [
							c.facts.vmm?.raw.trim()
								? `vmm version said: ${c.facts.vmm.raw.trim().split('\n')[0]!.slice(0, 60)}`
								: 'vmm version did not answer (vmm not on PATH?).',
							'Which vmm is installed? (the first line of "vmm version", or your notes)',
						],
						options: () => [
							{value: '0.4', label: 'vmm 0.4 or 0.4-r41'},
							{value: '0.5.2', label: 'vmm 0.5.2'},
							{value: '0.6.0', label: 'vmm 0.6.0'},
							{value: '0.6.1', label: 'vmm 0.6.1'},
						],
					},
					on: {'operator.choose': {target: 'passed', actions: [{type: 'recordChoice', params: {key: 'version'}}, ...passedTo('version')]}},
				},
				leave: {always: [{guard: 'tooOld', target: '#wizard.tooOld'}, {target: '#wizard.route'}]},
			},
		}),

		tooOld: {
			meta: {
				step: true,
				title: 'vmm 0.4: upgrade to 0.5.2 first',
				phase: 'prepare',
				source: 'Upgrading to vmm 0.6.x: "If you still have installed vmm-0.4/vmm-0.4-r41"',
				why: 'The 0.6 update scripts expect the database layout of vmm 0.5.2. On 0.4 or 0.4-r41 they fail, or change a database they do not understand. This path stops here: nothing was changed.',
			},
			initial: 'info',
			states: {
				info: {
					meta: {
						view: 'info',
						lines: () => [
							'',
							'Upgrade vmm to 0.5.2 first, with the upgrade notes of vmm 0.5.2 (its',
							'UPGRADE file), then start this wizard again, or press r when 0.5.2 is',
							'installed: the version is checked again.',
						],
					},
					on: {'operator.recheck': {target: '#wizard.version', actions: 'forgetVersion'}},
				},
			},
		} as never,

		route: {
			meta: {
				step: true,
				title: 'What to do',
				phase: 'prepare',
				source: 'Upgrading to vmm 0.6.x; Upgrade to Dovecot >= v1.2.beta2',
				why: 'The vmm upgrade from the installed version, or only the database layout update that an upgrade of Dovecot from < v1.2.beta2 to a newer one needs.',
			},
			initial: 'choose',
			states: {
				choose: {
					meta: {
						view: 'choose',
						options: (c: VmmContext) => [
							{value: 'upgrade', ...ROUTE_LABEL[installed(c) ?? '0.5.2']},
							{value: 'dovecot12', label: 'Only the database layout after a Dovecot upgrade to >= v1.2.beta2', hint: `back up, apply ${LAYOUT_SCRIPT}, set permissions`},
						],
					},
					on: {'operator.choose': {target: '#wizard.sourceDir', actions: [{type: 'recordChoice', params: {key: 'route'}}, ...passedTo('route')]}},
				},
			},
		} as never,

		sourceDir: step<VmmContext>({
			id: 'sourceDir',
			next: 'tools',
			title: 'The unpacked vmm 0.6.x source',
			phase: 'prepare',
			source: 'Database update; Set database permissions; Upgrade vmm',
			why: 'The update scripts, set-permissions.py, upgrade.sh and the new Postfix pgsql-*.cf files come from the unpacked vmm 0.6.x source (e.g. vmm-0.6.2). The directory is used exactly as typed, never read by a shell.',
			initial: 'scanning',
			probe: 'sourceDir',
			probeShows: SOURCE_FILES.concat('postfix/pgsql-*.cf'),
			guard: 'sourceDirValid',
			findings: c => {
				const s = c.facts.source;
				if (!s) return [];
				if (s.exists === false) return [{level: 'FAIL', text: `${s.dir}: this directory does not exist`}];
				return [
					{level: 'INFO', text: `directory: ${s.dir}`},
					...SOURCE_FILES.map(f => pass(!s.missing.includes(f), f, `${f}: missing`)),
					pass(s.postfixFiles.length > 0, `postfix/: ${s.postfixFiles.length} pgsql-*.cf files`, 'postfix/pgsql-*.cf: none'),
					s.dovecotSample ? {level: 'PASS', text: `Dovecot SQL configuration: ${s.dovecotSample}`} : {level: 'INFO', text: 'no dovecot-sql.conf(.ext) in the source: see its INSTALL'},
				];
			},
			remedy: c => [
				c.facts.source?.exists === false ? 'There is no such directory.' : 'This is not an unpacked vmm 0.6.x source (tar xf vmm-0.6.2.tar.gz).',
				badSourceDefault(c) !== c.choices.sourceDir
					? `Press r to type the directory again (Enter on the empty line: ${badSourceDefault(c)}).`
					: 'Press r to type the directory again (Enter keeps the same one).',
			],
			extraStates: {
				scanning: {
					meta: {view: 'checking'},
					invoke: {
						id: 'probe.sourceCandidates',
						src: 'probe',
						input: ({context}: {context: VmmContext}) => ({probe: 'sourceCandidates', context}),
						onDone: {target: 'ask', actions: 'assignFacts'},
						onError: {target: 'ask'},
					},
				},
				ask: inputScreen<VmmContext>({
					key: 'sourceDir',
					prompt: () => 'Directory of the unpacked vmm 0.6.x source:',
					lines: c => [
						...((c.facts.sourceCandidates ?? []).length > 0
							? [`Found: ${c.facts.sourceCandidates!.slice(0, 3).join(', ')}`]
							: ['No vmm-0.6.* found in /root, /usr/local/src or /usr/src: type its path.']),
						// Typed before and refused: said, and the found one is the default again.
						...(sourceRefused(c) ? [`Typed before: ${c.choices.sourceDir} (${c.facts.source?.exists === false ? 'this directory does not exist' : 'not a vmm 0.6.x source'}).`] : []),
						'',
					],
					default: c => badSourceDefault(c),
					target: 'checking',
				}),
				blocked: {meta: {view: 'blocked'}, on: {'operator.recheck': 'ask'}},
				passed: {meta: {view: 'passed'}, on: {'operator.continue': '#wizard.tools'}},
			},
		}),

		tools: step<VmmContext>({
			id: 'tools',
			next: 'tools.leave',
			title: 'Tools the 0.6.x scripts need',
			phase: 'prepare',
			source: 'Set database permissions; Upgrade vmm (upgrade.sh)',
			why: 'vmm 0.6.x is Python 2 software: upgrade.sh and set-permissions.py call "python", and upgrade.sh calls dovecot. Where python is missing or is Python 3 they fail after the database was already changed, so this is checked before anything is stopped.',
			probe: 'tools',
			probeShows: ['python -c <version>', 'python -c "import <driver>"', 'psql --version', 'pg_dump --version', 'dovecot --version'],
			guard: 'toolsPresent',
			findings: toolFindings,
			remedy: c => {
				const t = c.facts.tools;
				const lines: string[] = [];
				if (!t?.python?.startsWith('2.')) lines.push('Install Python 2.7 so that "python" runs it (Debian 7-10: python2.7, or a', 'python2 you build), or upgrade on a host that still has it.');
				else if (!t.driver) lines.push(`Install the Python 2 driver ${c.facts.source?.driver ?? 'psycopg2'} (Debian: python-psycopg2).`);
				if (!t?.psql || !t?.pgDump) lines.push('Install the PostgreSQL client: apt-get install postgresql-client.');
				if (!t?.dovecot) lines.push('Put dovecot on PATH (/usr/sbin), where upgrade.sh looks for it.');
				return [...lines, 'Then press r.'];
			},
			extraStates: {leave: {always: afterTools}},
		}),

		dovecotVersion: step<VmmContext>({
			id: 'dovecotVersion',
			next: 'database',
			title: 'The Dovecot version decides the script',
			phase: 'prepare',
			source: 'Database update (Dovecot v1.2.x/v2.0.x/v2.1.x, Dovecot v1.0.x/v1.1.x)',
			why: 'vmm 0.6 has one update script for Dovecot v1.0.x/v1.1.x and one for v1.2.x/v2.0.x/v2.1.x: the password and user functions differ. The wrong one breaks logins.',
			probe: 'dovecot',
			probeShows: ['dovecot --version'],
			guard: 'dovecotSuits',
			findings: dovecotFindings,
			remedy: c =>
				c.choices.route === 'dovecot12' && updateScriptFor(c.facts.dovecot?.version)
					? ['The layout update is for Dovecot >= v1.2.beta2. Upgrade Dovecot first,', 'then press r.']
					: ['dovecot --version must print a version like 2.1.7. Check that this is the', 'Dovecot that serves the mail, then press r.'],
		}),

		database: {
			meta: {
				step: true,
				title: 'The vmm database',
				phase: 'database',
				source: 'Create a database backup; Database update; Set database permissions',
				why: 'pg_dump, psql and set-permissions.py connect as the vmm database user. Asked once here and used by every later command. The password is never asked here: the programs ask for it themselves, or take it from PGPASSWORD or ~/.pgpass.',
			},
			initial: 'host',
			states: {
				host: inputScreen<VmmContext>({
					key: 'dbHost',
					prompt: () => 'Database server (host name, IP, or the directory of its Unix socket):',
					default: c => c.choices.dbHost ?? 'localhost',
					target: 'user',
				}),
				user: inputScreen<VmmContext>({
					key: 'dbUser',
					prompt: () => 'Database user vmm connects as:',
					default: c => c.choices.dbUser ?? 'vmm',
					target: 'name',
				}),
				name: inputScreen<VmmContext>({
					key: 'dbName',
					prompt: () => 'Database name:',
					default: c => c.choices.dbName ?? 'mailsys',
					target: 'dovecotUser',
				}),
				dovecotUser: inputScreen<VmmContext>({
					key: 'dovecotUser',
					prompt: () => 'Database user of Dovecot (set-permissions.py -D):',
					default: c => c.choices.dovecotUser ?? 'dovecot',
					target: 'postfixUser',
				}),
				postfixUser: inputScreen<VmmContext>({
					key: 'postfixUser',
					prompt: () => 'Database user of Postfix (set-permissions.py -M):',
					default: c => c.choices.postfixUser ?? 'postfix',
					target: 'dumpFile',
				}),
				dumpFile: inputScreen<VmmContext>({
					key: 'dumpFile',
					prompt: () => 'File for the backup (pg_dump writes it; it must not exist yet or be yours to replace):',
					default: c => c.choices.dumpFile ?? defaultDumpPath(c),
					target: 'probing',
				}),
				probing: {
					meta: {view: 'checking'},
					invoke: {
						id: 'probe.environment',
						src: 'probe',
						input: ({context}: {context: VmmContext}) => ({probe: 'environment', context}),
						onDone: {target: 'password', actions: 'assignFacts'},
						onError: {target: 'password'},
					},
				},
				password: {
					meta: {
						view: 'choose',
						lines: (c: VmmContext) => [
							c.facts.passwordInEnv ? 'PGPASSWORD is set in the environment.' : 'PGPASSWORD is not set in the environment.',
							'How do pg_dump, psql and set-permissions.py get the password?',
						],
						options: (c: VmmContext) => {
							const env = {value: 'env', label: 'From PGPASSWORD or ~/.pgpass (or none needed)', hint: 'commands get -w: they fail rather than ask'};
							const prompt = {value: 'prompt', label: 'Each program asks for it on the terminal', hint: 'commands get -W (set-permissions.py -a); typed there, never seen by the wizard'};
							return c.facts.passwordInEnv ? [env, prompt] : [prompt, env];
						},
					},
					on: {'operator.choose': {target: 'leave', actions: [{type: 'recordChoice', params: {key: 'password'}}, ...passedTo('database')]}},
				},
				leave: {always: afterDatabase},
			},
		} as never,

		stopServices: step<VmmContext>({
			id: 'stopServices',
			next: 'backup',
			title: 'Stop Postfix and Dovecot',
			phase: 'database',
			source: 'Stop Postfix and Dovecot',
			why: 'Before the database layout changes, Postfix and Dovecot must be stopped: they query the views the update removes. Mail waits in the sending servers\' queues meanwhile.',
			commands: c => serviceCommands(c, 'stop'),
			probe: 'services',
			probeShows: ['is postfix running?', 'is dovecot running?'],
			guard: 'mailServicesStopped',
			findings: serviceFindings('stopped'),
			remedy: () => ['A service above still runs. Press f to stop them again, or stop it by', 'hand (see its log), then press r.'],
			fix: c => serviceCommands(c, 'stop'),
		}),

		backup: step<VmmContext>({
			id: 'backup',
			next: 'restoreTest',
			title: 'Back up the database with pg_dump',
			phase: 'database',
			source: 'Create a database backup',
			why: 'The dump is the way back if the update goes wrong. A plain-format dump ends with pg_dump\'s completion line; one without it was cut off (a full disk, a lost connection) and is no backup.',
			commands: c => [backupCommand(c)],
			probe: 'dump',
			probeShows: ['stat and read the end of the dump'],
			guard: 'dumpComplete',
			findings: c => {
				const d = c.facts.dump;
				if (!d) return [];
				if (!d.exists) return [{level: 'FAIL', text: `${d.path}: not found`}];
				return [
					pass(d.size > 0, `${d.path}: ${d.size} bytes`, `${d.path}: empty`),
					pass(d.complete, `ends with "${DUMP_COMPLETE}"`, `does not end with "${DUMP_COMPLETE}": cut off`),
				];
			},
			remedy: () => ['The dump is not complete. Look at pg_dump\'s output and the free space', 'where it writes, then press f to dump again.'],
			fix: c => [backupCommand(c)],
		}),

		restoreTest: step<VmmContext>({
			id: 'restoreTest',
			next: 'restoreTest.leave',
			title: 'Verify the backup: restore it',
			phase: 'database',
			source: 'Create a database backup (a backup is verified by restoring it)',
			why: 'A dump counts only when it restores. It is loaded into a scratch database, whose tables and views are compared with the source; the scratch database is dropped again.',
			what: 'The database user needs the right to create databases (CREATEDB); else connect as postgres.',
			commands: restoreCommands,
			probe: 'restore',
			probeShows: ['compare the two lists of tables and views'],
			guard: 'backupVerified',
			findings: c => {
				const r = c.facts.restore;
				if (!r) return [];
				if ('problem' in r) return [{level: 'FAIL', text: r.problem}];
				const missing = r.source.filter(t => !r.restored.includes(t));
				const extra = r.restored.filter(t => !r.source.includes(t));
				return [
					pass(r.source.length > 0, `${r.source.length} tables and views in ${db(c).name}`, `${db(c).name} lists no tables`),
					pass(missing.length === 0 && extra.length === 0, `the restored copy has the same ${r.restored.length}`, `restored copy differs: missing ${missing.join(', ') || '-'}; extra ${extra.join(', ') || '-'}`),
				];
			},
			remedy: () => ['The restored copy differs from the database. Make a new dump (r, then', 'the backup step\'s f) and look at psql\'s output in the transcript.'],
			extraStates: {
				blocked: {meta: {view: 'blocked'}, on: {'operator.recheck': '#wizard.backup'}},
				leave: {always: afterRestore},
			},
		}),

		update: step<VmmContext>({
			id: 'update',
			next: 'permissions',
			title: 'Update the database layout',
			phase: 'database',
			source: 'Database update',
			why: 'The update script replaces the dovecot_* and postfix_* views by functions and changes the tables. It runs in one transaction and stops at the first error: a failure leaves the database as it was.',
			commands: c => {
				const chosen = chosenScript(c);
				return chosen ? [{...applyScript(c, src(c, `pgsql/${chosen.script}`)), note: `${chosen.why}: one transaction, stops at the first error`}] : [];
			},
			doneOutputLines: 12,
			initial: 'gate',
			extraStates: {
				gate: {always: [{guard: 'readyForDatabaseChange', target: 'review'}, {target: '#wizard.backup'}]},
			},
		}),

		permissions: step<VmmContext>({
			id: 'permissions',
			next: 'permissions.leave',
			title: 'Set database permissions',
			phase: 'database',
			source: 'Set database permissions',
			why: 'set-permissions.py grants the Dovecot and Postfix database users the rights on the new functions and tables; without them, logins and deliveries fail.',
			commands: c => [permissionsCommand(c)],
			extraStates: {leave: {always: afterPermissions}},
		}),

		config: step<VmmContext>({
			id: 'config',
			next: 'startServices',
			title: 'Postfix and Dovecot queries: views became functions',
			phase: 'config',
			source: 'All the views (dovecot_... and postfix_...) have been replaced by database functions',
			why: 'Every Postfix pgsql-*.cf and the Dovecot dovecot-sql.conf(.ext) that still queries a removed view fails after the update. The new files come from the 0.6.x source; your host, user, password and database lines are kept.',
			initial: 'checking',
			probe: 'config',
			probeShows: ['/etc/postfix/pgsql-*.cf', '/etc/dovecot/dovecot-sql.conf', '/etc/dovecot/dovecot-sql.conf.ext'],
			guard: 'configClean',
			changes: c => c.facts.config?.changes ?? [],
			reviewFindings: true,
			findings: configFindings,
			remedy: () => ['Change each line above by hand, after the file named after "->" in the', '0.6.x source, then press r.'],
			extraStates: {
				evaluate: {
					always: [
						{guard: 'configClean', target: 'passed', actions: passedTo('config')},
						{guard: 'configChangesOffered', target: 'review'},
						{target: 'blocked'},
					],
				},
			},
		}),

		startServices: step<VmmContext>({
			id: 'startServices',
			next: 'startServices.leave',
			title: 'Start Dovecot and Postfix again',
			phase: 'config',
			source: 'Start Dovecot and Postfix again',
			why: 'With the database updated and the queries changed, Dovecot and then Postfix start again; mail queued elsewhere arrives.',
			commands: c => serviceCommands(c, 'start'),
			probe: 'services',
			probeShows: ['is dovecot running?', 'is postfix running?'],
			guard: 'mailServicesRunning',
			findings: serviceFindings('running'),
			remedy: () => ['A service did not start. Read its log (/var/log/mail.log), fix the', 'cause (often a query in its configuration), then press f or r.'],
			fix: c => serviceCommands(c, 'start'),
			afterPassed: 'leave',
			extraStates: {leave: {always: afterStart}},
		}),

		transportFix: step<VmmContext>({
			id: 'transportFix',
			next: 'transportFix.leave',
			title: '0.6.0: users with the erroneous transport "domain"',
			phase: 'database',
			source: 'Upgrading from vmm-0.6.0 > Database fixes',
			why: 'An error in usertransport\'s argument parsing in 0.6.0 may have pointed users\' transport to the erroneous transport "domain". The document\'s UPDATE sets it back to the domain\'s default; psql prints how many rows it changed.',
			commands: c => [dbCommand(c, ['psql', ...connection(c), '-d', db(c).name, '-v', 'ON_ERROR_STOP=1', '-c', TRANSPORT_FIX_SQL], 'prints UPDATE <rows changed>')],
			initial: 'gate',
			extraStates: {
				gate: {always: [{guard: 'readyForDatabaseChange', target: 'review'}, {target: '#wizard.backup'}]},
				leave: {always: afterTransport},
			},
		}),

		dovecotPassword: step<VmmContext>({
			id: 'dovecotPassword',
			next: 'upgradeSh',
			title: '0.6.0 with Dovecot < 1.2.0: replace dovecotpassword()',
			phase: 'database',
			source: 'Upgrading from vmm-0.6.0 > Database fixes (vmm 0.6.2 UPGRADE: see file pgsql/create_tables.pgsql)',
			why: 'In 0.6.0, dovecotpassword() selects service_set.ssid unconditionally: an empty result makes logins impossible. The document lost part of the new function\'s SQL, so the wizard does not write it: it is in the 0.6.x source.',
			initial: 'explain',
			probe: 'functionFile',
			probeShows: ['read the file'],
			guard: 'sqlFileReady',
			afterPassed: 'review',
			afterCommands: 'done',
			commands: c => [applyScript(c, c.choices.functionFile ?? '')],
			findings: sqlFileFindings('CREATE OR REPLACE FUNCTION dovecotpassword'),
			remedy: () => ['The file must hold the CREATE OR REPLACE FUNCTION dovecotpassword(...)', 'statement. Press r to name the file again.'],
			extraStates: {
				explain: {
					meta: {
						view: 'info',
						lines: (c: VmmContext) => [
							'',
							'The complete function is in the 0.6.x source:',
							`  ${src(c, 'pgsql/create_tables.pgsql')}`,
							'Copy its CREATE OR REPLACE FUNCTION dovecotpassword(...) statement, up to',
							'and with its LANGUAGE line, into a file of its own, e.g.',
							`${FUNCTION_FILE} (not the whole create_tables.pgsql: that creates`,
							'the tables). The wizard checks the file and applies it with psql in one',
							'transaction.',
						],
					},
					on: {'operator.continue': 'file'},
				},
				file: inputScreen<VmmContext>({
					key: 'functionFile',
					prompt: () => 'File with the CREATE OR REPLACE FUNCTION dovecotpassword statement:',
					default: c => c.choices.functionFile ?? FUNCTION_FILE,
					target: 'checking',
				}),
				blocked: {meta: {view: 'blocked'}, on: {'operator.recheck': 'file'}},
			},
		}),

		layoutUpdate: step<VmmContext>({
			id: 'layoutUpdate',
			next: 'permissions',
			title: 'Dovecot >= v1.2.beta2: update the database layout',
			phase: 'database',
			source: 'Upgrade to Dovecot >= v1.2.beta2',
			why: `After Dovecot was upgraded from < v1.2.beta2, the database layout changes with ${LAYOUT_SCRIPT} (at the time only in vmm's hg repository). Applied in one transaction; then the permissions are set again.`,
			initial: 'file',
			probe: 'layoutFile',
			probeShows: ['read the file'],
			guard: 'sqlFileReady',
			afterPassed: 'gate',
			afterCommands: 'done',
			commands: c => [applyScript(c, c.choices.layoutFile ?? src(c, `pgsql/${LAYOUT_SCRIPT}`))],
			findings: sqlFileFindings('SQL (CREATE ... FUNCTION)'),
			remedy: () => [`Get ${LAYOUT_SCRIPT} (vmm's repository), press r and name it.`],
			extraStates: {
				file: inputScreen<VmmContext>({
					key: 'layoutFile',
					prompt: () => `Path of ${LAYOUT_SCRIPT}:`,
					default: c => c.choices.layoutFile ?? src(c, `pgsql/${LAYOUT_SCRIPT}`),
					target: 'checking',
				}),
				blocked: {meta: {view: 'blocked'}, on: {'operator.recheck': 'file'}},
				gate: {always: [{guard: 'readyForDatabaseChange', target: 'review'}, {target: '#wizard.backup'}]},
			},
		}),

		upgradeSh: step<VmmContext>({
			id: 'upgradeSh',
			next: 'finished',
			title: 'Upgrade vmm: upgrade.sh',
			phase: 'finish',
			source: 'Upgrade vmm',
			why: 'upgrade.sh installs the new code and converts vmm.cfg. Its report lists the Modified (M), Renamed (R) and New (N) settings and the removed options: read it and check /usr/local/etc/vmm.cfg.',
			commands: c => [{argv: ['./upgrade.sh'], cwd: (c.choices.sourceDir ?? '').replace(/\/+$/, '') || '/', note: `in ${c.choices.sourceDir ?? '?'}`}],
			doneOutputLines: 200,
		}),

		finished: {
			type: 'final',
			meta: {
				step: true,
				view: 'finished',
				title: 'Upgrade finished',
				phase: 'finish',
				why: 'vmm 0.6.x is in place. Check vmm.cfg and send a test mail.',
			},
		},
	},
}),
);

export type VmmUpgradeMachine = ReturnType<typeof vmmUpgradeMachine>;

/** Kept from the installed file when the 0.6.x one is put in its place: the site's connection. */
export const KEEP_KEYS = {postfix: ['hosts', 'user', 'password', 'dbname'], dovecot: ['driver', 'connect', 'default_pass_scheme']} as const;
