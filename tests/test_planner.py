"""History → plan: buffer, window, speed-up, spikes, cap, flow and campaign mapping."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest

from peakready.plan.arrivals import arrivals
from peakready.plan.build import build_plan
from peakready.plan.history import flow_shares, plan_from_history
from peakready.scenario.model import Scenario
from peakready.traffic.model import History
from tests.support.cli import peakready
from tests.support.scenarios import DEMO, demo_data, write_scenario

TZ = dt.timezone(dt.timedelta(hours=1))
T0 = dt.datetime(2025, 11, 28, 19, 0, tzinfo=TZ)


def _history(curve: dict[str | None, list[int]], flow: str | None = "browse") -> History:
    h = History(source="h.log", format="combined", interval_s=60)
    for campaign, counts in curve.items():
        for i, n in enumerate(counts):
            if n:
                h.add(T0 + dt.timedelta(minutes=i), campaign, flow, n,
                      landing=f"/landing?utm_campaign={campaign}" if campaign else "/")
    return h


def _scenario(**traffic: object) -> Scenario:
    data = demo_data()
    for k in ("arrival_rate", "duration", "interval"):
        data["load"].pop(k, None)
    data["traffic"] = {"history": "h.log", **traffic}
    return Scenario.model_validate(data)


def _per_min(plan) -> list[float]:
    return [st.total_per_s * 60 for st in plan.steps]


def test_buffer_multiplies_history() -> None:
    h = _history({"bf-mia": [10, 20, 30], None: [5, 5, 5]})
    plan = plan_from_history(_scenario(growth=0.25, safety=0.2), h)
    assert _per_min(plan) == pytest.approx([15 * 1.5, 25 * 1.5, 35 * 1.5])
    assert plan.last_season_peak_per_min == 35
    assert plan.forecast_peak_per_min == pytest.approx(52.5)
    assert len(list(arrivals(plan))) in (112, 113)  # 112.5 planned: the remainder rounds


def test_busiest_window_and_speedup_keep_rates_and_shape() -> None:
    curve = [5] * 30 + [60, 40, 25, 15] + [5] * 30
    h = _history({"bf-mia": curve})
    plan = plan_from_history(_scenario(window={"busiest": "4m"}, speedup=10), h)
    assert plan.duration_s == pytest.approx(24.0)  # 4 minutes, 10x faster
    assert max(_per_min(plan)) == pytest.approx(60)  # the same peak rate
    assert _per_min(plan)[:4] == pytest.approx([60, 40, 25, 15])  # the spike's shape
    assert plan.window_start == (T0 + dt.timedelta(minutes=30)).isoformat()
    # 24 s of replay at 25/min: no interval can reach min_interval_samples; the
    # shortest allowed one, not the history's minute sped up (6 s), and the plan says so
    assert plan.interval_s == 10.0 and "fewer than" in plan.interval_basis


def test_explicit_window() -> None:
    h = _history({None: list(range(1, 61))})
    plan = plan_from_history(_scenario(window={"start": "2025-11-28T19:10:00+01:00",
                                               "end": "2025-11-28T19:20:00+01:00"}), h)
    assert _per_min(plan) == pytest.approx(list(range(11, 21)))


def test_injected_spike_integrates_exactly() -> None:
    h = _history({None: [1] + [0] * 118 + [1]}, flow=None)
    plan = plan_from_history(_scenario(safety=0.1, spikes=[
        {"at": "30m", "campaign": "bf-lena", "peak_per_min": 100, "half_life": "5m"}]), h)
    lena = sum(r.per_s * st.duration for st in plan.steps for r in st.rates
               if r.campaign == "bf-lena")
    whole = 100 * 5 / math.log(2) * 1.1  # peak x half-life / ln 2, with the safety buffer
    assert lena == pytest.approx(whole * (1 - 2 ** (-90 / 5)), rel=1e-6)
    peak_step = max(plan.steps, key=lambda s: s.total_per_s)
    assert peak_step.t == 30 * 60


def test_cap_bites_and_is_reported() -> None:
    h = _history({"bf-mia": [10, 200, 300, 10]})
    data = _scenario().model_dump()
    data["load"]["max_sessions_per_min"] = 120
    plan = plan_from_history(Scenario.model_validate(data), h)
    assert max(_per_min(plan)) == pytest.approx(120)
    assert plan.capped_steps == 2
    assert plan.capped[1]["planned_per_min"] == pytest.approx(300)


def test_flow_mapping_and_fallback() -> None:
    s = _scenario()
    shares = dict(flow_shares(s))
    assert {n for n, _ in shares["checkout"]} == {"checkout", "promo-checkout"}
    assert sum(w for _, w in shares["checkout"]) == pytest.approx(1)
    data = demo_data()
    data["flows"] = [f for f in data["flows"] if f["kind"] not in ("wallet", "cart")]
    shares2 = flow_shares(Scenario.model_validate(data))
    assert {n for n, _ in shares2["wallet"]} == {"checkout", "promo-checkout"}
    assert {n for n, _ in shares2["cart"]} == {"browse"}


def test_history_campaigns_map_to_scenario_or_keep_their_landing() -> None:
    h = _history({"BF-MIA": [10], "spring-tease": [4]})
    plan = plan_from_history(_scenario(), h)
    campaigns = {r.campaign for r in plan.steps[0].rates}
    assert campaigns == {"bf-mia", "spring-tease"}
    assert plan.campaign_landing["spring-tease"] == "/landing?utm_campaign=spring-tease"
    assert plan.campaign_promo["spring-tease"] is None
    assert "utm_campaign=bf-mia" in plan.campaign_landing["bf-mia"]  # the scenario's link


def test_spike_for_unknown_campaign_is_rejected(tmp_path: Path) -> None:
    data = _scenario().model_dump(mode="json", exclude_none=True)
    data["traffic"]["spikes"] = [{"at": "5m", "campaign": "nobody", "peak_per_min": 5,
                                  "half_life": "1m"}]
    out = peakready("validate", str(write_scenario(tmp_path / "s.yaml", data)))
    assert out.returncode == 2 and "traffic.spikes[0].campaign" in out.stderr


def test_demo_plan_command(tmp_path: Path) -> None:
    out = peakready("plan", str(DEMO), "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["last_season_peak_per_min"] == 112
    assert plan["forecast_peak_per_min"] >= 112 * 1.5
    assert (tmp_path / "plan.svg").read_text().startswith("<?xml")
    assert "forecast_peak_per_min" in out.stdout
    again = peakready("plan", str(DEMO), "--json")
    assert json.loads(again.stdout) == plan  # deterministic
    assert build_plan  # the same builder the run uses
