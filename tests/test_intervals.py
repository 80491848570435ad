"""The reporting interval is chosen so the per-interval SLOs can judge it
(issue 14: the demo's intervals were the history's minute sped up 20x, 3 s,
and no interval ever reached ``min_interval_samples``)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from peakready.flows import LANDING
from peakready.load.results import Interval, LoadResult, StepStats
from peakready.load.slo import interval_breaches
from peakready.plan.arrivals import arrivals
from peakready.plan.build import build_plan
from peakready.plan.interval import choose_interval, median_rate
from peakready.plan.model import Plan
from peakready.scenario.load import load_scenario
from peakready.scenario.model import Scenario
from tests.support.scenarios import DEMO, demo_data, write_scenario


def _landings(plan: Plan) -> list[int]:
    """Landing requests per interval: one per session start, as planned."""
    per = Counter(int(a.t // plan.interval_s) for a in arrivals(plan))
    return [per[i] for i in range(int(-(-plan.duration_s // plan.interval_s)))]


def _judged(plan: Plan, slos: Any) -> dict[str, int]:
    """What load.slo's per-interval rule judges if the shop answers as planned."""
    series = [Interval(t=i * plan.interval_s, steps={LANDING: StepStats(requests=n, p95_ms=90)})
              for i, n in enumerate(_landings(plan))]
    judged, _ = interval_breaches(LoadResult(series=series, interval_s=plan.interval_s), slos)
    return judged


def _constant(**load: object) -> Scenario:
    data = demo_data()
    data["load"].pop("interval")
    data["load"].update(load)
    return Scenario.model_validate(data)


# -- the rule ------------------------------------------------------------------


@pytest.mark.parametrize(("rate", "duration", "interval"), [
    (5.0, 600, 10), (2.0, 600, 10), (1.9, 600, 15), (1.28, 90, 20), (0.5, 600, 60),
    (0.05, 3600, 600), (0.01, 20_000, 3600)])
def test_shortest_interval_that_holds_min_samples(rate: float, duration: float,
                                                  interval: float) -> None:
    got, why = choose_interval(rate, duration, 20)
    assert got == interval
    assert rate * got >= 20 and "landing requests" in why and "fewer" not in why


def test_long_plans_start_at_one_minute() -> None:
    assert choose_interval(50.0, 1800, 20)[0] == 60
    assert choose_interval(50.0, 1799, 20)[0] == 10


def test_at_most_a_third_of_the_run_and_it_says_why() -> None:
    got, why = choose_interval(0.5, 90, 20)  # 40 s would be needed
    assert got == 30 and "fewer than slos.min_interval_samples 20" in why
    assert choose_interval(0.1, 20, 20)[0] == 10  # never below the shortest allowed


def test_explicit_interval_wins() -> None:
    assert choose_interval(0.1, 90, 20, explicit=3.0) == (3.0, "load.interval 3 s")


def test_median_is_time_weighted_over_busy_steps() -> None:
    assert median_rate([(10, 1.0), (10, 2.0), (10, 3.0)]) == 2.0
    assert median_rate([(30, 1.0), (10, 5.0)]) == 1.0
    assert median_rate([(100, 0.0), (10, 1.0), (10, 4.0)]) == 1.0  # idle time left out
    assert median_rate([]) == 0.0


# -- the plans -----------------------------------------------------------------


def test_demo_plan_intervals_are_judged() -> None:
    scenario = load_scenario(DEMO)
    plan = build_plan(scenario)
    assert plan.interval_s == 20  # was 3 s: the history's minute sped up 20x
    assert "median" in plan.interval_basis and plan.summary()["interval_s"] == 20
    landings = _landings(plan)
    assert sum(n >= scenario.slos.min_interval_samples for n in landings) >= len(landings) // 2
    assert _judged(plan, scenario.slos)[LANDING] >= 3  # was 0


def test_explicit_interval_is_kept_for_a_replay(tmp_path: Path) -> None:
    data = yaml.safe_load(DEMO.read_text())
    data["load"]["interval"] = "3s"
    path = write_scenario(tmp_path / "demo.yaml", data)
    for name in ("demo-history.log.gz", "demo-email.zone"):
        (tmp_path / name).symlink_to(DEMO.parent / name)
    plan = build_plan(load_scenario(path))
    assert plan.interval_s == 3 and plan.interval_basis == "load.interval 3 s"


def test_slow_constant_rate_gets_longer_intervals() -> None:
    scenario = _constant(arrival_rate=0.5, duration="10m")
    plan = build_plan(scenario)
    assert plan.interval_s == 60  # was 10 s: 5 landings, never judged
    assert {st.duration for st in plan.steps} == {60}
    assert _judged(plan, scenario.slos)[LANDING] == 10


def test_interval_follows_the_capped_rate() -> None:
    plan = build_plan(_constant(arrival_rate=5, duration="10m", max_sessions_per_min=30))
    assert plan.interval_s == 60  # 0.5 sessions/s after the cap, not 5


def test_capped_replay_interval_follows_the_cap() -> None:
    data = yaml.safe_load(DEMO.read_text())
    data["load"]["max_sessions_per_min"] = 30
    data["traffic"]["history"] = str(DEMO.parent / "demo-history.log.gz")
    data["email"]["zone_files"] = [str(DEMO.parent / "demo-email.zone")]
    plan = build_plan(Scenario.model_validate(data))
    assert plan.interval_s == 30 and "fewer than" in plan.interval_basis  # a third of 90 s


# The shipped demo, replayed in full, judges its intervals:
# tests/test_packaging.py::test_run_from_an_empty_folder_replays_the_demo.
