"""The report's charts as inline SVG, drawn with matplotlib (Agg-free: the
SVG backend, no display, no pyplot state), so report.html stands alone.

Three charts, all from ``Report.load.series`` and ``Report.plan.curve``:
session starts (planned vs started, late, dropped), latency percentiles per
flow step (small multiples, the step's p95 SLO dashed when the SLO check
reported it), and failed requests per step. Where a partial run stopped is
marked on each.

Fast by construction (the whole report must render in well under 2 s for a
4-hour run): few artists, no markers, no rasterization, series downsampled
to at most ``reports.series.MAX_POINTS`` points (see there: counts summed,
percentiles the bucket maximum), text kept as SVG text instead of glyph
paths, and path coordinates rounded to 0.1 pt after drawing.

Labels from outside (step and campaign names) are data: mathtext is off,
and the SVG writer escapes text; the SVG ids are salted per chart so
several charts can live in one page, and the output is deterministic.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from peakready.reports.model import Report
from peakready.reports.series import Timeline, timeline

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_IN = 7.2  # fits an A4 or Letter page inside 12 mm margins
MAX_STEP_PANELS = 12  # more steps: the busiest ones (the table lists all)
TOP_ERROR_STEPS = 5
SLO_OFF_SCALE = 3.0  # an SLO this many times above the highest p99 is named, not drawn
COLORS = {"planned": "#5f6368", "started": "#1a73e8", "late": "#f29900",
          "dropped": "#d93025", "p50": "#1e8e3e", "p95": "#1a73e8", "p99": "#9334e6",
          "slo": "#d93025", "stop": "#202124"}
ERROR_COLORS = ("#d93025", "#f29900", "#9334e6", "#1a73e8", "#1e8e3e", "#5f6368")
RC = {
    "svg.fonttype": "none",  # <text>, not glyph outlines: smaller, searchable
    "text.parse_math": False,  # a "$" in a step name is a dollar sign
    "font.family": "sans-serif",
    "font.size": 7.5,
    "axes.titlesize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e8eaed",
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.2,
    "legend.frameon": False,
    "legend.fontsize": 7,
    "path.simplify": True,
}
_COUNTER_ID = re.compile(r' id="(?:figure|axes|patch|line2d|text|legend|xtick|ytick|'
                         r'matplotlib\.axis|LineCollection|PolyCollection|FillBetween'
                         r'PolyCollection)_\d+"')
_PATH_D = re.compile(r' d="([^"]*)"')
_FLOAT = re.compile(r"(\d+\.\d)\d+")


@contextmanager
def _style(name: str) -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context({**RC, "svg.hashsalt": f"peakready-{name}",
                                "svg.id": f"chart-{name}"}):
        yield


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML declaration and DOCTYPE: inline in HTML
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = _COUNTER_ID.sub("", svg)  # counters repeat across charts; nothing refers to them
    return _PATH_D.sub(lambda m: ' d="' + _FLOAT.sub(r"\1", m.group(1)) + '"', svg)


def _figure(height_in: float, top_in: float = 0.45, bottom_in: float = 0.45) -> Figure:
    """A figure with fixed margins (in inches): a layout engine would draw every
    tick label once more to measure it, which is most of the time spent."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, height_in))
    fig.subplots_adjust(left=0.8 / WIDTH_IN, right=1 - 0.15 / WIDTH_IN,
                        top=1 - top_in / height_in, bottom=bottom_in / height_in)
    return fig


def _mark_stop(ax: Axes, tl: Timeline) -> None:
    if tl.stop_x is not None:
        ax.axvline(tl.stop_x, color=COLORS["stop"], linestyle=":", linewidth=1)


def sessions_chart(tl: Timeline) -> str:
    """Planned vs started on top; late and dropped below on their own scale,
    since a few hundred late starts would be flat on the scale of the plan."""
    with _style("sessions"):
        fig = _figure(3.2, top_in=0.55)
        top, low = fig.subplots(2, 1, sharex=True, height_ratios=(2.2, 1))
        fig.subplots_adjust(hspace=0.25)
        if tl.planned:
            top.step(tl.planned_x, tl.planned, where="post", color=COLORS["planned"],
                     linestyle="--", label="planned")
        n = tl.sessions_len
        end = tl.x[n] if n < len(tl.x) else tl.x_end
        x = [*tl.x[:n], end]

        def upto(col: list[float]) -> list[float]:
            return [*col[:n], col[n - 1]] if n else [0.0]

        top.plot(x, upto(tl.started), color=COLORS["started"], label="started",
                 drawstyle="steps-post")
        low.plot(x, upto(tl.late), color=COLORS["late"], label="late", drawstyle="steps-post")
        low.plot(x, upto(tl.dropped), color=COLORS["dropped"], label="dropped",
                 drawstyle="steps-post")
        for ax in (top, low):
            _mark_stop(ax, tl)
            ax.set_ylim(bottom=0)
        low.set_ylim(top=max([1.0, *tl.late, *tl.dropped]) * 1.15)
        top.set_title("Session starts: planned vs achieved", y=1.0, pad=16)
        top.set_ylabel("sessions / min")
        low.set_ylabel("late, dropped / min")
        low.set_xlabel(f"time into the run ({tl.unit})")
        handles = top.get_legend_handles_labels()[0] + low.get_legend_handles_labels()[0]
        top.legend(handles=handles, loc="lower center", ncols=4, bbox_to_anchor=(0.5, 1.0))
        return _svg(fig)


def latency_chart(tl: Timeline, slo_p95: dict[str, float], steps: list[str]) -> str:
    from matplotlib.ticker import MaxNLocator

    cols = 3 if len(steps) > 4 else max(1, min(2, len(steps)))
    rows = -(-len(steps) // cols)
    with _style("latency"):
        fig = _figure(0.85 + 1.35 * rows, top_in=0.5, bottom_in=0.45)
        fig.subplots_adjust(hspace=0.45, wspace=0.25)
        axes = fig.subplots(rows, cols, sharex=True, squeeze=False).ravel()
        for ax, step in zip(axes, steps, strict=False):
            p50, p95, p99 = tl.latency[step]
            ax.plot(tl.x, p99, color=COLORS["p99"], linewidth=0.9, label="p99")
            ax.plot(tl.x, p95, color=COLORS["p95"], label="p95")
            ax.plot(tl.x, p50, color=COLORS["p50"], linewidth=0.9, label="p50")
            _slo_line(ax, slo_p95.get(step), p99)
            _mark_stop(ax, tl)
            ax.set_title(step, loc="left", y=1.0, pad=3)  # fixed y: no auto-positioning pass
            ax.set_ylim(bottom=0)
            ax.yaxis.set_major_locator(MaxNLocator(nbins=3))
        for ax in axes[len(steps):]:
            ax.set_visible(False)
        handles, labels = axes[0].get_legend_handles_labels()
        if any(s in slo_p95 for s in steps) and "p95 SLO" not in labels:
            from matplotlib.lines import Line2D

            handles.append(Line2D([], [], color=COLORS["slo"], linestyle="--", linewidth=0.8))
            labels.append("p95 SLO")
        fig.legend(handles, labels, loc="upper center", ncols=len(labels))
        fig.supylabel("latency (ms)", fontsize=7.5, x=0.01)
        fig.supxlabel(f"time into the run ({tl.unit})", fontsize=7.5, y=0.01)
        return _svg(fig)


def _slo_line(ax: Axes, slo: float | None, p99: list[float]) -> None:
    """The p95 SLO, dashed; when it is far above every sample it would flatten
    the data against the axis, so it is named in the corner instead."""
    if slo is None:
        return
    top = max((v for v in p99 if v == v), default=0.0)  # NaN != NaN
    if top and slo > SLO_OFF_SCALE * top:
        ax.text(0.98, 0.92, f"p95 SLO {slo:,.0f} ms: off the scale", transform=ax.transAxes,
                ha="right", va="top", fontsize=6.5, color=COLORS["slo"],
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1, "alpha": 0.85})
    else:
        ax.axhline(slo, color=COLORS["slo"], linestyle="--", linewidth=0.8, label="p95 SLO")


def errors_chart(tl: Timeline) -> str:
    totals = {s: sum(v) for s, v in tl.failures.items() if sum(v) > 0}
    top = sorted(totals, key=lambda s: -totals[s])[:TOP_ERROR_STEPS]
    rest = [s for s in totals if s not in top]
    with _style("errors"):
        fig = _figure(2.3)
        ax = fig.add_subplot()
        for step, color in zip(top, ERROR_COLORS, strict=False):
            ax.plot(tl.x, tl.failures[step], color=color, label=step, drawstyle="steps-post")
        if rest:
            other = [sum(tl.failures[s][i] for s in rest) for i in range(len(tl.x))]
            ax.plot(tl.x, other, color=ERROR_COLORS[-1], label=f"{len(rest)} other steps",
                    drawstyle="steps-post")
        _mark_stop(ax, tl)
        ax.set_title("Failed requests per step", y=1.0, pad=4)
        ax.set_ylabel("failures / min")
        ax.set_xlabel(f"time into the run ({tl.unit})")
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left", ncols=2)
        return _svg(fig)


def slo_p95_limits(report: Report) -> dict[str, float]:
    """The p95 SLO per step, as the SLO check reported it in its evidence."""
    out = {}
    for f in report.findings:
        limit = f.evidence.get("p95_limit_ms") if f.check == "load.slo" else None
        if isinstance(limit, int | float):
            out[f.subject] = float(limit)
    return out


def panel_steps(report: Report, tl: Timeline) -> list[str]:
    """The steps that get a latency panel: all of them, or the busiest ones."""
    load = report.load
    steps = [s for s in tl.latency if any(v == v for v in tl.latency[s][1])]  # NaN != NaN
    if load and len(steps) > MAX_STEP_PANELS:
        busiest = sorted(steps, key=lambda s: -(load.steps[s].requests if s in load.steps
                                                 else 0))[:MAX_STEP_PANELS]
        steps = [s for s in steps if s in busiest]
    return steps


def render(report: Report) -> dict[str, str]:
    """Chart name → inline SVG; empty when no load series was recorded.

    Only the error chart is left out when nothing failed (the report says so).
    """
    load = report.load
    if load is None or not load.series:
        return {}
    tl = timeline(load, report.plan.curve)
    charts = {"sessions": sessions_chart(tl)}
    steps = panel_steps(report, tl)
    if steps:
        charts["latency"] = latency_chart(tl, slo_p95_limits(report), steps)
    if any(any(v) for v in tl.failures.values()):
        charts["errors"] = errors_chart(tl)
    return charts
