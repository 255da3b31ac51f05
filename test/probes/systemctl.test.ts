import {describe, expect, it} from 'vitest';
import {parseIsActive, parseIsEnabled} from '../../source/probes/systemctl.ts';
import {sample} from './samples.ts';

const UNITS = ['postfix', 'pmg-smtp-filter', 'pmgpolicy', 'pmgdaemon', 'pmgproxy'];

describe('systemctl is-active', () => {
	it('maps one word per line to the units in order', () => {
		expect(parseIsActive(UNITS, 'active\nfailed\ninactive\nactivating\ndeactivating\n')).toEqual({
			postfix: 'active',
			'pmg-smtp-filter': 'failed',
			pmgpolicy: 'inactive',
			pmgdaemon: 'activating',
			pmgproxy: 'deactivating',
		});
	});

	it('gives unknown to units without a line, as when systemd is not running', () => {
		expect(parseIsActive(['a', 'b'], '')).toEqual({a: 'unknown', b: 'unknown'});
		expect(parseIsActive(['a', 'b'], 'active\n')).toEqual({a: 'active', b: 'unknown'});
	});

	it('reads CRLF and skips lines that are not state words', () => {
		expect(parseIsActive(['a', 'b'], 'System has not been booted with systemd as init system (PID 1).\r\nactive\r\nreloading\r\n')).toEqual({a: 'active', b: 'reloading'});
	});
});

describe('systemctl is-enabled', () => {
	it('reads masked, enabled, disabled and static', () => {
		expect(parseIsEnabled(['a', 'b', 'c', 'd'], 'masked\nenabled\ndisabled\nstatic\n')).toEqual({a: 'masked', b: 'enabled', c: 'disabled', d: 'static'});
	});

	it('reads the real run that stopped at a missing unit: that unit not-found, the rest unknown', () => {
		const units = ['apt-daily.timer', 'nosuch.service', 'apt-daily-upgrade.timer'];
		expect(parseIsEnabled(units, sample('is-enabled.stdout'), sample('is-enabled.stderr'))).toEqual({
			'apt-daily.timer': 'enabled',
			'nosuch.service': 'not-found',
			'apt-daily-upgrade.timer': 'unknown',
		});
		expect(parseIsEnabled(units, sample('is-enabled.stdout'))['nosuch.service']).toBe('unknown');
	});

	it('finds a missing unit asked for without .service', () => {
		expect(parseIsEnabled(['pmgmirror', 'pmgtunnel'], '', 'Failed to get unit file state for pmgmirror.service: No such file or directory\n')).toEqual({
			pmgmirror: 'not-found',
			pmgtunnel: 'unknown',
		});
	});

	it('passes newer words through, such as not-found and alias', () => {
		expect(parseIsEnabled(['a', 'b'], 'not-found\nalias\n')).toEqual({a: 'not-found', b: 'alias'});
	});

	it('gives unknown for empty output and garbage', () => {
		expect(parseIsEnabled(['a'], '')).toEqual({a: 'unknown'});
		expect(parseIsEnabled(['a'], '\u0000\u0001 ???\n')).toEqual({a: 'unknown'});
		expect(parseIsEnabled([], 'enabled\n')).toEqual({});
	});
});
