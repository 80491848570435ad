"""A replay against a real shop this project did not write: django-oscar
(installed from PyPI, started on loopback by tests/support/oscar.py), driven
only by the shipped `oscar` shop profile — its HTML catalogue, basket,
voucher form and guest checkout, with CSRF tokens captured from each form and
redirects followed, and for the wallet flow django-oscar-api's one-step
checkout (POST /api/checkout/) of the same basket. What the report counts is
checked against the shop's own database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from peakready.flows import FlowKind
from peakready.run.trial import trial_session
from peakready.scenario.load import load_scenario
from peakready.shops.session import ShopSession, StepFailed, session_values
from peakready.shops.transport import RequestsTransport
from tests.support.cli import peakready
from tests.support.oscar import OscarShop
from tests.support.scenarios import demo_data, write_scenario


def _scenario(tmp_path: Path, url: str) -> Path:
    data: dict[str, Any] = demo_data(
        target={"base_url": url, "mutations": True, "timezone": "Europe/London"},
        shop={"preset": "oscar"},
        flows=[{"name": "browse", "kind": "browse", "weight": 1, "products": 2},
               {"name": "cart", "kind": "cart", "weight": 1},
               {"name": "checkout", "kind": "checkout", "weight": 1},
               {"name": "promo-checkout", "kind": "promo_checkout", "weight": 1},
               {"name": "wallet", "kind": "wallet", "weight": 1}],
        campaigns=[{"name": "winter", "link": "/?utm_source=instagram&utm_medium=social"
                    "&utm_campaign=winter", "promo_code": "WELCOME10"}],
        slos={"steps": {"*": {"p95_ms": 5000, "max_error_rate": 0.01}},
              "checkout_success_rate": 0.9},
        # the pre-flight link checks judge the demo's analytics tag; this test is the load's
        checks={"links.landing": {"level": "off"}, "links.tls": {"level": "off"}})
    for key in ("promo", "email", "links"):
        data.pop(key, None)
    data["load"].update(arrival_rate=1.5, duration="12s", interval="6s")
    return write_scenario(tmp_path / "oscar.yaml", data)


@pytest.fixture(scope="module")
def oscar() -> Any:
    with OscarShop() as shop:
        yield shop


def test_replay_places_real_orders_through_the_html_checkout_and_the_api(
        oscar: OscarShop, tmp_path: Path) -> None:
    before = oscar.count_orders()
    numbers_before = set(oscar.db.order_numbers())
    with_code_before = oscar.db.orders_with_voucher("WELCOME10")
    out_dir = tmp_path / "out"
    out = peakready("run", str(_scenario(tmp_path, oscar.url)), "--out", str(out_dir),
                    timeout=300)
    report = json.loads((out_dir / "report.json").read_text())
    load = report["load"]
    assert out.returncode == 0, out.stderr[-2000:]
    assert report["verdict"] in ("GO", "GO WITH WARNINGS")
    assert load["failures"] == 0, load.get("errors")
    for step in ("browse:collection", "browse:product", "cart:add", "cart:view",
                 "checkout:start", "checkout:promo", "checkout:address",
                 "checkout:shipping", "checkout:pay", "wallet:pay"):
        assert load["steps"][step]["requests"] > 0, step
    assert load["steps"]["wallet:pay"]["failures"] == 0
    flows = load["flows"]
    for name, stats in flows.items():
        assert stats["completed"] == stats["started"] > 0, name
    # the report's orders are the shop's: one per completed checkout (trial included)
    placed = oscar.count_orders() - before
    trial = 3  # peakready run's trial: one checkout, one promo checkout, one wallet
    assert load["totals"]["orders"] + trial == placed
    assert flows["wallet"]["orders"] == flows["wallet"]["completed"]
    # ... and each order the report names is a new row of the shop's, the
    # wallet's (API) orders among them, without a code (the flow enters none)
    new = set(oscar.db.order_numbers()) - numbers_before
    named = {o["order_id"]: o for o in report["load"]["orders"]}
    assert len(named) == load["totals"]["orders"] and set(named) <= new
    wallet = [n for n, o in named.items() if o["flow"] == "wallet"]
    assert len(wallet) == flows["wallet"]["orders"]
    for number in wallet:
        order = oscar.db.order(number)
        assert order["discounts"] == [] and order["lines"], order
    assert oscar.db.orders_with_voucher("WELCOME10") - with_code_before == \
        flows["promo-checkout"]["completed"] + 1
    assert "trying one session of each flow" in out.stderr


def test_shop_try_walks_oscars_forms(oscar: OscarShop, tmp_path: Path) -> None:
    out = peakready("shop", "try", str(_scenario(tmp_path, oscar.url)), "--flow",
                    "promo_checkout")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "csrf = " in out.stdout and "order_id = 1000" in out.stdout
    assert "POST /basket/vouchers/add/" in out.stdout


def _product_pk(add_url: str) -> int:
    """/basket/add/7/ -> 7: the product the HTML basket got."""
    return int(add_url.rstrip("/").rsplit("/", 1)[1])


def test_one_wallet_session_places_one_order_of_the_html_basket(oscar: OscarShop,
                                                               tmp_path: Path) -> None:
    """cart:add posts the storefront's form; wallet:pay checks out through the
    API: one order, of the basket the HTML filled (oscarapi's
    ApiBasketMiddleWare makes the cookie's basket the session's)."""
    scenario = load_scenario(_scenario(tmp_path, oscar.url))
    profile = scenario.shop_profile()
    assert profile is not None
    before = set(oscar.db.order_numbers())
    with requests.Session() as http:
        shopper = trial_session(profile, scenario, FlowKind.WALLET, oscar.url, http, seq=7)
    values = shopper.values
    assert set(oscar.db.order_numbers()) - before == {values["order_id"]}
    order = oscar.db.order(values["order_id"])
    pk = _product_pk(values["add_url"])
    assert values["basket_url"] == f"{oscar.url}/api/baskets/{order['basket_id']}/"
    assert [sku[-2:] for sku in order["lines"]] == [f"{pk:02d}"]  # WS-01 .. LS-10
    assert order["guest_email"] == values["email"] and order["status"] == "Pending"
    assert values.get("order_codes") is None  # no code entered, none captured


def test_wallet_pay_names_the_baskets_voucher_and_refuses_an_empty_basket(
        oscar: OscarShop, tmp_path: Path) -> None:
    profile = load_scenario(_scenario(tmp_path, oscar.url)).shop_profile()
    assert profile is not None
    with requests.Session() as http:
        shopper = ShopSession.start(profile, RequestsTransport(http, 30.0), oscar.url,
                                    session_values(1, "wallet-test", None))
        shopper.land()
        for step in ("browse:collection", "browse:product", "cart:add", "cart:view"):
            shopper.step(step)
        shopper.values["code"] = "WELCOME10"
        shopper.step("checkout:promo")  # the storefront's voucher form
        shopper.step("wallet:pay")
        number = shopper.values["order_id"]
        assert shopper.values["order_codes"] == ["WELCOME10"]
        assert [d["voucher_code"] for d in oscar.db.order(number)["discounts"]] == ["WELCOME10"]
        # the ordered basket is gone: the next is new and empty, and the API says so
        count = oscar.count_orders()
        with pytest.raises(StepFailed) as failed:
            shopper.step("wallet:pay")
    assert failed.value.message == "Cannot checkout with empty basket"
    assert "non_field_errors" in failed.value.reason
    assert oscar.count_orders() == count
