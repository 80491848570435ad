"""Static UTM rules: every case in tests/cases/links.utm.yaml is one test
(sqlfluff's rule-case pattern), plus the demo scenario's own links."""

from __future__ import annotations

from typing import Any

import pytest
from peakready.checks.check import CheckContext
from peakready.checks.links import utm

from peakready.findings import Status
from peakready.links.config import Links
from peakready.links.linkset import LinkEntry
from peakready.scenario.model import Scenario
from tests.support.cases import cases
from tests.support.scenarios import demo_data


@pytest.mark.parametrize("case", cases("links.utm"))
def test_case(case: dict[str, Any]) -> None:
    raw = case.get("links") or [{"url": case["link"]}]
    links = [LinkEntry(subject=str(i), **item) for i, item in enumerate(raw)]
    findings = utm.check_links(links, Links.model_validate(case.get("config", {})))
    expect = case["expect"]
    if isinstance(expect, list):
        expect = {0: expect}
    got = {i: sorted(f.code for f in findings if f.subject == str(i)) for i in range(len(links))}
    assert got == {int(i): sorted(codes) for i, codes in expect.items()}


def test_case_files_exist() -> None:
    assert len(cases("links.utm")) >= 40


def test_evidence_masks_personal_data() -> None:
    [f] = utm.check_link("c", "https://s.example/p?utm_source=instagram&utm_medium=social"
                              "&utm_campaign=bf&utm_content=mia%40example.com")
    assert f.code == "utm-personal-data"
    assert "mia@example.com" not in str(f.evidence) and "redacted" in f.evidence["link"]


def test_summaries_mask_personal_data_too() -> None:
    found = utm.check_link("c", "https://s.example/p?utm_source=instagram&utm_medium=social"
                                "&utm_campaign=mia%40example.com",
                           Links(campaign_pattern="bf-[a-z]+"))
    assert {f.code for f in found} == {"utm-personal-data", "campaign-name-pattern"}
    assert all("mia@example.com" not in f.summary + str(f.evidence) for f in found)


def test_demo_links_pass_and_name_their_channel() -> None:
    scenario = Scenario.model_validate(demo_data())
    findings = list(utm.run(CheckContext(scenario=scenario, base_url="http://127.0.0.1:9")))
    assert [(f.subject, f.status) for f in findings] == [
        (c.name, Status.PASS) for c in scenario.campaigns]
    assert {f.evidence["channel"] for f in findings} == {"Organic Social", "Organic Video"}
    assert findings[0].evidence["link"].startswith("http://127.0.0.1:9/collections/")
