import {spawnSync} from 'node:child_process';
import path from 'node:path';
import {Ajv} from 'ajv';
import {describe, expect, it} from 'vitest';
import schema from '../../source/check/check-report.schema.json' with {type: 'json'};
import {SCHEMA_VERSION} from '../../source/check/findings.ts';
import {EXIT} from '../../source/products.ts';

/*
 * One --json format for every product: each product's report, from the
 * built CLI, validated against the JSON Schema in schema/ with ajv; and the
 * schema itself refuses reports that break it, so a passing validation means
 * something.
 */
const validate = new Ajv({allErrors: true, strict: true}).compile(schema);
const check = (...args: string[]) => spawnSync(process.execPath, [path.resolve('dist/cli.js'), 'check', ...args, '--json'], {encoding: 'utf8'});

describe('check --json: one schema for pmg, vmm and puremessage', () => {
	const runs = [
		['pmg', 'clean', EXIT.checkWarn],
		['pmg', 'low-disk', EXIT.checkFail],
		['pmg', 'upgraded', EXIT.ok],
		['pmg', 'upgraded-postfix-down', EXIT.checkFail],
		['pmg', 'upgrade-half-way', EXIT.checkUnfinished],
		['vmm', 'clean', EXIT.ok],
		['vmm', 'old-0.4', EXIT.checkFail],
		['puremessage', 'three-servers', EXIT.ok],
		['puremessage', 'filter-low-disk', EXIT.checkFail],
	] as const;
	const reports = runs.map(([product, scenario, status]) => {
		const result = check(product, '--simulate', scenario);
		return {product, scenario, status, result, report: JSON.parse(result.stdout) as Record<string, unknown>};
	});

	it.each(reports.map(r => [`${r.product} ${r.scenario}`, r] as const))('%s: valid, the same top-level keys, status = exit status', (_name, r) => {
		expect(r.result.stderr).toBe('');
		expect(validate(r.report), JSON.stringify(validate.errors)).toBe(true);
		// The phase only where the product's check can tell it (pmg).
		expect(Object.keys(r.report)).toEqual(['schemaVersion', 'product', 'host', ...(r.product === 'pmg' ? ['phase'] : []), 'status', 'counts', 'findings']);
		expect(r.report.schemaVersion).toBe(SCHEMA_VERSION);
		expect(r.report.product).toBe(r.product);
		expect(r.report.host).toMatch(/ \(simulated\)$/);
		expect(r.result.status).toBe(r.status);
		expect(r.report.status).toBe(r.status);
		const findings = r.report.findings as Array<{key: string; severity: string}>;
		const counts = r.report.counts as Record<string, number>;
		for (const [severity, n] of Object.entries(counts)) expect(findings.filter(f => f.severity === severity).length, severity).toBe(n);
		// Keys are unique within a report: monitoring keys its alerts on them.
		expect(new Set(findings.map(f => f.key)).size).toBe(findings.length);
	});

	it('the schema refuses a report without schemaVersion, an unknown severity, a bad key, a stray field', () => {
		const good = reports[0]!.report;
		expect(validate(good)).toBe(true);
		const {schemaVersion: _dropped, ...noVersion} = good;
		const findings = good.findings as Array<Record<string, unknown>>;
		const broken = [
			noVersion,
			{...good, schemaVersion: 2},
			{...good, product: 'exim'},
			{...good, status: 1},
			{...good, phase: 'during'},
			{...good, extra: true},
			{...good, counts: {...(good.counts as object), BOGUS: 1}},
			{...good, findings: [{...findings[0], severity: 'ERROR'}]},
			{...good, findings: [{...findings[0], key: 'Has Spaces'}]},
			{...good, findings: [{...findings[0], remediation: {hint: 'x'}}]},
			{...good, findings: [{...findings[0], server: 'mta1'}]},
		];
		for (const report of broken) expect(validate(report), JSON.stringify(report).slice(0, 120)).toBe(false);
	});
});
