"""Every shipped scenario validates from a clean checkout (its sample history
is shipped beside it), and the starting points follow peakready's own rules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from peakready.checks.check import CheckContext
from peakready.checks.links import utm

from peakready.cli import main
from peakready.findings import Status
from peakready.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
STARTING_POINTS = [p for p in SCENARIOS if p.name != "demo.yaml"]


def test_the_starting_points_are_shipped() -> None:
    names = {p.name for p in SCENARIOS}
    assert {"demo.yaml", "shopify-store.yaml", "rest-storefront.yaml"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_validates(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`peakready validate`: the model, the allowed hosts and the plan from the
    shipped history (a missing sample file fails here)."""
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err
    assert f"{path}: ok" in capsys.readouterr().out


@pytest.mark.parametrize(("name", "profile", "history_format"), [
    ("shopify-store.yaml", "shopify", "ga4"),
    ("rest-storefront.yaml", "rest-storefront", "combined"),
])
def test_starting_point_shape(name: str, profile: str, history_format: str) -> None:
    scenario = load_scenario(ROOT / "scenarios" / name)
    shop = scenario.shop_profile()
    assert scenario.promo is not None and shop is not None and shop.name == profile
    assert not shop.can_read_carts()  # the promo checks can build carts on it
    assert scenario.traffic is not None and scenario.traffic.format == history_format
    assert (ROOT / "scenarios" / scenario.traffic.history).is_file()
    assert not scenario.target.is_demo and scenario.target.allowed_hosts


@pytest.mark.parametrize("path", STARTING_POINTS, ids=lambda p: p.name)
def test_starting_point_links_pass_the_utm_rules(path: Path) -> None:
    scenario = load_scenario(path)
    findings = list(utm.run(CheckContext(scenario=scenario,
                                         base_url=scenario.target.base_url)))
    assert findings and all(f.status is Status.PASS for f in findings), [
        (f.subject, f.code, f.summary) for f in findings if f.status is not Status.PASS]


@pytest.mark.parametrize("path", STARTING_POINTS, ids=lambda p: p.name)
def test_starting_point_is_commented(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    comments = [ln for ln in lines if ln.lstrip().startswith("#")]
    assert len(comments) >= 20
    assert "docs/scenario-reference.md" in "\n".join(comments[:20])


def test_samples_are_reproducible(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make-scenario-samples"),
                    str(tmp_path)], check=True, capture_output=True, timeout=120)
    made = sorted(tmp_path.iterdir())
    assert [p.name for p in made] == ["rest-storefront-access.log.gz",
                                      "shopify-store-ga4.csv"]
    for sample in made:
        assert sample.read_bytes() == (ROOT / "scenarios" / sample.name).read_bytes()
