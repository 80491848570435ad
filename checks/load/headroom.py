"""Headroom: how far above the forecast peak the shop still holds its SLOs.

What it checks: after ``peakready run --find-limit``, the highest arrival
rate that held every service level (stepping up from the forecast peak)
divided by the forecast peak, against ``slos.min_headroom`` (e.g. 1.5×).
A shop that does not hold even the forecast peak fails.

Why it matters: the forecast is a guess. An influencer post that does better
than planned, a newsletter that lands at the same minute, a competitor's
outage: headroom is what absorbs them. Without it, the first surprise of the
evening is an outage.

How to fix: find the step that broke in the staircase (its problems are
listed) and the endpoint behind it; add capacity or fix that bottleneck and
re-run ``--find-limit``. If every step held, extend
``load.find_limit.factors`` to find the real limit.

A step that broke only on latency or on late starts broke on timings the
load generator took: when the generator was unhealthy the gate sets such a
failure aside (it never makes the run NO-GO); a step that broke on the
shop's error rates always counts.
"""

from __future__ import annotations

from collections.abc import Iterator

from peakready.checks.check import Check, CheckContext, Need, Phase

from peakready.findings import Finding, Status
from peakready.load.results import LimitResult, LoadResult
from peakready.load.slo import window_errors
from peakready.load.slo_config import Slos

SUBJECT = "headroom"


def run(ctx: CheckContext) -> Iterator[Finding]:
    need = ctx.the_scenario.slos.min_headroom
    limit = ctx.limit
    if limit is None:
        if need is not None:
            yield CHECK.finding(SUBJECT, Status.SKIP, "headroom-not-measured",
                                f"not measured: the scenario asks for {need:g}x; run "
                                "`peakready run --find-limit` to measure it")
        return
    evidence = {"forecast_per_min": limit.forecast_per_min,
                "limit_per_min": limit.highest_held_per_min, "required": need,
                "ended_without_breach": limit.ended_without_breach,
                "steps": [s.model_dump() for s in limit.steps]}
    headroom = limit.headroom
    timed = _broke_on_timings(limit, ctx.load, ctx.the_scenario.slos)
    if limit.highest_held_per_min is None or headroom is None:
        yield CHECK.finding(
            SUBJECT, Status.FAIL, "forecast-not-held",
            f"the shop did not hold the forecast peak ({limit.forecast_per_min:.1f} "
            f"sessions/min): {limit.note}", evidence=evidence,
            remediation="The forecast itself breaks a service level: this is a capacity "
                        "problem today, not a question of headroom.",
            generator_dependent=timed)
        return
    floor = "at least " if limit.ended_without_breach else ""
    text = (f"headroom {floor}{headroom:.2f}x: held {limit.highest_held_per_min:.1f} "
            f"sessions/min against a forecast peak of {limit.forecast_per_min:.1f}/min")
    if need is not None and headroom < need:
        yield CHECK.finding(
            SUBJECT, Status.FAIL, "headroom-too-small", f"{text}; {need:g}x required",
            evidence=evidence,
            remediation=("Every step held but the staircase stopped short of the "
                         "requirement: extend load.find_limit.factors past "
                         f"{need:g}." if limit.ended_without_breach else
                         "See the step that broke; add capacity or remove that "
                         "bottleneck and re-run --find-limit."),
            generator_dependent=timed)
    else:
        yield CHECK.finding(SUBJECT, Status.PASS, "headroom-ok",
                            text + (f" ({need:g}x required)" if need else ""),
                            evidence=evidence)


def _broke_on_timings(limit: LimitResult, load: LoadResult | None, slos: Slos) -> bool:
    """Did the staircase stop at a step that broke on the generator's timings
    alone (latency, late or dropped starts), not on the shop's error rates?"""
    if not limit.steps or limit.steps[-1].held or load is None:
        return False
    k = len(limit.steps) - 1
    if k >= len(load.series):
        return False
    return not window_errors([load.series[k]], slos)


CHECK = Check(id="load.headroom", title="Headroom above the forecast peak", run=run,
              doc=__doc__ or "", phase=Phase.POST, needs=(Need.SCENARIO,))
