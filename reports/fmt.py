"""Tables and labels shared by the Markdown and HTML renderers, so the two
always carry the same figures."""

from __future__ import annotations

from peakready.findings import Finding, Level
from peakready.results import LoadResult

Table = tuple[list[str], list[list[object]]]


def ms(v: float | None) -> str:
    return "-" if v is None else f"{v:,.0f} ms" if v >= 10 else f"{v:.1f} ms"


def pct(num: int, den: int) -> str:
    return f"{num / den:.2%}" if den else "-"


def status_label(f: Finding) -> str:
    if f.level is Level.OFF:
        return "off"
    label = f.status.value.upper()
    if f.level is Level.WARN and label in ("FAIL", "ERROR"):
        label += " (warn)"
    return label


def capacity_table(load: LoadResult) -> Table:
    t = load.totals
    rate = load.requests / load.elapsed_s if load.elapsed_s else 0.0
    return (["planned sessions", "started", "late", "dropped", "completed", "requests",
             "failures", "mean req/s", "status"],
            [[t.planned, t.started, t.late, t.dropped, t.completed, load.requests,
              f"{load.failures} ({pct(load.failures, load.requests)})", f"{rate:.1f}",
              load.status.value]])


def steps_table(load: LoadResult) -> Table:
    rows: list[list[object]] = []
    for name, s in load.steps.items():
        rate = s.requests / load.elapsed_s if load.elapsed_s else 0.0
        rows.append([name, s.requests, f"{rate:.2f}", ms(s.p50_ms), ms(s.p95_ms),
                     ms(s.p99_ms), f"{s.failures} ({pct(s.failures, s.requests)})"])
    return (["step", "requests", "req/s", "p50", "p95", "p99", "errors"], rows)


def campaigns_table(load: LoadResult) -> Table:
    rows: list[list[object]] = []
    for name, c in load.campaigns.items():
        rows.append([name, c.planned, c.started, c.late, c.dropped, ms(c.landing.p95_ms),
                     pct(c.orders, c.order_attempts), c.orders])
    return (["campaign", "planned", "started", "late", "dropped", "landing p95",
             "checkout success", "orders"], rows)
