"""The reporting interval: how much time each point of the recorded series
covers, chosen so the per-interval SLOs can judge it.

``load.slo`` judges a step in an interval only when the interval holds at
least ``slos.min_interval_samples`` of its requests. An interval fixed in
time (or the history's interval divided by the speed-up: 3 s in the demo)
never gets there at a modest rate, and the per-interval SLOs then judge
nothing. So, unless ``load.interval`` is set, the interval is the shortest
step of ``LADDER`` in which the landing page (requested once by every
session: with ``landing@scheduled``, the step every flow sends) is expected
to get ``min_interval_samples`` requests at the plan's *median* session
rate, the rate the run is at or above for half of its busy time. The busier
half of the run, its peak included, is then judged per interval.

Bounds: at least 10 s (1 minute for plans of 30 minutes or more, so the
series and the per-interval histograms stay small), and at most a third of
the run (every run has at least three points; a run too thin for that is
judged over the run as a whole, and the plan says so).
"""

from __future__ import annotations

from collections.abc import Iterable

LADDER: tuple[float, ...] = (10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0,
                           3600.0)
LONG_PLAN_S = 1800.0  # plans this long or longer start the ladder at 1 minute
MIN_POINTS = 3  # the interval is at most a third of the run


def median_rate(steps: Iterable[tuple[float, float]]) -> float:
    """Time-weighted median of (duration s, sessions/s) over the steps with
    traffic: the rate the run is at or above for half of its busy time."""
    busy = sorted((rate, d) for d, rate in steps if rate > 0 and d > 0)
    half = sum(d for _, d in busy) / 2
    acc = 0.0
    for rate, d in busy:
        acc += d
        if acc >= half:
            return rate
    return 0.0


def _fmt(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 and seconds % 60 == 0 else f"{seconds:g} s"


def choose_interval(rate_per_s: float, duration_s: float, min_samples: int,
                    explicit: float | None = None) -> tuple[float, str]:
    """(interval s, why) for a run of ``duration_s`` whose median session
    rate is ``rate_per_s``; ``explicit`` (``load.interval``) wins."""
    if explicit:
        return float(explicit), f"load.interval {_fmt(explicit)}"
    floor = 60.0 if duration_s >= LONG_PLAN_S else LADDER[0]
    ladder = [v for v in LADDER if v >= floor]
    ceiling = max([v for v in ladder if v * MIN_POINTS <= duration_s] or [floor])
    per_min = rate_per_s * 60
    for v in ladder:
        if v > ceiling:
            break
        if rate_per_s * v >= min_samples - 1e-9:
            return v, (f"{_fmt(v)}: at the median {per_min:.4g} sessions/min, an interval "
                       f"expects {rate_per_s * v:.0f} landing requests "
                       f"(slos.min_interval_samples {min_samples})")
    return ceiling, (f"{_fmt(ceiling)}: at the median {per_min:.4g} sessions/min even this "
                     f"interval (a third of the run, or the shortest allowed) expects only "
                     f"{rate_per_s * ceiling:.0f} landing requests, fewer than "
                     f"slos.min_interval_samples {min_samples}: steps are judged over the "
                     "run, and per interval only where traffic is busier")
