"""JUnit XML for CI: one testsuite per check, one testcase per finding
subject (classname = check id, name = subject).

A subject with several findings (a domain with two SPF problems) is one
testcase whose outcome is its worst finding: any ``fail`` → <failure>, else
any ``error`` → <error>, else all ``off`` or ``skip`` → <skipped>, else it
passes; the message and text list every finding of the subject. ``off``
means the scenario turned the check off: those findings are skipped whatever
their status. A fail or error at level ``warn`` is still a <failure> /
<error> (it is one), its message says it does not block the launch; so does
the message of one the gate set aside (it rests only on timings an
unhealthy load generator took). The properties name the verdict and the
findings it rests on.

Built with xml.etree (pytest's junitxml pattern), which escapes everything
it writes.
"""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET

from peakready.reports.model import Report

from peakready.findings import Finding, Level, Status


def _line(f: Finding, aside: bool = False) -> str:
    failed = f.status in (Status.FAIL, Status.ERROR)
    if aside and failed:
        level = (" [set aside: rests only on timings taken by an unhealthy load "
                 "generator; does not block]")
    elif f.level is Level.WARN and failed:
        level = f" [level {f.level.value}: does not block]"
    else:
        level = ""
    return f"{f.code}: {f.summary}{level}"


def _detail(findings: list[Finding], aside: list[Finding]) -> str:
    parts = []
    for f in findings:
        text = f"[{f.status.value}] {_line(f, f in aside)}"
        if f.evidence:
            text += f"\nevidence: {json.dumps(f.evidence, indent=2, default=str)}"
        if f.remediation:
            text += f"\nfix: {f.remediation}"
        parts.append(text)
    return "\n\n".join(parts)


def outcome(findings: list[Finding]) -> str:
    """failure | error | skipped | passed, for one subject's findings."""
    live = [f for f in findings if f.level is not Level.OFF]
    if any(f.status is Status.FAIL for f in live):
        return "failure"
    if any(f.status is Status.ERROR for f in live):
        return "error"
    if all(f.status is Status.SKIP for f in live):  # also: all off
        return "skipped"
    return "passed"


def render(report: Report) -> str:
    suites = ET.Element("testsuites", name=f"peakready: {report.scenario.name}")
    by_check: dict[str, dict[str, list[Finding]]] = {}
    for f in report.findings:
        by_check.setdefault(f.check, {}).setdefault(f.subject, []).append(f)
    aside = report.set_aside()
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for check_id, subjects in by_check.items():
        suite = ET.SubElement(suites, "testsuite", name=check_id)
        counts = dict.fromkeys(totals, 0)
        for subject, findings in subjects.items():
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", classname=check_id, name=subject,
                                 time="0")
            result = outcome(findings)
            worst = [f for f in findings if f.level is not Level.OFF and (
                (result == "failure" and f.status is Status.FAIL)
                or (result == "error" and f.status is Status.ERROR))]
            message = "; ".join(_line(f, f in aside) for f in worst or findings)
            if result == "skipped":
                counts["skipped"] += 1
                off = all(f.level is Level.OFF for f in findings)
                ET.SubElement(case, "skipped", message=("check turned off: " if off else "")
                              + message)
            elif result in ("failure", "error"):
                counts["failures" if result == "failure" else "errors"] += 1
                el = ET.SubElement(case, result, message=message, type=worst[0].code)
                el.text = _detail(findings, aside)
            else:
                ET.SubElement(case, "system-out").text = _detail(findings, aside)
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
    for k, v in totals.items():
        suites.set(k, str(v))
    props = ET.Element("properties")
    rests_on = "; ".join(f"{x.check} {x.subject} ({x.code})"
                         for x in report.verdict_basis.rests_on)
    for name, value in (("verdict", report.verdict.value), ("exit_code", report.exit_code),
                        ("git_revision", report.git_revision),
                        ("verdict_rests_on", rests_on)):
        ET.SubElement(props, "property", name=name, value=str(value))
    for suite in suites:
        suite.insert(0, copy.deepcopy(props))  # JUnit puts properties per suite
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
