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
    # Keyed by subject: a link's index, or (a finding about several links,
    # utm-case-split) their indexes joined with ", ".
    got: dict[str, list[str]] = {str(i): [] for i in range(len(links))}
    for f in findings:
        got.setdefault(f.subject, []).append(f.code)
    assert {k: sorted(v) for k, v in got.items()} == {
        str(i): sorted(codes) for i, codes in expect.items()}


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


def test_one_odd_link_is_one_fail_about_that_link() -> None:
    """Issue 14: `utm_medium=Social` among four lowercase links gave five
    blocking FAILs, four of them on the correct links."""
    url = "https://shop.example/c?utm_source={}&utm_medium={}&utm_campaign=bf"
    links = [LinkEntry(subject=name, url=url.format(source, medium)) for name, source, medium in [
        ("bf-mia", "instagram", "social"), ("bf-noah", "tiktok", "social"),
        ("bf-zoe", "facebook", "Social"), ("bf-lena", "youtube", "social"),
        ("bf-ava", "pinterest", "social")]]
    findings = utm.check_links(links)
    fails = [f for f in findings if f.status is Status.FAIL]
    assert [(f.subject, f.code) for f in fails] == [("bf-zoe", "utm-case-split")]
    [split] = fails
    assert "'Social'" in split.summary and "'social' in 4 other links" in split.summary
    assert split.evidence["parameter"] == "utm_medium"
    assert split.evidence["spelling"] == "social"
    assert [(o["subject"], o["value"]) for o in split.evidence["odd_ones_out"]] == [
        ("bf-zoe", "Social")]
    assert split.evidence["odd_ones_out"][0]["link"] == url.format("facebook", "Social")
    assert {f.subject: f.code for f in findings if f.status is Status.PASS} == {
        s: "utm-ok" for s in ("bf-mia", "bf-noah", "bf-lena", "bf-ava")}
    [warn] = [f for f in findings if f.status is Status.WARN]
    assert (warn.subject, warn.code) == ("bf-zoe", "utm-uppercase")
    assert "'Social'" in warn.summary


def test_many_odd_ones_out_are_named_in_one_finding() -> None:
    url = "https://shop.example/c?utm_source=instagram&utm_medium=social&utm_campaign={}"
    links = [LinkEntry(subject=f"links.csv:{i + 2} c{i}", url=url.format("BF" if i % 2 else "bf"))
             for i in range(14)]
    [split] = [f for f in utm.check_links(links) if f.code == "utm-case-split"]
    assert split.subject == ("links.csv:3 c1, links.csv:5 c3, links.csv:7 c5, links.csv:9 c7, "
                             "links.csv:11 c9 and 2 more")
    assert len(split.evidence["odd_ones_out"]) == 7 and split.evidence["agreeing_links"] == 7


def test_case_split_masks_personal_data() -> None:
    url = "https://s.example/p?utm_source=instagram&utm_medium=social&utm_campaign=bf"
    links = [LinkEntry(subject="a", url=url + "&utm_content=mia%40example.com"),
             LinkEntry(subject="b", url=url + "&utm_content=Mia%40example.com")]
    [split] = [f for f in utm.check_links(links) if f.code == "utm-case-split"]
    assert split.subject == "b"
    text = split.summary + split.remediation + str(split.evidence)
    assert "example.com" not in text.lower() and "redacted" in text
