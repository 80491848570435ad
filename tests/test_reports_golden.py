"""One golden result (tests/fixtures/golden/report.json, a NO-GO Black Friday
rehearsal) rendered to all four formats, and their content checked: the
banner, capacity, tables, charts, checks, bulk-sender table, JUnit outcomes,
the JSON schema, and the baseline comparison through the CLI."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from peakready.reports import schema

from peakready import reports
from tests.support.cli import peakready
from tests.support.golden import GOLDEN, golden
from tests.support.scenarios import demo_data, write_scenario


class Cells(HTMLParser):
    """Rows of table-cell text per <section id>, and the text of each section."""

    def __init__(self) -> None:
        super().__init__()
        self.section = ""
        self.rows: dict[str, list[list[str]]] = {}
        self.text: dict[str, str] = {}
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("section", "header"):
            self.section = dict(attrs).get("id") or ""
        elif tag == "tr":
            self.rows.setdefault(self.section, []).append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.rows[self.section][-1].append(" ".join(" ".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        self.text[self.section] = self.text.get(self.section, "") + data
        if self.cell is not None:
            self.cell.append(data)


def parsed(html: str) -> Cells:
    p = Cells()
    p.feed(html)
    return p


def test_html_banner_first_with_blockers_and_run_facts() -> None:
    html = reports.RENDERERS["report.html"](golden())
    p = parsed(html)
    banner = " ".join(p.text["verdict"].split())
    assert banner.startswith("NO-GO Hearth & Home — Black Friday rehearsal")
    for fact in ("target http://127.0.0.1:8123", "2026-11-20T18:00:00+00:00",
                 "revision a1b2c3d4e5f6", "exit code 1", "Blocking the launch (2):",
                 "DMARC policy: email.dmarc shop.example: no DMARC record",
                 "Service levels under load: load.slo checkout:pay: p95 585 ms > 500 ms"):
        assert fact in banner, fact
    assert html.index('id="verdict"') < html.index('id="capacity"') < html.index('id="charts"')
    assert "Partial run" not in banner


@pytest.mark.parametrize("row", [
    ["last season's peak", "360 sessions/min"],
    ["growth", "+20%"], ["safety buffer", "+25%"],
    ["forecast peak", "540 sessions/min (last season × 1.20 × 1.25)"],
    ["tested peak", "528 sessions/min"],
    ["limit (highest rate that held the SLOs)",
     "864 sessions/min; stepped up 10% a minute from the plan's peak"],
    ["headroom (limit ÷ forecast peak)", "1.60× (minimum 1.50×: meets it)"],
    ["1.80×", "972 sessions/min", "972", "941", "did not hold",
     "checkout:pay p95 1,240 ms > 500 ms"],
    ["10,699", "10,663", "175", "36", "10,623", "65,252", "170 (0.26%)", "36.3", "completed"],
    ["checkout:pay", "1,058", "0.59", "234 ms", "585 ms", "936 ms", "170 (16.07%)"],
    ["bf-noah", "3,530", "3,519", "57", "11", "131 ms", "97.45%", "344"],
])
def test_html_capacity_tables(row: list[str]) -> None:
    p = parsed(reports.RENDERERS["report.html"](golden()))
    assert row in p.rows["capacity"]


def test_html_charts_inline_svg() -> None:
    html = reports.RENDERERS["report.html"](golden())
    for name in ("sessions", "latency", "errors"):
        start = html.index(f'<figure id="fig-{name}"')
        svg = html[start:html.index("</figure>", start)]
        assert f'id="chart-{name}"' in svg and "<path" in svg
        assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
            'xmlns:xlink="http://www.w3.org/1999/xlink"', "")  # nothing to fetch
    latency = html[html.index('id="fig-latency"'):html.index('id="fig-errors"')]
    for step in golden().load.steps:  # type: ignore[union-attr]
        assert f">{step}</text>" in latency
    assert "p95 SLO" in latency
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html


def test_html_checks_grouped_by_area_failures_first() -> None:
    html = reports.RENDERERS["report.html"](golden())
    rows = [r for r in parsed(html).rows["checks"] if r and r[0] != "status"]
    areas = [html.index(f'id="area-{a}"') for a in ("email", "links", "promo", "load")]
    assert areas == sorted(areas)
    assert rows[0][:2] == ["FAIL", "email.dmarc shop.example"]
    assert rows[1][:2] == ["ERROR (warn)", "email.dkim s2._domainkey.shop.example"]
    first = rows[0][2]
    assert first.startswith("dmarc-missing no DMARC record at _dmarc.shop.example")
    assert "Fix: Publish `v=DMARC1; p=none" in first and '"answer": "NXDOMAIN"' in first
    off = next(r for r in rows if r[1].startswith("promo.attribution"))
    assert off[:2] == ["off", "promo.attribution promo.attribution"]
    assert len(rows) == len(golden().findings)


@pytest.mark.parametrize("row", [
    ["SPF record published for the sending domain", "required", "required", "required",
     "PASS", "shop.example"],
    ["DKIM signing with a published key", "required", "required", "required", "ERROR",
     "s2._domainkey.shop.example"],
    ["DKIM key of at least 1024 bits", "required", "-", "-", "PASS",
     "s1._domainkey.shop.example"],
    ["DMARC record published (p=none at least)", "required", "required", "required", "FAIL",
     "shop.example"],
    ["From: domain aligned with SPF or DKIM (DMARC pass)", "required", "required",
     "required", "not checked", "-"],
    ["One-click unsubscribe (RFC 8058) in marketing mail", "required", "required", "-",
     "not checkable from DNS", "-"],
])
def test_bulk_sender_table_html_and_markdown(row: list[str]) -> None:
    report = golden()
    assert row in parsed(reports.RENDERERS["report.html"](report)).rows["bulk-sender"]
    md = reports.RENDERERS["report.md"](report).replace("\\_", "_")
    assert "| " + " | ".join(row) + " |" in md


def test_markdown_carries_the_same_figures() -> None:
    md = reports.RENDERERS["report.md"](golden())
    assert md.startswith("# NO-GO: Hearth &amp; Home — Black Friday rehearsal\n")
    for line in (
        "- DMARC policy: `email.dmarc` **shop.example**: no DMARC record at "
        "\\_dmarc.shop.example",
        "| headroom (limit ÷ forecast peak) | 1.60× (minimum 1.50×: meets it) |",
        "| 1.60× | 864 sessions/min | 864 | 860 | held | - |",
        "| checkout:pay | 1,058 | 0.59 | 234 ms | 585 ms | 936 ms | 170 (16.07%) |",
        "| bf-noah | 3,530 | 3,519 | 57 | 11 | 131 ms | 97.45% | 344 |",
        "| late / dropped | 175 late, 36 dropped in 7 of 30 intervals (first at 18 min) |",
        "| p95 checkout:pay | worst interval 1,170 ms at 18 min (run p95 585 ms) |",
        "| FAIL | email.dmarc | shop.example | dmarc-missing | no DMARC record at "
        "\\_dmarc.shop.example |",
    ):
        assert line in md.splitlines(), line
    sections = [line for line in md.splitlines() if line.startswith("## ")]
    assert sections == ["## Capacity", "## Over time", "## Checks",
                        "## Bulk-sender requirements", "## Plan and notes"]
    assert md.index("### email") < md.index("### links") < md.index("### promo") < md.index(
        "### load")


def test_junit_one_testcase_per_subject() -> None:
    root = ET.fromstring(reports.RENDERERS["junit.xml"](golden()))
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "14", "failures": "3", "errors": "1", "skipped": "1"}

    def outcome(check: str, subject: str) -> str:
        case = root.find(f".//testcase[@classname='{check}'][@name='{subject}']")
        assert case is not None
        kids = [c.tag for c in case if c.tag in ("failure", "error", "skipped")]
        return kids[0] if kids else "passed"

    assert outcome("email.dmarc", "shop.example") == "failure"
    assert outcome("promo.codes", "NOAH15") == "failure"  # fail at level warn: still a failure
    assert outcome("email.dkim", "s2._domainkey.shop.example") == "error"
    assert outcome("promo.attribution", "promo.attribution") == "skipped"
    assert outcome("email.spf", "shop.example") == "passed"
    noah = root.find(".//testcase[@name='NOAH15']/failure")
    assert noah is not None and "does not block" in noah.get("message", "")
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["verdict"] == "NO-GO"


def test_report_json_round_trips_and_matches_the_schema(tmp_path: Path) -> None:
    report = golden()
    written = reports.write_all(report, tmp_path)
    assert reports.load_report(written["report.json"]) == report
    committed = json.loads(schema.SCHEMA_PATH.read_text())
    jsonschema.validate(json.loads(written["report.json"].read_text()), committed)
    bad = json.loads(written["report.json"].read_text())
    bad["verdict"] = "MAYBE"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, committed)


def test_committed_schema_is_current() -> None:
    assert schema.SCHEMA_PATH.read_text() == schema.text(), (
        "reports/report.schema.json is stale: run `.venv/bin/python -m peakready.reports.schema`")
    assert json.loads(schema.text())["x-schema-version"] == golden().schema_version


def test_report_command_adds_the_baseline(tmp_path: Path) -> None:
    shutil.copy(GOLDEN / "report.json", tmp_path / "report.json")
    res = peakready("report", str(tmp_path / "report.json"), "--baseline",
                    str(GOLDEN / "baseline.json"))
    assert res.returncode == 1, res.stderr  # NO-GO, re-rendered without re-running
    saved = reports.load_report(tmp_path / "report.json")
    assert saved.comparison is not None
    assert saved.comparison.baseline.verdict == "GO WITH WARNINGS"
    changes = {(c.change, c.check, c.subject) for c in saved.comparison.findings}
    assert changes == {("new", "email.dmarc", "shop.example"),
                       ("new", "load.slo", "checkout:pay"),
                       ("new", "promo.codes", "NOAH15"),
                       ("new", "email.dkim", "s2._domainkey.shop.example"),
                       ("fixed", "promo.codes", "WELCOME10"),
                       ("not re-checked", "email.spf", "old.shop.example")}
    assert saved.comparison.still_open == 1  # links.utm bf-noah
    p = parsed((tmp_path / "report.html").read_text())
    assert ["requests per second", "32.58/s → 36.25/s (+11%)"] in p.rows["baseline"]
    assert ["checkout:pay", "0.53/s → 0.59/s (+12%)", "180 ms → 234 ms (+30%)",
            "450 ms → 585 ms (+30%)", "720 ms → 936 ms (+30%)",
            "0.00% → 16.07% (+16.07 pt)"] in p.rows["baseline"]
    md = (tmp_path / "report.md").read_text()
    assert "| headroom | 1.30× → 1.60× (+23%) |" in md
    assert "| fixed | FAIL | promo.codes | WELCOME10 | promo-min-spend |" in md


def test_run_takes_a_baseline(tmp_path: Path) -> None:
    data = demo_data()
    data["load"].update(duration="3s", interval="1s")
    scenario = write_scenario(tmp_path / "s.yaml", data)
    out = tmp_path / "out"
    res = peakready("run", str(scenario), "--out", str(out), "--baseline",
                    str(GOLDEN / "baseline.json"))
    assert res.returncode in (0, 1), res.stderr
    saved = reports.load_report(out / "report.json")
    assert saved.comparison is not None
    assert saved.comparison.baseline.path == str(GOLDEN / "baseline.json")
    assert "Compared with the baseline" in (out / "report.html").read_text()


def test_run_refuses_a_bad_baseline_before_any_traffic(tmp_path: Path) -> None:
    bad = tmp_path / "old.json"
    bad.write_text("{}")
    out = tmp_path / "out"
    scenario = write_scenario(tmp_path / "s.yaml", demo_data())
    res = peakready("run", str(scenario), "--out", str(out), "--baseline", str(bad))
    assert res.returncode == 2 and "old.json: not a peakready report.json" in res.stderr
    assert not out.exists()
