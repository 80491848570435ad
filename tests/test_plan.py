"""The arrival plan: exact counts per interval, shares that add up."""

from __future__ import annotations

from collections import Counter

import pytest

from peakready.plan.arrivals import arrivals
from peakready.plan.build import build_plan
from peakready.plan.model import constant_plan
from peakready.scenario.model import Scenario
from tests.support.scenarios import demo_data


def _demo_plan():
    return build_plan(_scenario(arrival_rate=4, duration="60s", interval="10s"))


def _scenario(**load: object) -> Scenario:
    data = demo_data()
    data["load"].update(load)
    return Scenario.model_validate(data)


@pytest.mark.parametrize("mode", ["random", "even"])
@pytest.mark.parametrize(("rate", "duration", "interval"), [
    (4, "60s", "10s"), (0.7, "10m", "1m"), (33.3, "30s", "5s"), (0.05, "10m", "1m")])
def test_counts_per_interval_are_exact(mode: str, rate: float, duration: str,
                                       interval: str) -> None:
    plan = constant_plan(_scenario(arrival_rate=rate, duration=duration, interval=interval))
    plan.arrivals = mode
    got = list(arrivals(plan))
    assert len(got) == round(plan.total_sessions)
    per = Counter(int(a.t // plan.interval_s) for a in got)
    expected = rate * plan.interval_s
    for i in range(len(plan.steps)):
        assert abs(per[i] - expected) < 1.0 + 1e-9, (i, per[i], expected)
    assert [a.t for a in got] == sorted(a.t for a in got)


def test_campaign_and_flow_shares_follow_weights() -> None:
    plan = _demo_plan()
    got = list(arrivals(plan))
    by_campaign = Counter(a.campaign for a in got)
    assert by_campaign == {"bf-mia": 120, "bf-noah": 80, "bf-lena": 40}  # weights 3:2:1
    by_flow = Counter(a.flow for a in got)
    s = _scenario()
    total_w = sum(f.weight for f in s.flows)
    for f in s.flows:
        assert abs(by_flow[f.name] - 240 * f.weight / total_w) <= len(s.campaigns)


@pytest.mark.parametrize("workers", [2, 3, 7])
def test_worker_shares_add_up(workers: int) -> None:
    plan = _demo_plan()
    whole = list(arrivals(plan))
    parts = [list(arrivals(plan, i, workers)) for i in range(workers)]
    assert sorted(a for p in parts for a in p) == sorted(whole)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


def test_deterministic_for_a_seed() -> None:
    plan = _demo_plan()
    assert list(arrivals(plan)) == list(arrivals(plan))
    other = plan.model_copy(update={"seed": plan.seed + 1})
    assert [a.t for a in arrivals(other)] != [a.t for a in arrivals(plan)]


def test_little_law_sizing() -> None:
    plan = _demo_plan()
    s = plan.summary()
    assert s["total_sessions"] == 240 and s["peak_sessions_per_min"] == 240
    # 4 sessions/s x mean session length (weights x think time) = users needed
    mean = sum(r.per_s * plan.session_seconds[r.flow] for r in plan.steps[0].rates)
    assert s["users_needed"] == -(-mean // 1)
