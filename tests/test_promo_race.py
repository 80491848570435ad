"""The usage-limit race probe against two demo-shop processes: one that
redeems atomically, one started with --unsafe-promo-race."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from peakready.checks.check import CheckContext
from peakready.checks.promo import race as promo_race

from peakready.demo.server import DemoShop
from peakready.findings import Finding, Status
from peakready.scenario.model import Scenario
from peakready.shops.presets import DEMO
from tests.support.scenarios import demo_data


@pytest.fixture(scope="module")
def safe() -> Iterator[DemoShop]:
    with DemoShop() as s:
        yield s


@pytest.fixture(scope="module")
def unsafe() -> Iterator[DemoShop]:
    with DemoShop(unsafe_promo_race=True) as s:
        yield s


def probe(shop: DemoShop, race: dict[str, Any] | None, **promo: Any) -> list[Finding]:
    data = demo_data(promo={"race": race, **promo})
    data["target"]["mutations"] = True
    with requests.Session() as http:
        ctx = CheckContext(scenario=Scenario.model_validate(data), http=http,
                           base_url=shop.url)
        return list(promo_race.run(ctx))


def _used(shop: DemoShop, code: str) -> int:
    promos = requests.get(f"{shop.url}/api/promos", timeout=5).json()["promos"]
    return next(p["used"] for p in promos if p["code"] == code)


def test_atomic_shop_holds_the_limit_and_unsafe_shop_over_redeems(safe: DemoShop,
                                                                   unsafe: DemoShop) -> None:
    """Both shops in one run: the limit of 5 holds on one, not on the other."""
    (held,) = probe(safe, {"code": "DOORBUSTER", "concurrency": 12})
    assert (held.status, held.code) == (Status.PASS, "race-limit-held"), held.summary
    assert held.evidence["limit"] == 5 and held.evidence["limit_from"] == "shop"
    assert held.evidence["carts_with_code"] == 12
    assert held.evidence["orders_with_code"] == 5
    assert sum(held.evidence["checkouts_refused"].values()) == 7
    assert _used(safe, "DOORBUSTER") == 5
    (again,) = probe(safe, {"code": "DOORBUSTER", "concurrency": 12})  # nothing left to race
    assert (again.status, again.code) == (Status.ERROR, "race-not-evaluated")
    assert "no redemptions left" in again.summary

    (over,) = probe(unsafe, {"code": "DOORBUSTER", "concurrency": 12})
    assert (over.status, over.code) == (Status.FAIL, "race-over-redeemed"), over.summary
    assert over.evidence["orders_with_code"] == 12
    assert "12 of 12 simultaneous checkouts redeemed DOORBUSTER, limited to 5: 7 over the " \
           "limit" in over.summary
    assert len(over.evidence["order_ids_with_code"]) == 12
    assert over.remediation
    assert _used(unsafe, "DOORBUSTER") == 12


@pytest.mark.parametrize(("race", "promo", "status", "code", "text"), [
    (None, {}, Status.SKIP, "race-not-requested", "opt-in"),
    ({"code": "MIA20", "concurrency": 4}, {}, Status.ERROR, "race-not-evaluated",
     "say promo.race.limit"),
    ({"code": "MIA20", "limit": 2, "concurrency": 4}, {"adapter": "shopify"}, Status.ERROR,
     "race-not-evaluated", "cannot complete a checkout"),
])
def test_probe_refuses_what_it_cannot_measure(safe: DemoShop, race: Any, promo: dict[str, Any],
                                             status: Status, code: str, text: str) -> None:
    (f,) = probe(safe, race, **promo)
    assert (f.status, f.code) == (status, code), f.summary
    assert text in f.summary


def test_limit_from_the_scenario_when_the_adapter_cannot_read_usage(safe: DemoShop) -> None:
    """A declarative adapter without code_info: the scenario's limit is used."""
    config = DEMO.model_dump(exclude={"code_info"}, exclude_none=True)
    before = _used(safe, "WELCOME10")
    (f,) = probe(safe, {"code": "WELCOME10", "limit": 3, "concurrency": 4},
                 adapter="declarative", declarative=config)
    # WELCOME10 has no usage limit: all four redeem it, one more than the promised 3
    assert (f.status, f.code) == (Status.FAIL, "race-over-redeemed"), f.summary
    assert f.evidence["limit_from"] == "scenario" and f.evidence["orders_with_code"] == 4
    assert _used(safe, "WELCOME10") == before + 4
