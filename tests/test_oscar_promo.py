"""promo.codes and promo.race against a real shop this project did not write:
django-oscar from PyPI (tests/support/oscar.py), through the shipped `oscar`
shop profile -- its HTML catalogue, basket page, voucher form and guest
checkout -- the same profile the load replays. What the probe reports is
checked against the shop's own database, whatever the truth turns out to be.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from peakready.checks.check import CheckContext
from peakready.checks.promo import codes as promo_codes
from peakready.checks.promo import race as promo_race

from peakready.findings import Finding, Status
from peakready.scenario.model import Scenario
from peakready.shops import carries, profiles
from peakready.shops.adapter import make_shop
from tests.support.oscar import OscarShop
from tests.support.scenarios import demo_data


@pytest.fixture(scope="module")
def oscar() -> Iterator[OscarShop]:
    with OscarShop() as shop:
        yield shop


def _scenario(url: str, **promo: Any) -> Scenario:
    data = demo_data(target={"base_url": url, "mutations": True, "timezone": "Europe/London"},
                     shop={"preset": "oscar"}, promo=promo)
    return Scenario.model_validate(data)


def _run(check: Any, url: str, **promo: Any) -> list[Finding]:
    with requests.Session() as http:
        ctx = CheckContext(scenario=_scenario(url, **promo), http=http, base_url=url,
                           timeout=30.0)
        return list(check.run(ctx))


def test_cart_codes_and_checkout_through_the_html_profile(oscar: OscarShop) -> None:
    shop = make_shop(profiles.load("oscar"), requests.Session(), oscar.url, mutations=True)
    catalog = {p.id: p for p in shop.catalog()}
    assert len(catalog) == 10 and shop.currency() == "GBP"
    scarf = catalog["Wool Scarf"]
    assert str(scarf.price) == "12.00" and scarf.values == {"add_url": "/basket/add/1/"}
    cart = shop.new_cart()
    shop.add_item(cart, "Wool Scarf", 2)
    assert str(shop.totals(cart).subtotal) == "24.00"
    refused = shop.apply_code(cart, "EXPIRED")
    assert not refused.accepted and refused.message == "The 'EXPIRED' voucher has expired"
    applied = shop.apply_code(cart, " welcome10 ")
    assert applied.accepted and applied.totals is not None
    assert applied.totals.codes == ("WELCOME10",)
    assert (str(applied.totals.discount), str(applied.totals.total)) == ("2.40", "21.60")
    before = oscar.db.orders_with_voucher("WELCOME10")
    order = shop.checkout(cart)
    assert order.ok and carries(order.codes, "WELCOME10"), order
    assert oscar.db.order(str(order.order_id))  # the shop has it
    assert oscar.db.orders_with_voucher("WELCOME10") == before + 1


def test_promo_codes_report_what_oscar_does(oscar: OscarShop) -> None:
    """Min spend at its edge, case variants, stacking, a dead code refused with
    oscar's message and the checkout still completing without it."""
    findings = _run(promo_codes, oscar.url, cart_value=40,
                    codes={"WELCOME10": {"kind": "percent", "value": 10},
                           "MIN50": {"kind": "fixed", "value": 5, "min_spend": 50}},
                    stacking=[{"codes": ["WELCOME10", "MIN50"], "stacks": True}],
                    rejected=["EXPIRED"])
    got: dict[str, list[str]] = {}
    for f in findings:
        got.setdefault(f.subject, []).append(f.code)
    summary = [f"{f.subject}: {f.code}: {f.summary}" for f in findings]
    assert got["WELCOME10"] == ["promo-discount-ok", "promo-variants-ok",
                                "promo-min-spend-ok"], summary
    assert got["MIN50"] == ["promo-discount-ok", "promo-variants-ok",
                            "promo-min-spend-ok"], summary
    assert got["EXPIRED"] == ["promo-dead-code-refused"], summary
    assert got["unknown code"] == ["promo-dead-code-refused"], summary
    expired = next(f for f in findings if f.subject == "EXPIRED")
    assert "The 'EXPIRED' voucher has expired" in expired.summary
    assert "the checkout completed without it" in expired.summary
    # the brief promised the two stack; oscar refuses the second voucher's offer
    (stack,) = [f for f in findings if f.subject == "WELCOME10 + MIN50"]
    assert stack.code == "promo-stacking-refused", stack.summary
    assert "Your basket does not qualify for a voucher discount" in stack.summary


@pytest.mark.parametrize("atomic", [False, True], ids=["concurrent", "one-at-a-time"])
def test_race_probe_agrees_with_the_shops_database(atomic: bool) -> None:
    """Eight checkouts with LIMITED5 (5 redemptions) at once. Served
    concurrently, oscar over-redeems; served one request at a time, it holds.
    The probe's count of orders carrying the code is the database's."""
    with OscarShop(atomic_requests=atomic) as shop:
        (f,) = _run(promo_race, shop.url, race={"code": "LIMITED5", "limit": 5,
                                                 "concurrency": 8})
        truth = shop.db.orders_with_voucher("LIMITED5")
        orders = shop.count_orders()
    assert f.evidence["orders_with_code"] == truth, (f.summary, f.evidence)
    assert f.evidence["orders"] == orders == 8, f.evidence
    if truth > 5:
        assert (f.status, f.code) == (Status.FAIL, "race-over-redeemed"), f.summary
        assert f"{truth} of 8 simultaneous checkouts placed an order with LIMITED5" in f.summary
    else:
        assert (f.status, f.code) == (Status.PASS, "race-limit-held"), f.summary
    if atomic:
        assert truth == 5  # what tests/test_oscar_shop.py shows by hand
