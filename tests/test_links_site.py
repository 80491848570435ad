"""Live link rules the demo shop has no example of, against a small real
site on loopback (redirect chains, loops, landing pages, dead hosts)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from peakready.checks.check import CheckContext, Phase
from peakready.checks.links import landing as links
from peakready.checks.runner import run_checks

from peakready.findings import Finding
from peakready.scenario.model import Scenario
from tests.support.scenarios import demo_data
from tests.support.servers import Silent, Site, page, redirect

Q = "utm_source=instagram&utm_medium=social&utm_campaign=bf"

ROUTES: dict[str, Any] = {
    "/land": page('<a href="/products/x">x</a> <a href="https://other.example/?utm_source=a">'),
    "/notag": page(tagged=False),
    "/internal": page('<a href="/land?utm_source=banner&utm_medium=internal">sale</a>'
                      '<a href="HTTP://127.0.0.1/x?utm_campaign=y">abs</a>'),
    "/r1": redirect("/r2"), "/r2": redirect("/r3", 302), "/r3": redirect("/land", 307),
    "/loop": redirect("/loop2"), "/loop2": redirect("/loop"),
    "/rewrite": redirect("/land?utm_source=ig&utm_medium=social&utm_campaign=bf",
                         keep_query=False),
    "/gone": redirect("/nowhere"),
    "/nolocation": (302, {}, ""),
    **{f"/m{i}": redirect(f"/m{i + 1}") for i in range(12)},
}

CASES = {
    "direct": ("/land", ["landing-ok"]),
    "no-tag": ("/notag", ["analytics-tag-missing"]),
    "internal-utm": ("/internal", ["internal-utm-link"]),
    "three-hops": ("/r1", ["redirect-long"]),
    "loop": ("/loop", ["redirect-loop"]),
    "eleven-hops": ("/m0", ["redirect-too-many"]),
    "rewritten": ("/rewrite", ["utm-lost"]),
    "dead-end": ("/gone", ["landing-status"]),
    "no-location": ("/nolocation", ["landing-status"]),
    "shortener": ("SHORT/r3", ["redirect-shortener"]),
}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site_findings() -> Iterator[tuple[list[Finding], str]]:
    with Site(ROUTES) as site, Site(ROUTES, host="localhost") as short, Silent() as silent, \
            requests.Session() as http:
        campaigns = [{"name": name, "link": f"{path.replace('SHORT', short.url)}?{Q}"}
                     for name, (path, _) in CASES.items()]
        campaigns += [{"name": "silent", "link": f"{silent.url}/x?{Q}"},
                      {"name": "refused", "link": f"http://127.0.0.1:{_closed_port()}/?{Q}"}]
        scenario = Scenario.model_validate(demo_data(
            campaigns=campaigns, links={"shorteners": ["localhost"], "max_hops": 10}))
        ctx = CheckContext(scenario=scenario, http=http, base_url=site.url, timeout=0.5)
        yield run_checks([links.CHECK], ctx, Phase.PRE), site.url


@pytest.mark.parametrize(("name", "codes"), [(n, c) for n, (_, c) in CASES.items()])
def test_live_rule(site_findings: tuple[list[Finding], str], name: str,
                   codes: list[str]) -> None:
    found = [f for f in site_findings[0] if f.subject == name]
    assert sorted(f.code for f in found) == sorted(codes)
    assert all(f.status in ("pass", "warn", "fail") for f in found)


def test_unreachable_links_are_errors_never_pass_or_fail(
        site_findings: tuple[list[Finding], str]) -> None:
    for name in ("silent", "refused"):
        [f] = [f for f in site_findings[0] if f.subject == name]
        assert (f.code, f.status) == ("link-unreachable", "error"), f
    silent = next(f for f in site_findings[0] if f.subject == "silent")
    assert "Timeout" in silent.summary


def test_evidence_of_the_chain(site_findings: tuple[list[Finding], str]) -> None:
    findings, url = site_findings
    long = next(f for f in findings if f.code == "redirect-long")
    assert [h["status"] for h in long.evidence["hops"]] == [301, 302, 307, 200]
    assert long.evidence["final_url"] == f"{url}/land?{Q}"
    too_many = next(f for f in findings if f.code == "redirect-too-many")
    assert len(too_many.evidence["hops"]) == 11
    internal = next(f for f in findings if f.code == "internal-utm-link")
    assert internal.evidence["internal_links"] == [
        f"{url}/land?utm_source=banner&utm_medium=internal", "http://127.0.0.1/x?utm_campaign=y"]
    lost = next(f for f in findings if f.code == "utm-lost")
    assert "changed utm_source" in lost.summary


def test_slow_landing_warns() -> None:
    with Site(ROUTES) as site, requests.Session() as http:
        scenario = Scenario.model_validate(demo_data(
            campaigns=[{"name": "c", "link": f"/land?{Q}"}],
            links={"slow_landing": 0.000001}))
        ctx = CheckContext(scenario=scenario, http=http, base_url=site.url)
        found = list(links.run(ctx))
    assert [(f.code, f.status) for f in found] == [("landing-slow", "warn")]
    assert found[0].evidence["landing_ms"] > 0


def test_custom_analytics_tag_pattern() -> None:
    with Site(ROUTES) as site, requests.Session() as http:
        scenario = Scenario.model_validate(demo_data(
            campaigns=[{"name": "c", "link": f"/land?{Q}"}],
            links={"analytics_tag": "G-PEAKDEMO01"}))
        found = list(links.run(CheckContext(scenario=scenario, http=http,
                                            base_url=site.url)))
    assert [f.code for f in found] == ["analytics-tag-missing"]


def test_live_evidence_never_repeats_personal_data() -> None:
    with Site(ROUTES) as site, requests.Session() as http:
        scenario = Scenario.model_validate(demo_data(campaigns=[
            {"name": "c", "link": f"/r3?{Q}&utm_content=mia%40example.com"}]))
        found = list(links.run(CheckContext(scenario=scenario, http=http,
                                            base_url=site.url)))
    assert [f.code for f in found] == ["landing-ok"]
    text = found[0].summary + str(found[0].evidence)
    assert "mia@example.com" not in text and "mia%40example.com" not in text
    assert "[e-mail redacted]" in found[0].evidence["final_url"]
