"""The scenario's email: section: validated with every problem's place, zone
files found beside the scenario (or shipped), and the demo's email DNS
answered entirely from its zone file — no network."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from peakready.commands.email import check_email
from peakready.errors import BadInput
from peakready.findings import Status
from peakready.run.execute import make_resolver
from peakready.scenario.load import load_scenario, parse_scenario
from tests.support.cli import peakready
from tests.support.paths import ROOT
from tests.support.scenarios import DEMO, demo_data, write_scenario


def test_demo_email_is_all_green_from_its_zone_file_alone() -> None:
    scenario = load_scenario(DEMO)
    assert scenario.email is not None
    assert scenario.email.zone_files == [str(ROOT / "scenarios" / "demo-email.zone")]
    with make_resolver(scenario) as dns:
        findings = check_email(scenario.email, dns)
        assert dns.stats["live"] == 0  # every name the records reference is in the file
    assert {f.status for f in findings} <= {Status.PASS, Status.SKIP}
    assert {f.code for f in findings} >= {"spf-ok", "dkim-ok", "dmarc-policy"}
    inherited = next(f for f in findings if f.subject == "news.hearth-home.example"
                     and f.code == "dmarc-policy")
    assert inherited.evidence["record_domain"] == "hearth-home.example"


def test_zone_file_beside_the_scenario_wins(tmp_path: Path) -> None:
    shutil.copy(ROOT / "scenarios" / "demo-email.zone", tmp_path / "demo-email.zone")
    copied = load_scenario(write_scenario(tmp_path / "s.yaml", demo_data()))
    assert copied.email is not None
    assert copied.email.zone_files == [str(tmp_path / "demo-email.zone")]


def test_copied_demo_still_finds_the_shipped_zone(tmp_path: Path) -> None:
    scenario = load_scenario(write_scenario(tmp_path / "s.yaml", demo_data()))
    assert scenario.email is not None
    assert scenario.email.zone_files == [str(ROOT / "scenarios" / "demo-email.zone")]


def _problems(email: object) -> list[str]:
    data = demo_data(email=email)
    with pytest.raises(BadInput) as exc:
        parse_scenario(yaml.safe_dump(data, sort_keys=False), "s.yaml")
    return exc.value.problems


@pytest.mark.parametrize(("email", "expected"), [
    ({"domains": []}, "email.domains: must have at least 1"),
    ({"domains": ["shop"]}, "is not a domain name"),
    ({"domains": [{"name": "a.example", "selector": ["s1"]}]}, "selector: unknown key"),
    ({"domains": [{"name": "a.example", "selectors": ["s 1"]}]}, "not a DKIM selector"),
    ({"domains": ["a.example", "A.example."]}, "duplicate domain 'a.example'"),
    ({"domains": ["a.example"], "nameserver": "ns 1.example"}, "HOST[:PORT]"),
    ({"domains": ["a.example"], "timeout": "soon"}, "email.timeout: expected a duration"),
    ({"domains": ["a.example"], "zonefile": "x.zone"}, "email.zonefile: unknown key"),
])
def test_bad_email_section(email: object, expected: str) -> None:
    problems = _problems(email)
    assert any(expected in p for p in problems), problems
    assert all(p.startswith("s.yaml:") for p in problems)


@pytest.mark.parametrize(("zone", "expected"), [
    (None, "email.zone_files[0]: missing.zone: no such file"),
    ("$ORIGIN shop.example.\n@ SOA ns h 1 2 3 4 5\nwww MX ten mail.shop.example.\n",
     "missing.zone:3: not a valid zone file"),
])
def test_validate_rejects_a_bad_zone_file(tmp_path: Path, zone: str | None,
                                          expected: str) -> None:
    if zone is not None:
        (tmp_path / "missing.zone").write_text(zone)
    data = demo_data(email={"domains": ["shop.example"], "zone_files": ["missing.zone"]})
    res = peakready("validate", str(write_scenario(tmp_path / "s.yaml", data)), timeout=60)
    assert res.returncode == 2, res.stdout
    assert expected in res.stderr
