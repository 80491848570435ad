"""Judge latency and error figures against step SLOs: over the run, per
interval, and per step of a find-limit staircase — one rule for all three.

A breach is of one of two kinds, and the gate treats them apart: a
*latency* breach rests on timings the load generator took (a starved
generator, a wait for a free user or behind ``load.max_request_rate``
inflates them on its own), an *error* breach on what the shop answered
(docs/design.md, "Findings, checks, verdict")."""

from __future__ import annotations

from dataclasses import dataclass

from peakready.flows import LANDING_SCHEDULED
from peakready.load.results import Interval, LoadResult, StepStats
from peakready.load.slo_config import Slos, StepSlo


def latency_breaches(slo: StepSlo, st: StepStats) -> list[str]:
    """The percentiles of the SLO these figures break, as short phrases."""
    out = []
    for name, limit, value in (("p95", slo.p95_ms, st.p95_ms), ("p99", slo.p99_ms, st.p99_ms)):
        if limit is not None and value is not None and value > limit:
            out.append(f"{name} {value:.0f} ms > {limit:.0f} ms")
    return out


def error_breaches(slo: StepSlo, st: StepStats) -> list[str]:
    """The error rate, when it breaks the SLO's."""
    if slo.max_error_rate is not None and st.requests and st.error_rate > slo.max_error_rate:
        return [f"errors {st.error_rate:.2%} > {slo.max_error_rate:.2%}"]
    return []


def breaches(slo: StepSlo, st: StepStats) -> list[str]:
    """What of the SLO these figures break, as short phrases ([] = held)."""
    return latency_breaches(slo, st) + error_breaches(slo, st)


@dataclass(frozen=True)
class IntervalBreach:
    t: float
    step: str
    reasons: list[str]
    requests: int
    errors: bool = False  # the error rate is among the reasons (the shop's own answers)


def judged_steps(iv: Interval, slos: Slos, skip_scheduled: bool = False
                 ) -> list[tuple[str, StepSlo, StepStats]]:
    """Steps of an interval with an SLO and enough samples to judge."""
    out = []
    for step, st in sorted(iv.steps.items()):
        if skip_scheduled and step == LANDING_SCHEDULED:
            continue
        slo = slos.for_step(step)
        if slo is not None and st.requests >= slos.min_interval_samples:
            out.append((step, slo, st))
    return out


def interval_breaches(load: LoadResult, slos: Slos, skip_scheduled: bool = False
                      ) -> tuple[dict[str, int], list[IntervalBreach]]:
    """Intervals judged per step, and every (interval, step) that broke its SLO."""
    judged: dict[str, int] = {}
    found = []
    for iv in load.series:
        for step, slo, st in judged_steps(iv, slos, skip_scheduled):
            judged[step] = judged.get(step, 0) + 1
            errors = error_breaches(slo, st)
            reasons = latency_breaches(slo, st) + errors
            if reasons:
                found.append(IntervalBreach(iv.t, step, reasons, st.requests, bool(errors)))
    return judged, found


def window_held(intervals: list[Interval], slos: Slos) -> tuple[bool, list[str]]:
    """Did every judged step hold its SLO in every interval of a window?"""
    problems = []
    for iv in intervals:
        for step, slo, st in judged_steps(iv, slos, skip_scheduled=True):
            problems += [f"{step} at {iv.t:.0f}s: {r}" for r in breaches(slo, st)]
    return not problems, problems


def window_errors(intervals: list[Interval], slos: Slos) -> list[str]:
    """The error-rate breaches alone of a window (what the shop answered)."""
    return [f"{step} at {iv.t:.0f}s: {r}" for iv in intervals
            for step, slo, st in judged_steps(iv, slos, skip_scheduled=True)
            for r in error_breaches(slo, st)]
