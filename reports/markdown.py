"""report.md: the same report in text, for a CI job summary or a chat.

It follows report.html section by section; the charts become a table of
what they show (peaks and when they happened, from ``reports.series``).
Evidence is listed for the findings that are not a pass.

Markdown renders HTML, so everything that came from outside is escaped
(``<``, ``>``, ``&``, table pipes and emphasis characters) and kept on one
line.
"""

from __future__ import annotations

import json
import re
from typing import Any

from peakready.reports import baseline, bulk, fmt, series
from peakready.reports.model import Report

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
MAX_EVIDENCE_CHARS = 600  # per finding, on one line; report.json has all of it


def esc(text: object) -> str:
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return " ".join(s.splitlines())


def _table(head: list[str], rows: list[list[object]]) -> list[str]:
    out = ["| " + " | ".join(esc(h) for h in head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return [*out, ""]


def _listed(heading: str, found: list[Any], cap: int) -> list[str]:
    """A banner list: its heading, the first ``cap`` findings, how many more."""
    lines = ["", f"**{heading}:**", ""]
    lines += [f"- `{esc(f.check)}` {esc(f.subject)}: {esc(f.summary)}" for f in found[:cap]]
    if len(found) > cap:
        lines.append(f"- … and {len(found) - cap} more, listed under Checks")
    return lines


def _banner(r: Report) -> list[str]:
    lines = [f"# {r.verdict.value}: {esc(r.scenario.name)}"]
    if fmt.flags(r):
        lines += ["", *(f"**{esc(flag)}**  " for flag in fmt.flags(r))]
    cap = fmt.MAX_BANNER_FINDINGS
    blockers = r.blocking()
    if blockers:
        lines += ["", f"**Blocking the launch ({len(blockers)}):**", ""]
        lines += [f"- {esc(fmt.check_title(r, f.check))}: `{esc(f.check)}` "
                  f"**{esc(f.subject)}**: {esc(f.summary)}" for f in blockers[:cap]]
        if len(blockers) > cap:
            lines.append(f"- … and {len(blockers) - cap} more, listed under Checks")
    reasons = r.inconclusive_reasons()
    if reasons:
        lines += _listed(fmt.health_heading(r), reasons, cap)
    aside = r.set_aside()
    if aside:
        lines += _listed(esc(fmt.set_aside_heading(r)), aside, cap)
    basis = fmt.basis_line(r)
    if basis:
        lines += ["", esc(basis)]
    return [*lines, "", *_table(*fmt.meta_table(r))]


def _capacity(r: Report) -> list[str]:
    lines = ["## Capacity", "", *_table(*fmt.capacity_rows(r.capacity))]
    staircase = fmt.limit_table(r.capacity)
    if staircase:
        lines += ["### Finding the limit", "", *_table(*staircase)]
    if r.load is None:
        return [*lines, "No load was run: there are no measured figures.", ""]
    lines += ["### Run totals", "", *_table(*fmt.totals_table(r.load))]
    if r.load.steps:
        lines += ["### Flow steps", "", *_table(*fmt.steps_table(r.load))]
    if r.load.campaigns:
        lines += ["### Campaigns", "", *_table(*fmt.campaigns_table(r.load))]
    return lines


def _over_time(r: Report) -> list[str]:
    if r.load is None:
        return []
    rows = series.summary_rows(r.load)
    lines = ["## Over time", ""]
    lines += _table(["chart", "what it shows"], rows) if rows else [
        "No load series was recorded.", ""]
    if r.load.errors:
        lines += ["### Most frequent errors", "", *_table(*fmt.errors_table(r.load))]
    return lines


def _checks(r: Report) -> list[str]:
    lines = ["## Checks", ""]
    aside = fmt.aside_ids(r)
    for area, findings in r.grouped():
        lines += [f"### {esc(area)} ({esc(fmt.area_counts(findings, aside))})", ""]
        lines += _table(["status", "check", "subject", "code", "summary"],
                        [[fmt.status_label(f, id(f) in aside), f.check, f.subject, f.code,
                          f.summary] for f in findings])
        for f in findings:
            if f.status not in fmt.PROBLEMS:
                continue
            lines.append(f"- **{esc(fmt.status_label(f, id(f) in aside))}** "
                         f"`{esc(f.check)}` **{esc(f.subject)}** `{esc(f.code)}`: "
                         f"{esc(f.summary)}")
            if id(f) in aside:
                lines.append(f"  - {esc(fmt.ASIDE_NOTE)}")
            if f.remediation:
                lines.append(f"  - fix: {esc(f.remediation)}")
            if f.evidence:
                ev = json.dumps(f.evidence, default=str, ensure_ascii=False)
                if len(ev) > MAX_EVIDENCE_CHARS:
                    ev = ev[:MAX_EVIDENCE_CHARS] + " … (cut; see report.json)"
                lines.append(f"  - evidence: {esc(ev)}")
        lines.append("")
    if len(lines) == 2:
        lines += ["No check produced a finding.", ""]
    return lines


def _comparison(r: Report) -> list[str]:
    c = r.comparison
    if c is None:
        return []
    b = c.baseline
    lines = ["## Compared with the baseline", "",
             f"Baseline: {esc(b.scenario)} · {esc(b.started_at or 'date unknown')} · revision "
             f"{esc(b.git_revision or 'unknown')} · verdict {esc(b.verdict)}"
             + (f" · {esc(b.path)}" if b.path else ""), "",
             *_table(*baseline.overall_table(c))]
    if c.steps:
        lines += ["### Flow steps", "", *_table(*baseline.steps_table(c))]
    lines += ["### Findings", ""]
    lines += (_table(*baseline.findings_table(c)) if c.findings
              else ["No finding is new or fixed.", ""])
    return [*lines, f"{c.still_open} problem(s) open in both runs.", ""]


def render(report: Report) -> str:
    r = report
    lines = [*_banner(r), *_capacity(r), *_over_time(r), *_checks(r),
             "## Bulk-sender requirements", "", *_table(*bulk.table(r.findings)),
             *_comparison(r)]
    if r.plan.summary or r.notes:
        lines += ["## Plan and notes", ""]
        if r.plan.summary:
            lines += _table(["item", "value"], [[k, v] for k, v in r.plan.summary.items()])
        lines += [f"- {esc(n)}" for n in r.notes]
    lines += ["", f"peakready {esc(r.tool_version)} · report schema {r.schema_version}"]
    return "\n".join(lines).rstrip() + "\n"
