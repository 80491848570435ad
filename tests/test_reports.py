"""Renderers: every format from one Report; outside content always escaped."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import reports
from peakready.findings import Finding, Level, Status
from peakready.results import ErrorSample, LoadResult, StepStats
from reports.gate import Verdict
from reports.model import CheckInfo, Report, ScenarioInfo

SCRIPT = "<script>alert(1)</script>"
HOSTILE_URL = 'https://evil.example/"><img src=x onerror=alert(2)>?utm_source=x'


def hostile_report() -> Report:
    findings = [
        Finding(check="email.spf", subject=f"shop.example{SCRIPT}", status=Status.FAIL,
                code="spf-plus-all", summary=f"record says {SCRIPT}",
                evidence={"record": f"v=spf1 {SCRIPT} +all"}, remediation="fix | it",
                level=Level.ERROR),
        Finding(check="links.utm", subject=HOSTILE_URL, status=Status.WARN, code="utm-case",
                summary="mixed case", evidence={"link": HOSTILE_URL}, level=Level.WARN),
    ]
    load = LoadResult(steps={"landing": StepStats(requests=10, failures=1, p95_ms=12.0)},
                      errors=[ErrorSample(step="landing", message=f"HTTP 500: {SCRIPT}",
                                          count=1)])
    return Report(scenario=ScenarioInfo(name=f"shop {SCRIPT}", target=HOSTILE_URL),
                  verdict=Verdict.NO_GO, exit_code=1, load=load, findings=findings,
                  checks=[CheckInfo(id="email.spf", title="SPF", area="email", level="error"),
                          CheckInfo(id="links.utm", title="UTM", area="links", level="warn")])


def test_all_formats_written_and_round_trip(tmp_path: Path) -> None:
    report = hostile_report()
    written = reports.write_all(report, tmp_path)
    assert set(written) == {"report.json", "report.md", "report.html", "junit.xml"}
    again = reports.load_report(written["report.json"])
    assert again == report


def test_html_escapes_outside_content() -> None:
    html = reports.RENDERERS["report.html"](hostile_report())
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert html.index("NO-GO") < html.index("Checks")  # verdict first


def test_markdown_escapes_outside_content() -> None:
    md = reports.RENDERERS["report.md"](hostile_report())
    assert "<script>" not in md and "<img" not in md
    assert "&lt;script&gt;" in md
    assert md.startswith("# NO-GO")
    for line in md.splitlines():  # a pipe from outside never breaks a table row
        if line.startswith("| FAIL"):
            assert line.count(" | ") == 4


def test_junit_is_well_formed_with_failures() -> None:
    xml = reports.RENDERERS["junit.xml"](hostile_report())
    root = ET.fromstring(xml)
    cases = root.findall(".//testcase")
    assert len(cases) == 2
    failure = root.find(".//testcase[@classname='email.spf']/failure")
    assert failure is not None and SCRIPT in failure.get("message", "")
    assert "<script>" not in xml  # escaped by the XML writer


def test_report_json_is_schema_versioned(tmp_path: Path) -> None:
    reports.write_all(hostile_report(), tmp_path)
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["schema_version"] == 1
    assert data["verdict"] == "NO-GO"


def test_report_command_rerenders(tmp_path: Path) -> None:
    from tests.conftest import peakready

    reports.write_all(hostile_report(), tmp_path)
    (tmp_path / "report.html").unlink()
    out = peakready("report", str(tmp_path / "report.json"))
    assert out.returncode == 1
    assert (tmp_path / "report.html").exists()


def test_report_command_rejects_non_report(tmp_path: Path) -> None:
    from tests.conftest import peakready

    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    out = peakready("report", str(bad))
    assert out.returncode == 2 and "not a peakready report.json" in out.stderr
