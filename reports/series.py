"""The load's time series, shaped for the charts and for their text twin in
report.md: session starts (planned, started, late, dropped), latency
percentiles per flow step, and failures per step, all per interval.

Rates are per minute whatever the interval, so a 10-second series and a
1-minute one read the same. "Started" is what actually began in each
interval (``Interval.began``, by the moment the session started, so a late
start shows where it happened); results recorded before that field existed
fall back to ``started`` (counted in the interval the start was scheduled for).

Long series are downsampled to at most ``MAX_POINTS`` buckets before
drawing (a 4-hour run at 10 s is 1,440 intervals): counts are summed over
the bucket and shown as its rate, and each latency percentile is the
*maximum* of the bucket's intervals, so a spike stays visible instead of
being averaged away. The text summaries use the full-resolution series.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from peakready.load.results import Interval, LoadResult

MAX_POINTS = 300
NAN = math.nan


@dataclass
class Timeline:
    """Equal-length columns over time; ``x`` is the bucket start in ``unit``."""

    unit: str  # "s" or "min": the x axis
    x: list[float] = field(default_factory=list)
    started: list[float] = field(default_factory=list)  # per minute
    late: list[float] = field(default_factory=list)
    dropped: list[float] = field(default_factory=list)
    planned_x: list[float] = field(default_factory=list)  # from the plan's curve
    planned: list[float] = field(default_factory=list)  # per minute
    latency: dict[str, tuple[list[float], list[float], list[float]]] = field(
        default_factory=dict)  # step -> (p50, p95, p99) in ms, NaN where no sample
    failures: dict[str, list[float]] = field(default_factory=dict)  # step -> per minute
    stop_x: float | None = None  # where a partial run stopped
    x_end: float = 0.0  # end of the last bucket, so a step line shows its last interval
    sessions_len: int = 0  # buckets with session activity (trailing idle ones not drawn)


def time_unit(duration_s: float) -> tuple[str, float]:
    """Seconds for short runs (the demo's minute), minutes otherwise."""
    return ("s", 1.0) if duration_s <= 600 else ("min", 60.0)


def _buckets(n: int) -> list[range]:
    size = max(1, math.ceil(n / MAX_POINTS))
    return [range(i, min(i + size, n)) for i in range(0, n, size)]


def _pmax(values: list[float | None]) -> float:
    present = [v for v in values if v is not None]
    return max(present) if present else NAN


def planned_curve(curve: list[tuple[float, float]], interval_s: float
                  ) -> tuple[list[float], list[float]]:
    """Plan steps (offset s, sessions in the step) → (offset s, sessions per minute).

    A step lasts until the next one starts; the last one ``interval_s``.
    """
    xs, rates = [], []
    end = 0.0
    for i, (t, sessions) in enumerate(curve):
        end = curve[i + 1][0] if i + 1 < len(curve) else t + interval_s
        xs.append(t)
        rates.append(sessions / (end - t) * 60 if end > t else 0.0)
    if len(xs) > MAX_POINTS:  # average the rate over each bucket
        size = math.ceil(len(xs) / MAX_POINTS)
        xs2, r2 = [], []
        for b in range(0, len(xs), size):
            chunk = rates[b:b + size]
            xs2.append(xs[b])
            r2.append(sum(chunk) / len(chunk))
        xs, rates = xs2, r2
    if xs:  # one more point at the end: a step line then draws the last step whole
        xs, rates = [*xs, end], [*rates, rates[-1]]
    return xs, rates


def step_names(load: LoadResult) -> list[str]:
    """Steps in the run's own order, then any only seen in intervals."""
    names = list(load.steps)
    for iv in load.series:
        names += [s for s in iv.steps if s not in names]
    return names


def timeline(load: LoadResult, curve: list[tuple[float, float]]) -> Timeline:
    series: list[Interval] = load.series
    span = max(load.planned_duration_s, load.elapsed_s,
               len(series) * load.interval_s, max((t for t, _ in curve), default=0.0))
    unit, div = time_unit(span)
    tl = Timeline(unit=unit)
    px, prate = planned_curve(curve, load.interval_s)
    tl.planned_x = [x / div for x in px]
    tl.planned = prate
    steps = step_names(load)
    lat: dict[str, tuple[list[float], list[float], list[float]]] = {
        s: ([], [], []) for s in steps}
    fails: dict[str, list[float]] = {s: [] for s in steps}
    began = any(iv.began for iv in series)
    buckets = _buckets(len(series))
    for n, b in enumerate(buckets):
        ivs = [series[i] for i in b]
        per_min = 60.0 / (load.interval_s * len(ivs))
        tl.x.append(ivs[0].t / div)
        tl.started.append(sum(iv.began if began else iv.started for iv in ivs) * per_min)
        if any(iv.planned or iv.started or iv.began or iv.late or iv.dropped for iv in ivs):
            tl.sessions_len = n + 1
        tl.late.append(sum(iv.late for iv in ivs) * per_min)
        tl.dropped.append(sum(iv.dropped for iv in ivs) * per_min)
        for s in steps:
            stats = [iv.steps[s] for iv in ivs if s in iv.steps]
            p50, p95, p99 = lat[s]
            p50.append(_pmax([st.p50_ms for st in stats]))
            p95.append(_pmax([st.p95_ms for st in stats]))
            p99.append(_pmax([st.p99_ms for st in stats]))
            fails[s].append(sum(st.failures for st in stats) * per_min)
    tl.latency = lat
    tl.failures = fails
    if series:
        tl.x_end = (series[-1].t + load.interval_s) / div
    if load.partial and load.elapsed_s:
        tl.stop_x = load.elapsed_s / div
    return tl


# -- the same series in words, for report.md ------------------------------------


def _at(iv: Interval, unit: str, div: float) -> str:
    return f"{iv.t / div:g} {unit}"


def summary_rows(load: LoadResult) -> list[list[object]]:
    """What each chart shows, as sentences: the peaks and when they happened."""
    series = load.series
    if not series:
        return []
    unit, div = time_unit(max(load.elapsed_s, len(series) * load.interval_s))
    per_min = 60.0 / load.interval_s
    rows: list[list[object]] = []
    top = max(series, key=lambda iv: iv.planned)
    best = max(series, key=lambda iv: iv.started)
    rows.append(["session starts", f"planned peak {top.planned * per_min:,.0f}/min at "
                 f"{_at(top, unit, div)}; achieved peak {best.started * per_min:,.0f}/min at "
                 f"{_at(best, unit, div)}"])
    behind = [iv for iv in series if iv.late or iv.dropped]
    rows.append(["late / dropped", f"{sum(iv.late for iv in series):,} late, "
                 f"{sum(iv.dropped for iv in series):,} dropped in {len(behind)} of "
                 f"{len(series)} intervals" + (f" (first at {_at(behind[0], unit, div)})"
                                                if behind else "")])
    for step in step_names(load):
        seen = [(iv, iv.steps[step]) for iv in series
                if step in iv.steps and iv.steps[step].p95_ms is not None]
        if not seen:
            continue
        iv, st = max(seen, key=lambda p: p[1].p95_ms or 0.0)
        rows.append([f"p95 {step}", f"worst interval {st.p95_ms:,.0f} ms at "
                     f"{_at(iv, unit, div)} (run p95 "
                     f"{_ms(load.steps[step].p95_ms if step in load.steps else None)})"])
    failing = [iv for iv in series if iv.failures]
    if failing:
        worst = max(failing, key=lambda iv: iv.failures)
        rows.append(["errors", f"{load.failures:,} failed requests in {len(failing)} of "
                     f"{len(series)} intervals; worst {worst.failures:,} at "
                     f"{_at(worst, unit, div)}"])
    else:
        rows.append(["errors", "no request failed"])
    return rows


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:,.0f} ms"
