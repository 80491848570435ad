"""`run --find-limit`: the staircase, the limit and the headroom it gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from peakready.plan.build import build_plan
from peakready.plan.limit import limit_plan
from peakready.scenario.model import Scenario
from tests.support.cli import peakready
from tests.support.scenarios import demo_data, write_scenario
from tests.support.servers import Busy


def _scenario(**load: object) -> Scenario:
    data = demo_data()
    data["load"].update(load)
    return Scenario.model_validate(data)


def test_staircase_keeps_the_mix_and_stops_at_the_cap() -> None:
    s = _scenario(arrival_rate=2, duration="10s", max_sessions_per_min=300,
                  find_limit={"factors": [1, 2, 3, 5], "step_duration": "30s"})
    plan = build_plan(s)
    stairs = limit_plan(plan, s)
    assert [round(st.total_per_s * 60) for st in stairs.steps] == [120, 240, 300]
    assert stairs.limit_factors == pytest.approx([1, 2, 2.5])
    assert stairs.interval_s == 30
    assert stairs.forecast_peak_per_min == pytest.approx(120)
    share = {(r.campaign, r.flow): r.per_s / stairs.steps[1].total_per_s
             for r in stairs.steps[1].rates}
    assert share == pytest.approx({(r.campaign, r.flow): r.per_s / 2
                                   for r in plan.steps[0].rates})


def _run(tmp_path: Path, data: dict) -> tuple[int, dict, str]:
    out = tmp_path / "out"
    res = peakready("run", str(write_scenario(tmp_path / "s.yaml", data)), "--out", str(out),
                    "--find-limit", "--no-replay")
    return res.returncode, json.loads((out / "report.json").read_text()), res.stderr


@pytest.mark.parametrize(("need", "code", "finding"), [
    (1.5, 0, "headroom-ok"), (10, 1, "headroom-too-small")])
def test_demo_shop_headroom(tmp_path: Path, need: float, code: int, finding: str) -> None:
    data = demo_data(slos={"min_headroom": need, "min_interval_samples": 3})
    data["load"].update(arrival_rate=1, find_limit={"factors": [1, 2, 3],
                                                    "step_duration": "4s"})
    got, report, err = _run(tmp_path, data)
    assert got == code, err
    cap = report["capacity"]
    assert cap["forecast_peak_per_min"] == 60
    assert cap["limit_per_min"] == 180 and cap["headroom"] == 3.0  # every step held
    assert [s["held"] for s in cap["limit_steps"]] == [True, True, True]
    headroom = next(f for f in report["findings"] if f["check"] == "load.headroom")
    assert headroom["code"] == finding and "at least 3.00x" in headroom["summary"]
    assert "headroom" in (tmp_path / "out" / "report.md").read_text().lower()


def test_limit_is_found_where_the_shop_breaks(tmp_path: Path) -> None:
    busy = Busy()  # 0.2 s per response, one at a time: 5 responses/s
    try:
        data = demo_data(target={"base_url": busy.url}, slos={
            "steps": {"*": {"p95_ms": 1000}}, "min_headroom": 1.5, "min_interval_samples": 3})
        for section in ("email", "promo"):  # the demo's own checks, not this target's
            data.pop(section, None)
        data["campaigns"], data["checks"] = [], {}
        data["flows"] = [{"name": "bounce", "kind": "bounce", "weight": 1}]
        data["load"].update(arrival_rate=1, find_limit={"factors": [1, 2, 4, 8, 16],
                                                        "step_duration": "5s"})
        code, report, err = _run(tmp_path, data)
    finally:
        busy.close()
    cap = report["capacity"]
    steps = cap["limit_steps"]
    assert steps[-1]["held"] is False and steps[-1]["problems"]
    assert len(steps) < 5  # stopped at the first step that broke, not hammering on
    assert 60 <= cap["limit_per_min"] < 480
    assert cap["headroom"] == pytest.approx(cap["limit_per_min"] / 60)
    assert "broke" in cap["limit_note"]
    assert code == (1 if cap["headroom"] < 1.5 else 0), err
