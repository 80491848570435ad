"""report.md: the same report in text, for a CI job summary or a chat.

Markdown renders HTML, so everything that came from outside is escaped
(``<``, ``>``, ``&``, table pipes and emphasis characters).
"""

from __future__ import annotations

import json
import re

from reports import fmt
from reports.model import Report

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def esc(text: object) -> str:
    s = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return " ".join(s.splitlines())


def _table(head: list[str], rows: list[list[object]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return [*out, ""]


def render(report: Report) -> str:
    r = report
    lines = [f"# {r.verdict.value}: {esc(r.scenario.name)}", ""]
    if r.partial:
        lines += ["**PARTIAL RUN:** " + esc("; ".join(r.notes) or "the run did not complete"),
                  ""]
    blockers = r.blocking()
    if blockers:
        lines.append("**Blocking the launch:**")
        lines += [f"- `{esc(f.check)}` {esc(f.subject)}: {esc(f.summary)}" for f in blockers]
        lines.append("")
    lines += _table(["scenario", "target", "started", "revision", "exit code"],
                    [[r.scenario.name, r.scenario.target, r.started_at, r.git_revision or "-",
                      r.exit_code]])
    if r.plan.summary:
        lines += ["## Plan", ""]
        lines += _table(["item", "value"], [[k, v] for k, v in r.plan.summary.items()])
    if r.load:
        lines += ["## Load", ""]
        lines += _table(*fmt.capacity_table(r.load))
        lines += ["### Flow steps", ""]
        lines += _table(*fmt.steps_table(r.load))
        if r.load.campaigns:
            lines += ["### Campaigns", ""]
            lines += _table(*fmt.campaigns_table(r.load))
        if r.load.errors:
            lines += ["### Errors", ""]
            lines += _table(["step", "count", "message"],
                            [[e.step, e.count, e.message] for e in r.load.errors[:20]])
    lines += ["## Checks", ""]
    for area, findings in r.grouped():
        lines += [f"### {esc(area)}", ""]
        lines += _table(["status", "check", "subject", "code", "summary"],
                        [[fmt.status_label(f), f.check, f.subject, f.code, f.summary]
                         for f in findings])
        for f in findings:
            if f.status.value in ("fail", "error", "warn"):
                lines.append(f"- **{esc(f.subject)}** `{esc(f.code)}`: {esc(f.summary)}")
                if f.evidence:
                    lines.append(f"  - evidence: {esc(json.dumps(f.evidence, default=str))}")
                if f.remediation:
                    lines.append(f"  - fix: {esc(f.remediation)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
