"""report.html: one self-contained page for the go/no-go meeting, verdict
first, then capacity, charts, every check, the bulk-sender table and the
baseline comparison.

Jinja2 with autoescape on: everything from outside is escaped. The only
markup not written by the template is the charts' SVG, which matplotlib's
SVG writer produces and escapes (``reports/charts.py``). The page loads
nothing (a Content-Security-Policy forbids scripts and remote fetches) and
carries print CSS for A4 and Letter.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from peakready.reports import baseline, bulk, charts, fmt
from peakready.reports.model import Report

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                   lstrip_blocks=True)
# table cells showing a status get its colour
_ENV.globals["STATUS_CLASSES"] = {
    **{s: f"s-{s.lower()}" for s in ("PASS", "WARN", "FAIL", "ERROR", "SKIP")},
    "FAIL (warn)": "s-warn", "ERROR (warn)": "s-warn", "not checked": "s-skip",
    "FAIL (set aside)": "s-skip", "ERROR (set aside)": "s-skip",
    "held": "s-pass", "did not hold": "s-fail",
    "not checkable from DNS": "s-skip"}

CHART_CAPTIONS = {
    "sessions": "Session starts per minute: the plan (dashed), what the generator started, "
                "and the starts that were late or dropped.",
    "latency": "Latency percentiles per flow step over time (p50, p95, p99); the dashed "
               "line is the step's p95 SLO.",
    "errors": "Failed requests per minute, by flow step.",
}


def render(report: Report) -> str:
    load = report.load
    comp = report.comparison
    svgs = {name: Markup(svg) for name, svg in charts.render(report).items()}
    return _ENV.get_template("report.html.j2").render(
        r=report, fmt=fmt, blockers=report.blocking(),
        inconclusive=report.inconclusive_reasons(), set_aside=report.set_aside(),
        aside=fmt.aside_ids(report), basis=fmt.basis_line(report), flags=fmt.flags(report),
        meta=fmt.meta_table(report), capacity=fmt.capacity_rows(report.capacity),
        staircase=fmt.limit_table(report.capacity),
        totals=fmt.totals_table(load) if load else None,
        steps=fmt.steps_table(load) if load and load.steps else None,
        campaigns=fmt.campaigns_table(load) if load and load.campaigns else None,
        errors=fmt.errors_table(load) if load and load.errors else None,
        charts=svgs, captions=CHART_CAPTIONS, bulk=bulk.table(report.findings),
        cmp_overall=baseline.overall_table(comp) if comp else None,
        cmp_steps=baseline.steps_table(comp) if comp and comp.steps else None,
        cmp_findings=baseline.findings_table(comp) if comp and comp.findings else None)
