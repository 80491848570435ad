"""The open-model replay: exact arrivals, worker shares, honest starvation."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import demo_data, peakready, write_scenario


def _run(tmp_path: Path, data: dict, *args: str) -> tuple[int, dict, str]:
    out = tmp_path / "out"
    res = peakready("run", str(write_scenario(tmp_path / "s.yaml", data)), "--out", str(out),
                    *args)
    return res.returncode, json.loads((out / "report.json").read_text()), res.stderr


def test_two_workers_share_the_plan_exactly(tmp_path: Path) -> None:
    data = demo_data()
    data["load"].update(duration="8s", arrival_rate=6)
    code, report, err = _run(tmp_path, data, "--workers", "2")
    assert code == 0, err
    load = report["load"]
    assert load["workers"] == 2
    assert load["totals"]["planned"] == load["totals"]["started"] == 48
    assert [iv["planned"] for iv in load["series"][:2]] == [30, 18]  # 5 s intervals
    assert sum(c["started"] for c in load["campaigns"].values()) == 48
    assert load["steps"]["landing"]["requests"] == 48
    # per-interval, per-campaign figures add up to the interval's
    for iv in load["series"]:
        assert sum(c["started"] for c in iv["campaigns"].values()) == iv["started"]


def test_starved_generator_is_inconclusive_and_shows_late_and_dropped(tmp_path: Path) -> None:
    data = demo_data()
    data["load"].update(duration="6s", arrival_rate=20, max_users=2, drop_after=2,
                        think_time={"min": 0.5, "max": 1.0})
    code, report, err = _run(tmp_path, data)
    assert code == 4, err
    assert report["verdict"] == "INCONCLUSIVE"
    tot = report["load"]["totals"]
    assert tot["planned"] == 120
    assert tot["late"] + tot["dropped"] > 0.5 * tot["planned"]
    assert tot["started"] + tot["dropped"] == tot["planned"]  # every start accounted for
    behind = next(f for f in report["findings"] if f["code"] == "arrivals-behind-plan")
    assert "max_users" in behind["summary"]
    assert behind["evidence"]["dropped"] == tot["dropped"]
    md = (tmp_path / "out" / "report.md").read_text()
    assert "arrivals-behind-plan" in md and str(tot["dropped"]) in md
