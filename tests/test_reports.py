"""Renderers: every format from one Report; outside content always escaped.

The hostile report puts markup wherever outside text can reach a report:
DNS evidence, URLs (as subjects, evidence and target), step and campaign
names (which end up in the charts' SVG), error messages, notes, the plan
summary and a baseline comparison.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from peakready.reports.baseline import compare
from peakready.reports.model import CheckInfo, PlanInfo, Report, ScenarioInfo

from peakready import reports
from peakready.findings import Finding, Level, Status
from peakready.load.results import (
    ErrorSample,
    Interval,
    LoadResult,
    RunStatus,
    SessionStats,
    StepStats,
)
from peakready.verdict import Verdict
from tests.support.cli import peakready

SCRIPT = "<script>alert(1)</script>"
HOSTILE_URL = 'https://evil.example/"><img src=x onerror=alert(2)>?utm_source=x'
STEP = f"checkout:{SCRIPT}"
CAMPAIGN = f'bf-<img src=x onerror="alert(3)">{SCRIPT}'


def hostile_report() -> Report:
    findings = [
        Finding(check="email.spf", subject=f"shop.example{SCRIPT}", status=Status.FAIL,
                code="spf-plus-all", summary=f"record says {SCRIPT}",
                evidence={"record": f"v=spf1 {SCRIPT} +all",
                          "bulk_sender": ["spf", SCRIPT]},
                remediation=f"fix | it {SCRIPT}", level=Level.ERROR),
        Finding(check="links.utm", subject=HOSTILE_URL, status=Status.WARN, code="utm-case",
                summary="mixed case", evidence={"link": HOSTILE_URL}, level=Level.WARN),
        Finding(check="load.slo", subject=STEP, status=Status.FAIL, code="slo-breached",
                summary=f"p95 too high on {STEP}", evidence={"p95_limit_ms": 5.0},
                level=Level.ERROR),
    ]
    step = StepStats(requests=10, failures=1, p50_ms=3.0, p95_ms=12.0, p99_ms=20.0)
    series = [Interval(t=t, planned=5, started=5, requests=10, failures=1, steps={STEP: step})
              for t in (0.0, 60.0, 120.0)]
    load = LoadResult(steps={STEP: step}, series=series, elapsed_s=180, interval_s=60,
                      requests=30, failures=3, status=RunStatus.ABORTED,
                      stop_reason=f"errors above 5% {SCRIPT}",
                      campaigns={CAMPAIGN: SessionStats(planned=5, started=5)},
                      errors=[ErrorSample(step=STEP, message=f"HTTP 500: {SCRIPT}", count=1)])
    return Report(scenario=ScenarioInfo(name=f"shop {SCRIPT}", target=HOSTILE_URL),
                  verdict=Verdict.NO_GO, exit_code=1, load=load, findings=findings,
                  partial=True, notes=[f"load aborted: {SCRIPT}"],
                  git_revision=SCRIPT, started_at=SCRIPT,
                  plan=PlanInfo(summary={"source": HOSTILE_URL}, curve=[(0.0, 5.0)]),
                  checks=[CheckInfo(id="email.spf", title=f"SPF {SCRIPT}", area="email",
                                    level="error"),
                          CheckInfo(id="links.utm", title="UTM", area="links", level="warn")])


def with_hostile_baseline(report: Report) -> Report:
    then = report.model_copy(update={
        "findings": [Finding(check="email.dkim", subject=HOSTILE_URL, status=Status.FAIL,
                             code="x", summary=SCRIPT, level=Level.ERROR)],
        "scenario": ScenarioInfo(name=SCRIPT)})
    return report.model_copy(update={"comparison": compare(report, then, HOSTILE_URL)})


class Tags(HTMLParser):
    """Every element and attribute a browser would build from the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]


def test_all_formats_written_and_round_trip(tmp_path: Path) -> None:
    report = with_hostile_baseline(hostile_report())
    written = reports.write_all(report, tmp_path)
    assert set(written) == {"report.json", "report.md", "report.html", "junit.xml"}
    again = reports.load_report(written["report.json"])
    assert again == report


def test_html_escapes_outside_content() -> None:
    html = reports.RENDERERS["report.html"](with_hostile_baseline(hostile_report()))
    parsed = Tags()
    parsed.feed(html)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert not [a for a in parsed.attrs if a.startswith("on")]
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<svg") == 3  # the hostile step name went through every chart
    assert html.index("NO-GO") < html.index("Checks")  # verdict first


def test_markdown_escapes_outside_content() -> None:
    md = reports.RENDERERS["report.md"](with_hostile_baseline(hostile_report()))
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
    assert len(cases) == 3
    failure = root.find(".//testcase[@classname='email.spf']/failure")
    assert failure is not None and SCRIPT in failure.get("message", "")
    assert "<script>" not in xml  # escaped by the XML writer


def test_report_json_is_schema_versioned(tmp_path: Path) -> None:
    reports.write_all(hostile_report(), tmp_path)
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["schema_version"] == 1
    assert data["verdict"] == "NO-GO"


def test_report_command_rerenders(tmp_path: Path) -> None:
    reports.write_all(hostile_report(), tmp_path)
    (tmp_path / "report.html").unlink()
    out = peakready("report", str(tmp_path / "report.json"))
    assert out.returncode == 1
    assert (tmp_path / "report.html").exists()


@pytest.mark.parametrize(("content", "message"), [
    ('{"hello": 1}', "not a peakready report.json"),
    ("not json", "not a peakready report.json"),
])
def test_report_command_rejects_non_report(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "x.json"
    bad.write_text(content)
    out = peakready("report", str(bad))
    assert out.returncode == 2 and message in out.stderr and str(bad) in out.stderr


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    data = json.loads(hostile_report().model_dump_json())
    data["schema_version"] = 99
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data))
    out = peakready("report", str(path), "--out", str(tmp_path / "out"))
    assert out.returncode == 2 and "newer than this peakready reads" in out.stderr


def test_bad_baseline_is_bad_input(tmp_path: Path) -> None:
    reports.write_all(hostile_report(), tmp_path)
    out = peakready("report", str(tmp_path / "report.json"), "--baseline",
                    str(tmp_path / "missing.json"))
    assert out.returncode == 2 and "missing.json: cannot read the report" in out.stderr


def _plain(**kw: object) -> Report:
    return Report(scenario=ScenarioInfo(name="s"), verdict=kw.pop("verdict", Verdict.GO),
                  exit_code=0, **kw)  # type: ignore[arg-type]


def _load(failures: int = 0, **kw: object) -> LoadResult:
    step = StepStats(requests=10, failures=failures, p50_ms=3.0, p95_ms=9.0, p99_ms=12.0)
    series = [Interval(t=t, planned=4, started=4, requests=10, failures=failures,
                       steps={"landing": step}) for t in (0.0, 10.0)]
    return LoadResult(series=series, steps={"landing": step}, interval_s=10, elapsed_s=20,
                      requests=20, failures=2 * failures, **kw)  # type: ignore[arg-type]


GENERATOR_FAIL = Finding(check="load.generator", subject="generator", status=Status.FAIL,
                         code="arrivals-behind-plan", summary="40% of starts were late",
                         level=Level.ERROR)


@pytest.mark.parametrize(("report", "html_has", "md_has", "svgs"), [
    (_plain(partial=True, notes=["internal error: boom"]),
     ["No load was run", "not measured (run with --find-limit)", "Partial run: internal error"],
     ["No load was run", "**Partial run: internal error: boom**"], 0),
    (_plain(load=LoadResult()), ["No load series was recorded."],
     ["No load series was recorded."], 0),
    (_plain(load=_load()), ["No request failed.", "No check produced a finding."],
     ["| errors | no request failed |", "No check produced a finding."], 2),
    (_plain(load=_load(failures=1, status=RunStatus.ABORTED, stop_reason="errors 12% > 5%"),
            partial=True),
     ["ABORTED: errors 12% &gt; 5%"], ["**ABORTED: errors 12% &gt; 5%**"], 3),
    (_plain(verdict=Verdict.INCONCLUSIVE, findings=[GENERATOR_FAIL],
            checks=[CheckInfo(id="load.generator", title="Generator", area="load",
                              level="error", health=True)]),
     ["Why nothing can be concluded", "40% of starts were late"],
     ["**Why nothing can be concluded:**"], 0),
])
def test_renders_every_shape_of_run(report: Report, html_has: list[str], md_has: list[str],
                                    svgs: int) -> None:
    html = reports.RENDERERS["report.html"](report)
    md = reports.RENDERERS["report.md"](report)
    for text in html_has:
        assert text in html, text
    for text in md_has:
        assert text in md, text
    assert html.count("<svg") == svgs


def test_banner_names_at_most_ten_blockers_and_says_how_many_more() -> None:
    many = [Finding(check="email.spf", subject=f"d{i}.example", status=Status.FAIL, code="x",
                    summary="bad", level=Level.ERROR) for i in range(13)]
    report = _plain(verdict=Verdict.NO_GO, findings=many)
    html = reports.RENDERERS["report.html"](report)
    banner = html[html.index('id="verdict"'):html.index("</header>")]
    assert "Blocking the launch (13)" in banner and banner.count("<li>") == 11
    assert "… and 3 more, listed under Checks" in banner
    assert "… and 3 more, listed under Checks" in reports.RENDERERS["report.md"](report)


def test_long_series_is_downsampled_keeping_spikes() -> None:
    from peakready.reports.series import MAX_POINTS, timeline

    step = StepStats(requests=10, p50_ms=1.0, p95_ms=2.0, p99_ms=3.0)
    spike = StepStats(requests=10, p50_ms=1.0, p95_ms=900.0, p99_ms=950.0)
    series = [Interval(t=i * 10.0, planned=6, started=6, steps={"landing": spike if i == 777
                                                                else step})
              for i in range(1440)]  # 4 hours at 10 s
    tl = timeline(LoadResult(series=series, interval_s=10, elapsed_s=14400),
                  [(i * 10.0, 6.0) for i in range(1440)])
    assert len(tl.x) <= MAX_POINTS and len(tl.planned) <= MAX_POINTS
    assert tl.unit == "min"
    assert max(tl.latency["landing"][1]) == 900.0  # the spike survives the buckets
    assert set(tl.started) == {36.0} and set(tl.planned) == {36.0}  # per minute, exact


@pytest.mark.parametrize(("began", "expected"), [
    ((0, 0, 0), [60.0, 60.0, 30.0]),  # a result without `began`: by scheduled interval
    ((6, 3, 6), [36.0, 18.0, 36.0]),  # sessions drawn where they actually began
])
def test_started_line_uses_began_when_recorded(began: tuple[int, ...],
                                               expected: list[float]) -> None:
    from peakready.reports.series import timeline

    series = [Interval(t=i * 10.0, planned=10, started=s, began=b)
              for i, (s, b) in enumerate(zip((10, 10, 5), began, strict=True))]
    series.append(Interval(t=30.0))  # a trailing idle interval is not drawn
    tl = timeline(LoadResult(series=series, interval_s=10, elapsed_s=30), [])
    assert tl.started[:3] == expected
    assert tl.sessions_len == 3 and tl.x_end == 40.0
