/**
 * The probes: pure functions from command output (or file text) to facts.
 * None of them runs anything; the runtime does the I/O and hands them text.
 */
export {outputLines, stripAnsi} from './ansi.ts';
export {
	aptEnabled,
	disableEntries,
	findSuiteEntries,
	isSuiteOf,
	lineDiff,
	parseSourcesFile,
	renameSuite,
	rewriteSuites,
	type SourceEntry,
	type SourceError,
	type SourcesFile,
} from './apt-sources.ts';
export {compareDebianVersions, isValidDebianVersion, versionAtLeast} from './debian-version.ts';
export {parseDpkgQueryStatus, type DpkgStatus} from './dpkg.ts';
export {localeProblems, normalizeLocale, parseLocaleList} from './locale.ts';
export {parsePgLsclusters, type PgCluster} from './pg-lsclusters.ts';
export {BACKUP_MEMBERS, checkBackupListing, OPTIONAL_BACKUP_MEMBERS, parseBackupFileName} from './pmg-backup.ts';
export {countFindings, parseChecklist, type ChecklistFinding, type ChecklistLevel, type ChecklistSummary} from './pmg8to9.ts';
export {parsePmgcmStatus, type PmgcmNode, type PmgcmStatus} from './pmgcm.ts';
export {parsePmgVersion, type PmgVersionFacts} from './pmgversion.ts';
export {parseIsActive, parseIsEnabled, type ActiveState, type EnabledState} from './systemctl.ts';
