"""The generator's limits are not the shop's (issue 14): latency measured while
the load generator was unhealthy, or queued behind peakready's own
``max_request_rate`` limiter, never makes a run NO-GO by itself; a NO-GO in
such a run rests only on what the generator cannot cause (the shop's error
answers, failed checks), and the report says what the verdict rests on."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from peakready.checks.check import CheckContext
from peakready.checks.load import generator, headroom, slo
from peakready.reports.model import CheckInfo, Report, ScenarioInfo

from peakready import reports
from peakready.findings import Finding, Level, Status
from peakready.load.results import (
    CpuWarning,
    Health,
    Interval,
    LimitResult,
    LimitStep,
    LoadResult,
    SessionStats,
    StepStats,
)
from peakready.scenario.model import Scenario
from peakready.verdict import Verdict, apply_levels, grounds
from tests.support.cli import peakready
from tests.support.scenarios import demo_data, write_scenario

HEALTH = frozenset({"load.generator"})
SICK = Finding(check="load.generator", subject="generator", status=Status.FAIL,
               code="arrivals-behind-plan", summary="82% of starts late or dropped",
               level=Level.ERROR)


def f(check: str = "load.slo", status: Status = Status.FAIL, *, timed: bool = False,
      level: Level = Level.ERROR, code: str = "c") -> Finding:
    return Finding(check=check, subject="s", status=status, code=code, summary="x",
                   level=level, generator_dependent=timed)


# -- the rule, on constructed findings -----------------------------------------------

@pytest.mark.parametrize(("findings", "expected", "aside"), [
    # a healthy generator: its timings are the shop's
    ([f(timed=True)], Verdict.NO_GO, 0),
    # an unhealthy one: latency alone is set aside, the run is INCONCLUSIVE
    ([SICK, f(timed=True)], Verdict.INCONCLUSIVE, 1),
    ([SICK, f(timed=True), f(timed=True, status=Status.WARN)], Verdict.INCONCLUSIVE, 1),
    # what the generator cannot cause still blocks: the shop's error answers...
    ([SICK, f(timed=True), f(timed=False)], Verdict.NO_GO, 1),
    # ...and a failed pre-flight check
    ([SICK, f("links.utm")], Verdict.NO_GO, 0),
    ([SICK, f("email.dmarc", Status.ERROR)], Verdict.NO_GO, 0),
    # a latency failure at level warn never blocked; it still does not
    ([SICK, f(timed=True, level=Level.WARN)], Verdict.INCONCLUSIVE, 0),
    # the generator check turned off: the scenario trusts the generator
    ([SICK.model_copy(update={"level": Level.OFF}), f(timed=True)], Verdict.NO_GO, 0),
    # a warning about the generator (the plan was capped) is not unhealthy
    ([SICK.model_copy(update={"status": Status.WARN}), f(timed=True)], Verdict.NO_GO, 0),
])
def test_verdict_rule(findings: list[Finding], expected: Verdict, aside: int) -> None:
    g = grounds(findings, HEALTH)
    assert g.verdict is expected
    assert len(g.set_aside) == aside
    assert all(x.generator_dependent for x in g.set_aside)
    if expected is Verdict.NO_GO:
        assert g.rests_on == g.blocking
        assert not any(x.generator_dependent for x in g.blocking) or not g.unhealthy
    if expected is Verdict.INCONCLUSIVE:
        assert g.rests_on == g.unhealthy == (findings[0],)


def test_rests_on_each_verdict() -> None:
    warn = f(status=Status.WARN)
    assert grounds([warn], HEALTH).rests_on == (warn,)
    assert grounds([f(status=Status.PASS)], HEALTH).rests_on == ()


# -- load.slo says which failures rest on the generator's timings ---------------------

def _ctx(load: LoadResult, **slos: object) -> CheckContext:
    data = demo_data(slos={"steps": {"*": {"p95_ms": 500, "max_error_rate": 0.05}}, **slos})
    return CheckContext(scenario=Scenario.model_validate(data), load=load)


def _load(steps: dict[str, StepStats], intervals: int = 4, **kw: object) -> LoadResult:
    """``steps`` over the run, and the same figures in each of ``intervals``."""
    per = {k: v.model_copy(update={"requests": v.requests // intervals,
                                   "failures": v.failures // intervals})
           for k, v in steps.items()}
    return LoadResult(series=[Interval(t=10.0 * i, steps=per) for i in range(intervals)],
                      interval_s=10.0, steps=steps, requests=1000,
                      totals=kw.pop("totals", SessionStats(planned=100, started=100)), **kw)


def _codes(ctx: CheckContext) -> dict[tuple[str, str], Finding]:
    return {(x.subject, x.code): x for x in slo.run(ctx)}


def test_latency_rests_on_the_generator_errors_on_the_shop() -> None:
    found = _codes(_ctx(_load({
        "landing": StepStats(requests=400, p95_ms=900.0),
        "cart:add": StepStats(requests=400, failures=80, p95_ms=20.0),
        "checkout:pay": StepStats(requests=400, failures=80, p95_ms=900.0)})))
    assert found[("landing", "slo-breached")].generator_dependent
    assert found[("landing (per interval)", "slo-breached-intervals")].generator_dependent
    for step in ("cart:add", "checkout:pay"):  # errors are the shop's own answers
        assert not found[(step, "slo-breached")].generator_dependent
        assert not found[(f"{step} (per interval)", "slo-breached-intervals")
                         ].generator_dependent


def test_scheduled_landing_is_not_judged_behind_the_rate_limiter() -> None:
    load = _load({"landing": StepStats(requests=400, p95_ms=24.0),
                  "landing@scheduled": StepStats(requests=400, p95_ms=3269.0)},
                 health=Health(rate_limited=3))  # even a few: its wait includes the queue
    found = _codes(_ctx(load))
    f = found[("landing@scheduled", "slo-rate-limited")]
    assert f.status is Status.SKIP
    assert "load.max_request_rate" in f.summary and "p95 3,269 ms" in f.summary
    assert "the landing request itself: p95 24 ms" in f.summary
    assert not any(x.status is Status.FAIL for x in found.values())
    assert found[("landing", "slo-met")].status is Status.PASS


def test_scheduled_landing_is_judged_when_nothing_queued() -> None:
    load = _load({"landing@scheduled": StepStats(requests=400, p95_ms=3269.0)})
    f = _codes(_ctx(load))[("landing@scheduled", "slo-breached")]
    assert f.status is Status.FAIL and f.generator_dependent


def test_dropped_starts_rest_on_the_generator() -> None:
    load = _load({"landing": StepStats(requests=400, p95_ms=20.0)},
                 totals=SessionStats(planned=1000, started=970, dropped=30))
    f = _codes(_ctx(load, max_dropped_rate=0.01))[("arrivals", "dropped-rate-high")]
    assert f.status is Status.FAIL and f.generator_dependent


@pytest.mark.parametrize(("failures", "expected"), [
    (0, Verdict.INCONCLUSIVE), (80, Verdict.NO_GO)])
def test_saturated_generator_through_both_checks(failures: int, expected: Verdict) -> None:
    """load.slo and load.generator together, as a run computes them."""
    load = _load({"landing": StepStats(requests=400, failures=failures, p95_ms=3000.0)},
                 health=Health(cpu_warnings=[CpuWarning(worker="local", at_s=3,
                                                        cpu_percent=99)]))
    ctx = _ctx(load)
    findings = apply_levels([*slo.run(ctx), *generator.run(ctx)], {})
    g = grounds(findings, HEALTH)
    assert g.verdict is expected
    assert [x.code for x in g.unhealthy] == ["generator-cpu-saturated"]
    if expected is Verdict.NO_GO:
        assert {x.subject for x in g.blocking} == {"landing", "landing (per interval)"}
        assert "errors" in g.blocking[0].summary
    else:
        assert {x.subject for x in g.set_aside} == {"landing", "landing (per interval)"}


@pytest.mark.parametrize(("failures", "timed"), [(0, True), (20, False)])
def test_headroom_broken_on_timings_rests_on_the_generator(failures: int,
                                                           timed: bool) -> None:
    limit = LimitResult(forecast_per_min=60, steps=[
        LimitStep(factor=1, per_min=60, held=True),
        LimitStep(factor=2, per_min=120, held=False, problems=["landing at 10s: ..."])],
        highest_held_per_min=60)
    iv = Interval(t=10, steps={"landing": StepStats(requests=100, failures=failures,
                                                    p95_ms=2000.0)})
    load = LoadResult(series=[Interval(t=0), iv])
    ctx = CheckContext(scenario=Scenario.model_validate(demo_data(slos={"min_headroom": 1.5})),
                       load=load, limit=limit)
    (f,) = headroom.run(ctx)
    assert f.code == "headroom-too-small" and f.generator_dependent is timed


# -- the report says what the verdict rests on ---------------------------------------------

def _report(*findings: Finding) -> Report:
    checks = [CheckInfo(id="load.generator", title="Load generator delivered the plan",
                        area="load", level="error", health=True),
              CheckInfo(id="load.slo", title="Service levels under load", area="load",
                        level="error"),
              CheckInfo(id="links.utm", title="UTM tags", area="links", level="error")]
    v = grounds(findings, HEALTH).verdict
    return Report(scenario=ScenarioInfo(name="s"), verdict=v, exit_code=int(v.exit_code()),
                  checks=checks, findings=list(findings))


LATENCY = Finding(check="load.slo", subject="landing", status=Status.FAIL, code="slo-breached",
                  summary="p95 5698 ms > 800 ms", level=Level.ERROR, generator_dependent=True)
UTM = Finding(check="links.utm", subject="bf-mia", status=Status.FAIL, code="utm-uppercase",
              summary="utm_medium=Social", level=Level.ERROR)


def test_report_sets_aside_latency_of_an_unhealthy_generator() -> None:
    r = _report(SICK, LATENCY)
    assert r.verdict is Verdict.INCONCLUSIVE and r.blocking() == []
    basis = json.loads(r.model_dump_json())["verdict_basis"]
    assert basis == {"rests_on": [{"index": 0, "check": "load.generator",
                                   "subject": "generator", "code": "arrivals-behind-plan"}],
                     "generator_healthy": False,
                     "set_aside": [{"index": 1, "check": "load.slo", "subject": "landing",
                                    "code": "slo-breached"}]}
    assert Report.model_validate_json(r.model_dump_json()) == r  # report.json round-trips
    md = reports.RENDERERS["report.md"](r)
    assert "**Set aside: measured by an unhealthy load generator (1):**" in md
    assert "This verdict rests on 1 finding(s) about the load generator" in md
    assert "FAIL (set aside)" in md and "Blocking the launch" not in md
    html = reports.RENDERERS["report.html"](r)
    assert 'id="set-aside"' in html and "FAIL (set aside)" in html
    assert 'id="blockers"' not in html
    suites = ET.fromstring(reports.RENDERERS["junit.xml"](r))
    failure = suites.find(".//testcase[@classname='load.slo']/failure")
    assert failure is not None and "set aside" in failure.get("message", "")
    props = {p.get("name"): p.get("value") for p in suites.find("testsuite/properties")}
    assert props["verdict"] == "INCONCLUSIVE"
    assert props["verdict_rests_on"] == "load.generator generator (arrivals-behind-plan)"


def test_report_no_go_of_an_unhealthy_run_names_what_it_rests_on() -> None:
    r = _report(SICK, LATENCY, UTM)
    assert r.verdict is Verdict.NO_GO and r.blocking() == [UTM]
    basis = r.verdict_basis
    assert [x.code for x in basis.rests_on] == ["utm-uppercase"]
    assert [x.code for x in basis.set_aside] == ["slo-breached"]
    md = reports.RENDERERS["report.md"](r)
    assert "**Blocking the launch (1):**" in md
    assert "This NO-GO rests on 1 finding(s) the load generator cannot cause" in md
    assert "utm\\_medium=Social" in md.split("## Capacity")[0]
    assert "p95 5698 ms" in md.split("## Capacity")[0]  # listed, as set aside


# -- both defects, in real runs against the demo shop -----------------------------------

def _run(tmp_path: Path, data: dict) -> tuple[int, dict, str]:
    data.pop("promo")  # the load is what is judged here: no pre-flight orders
    data.pop("email")
    out = tmp_path / "out"
    res = peakready("run", str(write_scenario(tmp_path / "s.yaml", data)), "--out", str(out))
    return res.returncode, json.loads((out / "report.json").read_text()), res.stderr


def _finding(report: dict, subject: str) -> dict:
    return next(x for x in report["findings"]
                if x["check"] == "load.slo" and x["subject"] == subject)


def test_rate_limiter_queue_is_not_the_shop(tmp_path: Path) -> None:
    """Sessions queue behind load.max_request_rate (8/s for a plan of 20/s):
    landing@scheduled times that queue (seconds) while the shop answers its
    landing page in milliseconds. Was NO-GO on landing@scheduled."""
    data = demo_data(flows=[{"name": "bounce", "kind": "bounce", "weight": 1}])
    data["load"].update(duration="3s", arrival_rate=20, max_request_rate=8)
    code, report, err = _run(tmp_path, data)
    steps = report["load"]["steps"]
    assert steps["landing@scheduled"]["p95_ms"] > 800 > 10 * steps["landing"]["p95_ms"]
    assert report["verdict"] == "INCONCLUSIVE" and code == 4, err
    assert "blocking:" not in err
    scheduled = _finding(report, "landing@scheduled")
    assert (scheduled["status"], scheduled["code"]) == ("skip", "slo-rate-limited")
    assert _finding(report, "landing")["status"] == "pass"
    assert [(x["check"], x["code"]) for x in report["verdict_basis"]["rests_on"]] == [
        ("load.generator", "request-rate-capped")]
    md = (tmp_path / "out" / "report.md").read_text()
    assert "This verdict rests on 1 finding(s) about the load generator" in md


def test_plan_beyond_the_generator_is_inconclusive(tmp_path: Path) -> None:
    """20,000 sessions/min from one process on a small machine: starts fall
    behind and the latency it measures is set aside. Was NO-GO on it."""
    data = demo_data()
    data["load"].update(duration="3s", arrival_rate=333, drop_after=2,
                        max_request_rate=100_000)  # the limiter is not the question here
    code, report, err = _run(tmp_path, data)
    assert report["verdict"] == "INCONCLUSIVE" and code == 4, err
    assert "blocking:" not in err
    basis = report["verdict_basis"]
    assert not basis["generator_healthy"]
    assert "arrivals-behind-plan" in [x["code"] for x in basis["rests_on"]]
    aside = [report["findings"][x["index"]] for x in basis["set_aside"]]
    assert aside, "the starved generator measured no latency breach: nothing reproduced"
    assert all(x["check"] == "load.slo" and x["generator_dependent"] for x in aside)
    assert report["load"]["failures"] == 0  # no error answer: nothing the shop did
