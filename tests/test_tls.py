"""TLS certificate checks against real HTTPS servers on loopback, with
short-lived certificates from a CA each test creates. Trust in that CA
comes from the HTTP session (``session.verify``), as in a real run."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from peakready.checks.check import CheckContext
from peakready.checks.links import landing as links
from peakready.checks.links import tls

from peakready.findings import Finding
from peakready.scenario.model import Scenario
from tests.support.scenarios import demo_data
from tests.support.servers import ScratchCA, Site, page, redirect

NOW = dt.datetime.now(dt.UTC)
DAY = dt.timedelta(days=1)
Q = "utm_source=instagram&utm_medium=social&utm_campaign=bf"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> ScratchCA:
    return ScratchCA.create(tmp_path_factory.mktemp("ca"))


def _https(ca: ScratchCA, tmp: Path, start: dt.datetime, end: dt.datetime,
           routes: dict[str, Any] | None = None) -> Site:
    context = ca.server_context(tmp, not_before=start, not_after=end)
    return Site(routes or {"/land": page()}, tls=context)


def _check(site_url: str, *, verify: str | bool, links_cfg: dict[str, Any] | None = None,
           link: str = f"/land?{Q}") -> list[Finding]:
    scenario = Scenario.model_validate(demo_data(
        campaigns=[{"name": "c", "link": link}], links=links_cfg or {}))
    with requests.Session() as http:
        http.verify = verify
        ctx = CheckContext(scenario=scenario, http=http, base_url=site_url, timeout=5)
        return list(tls.run(ctx))


@pytest.fixture(scope="module")
def good(ca: ScratchCA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with _https(ca, tmp_path_factory.mktemp("good"), NOW - DAY, NOW + 30 * DAY) as site:
        yield site


def test_valid_certificate_passes_with_its_expiry(good: Site, ca: ScratchCA) -> None:
    [f] = _check(good.url, verify=str(ca.pem))
    assert (f.code, f.status) == ("tls-ok", "pass")
    port = int(good.url.rsplit(":", 1)[1])
    assert f.subject == f"127.0.0.1:{port}"
    expected = dt.datetime.fromisoformat(f.evidence["not_after"])
    assert abs(expected - (NOW + 30 * DAY)) < dt.timedelta(seconds=1)
    assert f.evidence["days_to_spare"] in (15, 16)  # 30 days minus the 14-day margin
    assert f.evidence["issuer"] == "peakready test CA"
    assert "127.0.0.1" in f.evidence["names"]


def test_expiring_before_campaign_end_plus_margin_fails(good: Site, ca: ScratchCA) -> None:
    end = (NOW + 20 * DAY).date().isoformat()
    [f] = _check(good.url, verify=str(ca.pem), links_cfg={"window": {"end": end},
                                                          "tls_margin_days": 14})
    assert (f.code, f.status) == ("tls-expires-too-soon", "fail")
    assert "campaign end" in f.summary and f.evidence["days_to_spare"] < 0


def test_margin_within_validity_passes(good: Site, ca: ScratchCA) -> None:
    end = (NOW + 10 * DAY).isoformat()
    [f] = _check(good.url, verify=str(ca.pem), links_cfg={"window": {"end": end},
                                                          "tls_margin_days": 7})
    assert f.code == "tls-ok"


def test_untrusted_certificate_is_read_anyway(good: Site) -> None:
    [f] = _check(good.url, verify=True)  # the session trusts the public CAs only
    assert (f.code, f.status) == ("tls-untrusted", "fail")
    assert f.evidence["trusted"] is False and f.evidence["not_after"]


@pytest.mark.parametrize(("start", "end", "codes"), [
    (NOW - 10 * DAY, NOW - DAY, ["tls-expired", "tls-untrusted"]),
    (NOW + DAY, NOW + 60 * DAY, ["tls-not-yet-valid", "tls-untrusted"]),
])
def test_certificate_outside_its_dates(ca: ScratchCA, tmp_path: Path, start: dt.datetime,
                                       end: dt.datetime, codes: list[str]) -> None:
    with _https(ca, tmp_path, start, end) as site:
        found = _check(site.url, verify=str(ca.pem))
    assert sorted(f.code for f in found) == codes
    assert all(f.status == "fail" for f in found)


def test_hosts_found_through_redirects(good: Site, ca: ScratchCA) -> None:
    port = good.url.rsplit(":", 1)[1]
    with Site({"/go": redirect(f"https://localhost:{port}/land")}) as plain:
        found = _check(plain.url, verify=str(ca.pem), link=f"/go?{Q}")
    assert [(f.subject, f.code) for f in found] == [(f"localhost:{port}", "tls-ok")]


def test_unreachable_https_host_is_an_error(ca: ScratchCA) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    [f] = _check(f"https://127.0.0.1:{port}", verify=str(ca.pem))
    assert (f.code, f.status) == ("tls-unreachable", "error")


def test_http_only_scenario_is_skipped() -> None:
    [f] = _check("http://127.0.0.1:9", verify=True, link="http://127.0.0.1:9/x")
    assert (f.code, f.status) == ("no-https-hosts", "skip")


def test_landing_over_https_and_downgrade(ca: ScratchCA, tmp_path: Path) -> None:
    with Site({"/land": page()}) as plain, _https(ca, tmp_path, NOW - DAY, NOW + 30 * DAY, {
            "/ok": redirect("/land"), "/down": redirect(f"{plain.url}/land"),
            "/land": page()}) as site, requests.Session() as http:
        http.verify = str(ca.pem)
        scenario = Scenario.model_validate(demo_data(campaigns=[
            {"name": "ok", "link": f"/ok?{Q}"}, {"name": "down", "link": f"/down?{Q}"}]))
        ctx = CheckContext(scenario=scenario, http=http, base_url=site.url, timeout=2)
        found = {f.subject: f for f in links.run(ctx)}
    assert found["ok"].code == "landing-ok"  # the session trusts the test CA
    assert (found["down"].code, found["down"].status) == ("redirect-downgrade", "fail")
    assert [h["url"].split(":")[0] for h in found["down"].evidence["hops"]] == ["https", "http"]


def test_certificate_parse_matches_cryptography(good: Site, ca: ScratchCA) -> None:
    port = int(good.url.rsplit(":", 1)[1])
    peer = tls.peer_certificate("127.0.0.1", port, tls.trust_context(None), 5)
    assert peer.trusted is False and "certificate" in peer.problem
    cert = x509.load_der_x509_certificate(peer.der)
    assert cert.issuer == ca.cert.subject


def test_checkout_on_another_host_via_tls_urls(good: Site, ca: ScratchCA) -> None:
    found = _check("http://127.0.0.1:9", verify=str(ca.pem), link="http://127.0.0.1:9/x",
                   links_cfg={"tls_urls": [f"{good.url}/checkout"]})
    assert [(f.subject, f.code) for f in found] == [(good.url.removeprefix("https://"),
                                                     "tls-ok")]
