"""History → Plan: λ(t) per campaign × flow = last season × (1 + growth) ×
(1 + safety), over a window, sped up, with forecast spikes, under the cap.

- Window: the whole history, the busiest N minutes, or a start/end range.
- Speed-up k: the same rates over 1/k of the time (a 6-hour evening in 30
  minutes keeps its peak rate, and every spike keeps its shape, k× shorter).
- Spikes: ``peak_per_min × 2^(-(t - at) / half_life)`` for posts that have not
  happened yet, integrated exactly over each interval; the safety buffer
  applies to them, growth does not (their peak is already a forecast).
- Flows: a logged session's flow (bounce, browse, cart, checkout, wallet)
  maps to the scenario's flows of that kind (checkout → checkout and
  promo_checkout by their weights); a kind the scenario lacks falls back to
  the next shallower one; unknown flows (aggregated exports) follow the
  scenario's weights.
- Campaigns: a history campaign matches a scenario campaign by name (case
  ignored); others are replayed under their own name, landing where their
  sessions landed last season.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

from peakready.flows import FlowKind
from peakready.plan.model import Plan, PlanStep, Rate, apply_cap, base_plan, fit_interval
from peakready.scenario.model import Scenario
from peakready.traffic import load_history
from peakready.traffic.model import History
from peakready.traffic.sessions import FLOW_ORDER, Classifier
from peakready.units import parse_duration

KINDS: dict[str, tuple[FlowKind, ...]] = {
    "bounce": (FlowKind.BOUNCE,), "browse": (FlowKind.BROWSE,), "cart": (FlowKind.CART,),
    "checkout": (FlowKind.CHECKOUT, FlowKind.PROMO_CHECKOUT), "wallet": (FlowKind.WALLET,),
}
Shares = list[tuple[str, float]]


def history_plan(scenario: Scenario) -> Plan:
    t = scenario.traffic
    assert t is not None
    path = Path(t.history)  # absolute: peakready.scenario.load resolved it
    classifier = Classifier(paths=t.paths.model_dump(), extra_bots=t.bots)
    hist = load_history(path, t.format, interval_s=int(t.interval), columns=t.columns,
                        timezone=t.timezone or scenario.target.timezone,
                        classifier=classifier, idle_s=t.session_idle)
    return plan_from_history(scenario, hist)


def flow_shares(scenario: Scenario) -> dict[str | None, Shares]:
    """History flow label → scenario flows and their shares."""
    by_kind: dict[FlowKind, list[tuple[str, float]]] = defaultdict(list)
    for f in scenario.flows:
        by_kind[f.kind].append((f.name, f.weight))
    total = sum(f.weight for f in scenario.flows)
    out: dict[str | None, Shares] = {None: [(f.name, f.weight / total) for f in scenario.flows]}
    for label in FLOW_ORDER:
        for fallback in reversed(FLOW_ORDER[: FLOW_ORDER.index(label) + 1]):
            flows = [x for k in KINDS[fallback] for x in by_kind.get(k, [])]
            if flows:
                w = sum(weight for _, weight in flows)
                out[label] = [(name, weight / w) for name, weight in flows]
                break
        else:
            out[label] = out[None]
    return out


def window(hist: History, scenario: Scenario) -> tuple[int, int]:
    t = scenario.traffic
    assert t is not None
    n = hist.n_intervals
    w = t.window
    if w is None:
        return 0, n
    if w.busiest is not None:
        span = max(1, min(n, math.ceil(w.busiest / hist.interval_s)))
        totals = hist.totals()
        best, acc = 0, sum(totals[:span])
        best_sum = acc
        for i in range(1, n - span + 1):
            acc += totals[i + span - 1] - totals[i - 1]
            if acc > best_sum:
                best, best_sum = i, acc
        return best, best + span

    def index(at: dt.datetime | None, default: int) -> int:
        if at is None or hist.epoch is None:
            return default
        if at.tzinfo is None:
            at = at.replace(tzinfo=hist.epoch.tzinfo)
        return min(n, max(0, int((at - hist.epoch).total_seconds() // hist.interval_s)))

    return index(w.start, 0), index(w.end, n)


def _spike_sessions(peak_per_min: float, half_life: float, at: float, lo: float,
                    hi: float) -> float:
    """∫ peak/60 · 2^(-(x-at)/half_life) dx over [lo, hi] ∩ [at, ∞)."""
    lo = max(lo, at)
    if hi <= lo:
        return 0.0
    k = math.log(2) / half_life
    return peak_per_min / 60 / k * (math.exp(-k * (lo - at)) - math.exp(-k * (hi - at)))


def plan_from_history(scenario: Scenario, hist: History) -> Plan:
    t = scenario.traffic
    assert t is not None
    interval = hist.interval_s
    i0, i1 = window(hist, scenario)
    factor = (1 + t.growth) * (1 + t.safety)
    shares = flow_shares(scenario)
    names = {c.name.lower(): c.name for c in scenario.campaigns}
    start_wall = hist.start_of(i0) if hist.epoch else None
    spikes = []
    for s in t.spikes:
        try:
            at = parse_duration(s.at)
        except ValueError:
            when = dt.datetime.fromisoformat(s.at)
            if when.tzinfo is None and start_wall is not None:
                when = when.replace(tzinfo=start_wall.tzinfo)
            at = (when - start_wall).total_seconds() if start_wall else 0.0
        spikes.append((s, at))

    steps = []
    for i in range(i0, i1):
        rates: dict[tuple[str | None, str], float] = defaultdict(float)
        for (campaign, flow), n in hist.counts.get(i, {}).items():
            name = names.get(campaign.lower(), campaign) if campaign else None
            for sf, share in shares[flow]:
                rates[(name, sf)] += n * factor * share / interval
        lo = (i - i0) * interval
        for spike, at in spikes:
            extra = _spike_sessions(spike.peak_per_min, spike.half_life, at, lo, lo + interval)
            for sf, share in shares[None]:
                rates[(spike.campaign, sf)] += extra * (1 + t.safety) * share / interval
        steps.append(PlanStep(
            t=(i - i0) * interval / t.speedup, duration=interval / t.speedup,
            rates=[Rate(campaign=c, flow=f, per_s=r) for (c, f), r in sorted(
                rates.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])) if r > 0]))

    totals = hist.totals()[i0:i1]
    plan = base_plan(
        scenario, steps, f"{hist.format} history {Path(hist.source).name}",
        growth=t.growth, safety=t.safety, speedup=t.speedup,
        window_start=start_wall.isoformat() if start_wall else None,
        last_season_peak_per_min=round(max(totals, default=0) * 60 / interval, 3))
    plan.forecast_peak_per_min = round(plan.peak_per_s * 60, 3)
    _add_history_landings(plan, hist)
    cap = _cap_per_s(scenario, plan)
    if cap is not None:
        apply_cap(plan, cap)
    # The series interval from the rate actually sent, after the cap: not the
    # history's interval sped up (3 s in the demo: too short to judge).
    fit_interval(plan, scenario)
    return plan


def _add_history_landings(plan: Plan, hist: History) -> None:
    """Campaigns only the history knows land where they landed last season."""
    for step in plan.steps:
        for r in step.rates:
            c = r.campaign
            if c is None or c in plan.campaign_landing:
                continue
            landing = hist.landing_of(c)
            if landing is None:
                utm = hist.utm.get(c)
                source, medium = utm.most_common(1)[0][0] if utm else (None, None)
                q = {"utm_campaign": c, "utm_source": source or "peakready",
                     "utm_medium": medium or "replay"}
                landing = "/?" + urlencode(q)
            plan.campaign_landing[c] = landing
            plan.campaign_promo.setdefault(c, None)
    if None not in plan.campaign_landing and hist.landing_of(None):
        plan.campaign_landing[""] = hist.landing_of(None) or "/"


def _cap_per_s(scenario: Scenario, plan: Plan) -> float | None:
    cap = scenario.load.max_sessions_per_min
    return cap / 60 if cap is not None else None
