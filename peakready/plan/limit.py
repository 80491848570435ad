"""The find-limit staircase: step the arrival rate up from the forecast peak
until a service level breaks, and call the highest rate that held the limit.
This module builds the staircase plan and judges its steps (the Locust
process judges each step as it ends, to stop early);
peakready.run.find_limit runs it.

The staircase keeps the plan's busiest mix of campaigns and flows, holds
each rate for ``load.find_limit.step_duration`` and is judged one step at a
time by the same rule as the per-interval SLOs (``peakready.load.slo``). A
step the generator could not deliver (too many late or dropped starts) ends
the search too: the limit is then a floor set by the generator, and the
report says so. Headroom = limit ÷ forecast peak.
"""

from __future__ import annotations

from peakready.flows import LANDING
from peakready.load.results import Interval, LimitResult, LimitStep, LoadResult
from peakready.load.slo import window_held
from peakready.plan.model import Plan, PlanStep, Rate
from peakready.scenario.model import Scenario

ANSWERED = 0.8  # share of a step's sessions whose landing page must come back in the step


def forecast_per_s(plan: Plan) -> float:
    """The forecast peak before any cap: what the shop must hold."""
    return (plan.forecast_peak_per_min / 60 if plan.forecast_peak_per_min
            else plan.peak_per_s)


def limit_plan(plan: Plan, scenario: Scenario) -> Plan:
    cfg = scenario.load.find_limit
    peak = max(plan.steps, key=lambda s: s.total_per_s)
    total = peak.total_per_s or 1.0
    forecast = forecast_per_s(plan)
    cap = scenario.load.max_sessions_per_min
    steps, factors = [], []
    for k, factor in enumerate(cfg.factors):
        per_s = forecast * factor
        capped = cap is not None and per_s * 60 > cap
        if capped:
            per_s = cap / 60
        steps.append(PlanStep(t=k * cfg.step_duration, duration=cfg.step_duration,
                              rates=[Rate(campaign=r.campaign, flow=r.flow,
                                          per_s=per_s * r.per_s / total) for r in peak.rates]))
        factors.append(per_s / forecast if forecast else factor)
        if capped:
            break
    return plan.model_copy(update={
        "steps": steps, "interval_s": cfg.step_duration, "limit_factors": factors,
        "interval_basis": "one interval per step of the staircase "
                          "(load.find_limit.step_duration)",
        "capped": [], "capped_steps": 0, "forecast_peak_per_min": forecast * 60,
        "source": f"find-limit staircase x{' x'.join(f'{f:g}' for f in factors)} of the "
                  f"forecast peak ({forecast * 60:.1f}/min)"})


def judge_step(iv: Interval, factor: float, per_min: float, scenario: Scenario) -> LimitStep:
    """A step holds when every step SLO holds in it, the shop answered nearly
    every landing of the sessions that began in it, and the generator kept up.

    A step with too few answers to judge does not hold: the search cannot
    claim a rate it did not measure.
    """
    _, problems = window_held([iv], scenario.slos)
    landed = iv.steps[LANDING].requests if LANDING in iv.steps else 0
    if iv.began and landed < ANSWERED * iv.began:
        problems.append(f"the shop fell behind: {landed} landing pages answered for "
                        f"{iv.began} sessions begun in the step")
    elif landed < scenario.slos.min_interval_samples:
        problems.append(f"too few answers to judge ({landed} < min_interval_samples "
                        f"{scenario.slos.min_interval_samples}): lengthen "
                        "load.find_limit.step_duration")
    if iv.planned and (iv.late + iv.dropped) / iv.planned > scenario.load.max_late_fraction:
        problems.append(f"the generator could not deliver {per_min:.1f}/min "
                        f"({iv.late} late, {iv.dropped} dropped of {iv.planned})")
    return LimitStep(factor=factor, per_min=round(per_min, 3), planned=iv.planned,
                     began=iv.began, held=not problems, problems=problems[:10])


def judge(plan: Plan, load: LoadResult, scenario: Scenario) -> LimitResult:
    forecast = forecast_per_s(plan) * 60
    result = LimitResult(forecast_per_min=round(forecast, 3))
    for k, step in enumerate(plan.steps):
        if k >= len(load.series) or not load.series[k].planned:
            break
        s = judge_step(load.series[k], plan.limit_factors[k], step.total_per_s * 60, scenario)
        result.steps.append(s)
        if not s.held:
            break
        result.highest_held_per_min = s.per_min
    held_all = bool(result.steps) and all(s.held for s in result.steps)
    result.ended_without_breach = held_all and len(result.steps) == len(plan.steps)
    if not result.steps:
        result.note = "the staircase did not run"
    elif result.highest_held_per_min is None:
        result.note = (f"the shop did not hold even the forecast peak ({forecast:.1f}/min): "
                       + result.steps[0].problems[0])
    elif result.ended_without_breach:
        result.note = (f"every step held, up to {result.highest_held_per_min:.1f}/min: the "
                       "limit is at least that (extend load.find_limit.factors to find it)")
    else:
        broke = result.steps[-1]
        result.note = (f"held {result.highest_held_per_min:.1f}/min; {broke.per_min:.1f}/min "
                       f"broke: {broke.problems[0]}")
    if not held_all and load.stop_reason and "find-limit" not in load.stop_reason:
        result.note += f" (the run ended early: {load.stop_reason})"
    return result
