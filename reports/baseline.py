"""Baseline comparison: this run against an earlier report.json.

``peakready run ... --baseline old/report.json`` and ``peakready report
RESULT.json --baseline old/report.json`` store a ``Comparison`` in the
report, so report.json carries the deltas and every renderer shows them:
request rates and latencies per flow step, the headline figures, and the
findings that are new or fixed.

A finding is identified by (check, subject, code) and counts as a problem
when its status is fail, error or warn at a level other than off. A
baseline problem that is gone is "fixed" when the check looked at that
subject again, and "not re-checked" when it did not (a narrower scenario
is not a fix).
"""

from __future__ import annotations

from peakready.reports.comparison import BaselineRef, Comparison, Delta, FindingChange, StepDelta
from peakready.reports.model import Report

from peakready.findings import Finding, Level, Status

PROBLEM = (Status.FAIL, Status.ERROR, Status.WARN)


def is_problem(f: Finding) -> bool:
    return f.status in PROBLEM and f.level is not Level.OFF


def _key(f: Finding) -> tuple[str, str, str]:
    return (f.check, f.subject, f.code)


def _overall(now: Report, then: Report) -> list[Delta]:
    def rate(r: Report) -> float | None:
        return r.load.requests / r.load.elapsed_s if r.load and r.load.elapsed_s else None

    def fail_rate(r: Report) -> float | None:
        return r.load.failures / r.load.requests * 100 if r.load and r.load.requests else None

    def started(r: Report) -> float | None:
        return float(r.load.totals.started) if r.load else None

    def checkout(r: Report) -> float | None:
        s = r.load.totals.checkout_success if r.load else None
        return None if s is None else s * 100

    rows = [Delta(name="requests per second", unit="/s", before=rate(then), after=rate(now)),
            Delta(name="failed requests", unit="%", before=fail_rate(then),
                  after=fail_rate(now), higher_is_better=False),
            Delta(name="sessions started", before=started(then), after=started(now)),
            Delta(name="checkout success", unit="%", before=checkout(then),
                  after=checkout(now))]
    for field, name, unit in (("tested_peak_per_min", "tested peak", "/min"),
                              ("limit_per_min", "limit (highest rate that held)", "/min"),
                              ("headroom", "headroom", "x")):
        before, after = getattr(then.capacity, field), getattr(now.capacity, field)
        if before is not None or after is not None:
            rows.append(Delta(name=name, unit=unit, before=before, after=after))
    return rows


def _steps(now: Report, then: Report) -> list[StepDelta]:
    a = now.load.steps if now.load else {}
    b = then.load.steps if then.load else {}
    ea = now.load.elapsed_s if now.load else 0.0
    eb = then.load.elapsed_s if then.load else 0.0
    out = []
    for step in [*a, *(s for s in b if s not in a)]:
        x, y = b.get(step), a.get(step)
        out.append(StepDelta(
            step=step,
            rate_before=x.requests / eb if x and eb else None,
            rate_after=y.requests / ea if y and ea else None,
            p50_before=x.p50_ms if x else None, p50_after=y.p50_ms if y else None,
            p95_before=x.p95_ms if x else None, p95_after=y.p95_ms if y else None,
            p99_before=x.p99_ms if x else None, p99_after=y.p99_ms if y else None,
            errors_before=x.error_rate if x else None,
            errors_after=y.error_rate if y else None))
    return out


def _findings(now: Report, then: Report) -> tuple[list[FindingChange], int]:
    cur = {_key(f): f for f in now.findings if is_problem(f)}
    old = {_key(f): f for f in then.findings if is_problem(f)}
    seen_now = {(f.check, f.subject) for f in now.findings}
    out = [FindingChange(change="new", check=f.check, subject=f.subject, code=f.code,
                         status=f.status.value, summary=f.summary)
           for k, f in cur.items() if k not in old]
    for k, f in old.items():
        if k in cur:
            continue
        change = "fixed" if (f.check, f.subject) in seen_now else "not re-checked"
        out.append(FindingChange(change=change, check=f.check, subject=f.subject, code=f.code,
                                 status=f.status.value, summary=f.summary))
    return out, sum(1 for k in cur if k in old)


def compare(now: Report, then: Report, path: str = "") -> Comparison:
    """The deltas from ``then`` (the baseline) to ``now``; a pure function."""
    changes, still = _findings(now, then)
    return Comparison(
        baseline=BaselineRef(path=path, scenario=then.scenario.name, started_at=then.started_at,
                             git_revision=then.git_revision, verdict=then.verdict.value),
        overall=_overall(now, then), steps=_steps(now, then), findings=changes,
        still_open=still)


# -- tables shared by the HTML and Markdown renderers ----------------------------


def change(before: float | None, after: float | None, unit: str = "") -> str:
    """``12 ms → 15 ms (+25%)``; percentages change in points, not percent."""
    def show(v: float | None) -> str:
        if v is None:
            return "-"
        if unit == "x":
            return f"{v:.2f}×"
        if unit == "%":
            return f"{v:.2f}%"
        if unit == "ms":
            return f"{v:,.0f} ms" if v >= 10 else f"{v:.1f} ms"
        return f"{v:,.2f}{unit}" if v < 100 else f"{v:,.0f}{unit}"

    text = f"{show(before)} → {show(after)}"
    if before is None or after is None:
        return text
    if unit == "%":
        return text + f" ({after - before:+.2f} pt)"
    if before:
        return text + f" ({(after - before) / before:+.0%})"
    return text


def overall_table(c: Comparison) -> tuple[list[str], list[list[object]]]:
    return (["figure", "baseline → now"],
            [[d.name, change(d.before, d.after, d.unit)] for d in c.overall])


def steps_table(c: Comparison) -> tuple[list[str], list[list[object]]]:
    def err(v: float | None) -> float | None:
        return None if v is None else v * 100

    return (["step", "req/s", "p50", "p95", "p99", "errors"],
            [[s.step, change(s.rate_before, s.rate_after, "/s"),
              change(s.p50_before, s.p50_after, "ms"), change(s.p95_before, s.p95_after, "ms"),
              change(s.p99_before, s.p99_after, "ms"),
              change(err(s.errors_before), err(s.errors_after), "%")] for s in c.steps])


def findings_table(c: Comparison) -> tuple[list[str], list[list[object]]]:
    order = {"new": 0, "fixed": 1, "not re-checked": 2}
    rows = sorted(c.findings, key=lambda f: (order[f.change], f.check, f.subject))
    return (["change", "status", "check", "subject", "code", "summary"],
            [[f.change, f.status.upper(), f.check, f.subject, f.code, f.summary]
             for f in rows])
