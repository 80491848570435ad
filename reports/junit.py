"""JUnit XML for CI: one testcase per finding (classname = check id, name =
subject); fail → failure, error → error, off or skip → skipped. Built with
xml.etree (pytest's junitxml pattern), which escapes everything it writes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict

from peakready.findings import Level, Status
from reports.model import Report


def render(report: Report) -> str:
    suites = ET.Element("testsuites", name=f"peakready: {report.scenario.name}")
    by_check: dict[str, list] = defaultdict(list)
    for f in report.findings:
        by_check[f.check].append(f)
    for check_id, findings in by_check.items():
        suite = ET.SubElement(suites, "testsuite", name=check_id)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for f in findings:
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", classname=check_id, name=f.subject)
            detail = f"{f.summary}\n\nevidence: {json.dumps(f.evidence, indent=2, default=str)}"
            if f.remediation:
                detail += f"\n\nfix: {f.remediation}"
            if f.level is Level.OFF or f.status is Status.SKIP:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=f"{f.code}: {f.summary}")
            elif f.status is Status.FAIL:
                counts["failures"] += 1
                el = ET.SubElement(case, "failure", message=f"{f.code}: {f.summary}",
                                   type=f.code)
                el.text = detail
            elif f.status is Status.ERROR:
                counts["errors"] += 1
                el = ET.SubElement(case, "error", message=f"{f.code}: {f.summary}", type=f.code)
                el.text = detail
            else:
                out = ET.SubElement(case, "system-out")
                out.text = f"[{f.status.value}] {f.code}: {f.summary}"
        for k, v in counts.items():
            suite.set(k, str(v))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
