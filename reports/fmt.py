"""Tables and labels shared by the Markdown and HTML renderers, so the two
always carry the same figures. Cells are plain values; each renderer
escapes them its own way."""

from __future__ import annotations

import json

from peakready.reports.model import Capacity, Report

from peakready.findings import Finding, Level, Status
from peakready.load.results import LoadResult, RunStatus

Table = tuple[list[str], list[list[object]]]
MAX_EVIDENCE_CHARS = 3000  # per finding; report.json keeps all of it
MAX_BANNER_FINDINGS = 10  # the banner names this many; the Checks section has all
PROBLEMS = (Status.FAIL, Status.ERROR, Status.WARN)


def ms(v: float | None) -> str:
    return "-" if v is None else f"{v:,.0f} ms" if v >= 10 else f"{v:.1f} ms"


def n(v: int) -> str:
    return f"{v:,}"


def pct(num: int, den: int) -> str:
    return f"{num / den:.2%}" if den else "-"


def per_min(v: float | None, missing: str = "-") -> str:
    return missing if v is None else f"{v:,.0f} sessions/min"


def status_label(f: Finding, aside: bool = False) -> str:
    """FAIL, WARN, ...; ``(warn)`` for a failure at level warn, ``(set aside)``
    for one the gate did not count (``Report.set_aside``)."""
    if f.level is Level.OFF:
        return "off"
    label = f.status.value.upper()
    if aside and label in ("FAIL", "ERROR"):
        label += " (set aside)"
    elif f.level is Level.WARN and label in ("FAIL", "ERROR"):
        label += " (warn)"
    return label


ASIDE_NOTE = ("Set aside, not counted against the shop: it rests only on timings the load "
              "generator took while it was unhealthy (latency, a wait for a free user or "
              "behind load.max_request_rate).")


def aside_ids(r: Report) -> set[int]:
    """``id()`` of the findings the gate set aside, for the renderers' loops."""
    return {id(f) for f in r.set_aside()}


def basis_line(r: Report) -> str:
    """What the verdict rests on, in one sentence for the banner."""
    g = r.grounds()
    aside = (f" {len(g.set_aside)} failure(s) resting only on the timings of the unhealthy "
             "load generator are set aside (listed below): they say nothing about the shop."
             if g.set_aside else "")
    if g.verdict.value == "NO-GO":
        if g.unhealthy:
            return (f"This NO-GO rests on {len(g.blocking)} finding(s) the load generator "
                    "cannot cause (the shop's own error answers, failed checks); the "
                    "generator was unhealthy." + aside)
        return f"This NO-GO rests on the {len(g.blocking)} blocking finding(s) below."
    if g.verdict.value == "INCONCLUSIVE":
        return (f"This verdict rests on {len(g.unhealthy)} finding(s) about the load "
                "generator: the measurement is not valid, so it neither clears nor "
                "blocks the launch." + aside)
    if g.verdict.value == "GO WITH WARNINGS":
        return f"This verdict rests on {len(g.warnings)} warning(s), listed under Checks."
    return ""


def set_aside_heading(r: Report) -> str:
    return (f"Set aside: measured by an unhealthy load generator "
            f"({len(r.set_aside())})")


def evidence_text(f: Finding) -> str:
    """Evidence as indented JSON (data, never markup), cut to a readable size."""
    if not f.evidence:
        return ""
    text = json.dumps(f.evidence, indent=2, default=str, ensure_ascii=False)
    if len(text) > MAX_EVIDENCE_CHARS:
        text = text[:MAX_EVIDENCE_CHARS] + "\n… (cut here; report.json has all of it)"
    return text


def flags(r: Report) -> list[str]:
    """Everything that qualifies the verdict, for the banner."""
    out = []
    if r.load is not None and r.load.status is not RunStatus.COMPLETED:
        out.append(f"{r.load.status.value.upper()}: {r.load.stop_reason or 'no reason given'}")
    if r.partial:
        out.append("Partial run: " + ("; ".join(r.notes) or "the run did not complete"))
    if r.strict:
        out.append("STRICT: warnings fail the gate")
    return out


def health_heading(r: Report) -> str:
    if r.verdict.value == "INCONCLUSIVE":
        return "Why nothing can be concluded"
    return ("The load generator did not deliver the plan (the load figures may not "
            "describe the shop)")


def check_title(r: Report, check_id: str) -> str:
    for c in r.checks:
        if c.id == check_id:
            return c.title
    return check_id


def meta_table(r: Report) -> Table:
    return (["scenario", "target", "started", "git revision", "exit code"],
            [[r.scenario.name, r.scenario.target or "-", r.started_at or "-",
              r.git_revision or "-", r.exit_code]])


def capacity_rows(c: Capacity) -> Table:
    """Last season's peak, buffers, forecast, what was tested, the limit, headroom."""
    forecast = per_min(c.forecast_peak_per_min)
    if c.forecast_peak_per_min is not None and c.last_season_peak_per_min is not None:
        forecast += f" (last season × {1 + c.growth:.2f} × {1 + c.safety:.2f})"
    if c.limit_per_min is None:
        limit = c.limit_note or "not measured (run with --find-limit)"
    else:
        limit = per_min(c.limit_per_min) + (f"; {c.limit_note}" if c.limit_note else "")
    return (["", "value"], [
        ["last season's peak", per_min(c.last_season_peak_per_min)],
        ["growth", f"{c.growth:+.0%}"],
        ["safety buffer", f"{c.safety:+.0%}"],
        ["forecast peak", forecast],
        ["tested peak", per_min(c.tested_peak_per_min, "not measured")],
        ["limit (highest rate that held the SLOs)", limit],
        ["headroom (limit ÷ forecast peak)", headroom(c)],
    ])


def headroom(c: Capacity) -> str:
    if c.headroom is None:
        return "not measured" + (f" (minimum {c.min_headroom:.2f}×)" if c.min_headroom else "")
    text = f"{c.headroom:.2f}×"
    if c.min_headroom is not None:
        ok = c.headroom >= c.min_headroom
        text += f" (minimum {c.min_headroom:.2f}×: {'meets it' if ok else 'BELOW the minimum'})"
    return text


def limit_table(c: Capacity) -> Table | None:
    """The find-limit staircase as the lead's LimitStep dumps: each step's rate,
    what was planned and began, and whether it held (and why not)."""
    if not c.limit_steps:
        return None
    rows: list[list[object]] = []
    for st in c.limit_steps:
        factor, rate = st.get("factor"), st.get("per_min")
        rows.append([f"{factor:.2f}×" if isinstance(factor, int | float) else "-",
                     per_min(rate) if isinstance(rate, int | float) else "-",
                     st.get("planned", "-"), st.get("began", "-"),
                     "held" if st.get("held") else "did not hold",
                     "; ".join(str(p) for p in st.get("problems") or []) or "-"])
    return (["× forecast", "rate", "planned", "began", "result", "why not"], rows)


def totals_table(load: LoadResult) -> Table:
    """The run's books; cancelled starts and cut-off sessions (with their
    causes, and the requests cut off in flight) only when a stop left some."""
    t = load.totals
    rate = load.requests / load.elapsed_s if load.elapsed_s else 0.0
    head: list[str] = ["planned sessions", "started", "late", "dropped"]
    row: list[object] = [n(t.planned), n(t.started), n(t.late), n(t.dropped)]
    if t.cancelled:
        head.append("cancelled")
        row.append(f"{n(t.cancelled)} ({_causes(load.cancelled_by)})")
    head.append("completed")
    row.append(n(t.completed))
    if t.cut_off:  # then every outcome: completed + failed + cut off = started
        head += ["failed", "cut off"]
        row += [n(t.failed), f"{n(t.cut_off)} ({_causes(load.cut_off_by)})"]
    requests = n(load.requests)
    if load.requests_cut_off:
        requests += f" (+{n(load.requests_cut_off)} cut off in flight)"
    head += ["requests", "failures", "mean req/s", "status"]
    row += [requests, f"{n(load.failures)} ({pct(load.failures, load.requests)})",
            f"{rate:,.1f}", load.status.value]
    return head, [row]


def _causes(by: dict[str, int]) -> str:
    return ", ".join(f"{n(k)} by {cause}" for cause, k in sorted(by.items()))


def steps_table(load: LoadResult) -> Table:
    rows: list[list[object]] = []
    for name, s in load.steps.items():
        rate = s.requests / load.elapsed_s if load.elapsed_s else 0.0
        rows.append([name, n(s.requests), f"{rate:,.2f}", ms(s.p50_ms), ms(s.p95_ms),
                     ms(s.p99_ms), f"{n(s.failures)} ({pct(s.failures, s.requests)})"])
    return (["step", "requests", "req/s", "p50", "p95", "p99", "errors"], rows)


def campaigns_table(load: LoadResult) -> Table:
    rows: list[list[object]] = []
    stopped = any(c.cancelled or c.cut_off for c in load.campaigns.values())
    for name, c in load.campaigns.items():
        rows.append([name, n(c.planned), n(c.started), n(c.late), n(c.dropped),
                     *((n(c.cancelled), n(c.cut_off)) if stopped else ()),
                     ms(c.landing.p95_ms), pct(c.orders, c.order_attempts), n(c.orders)])
    return (["campaign", "planned", "started", "late", "dropped",
             *(("cancelled", "cut off") if stopped else ()), "landing p95",
             "checkout success", "orders"], rows)


def errors_table(load: LoadResult, limit: int = 20) -> Table:
    return (["step", "count", "message"],
            [[e.step, n(e.count), e.message] for e in load.errors[:limit]])


def area_counts(findings: list[Finding], aside: set[int] | None = None) -> str:
    counts: dict[str, int] = {}
    for f in findings:
        label = status_label(f, id(f) in (aside or ()))
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in counts.items())
