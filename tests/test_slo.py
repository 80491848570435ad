"""load.slo on measured results: over the run, per interval, checkout, drops."""

from __future__ import annotations

import pytest
from peakready.checks.check import CheckContext
from peakready.checks.load import slo

from peakready.findings import Status
from peakready.load.results import Interval, LoadResult, SessionStats, StepStats
from peakready.scenario.model import Scenario
from tests.support.scenarios import demo_data


def _ctx(load: LoadResult, **slos: object) -> CheckContext:
    data = demo_data(slos={"steps": {"*": {"p95_ms": 500, "max_error_rate": 0.05}}, **slos})
    return CheckContext(scenario=Scenario.model_validate(data), load=load)


def _load(p95s: list[float], n: int = 50, planned: int = 100, dropped: int = 0) -> LoadResult:
    series = [Interval(t=10.0 * i, steps={"landing": StepStats(requests=n, p95_ms=p)})
              for i, p in enumerate(p95s)]
    return LoadResult(series=series, interval_s=10.0,
                      steps={"landing": StepStats(requests=n * len(p95s), p95_ms=300.0)},
                      totals=SessionStats(planned=planned, started=planned - dropped,
                                          dropped=dropped))


def _by_code(ctx: CheckContext) -> dict[str, object]:
    return {f.code: f for f in slo.run(ctx)}


@pytest.mark.parametrize(("tolerance", "status", "code"), [
    (0.1, Status.FAIL, "slo-breached-intervals"), (0.5, Status.WARN, "slo-breached-briefly")])
def test_spike_breach_is_caught_per_interval(tolerance: float, status: Status,
                                             code: str) -> None:
    load = _load([200, 200, 900, 1200, 950, 200, 200, 200, 200, 200])
    found = _by_code(_ctx(load, interval_tolerance=tolerance))
    assert found["slo-met"].subject == "landing"  # the run as a whole is fine...
    f = found[code]  # ...but not during the spike
    assert f.status is status
    assert f.evidence["intervals_breached"] == 3 and f.evidence["intervals_judged"] == 10
    assert f.evidence["breaches"][0]["t_s"] == 20.0
    assert "first at 20s" in f.summary


def test_thin_intervals_are_not_judged() -> None:
    found = _by_code(_ctx(_load([200, 5000, 200], n=5)))
    assert "slo-breached-intervals" not in found and "slo-breached-briefly" not in found


def test_dropped_rate_slo() -> None:
    assert _by_code(_ctx(_load([200], planned=1000, dropped=30),
                         max_dropped_rate=0.01))["dropped-rate-high"].status is Status.FAIL
    assert _by_code(_ctx(_load([200], planned=1000, dropped=3),
                         max_dropped_rate=0.01))["dropped-rate-met"].status is Status.PASS
    behind = _by_code(_ctx(_load([200], planned=1000, dropped=300), max_dropped_rate=0.01))
    assert behind["dropped-not-judged"].status is Status.SKIP  # the generator's fault


def test_starts_a_stop_cancelled_are_not_the_generators_to_serve() -> None:
    """An abort cancelled 900 of 1000 starts: 30 dropped of the 100 due is 30 %
    (the generator was behind), not 3 % of the plan."""
    load = _load([200], planned=1000, dropped=30)
    load.totals = load.totals.model_copy(update={"cancelled": 900, "started": 70})
    found = _by_code(_ctx(load, max_dropped_rate=0.05))
    assert found["dropped-not-judged"].status is Status.SKIP
    load.totals = load.totals.model_copy(update={"dropped": 3, "started": 97})
    f = _by_code(_ctx(load, max_dropped_rate=0.02))["dropped-rate-high"]
    assert f.evidence["cancelled"] == 900 and "3.00% of 100 session starts due" in f.summary


def test_checkout_success_rate() -> None:
    load = _load([200])
    load.totals.order_attempts, load.totals.orders = 100, 95
    f = _by_code(_ctx(load, checkout_success_rate=0.98))["checkout-success-low"]
    assert f.status is Status.FAIL and f.evidence == {"attempts": 100, "orders": 95,
                                                      "target": 0.98}
