"""The Plan: the arrival rate λ(t) per campaign × flow that the replay must
deliver, and the session starts it turns into.

Arrivals are generated per plan step with the exact expected count (the
fractional remainder carried to the next step) and, by default, at uniformly
random instants inside the step: a Poisson process conditioned on its count,
so microbursts look real while per-interval totals match the plan exactly.
With N workers, worker i takes the arrivals whose sequence number is i mod N:
the shares add up to λ(t) by construction.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from peakready.flows import FlowKind, requests_per_session
from peakready.plan.interval import choose_interval, median_rate
from peakready.scenario.model import Scenario

PLAN_SCHEMA_VERSION = 1
ASSUMED_LATENCY_S = 0.05  # per request, for Little's-law sizing before anything is measured


class Rate(BaseModel):
    model_config = ConfigDict(frozen=True)
    campaign: str | None  # None: traffic without a campaign (direct, organic)
    flow: str
    per_s: float = Field(ge=0)


class PlanStep(BaseModel):
    t: float  # offset from the start of the replay, seconds
    duration: float
    rates: list[Rate]

    @property
    def total_per_s(self) -> float:
        return sum(r.per_s for r in self.rates)


class Plan(BaseModel):
    schema_version: int = PLAN_SCHEMA_VERSION
    scenario: str
    source: str
    seed: int
    interval_s: float  # of the recorded series (peakready.plan.interval)
    interval_basis: str = ""  # why that interval
    growth: float = 0.0
    safety: float = 0.0
    arrivals: str = "random"
    steps: list[PlanStep]
    flow_kinds: dict[str, FlowKind]
    session_seconds: dict[str, float]  # mean session length per flow
    requests_per_session: dict[str, int]
    flow_products: dict[str, int] = Field(default_factory=dict)
    campaign_landing: dict[str, str] = Field(default_factory=dict)
    campaign_promo: dict[str, str | None] = Field(default_factory=dict)
    max_users: int = 1000
    capped_steps: int = 0
    capped: list[dict[str, float]] = Field(default_factory=list)  # steps where the cap bit
    speedup: float = 1.0
    window_start: str | None = None  # wall-clock start of the replayed history window
    last_season_peak_per_min: float | None = None
    limit_factors: list[float] = Field(default_factory=list)  # a find-limit staircase
    forecast_peak_per_min: float | None = None  # before the cap

    @property
    def duration_s(self) -> float:
        return max((s.t + s.duration for s in self.steps), default=0.0)

    @property
    def peak_per_s(self) -> float:
        return max((s.total_per_s for s in self.steps), default=0.0)

    @property
    def total_sessions(self) -> float:
        return sum(s.total_per_s * s.duration for s in self.steps)

    def expected_rps(self, step: PlanStep) -> float:
        return sum(r.per_s * self.requests_per_session[r.flow] for r in step.rates)

    @property
    def peak_rps(self) -> float:
        return max((self.expected_rps(s) for s in self.steps), default=0.0)

    def users_needed(self, step: PlanStep | None = None) -> int:
        """Little's law: concurrent sessions = arrival rate × mean session length."""
        steps = [step] if step else self.steps
        return max((math.ceil(sum(r.per_s * self.session_seconds[r.flow] for r in s.rates))
                    for s in steps), default=0)

    def summary(self) -> dict[str, float | int | str]:
        return {
            "source": self.source,
            "duration_s": round(self.duration_s, 3),
            "interval_s": self.interval_s,
            "interval_basis": self.interval_basis,
            "peak_sessions_per_min": round(self.peak_per_s * 60, 2),
            "total_sessions": round(self.total_sessions),
            "peak_requests_per_s": round(self.peak_rps, 2),
            "users_needed": self.users_needed(),
            "growth": self.growth,
            "safety": self.safety,
            "speedup": self.speedup,
            "last_season_peak_per_min": self.last_season_peak_per_min,
            "forecast_peak_per_min": self.forecast_peak_per_min,
            "window_start": self.window_start,
            "capped_steps": self.capped_steps,
        }


def session_seconds(scenario: Scenario) -> dict[str, float]:
    think = (scenario.load.think_time.min + scenario.load.think_time.max) / 2
    out = {}
    for f in scenario.flows:
        n = requests_per_session(f.kind, f.products)
        out[f.name] = n * ASSUMED_LATENCY_S + (n - 1) * think
    return out


def base_plan(scenario: Scenario, steps: list[PlanStep], source: str, **kw: Any) -> Plan:
    """A plan of these steps; its series interval fitted to them
    (``fit_interval``) unless ``interval_s`` is given."""
    plan = Plan(
        scenario=scenario.name, source=source, seed=scenario.load.seed, steps=steps,
        flow_kinds={f.name: f.kind for f in scenario.flows},
        session_seconds=session_seconds(scenario),
        requests_per_session={f.name: requests_per_session(f.kind, f.products)
                              for f in scenario.flows},
        flow_products={f.name: f.products for f in scenario.flows},
        campaign_landing={c.name: c.landing_path() for c in scenario.campaigns},
        campaign_promo={c.name: c.promo_code for c in scenario.campaigns},
        max_users=scenario.load.max_users, **{"interval_s": 0.0, **kw})
    if "interval_s" not in kw:
        fit_interval(plan, scenario)
    return plan


def fit_interval(plan: Plan, scenario: Scenario) -> None:
    """The series interval from the rate the plan sends (after any cap):
    ``load.interval``, or long enough to judge (``peakready.plan.interval``)."""
    plan.interval_s, plan.interval_basis = choose_interval(
        median_rate((st.duration, st.total_per_s) for st in plan.steps), plan.duration_s,
        scenario.slos.min_interval_samples, scenario.load.interval)


def mix(scenario: Scenario, total_per_s: float) -> list[Rate]:
    """Split a total rate by campaign weights × flow weights."""
    fw = sum(f.weight for f in scenario.flows)
    campaigns: list[tuple[str | None, float]] = [(c.name, c.weight) for c in scenario.campaigns]
    if not campaigns:
        campaigns = [(None, 1.0)]
    cw = sum(w for _, w in campaigns)
    return [Rate(campaign=c, flow=f.name, per_s=total_per_s * w / cw * f.weight / fw)
            for c, w in campaigns for f in scenario.flows]


def constant_plan(scenario: Scenario) -> Plan:
    """The scenario's constant arrival rate over its duration, one step per
    interval (chosen from the rate, after ``load.max_sessions_per_min``)."""
    load = scenario.load
    assert load.arrival_rate is not None and load.duration is not None
    rate = load.arrival_rate
    if load.max_sessions_per_min is not None:
        rate = min(rate, load.max_sessions_per_min / 60)
    interval, basis = choose_interval(rate, load.duration, scenario.slos.min_interval_samples,
                                      load.interval)
    rates = mix(scenario, load.arrival_rate)
    steps, t = [], 0.0
    while t < load.duration - 1e-9:
        d = min(interval, load.duration - t)
        steps.append(PlanStep(t=t, duration=d, rates=rates))
        t += d
    return base_plan(scenario, steps, f"constant {load.arrival_rate:g} sessions/s",
                     interval_s=interval, interval_basis=basis)


def apply_cap(plan: Plan, cap_per_s: float) -> None:
    """Scale down every step above the cap; the plan records where it bit."""
    for step in plan.steps:
        total = step.total_per_s
        if total > cap_per_s:
            scale = cap_per_s / total
            step.rates = [r.model_copy(update={"per_s": r.per_s * scale}) for r in step.rates]
            plan.capped.append({"t": step.t, "planned_per_min": round(total * 60, 3),
                                "capped_per_min": round(cap_per_s * 60, 3)})
    plan.capped_steps = len(plan.capped)
