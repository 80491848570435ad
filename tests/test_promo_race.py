"""The usage-limit race probe against two demo-shop processes: one that
redeems atomically, one started with --unsafe-promo-race. (Against a shop
this project did not write: tests/test_oscar_promo.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from peakready.checks.check import CheckContext
from peakready.checks.promo import race as promo_race

from peakready.demo.server import DemoShop
from peakready.findings import Finding, Status
from peakready.scenario.model import Scenario
from peakready.shops import profiles
from tests.support.scenarios import demo_data


@pytest.fixture(scope="module")
def safe() -> Iterator[DemoShop]:
    with DemoShop() as s:
        yield s


@pytest.fixture(scope="module")
def unsafe() -> Iterator[DemoShop]:
    with DemoShop(unsafe_promo_race=True) as s:
        yield s


def probe(shop: DemoShop, race: dict[str, Any] | None, shop_section: dict[str, Any] | None = None,
          **promo: Any) -> list[Finding]:
    data = demo_data(promo={"race": race, **promo})
    data["target"]["mutations"] = True
    data["shop"] = shop_section or {"preset": "demo"}
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
    assert held.evidence["checkouts"] == 12
    assert held.evidence["orders_with_code"] == 5
    failed = held.evidence["checkouts_failed"]
    assert sum(failed.values()) == 7 and all(k.startswith("checkout:pay: ") for k in failed)
    assert _used(safe, "DOORBUSTER") == 5
    (again,) = probe(safe, {"code": "DOORBUSTER", "concurrency": 12})  # nothing left to race
    assert (again.status, again.code) == (Status.ERROR, "race-not-evaluated")
    assert "no redemptions left" in again.summary

    (over,) = probe(unsafe, {"code": "DOORBUSTER", "concurrency": 12})
    assert (over.status, over.code) == (Status.FAIL, "race-over-redeemed"), over.summary
    assert over.evidence["orders_with_code"] == 12
    assert "12 of 12 simultaneous checkouts placed an order with DOORBUSTER, limited to 5: 7 " \
           "over the limit" in over.summary
    assert len(over.evidence["order_ids_with_code"]) == 12
    assert over.remediation
    assert _used(unsafe, "DOORBUSTER") == 12


@pytest.mark.parametrize(("race", "section", "status", "code", "text"), [
    (None, {}, Status.SKIP, "race-not-requested", "opt-in"),
    ({"code": "MIA20", "concurrency": 4}, {}, Status.ERROR, "race-not-evaluated",
     "say promo.race.limit"),
    ({"code": "MIA20", "limit": 2, "concurrency": 4}, {"preset": "shopify"}, Status.ERROR,
     "race-not-evaluated", "cannot place an order"),
])
def test_probe_refuses_what_it_cannot_measure(safe: DemoShop, race: Any, section: Any,
                                             status: Status, code: str, text: str) -> None:
    (f,) = probe(safe, race, section or None)
    assert (f.status, f.code) == (status, code), f.summary
    assert text in f.summary


def test_limit_from_the_scenario_when_the_profile_cannot_read_usage(safe: DemoShop,
                                                                    tmp_path: Path) -> None:
    """A profile without code_info: the scenario's limit is used."""
    doc = yaml.safe_load(profiles.source("demo"))
    del doc["code_info"]
    path = tmp_path / "no-back-office.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    before = _used(safe, "WELCOME10")
    (f,) = probe(safe, {"code": "WELCOME10", "limit": 3, "concurrency": 4},
                 {"profile": str(path)})
    # WELCOME10 has no usage limit: all four redeem it, one more than the promised 3
    assert (f.status, f.code) == (Status.FAIL, "race-over-redeemed"), f.summary
    assert f.evidence["limit_from"] == "scenario" and f.evidence["orders_with_code"] == 4
    assert _used(safe, "WELCOME10") == before + 4


def test_a_profile_that_cannot_tell_an_orders_codes_is_not_judged(safe: DemoShop,
                                                                 tmp_path: Path) -> None:
    doc = yaml.safe_load(profiles.source("demo"))
    del doc["steps"]["checkout:pay"]["capture"]["order_codes"]
    path = tmp_path / "no-order-codes.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    (f,) = probe(safe, {"code": "WELCOME10", "limit": 3, "concurrency": 4},
                 {"profile": str(path)})
    assert (f.status, f.code) == (Status.ERROR, "race-not-evaluated")
    assert "order_codes" in f.remediation
