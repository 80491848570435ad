"""Scenario validation: every problem at once, each with its place and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from peakready.checks.registry import IDS

from peakready.errors import BadInput
from peakready.scenario.load import load_scenario, parse_scenario
from peakready.units import parse_duration
from tests.support.cli import peakready
from tests.support.scenarios import DEMO, demo_data, write_scenario


def test_demo_scenario_is_valid() -> None:
    s = load_scenario(DEMO)
    assert s.target.is_demo
    assert {f.kind.value for f in s.flows} == {
        "bounce", "browse", "cart", "checkout", "promo_checkout", "wallet"}


@pytest.mark.parametrize(("text", "seconds"), [
    ("90", 90), (90, 90), ("90s", 90), ("10m", 600), ("1h30m", 5400), ("1.5h", 5400)])
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "ten minutes", "5d", True, None])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


def _problems(data: dict) -> list[str]:
    with pytest.raises(BadInput) as exc:
        parse_scenario(yaml.safe_dump(data, sort_keys=False), "s.yaml", check_ids=IDS)
    return exc.value.problems


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["flows"][2].update(weight=0), "flows[2].weight: must be > 0"),
    (lambda d: d["flows"][0].update(kind="teleport"), "flows[0].kind: must be one of"),
    (lambda d: d["load"].update(arrival_rate=-1), "load.arrival_rate: must be > 0"),
    (lambda d: d["load"].update(duration="soon"), "load.duration: expected a duration"),
    (lambda d: d["load"].update(speed=3), "load.speed: unknown key"),
    (lambda d: d.update(checks={"email.spff": {"level": "error"}}),
     "checks: unknown check id 'email.spff'"),
    (lambda d: d["checks"].update({"links.utm": {"level": "loud"}}),
     "checks.links.utm.level: must be one of"),
    (lambda d: d["slos"]["steps"].update({"checkout:paid": {"p95_ms": 5}}),
     "unknown step 'checkout:paid'"),
    (lambda d: d["target"].update(base_url="ftp://shop"), "target.base_url: must be `demo`"),
    (lambda d: d["target"].update(timezone="Mars/Olympus"), "unknown time zone"),
    (lambda d: d.update(flows=[]), "flows: must have at least 1 item"),
    (lambda d: d["campaigns"].append(dict(d["campaigns"][0])), "duplicate name 'bf-mia'"),
    (lambda d: d.pop("load"), "load: required"),
    (lambda d: d["load"].update(think_time={"min": 3, "max": 1}), "max must be >= min"),
])
def test_each_problem_names_its_place(change, expected: str) -> None:
    data = demo_data()
    change(data)
    problems = _problems(data)
    assert any(expected in p for p in problems), problems
    assert all(p.startswith("s.yaml") for p in problems)


def test_all_problems_at_once_with_line_numbers() -> None:
    data = demo_data()
    data["flows"][2]["weight"] = -3
    data["load"]["arrival_rate"] = 0
    data["bogus"] = 1
    problems = _problems(data)
    assert len(problems) == 3, problems
    text = yaml.safe_dump(data, sort_keys=False).splitlines()
    weight = next(p for p in problems if "flows[2].weight" in p)
    line = int(weight.split(":")[1])
    assert "weight: -3" in text[line - 1]


def test_validate_command_exit_2_names_field(tmp_path: Path) -> None:
    data = demo_data()
    data["flows"][2]["weight"] = 0
    path = write_scenario(tmp_path / "bad.yaml", data)
    good = write_scenario(tmp_path / "good.yaml", demo_data())
    out = peakready("validate", str(good), str(path))
    assert out.returncode == 2
    assert "flows[2].weight: must be > 0" in out.stderr
    assert str(path) in out.stderr
    assert f"{good}: ok" in out.stdout


def test_validate_rejects_yaml_syntax(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nload: [unclosed\n")
    out = peakready("validate", str(path))
    assert out.returncode == 2
    assert "not valid YAML" in out.stderr and "broken.yaml:" in out.stderr


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    out = peakready("validate", str(tmp_path / "nope.yaml"))
    assert out.returncode == 2
    assert "cannot read the scenario file" in out.stderr
