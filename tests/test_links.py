"""Campaign link checks against the demo storefront process: its good links
pass, its broken short link and badly tagged links are caught."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from peakready.checks.check import CheckContext, Phase
from peakready.checks.links import landing as links
from peakready.checks.links import tls, utm
from peakready.checks.runner import run_checks

from peakready.demo.server import DemoShop
from peakready.findings import Finding
from peakready.scenario.load import load_scenario
from peakready.scenario.model import Scenario
from tests.support.scenarios import demo_data, write_scenario

UTM = "utm_source={}&utm_medium=social&utm_campaign={}"

EXTRA = [
    {"name": "mia-short", "link": "/go/mia-bf", "channel": "Organic Social",
     "landing": "/collections/winter-warmth?" + UTM.format("instagram", "bf-mia")
                + "&utm_content=reel"},
    {"name": "noah-short", "link": "/go/noah-bf", "channel": "Organic Social",
     "landing": "/collections/candles?" + UTM.format("tiktok", "bf-noah")},
    {"name": "lena-short", "link": "/go/lena-bf", "channel": "Organic Video",
     "landing": "/collections/textiles?utm_source=youtube&utm_medium=video"
                "&utm_campaign=bf-lena"},
    {"name": "fragment", "link": "/collections/candles#" + UTM.format("tiktok", "bf-frag")},
    {"name": "mixed-case", "link": "/collections/lighting?" + UTM.format("instagram", "BF-Gift")},
    {"name": "unknown-source", "link": "/collections/tableware?" + UTM.format("ig", "bf-ig")},
    {"name": "missing-page", "link": "/collections/sale?" + UTM.format("tiktok", "bf-sale")},
    {"name": "promo-other", "promo_code": "MIA20",
     "link": "/collections/candles?promo=NOAH15&" + UTM.format("tiktok", "bf-promo")},
]

# subject -> (codes from links.utm, codes from links.landing)
EXPECTED = {
    "bf-mia": (["utm-ok"], ["landing-ok"]),
    "bf-noah": (["utm-ok"], ["landing-ok"]),
    "bf-lena": (["utm-ok"], ["landing-ok"]),
    "mia-short": (["utm-ok"], ["landing-ok"]),
    "noah-short": (["utm-ok"], ["landing-ok"]),
    "lena-short": (["utm-ok"], ["utm-lost"]),
    "fragment": (["utm-in-fragment", "utm-missing"], ["landing-untagged"]),
    "mixed-case": (["utm-uppercase"], ["landing-ok"]),
    "unknown-source": (["source-unknown"], ["landing-ok"]),
    "missing-page": (["utm-ok"], ["landing-status"]),
    "promo-other": (["promo-mismatch"], ["landing-ok"]),
}


@pytest.fixture(scope="module")
def findings(shop: DemoShop) -> Iterator[list[Finding]]:
    scenario = Scenario.model_validate(demo_data(campaigns=demo_data()["campaigns"] + EXTRA))
    with requests.Session() as http:
        ctx = CheckContext(scenario=scenario, http=http, base_url=shop.url, timeout=10)
        yield run_checks([utm.CHECK, links.CHECK, tls.CHECK], ctx, Phase.PRE)


@pytest.mark.parametrize(("subject", "static", "live"),
                         [(s, *codes) for s, codes in EXPECTED.items()])
def test_demo_shop_links(findings: list[Finding], subject: str, static: list[str],
                         live: list[str]) -> None:
    def codes(check: str) -> list[str]:
        return sorted(f.code for f in findings if f.check == check and f.subject == subject)
    assert codes("links.utm") == sorted(static)
    assert codes("links.landing") == sorted(live)


def _one(findings: list[Finding], subject: str, code: str) -> Finding:
    [f] = [f for f in findings if f.subject == subject and f.code == code]
    return f


def test_short_link_evidence_shows_each_hop(findings: list[Finding], shop: DemoShop) -> None:
    ok = _one(findings, "mia-short", "landing-ok")
    assert [h["status"] for h in ok.evidence["hops"]] == [301, 200]
    assert all(h["ms"] >= 0 for h in ok.evidence["hops"])
    assert ok.evidence["final_url"].startswith(f"{shop.url}/collections/winter-warmth?")
    assert "G-PEAKDEMO01" in ok.summary
    lost = _one(findings, "lena-short", "utm-lost")
    assert lost.status == "fail"
    assert lost.evidence["final_utm"] == {}
    assert lost.evidence["expected_utm"]["utm_campaign"] == "bf-lena"
    assert lost.evidence["hops"][0]["location"] == "/collections/textiles"


def test_missing_page_reports_the_status(findings: list[Finding]) -> None:
    f = _one(findings, "missing-page", "landing-status")
    assert "404" in f.summary and f.evidence["hops"][-1]["status"] == 404


def test_demo_scenario_has_no_https_host(findings: list[Finding]) -> None:
    assert [(f.code, f.status) for f in findings if f.check == "links.tls"] == [
        ("no-https-hosts", "skip")]


def test_demo_scenario_links_all_pass(shop: DemoShop) -> None:
    scenario = Scenario.model_validate(demo_data())
    with requests.Session() as http:
        ctx = CheckContext(scenario=scenario, http=http, base_url=shop.url)
        found = run_checks([utm.CHECK, links.CHECK], ctx, Phase.PRE)
        leaked = list(http.cookies)  # each link is followed as a first-time visitor
    assert {(f.subject, f.code) for f in found} == {
        (c.name, code) for c in scenario.campaigns for code in ("utm-ok", "landing-ok")}
    assert leaked == []


def test_campaigns_plus_csv(shop: DemoShop, tmp_path: Any) -> None:
    (tmp_path / "creators.csv").write_text(
        "Mia,/go/mia-bf,Organic Social,MIA20,/collections/winter-warmth?"
        + UTM.format("instagram", "bf-mia") + "\nLena,/go/lena-bf\n", encoding="utf-8")
    scenario = load_scenario(write_scenario(tmp_path / "s.yaml", demo_data(
        campaigns=[], links={"csv": "creators.csv"})))
    with requests.Session() as http:
        ctx = CheckContext(scenario=scenario, http=http, base_url=shop.url)
        found = run_checks([links.CHECK], ctx, Phase.PRE)
    assert sorted((f.subject, f.code) for f in found) == [
        ("creators.csv:1 Mia", "landing-ok"), ("creators.csv:2 Lena", "landing-untagged")]
