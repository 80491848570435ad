"""load.generator: every way a generator can fail to deliver makes the run INCONCLUSIVE."""

from __future__ import annotations

import pytest
from peakready.checks.check import CheckContext
from peakready.checks.load import generator

from peakready.findings import Status
from peakready.load.results import CpuWarning, Health, LoadResult, RunStatus, SessionStats
from peakready.scenario.model import Scenario
from tests.support.scenarios import demo_data


def _findings(**kw: object) -> dict[str, object]:
    load = LoadResult(totals=SessionStats(planned=100, started=100), requests=1000, **kw)
    ctx = CheckContext(scenario=Scenario.model_validate(demo_data()), load=load)
    return {f.code: f for f in generator.run(ctx)}


@pytest.mark.parametrize(("kw", "code", "status"), [
    ({}, "arrivals-on-plan", Status.PASS),
    ({"totals": SessionStats(planned=100, started=90, late=4, dropped=10)},
     "arrivals-behind-plan", Status.FAIL),
    ({"health": Health(cpu_warnings=[CpuWarning(worker="w1", at_s=42, cpu_percent=97)])},
     "generator-cpu-saturated", Status.FAIL),
    ({"health": Health(missing_workers=["w2"])}, "worker-missing", Status.FAIL),
    ({"health": Health(rate_limited=50)}, "request-rate-capped", Status.FAIL),
    ({"health": Health(plan_capped=[{"t": 0, "planned_per_min": 900, "capped_per_min": 600}])},
     "plan-capped", Status.WARN),
    ({"status": RunStatus.INTERRUPTED, "stop_reason": "Ctrl-C"}, "run-interrupted",
     Status.FAIL),
    ({"status": RunStatus.CRASHED, "stop_reason": "boom"}, "run-crashed", Status.FAIL),
])
def test_health_rules(kw: dict, code: str, status: Status) -> None:
    if "totals" in kw:
        found = {f.code: f for f in generator.run(CheckContext(
            scenario=Scenario.model_validate(demo_data()),
            load=LoadResult(requests=1000, **kw)))}
    else:
        found = _findings(**kw)
    assert found[code].status is status


def test_cpu_warning_says_which_worker_and_when() -> None:
    f = _findings(health=Health(cpu_warnings=[CpuWarning(worker="w1", at_s=42,
                                                         cpu_percent=97)]))
    assert "w1 at 42s" in f["generator-cpu-saturated"].summary


def test_a_few_rate_limited_requests_are_tolerated() -> None:
    assert "request-rate-capped" not in _findings(health=Health(rate_limited=5))
