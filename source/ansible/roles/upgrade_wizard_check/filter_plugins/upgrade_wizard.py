"""Filters of the upgrade_wizard_check role.

upgrade_wizard_summary turns what the check task registered on one host (and
what the copy task before it registered) into the one row of the fleet report
for that host. It never raises: a host that could not be checked becomes a
row in state "error" with the reason, so the report is written for every host.

The check's JSON is the schema of source/check/check-report.schema.json
(schemaVersion 1): product, host, status (0, 5, 6), counts, findings.
"""

import json

LEVELS = ['PASS', 'INFO', 'SKIP', 'NOTICE', 'WARN', 'FAIL']
STATES = {0: 'ready', 5: 'warn', 6: 'fail'}


def _last_line(text):
    lines = [line.strip() for line in (text or '').splitlines() if line.strip()]
    return lines[-1] if lines else ''


def _error(host, reason):
    return {
        'host': host,
        'state': 'error',
        'checked_as': '',
        'product': '',
        'status': None,
        'counts': None,
        'first': None,
        'reason': reason,
        'message': 'not checked: ' + reason,
    }


def summary(check, install, host):
    """One host's row of the fleet report."""
    install = install or {}
    check = check or {}
    if install.get('unreachable'):
        return _error(host, 'unreachable: ' + _last_line(install.get('msg')))
    if install.get('failed'):
        return _error(host, 'copying the executable failed: ' + _last_line(install.get('msg')))
    if check.get('unreachable'):
        return _error(host, 'unreachable: ' + _last_line(check.get('msg')))
    if check.get('skipped') or 'rc' not in check:
        return _error(host, _last_line(check.get('msg')) or 'the check did not run')
    rc = check.get('rc')
    if rc != 0 and not check.get('stdout') and not check.get('stderr') and check.get('msg'):
        # The command module could not start it (no such file, not executable).
        cmd = check.get('cmd') or ['upgrade-wizard']
        program = cmd[0] if isinstance(cmd, list) and cmd else 'upgrade-wizard'
        return _error(host, 'could not run %s: %s' % (program, _last_line(check.get('msg'))))
    if rc not in STATES:
        said = _last_line(check.get('stderr')) or _last_line(check.get('msg')) or _last_line(check.get('stdout'))
        return _error(host, 'upgrade-wizard check exited with status %s%s' % (rc, ': ' + said if said else ''))
    try:
        report = json.loads(check.get('stdout') or '')
    except ValueError:
        return _error(host, 'upgrade-wizard check exited with status %s but printed no JSON report' % rc)
    if not isinstance(report, dict) or report.get('schemaVersion') != 1:
        return _error(host, 'the check report is not schemaVersion 1 (another version of upgrade-wizard?)')
    findings = [f for f in report.get('findings') or [] if isinstance(f, dict)]
    counts = report.get('counts') or {}
    counts = dict((level, int(counts.get(level) or 0)) for level in LEVELS)
    state = STATES[rc]
    first = None
    for level in ('FAIL', 'WARN'):
        first = next((f for f in findings if f.get('severity') == level), None)
        if first:
            break
    remediation = (first or {}).get('remediation') or {}
    if first:
        first = {
            'key': first.get('key') or '',
            'severity': first.get('severity'),
            'title': first.get('title') or '',
            'detail': first.get('detail') or '',
            'hint': remediation.get('hint') or '',
            'command': remediation.get('command') or '',
        }
    if first:
        # The finding as the wizard's own line says it.
        message = '[%s] %s: %s' % (first['severity'], first['title'], first['detail'])
        if first['hint']:
            message += ' -> ' + first['hint']
        if first['command']:
            message += ' $ ' + first['command']
    elif state == 'ready':
        message = 'ready, nothing to act on'
    else:
        message = '[%s] the check exited with status %s' % (state.upper(), rc)
    return {
        'host': host,
        'state': state,
        'checked_as': report.get('host') or '',
        'product': report.get('product') or '',
        'status': rc,
        'counts': counts,
        'first': first,
        'reason': '',
        'message': message,
    }


def md(text):
    """Text for a cell of a Markdown (GitHub) table: one line, nothing read as markup."""
    out = []
    for char in ' '.join(str(text or '').split()):
        if char in '\\`*_[]<>|#!~&':
            out.append('\\' + char)
        else:
            out.append(char)
    return ''.join(out)


def md_code(text):
    """A command as a code span inside a Markdown table cell."""
    text = ' '.join(str(text or '').split())
    if not text:
        return ''
    ticks = '`'
    while ticks in text:
        ticks += '`'
    pad = ' ' if text.startswith('`') or text.endswith('`') else ''
    # Inside a table even a code span ends at an unescaped pipe.
    return ticks + pad + text.replace('|', '\\|') + pad + ticks


class FilterModule(object):
    def filters(self):
        return {
            'upgrade_wizard_summary': summary,
            'upgrade_wizard_md': md,
            'upgrade_wizard_md_code': md_code,
        }
