"""The shipped shop profiles for real platforms (peakready/shops/profiles):
each validates, cites the platform's published reference, places orders only
with a step that keeps the order's id and codes, covers the flows and checks
the README's presets table says, and fits a scenario `peakready validate`
accepts. The shopify preset's cart, codes and totals run against the demo
storefront's Shopify-style Ajax endpoints (a real process on loopback)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from peakready.demo.server import DemoShop
from peakready.flows import ORDER_STEPS, FlowKind
from peakready.shops import listing, money, profiles
from peakready.shops.adapter import ProfileShop
from peakready.shops.answer import Answer
from peakready.shops.session import ShopSession, StepFailed, build, capture, judge, session_values
from peakready.shops.transport import RequestsTransport
from tests.support.cli import peakready
from tests.support.scenarios import demo_data, write_scenario

PLATFORMS = ["shopify", "woocommerce", "magento2", "medusa", "saleor"]
ALL = set(FlowKind)
# What the README's presets table says each covers: flows, and whether the
# profile reads a code's dates and usage (code_info) or orders' attribution.
FLOWS: dict[str, set[FlowKind]] = {
    "shopify": {FlowKind.BOUNCE, FlowKind.BROWSE, FlowKind.CART},
    "woocommerce": ALL - {FlowKind.WALLET},
    "magento2": ALL - {FlowKind.WALLET},
    "medusa": ALL - {FlowKind.WALLET},
    "saleor": ALL - {FlowKind.WALLET},
}
CODE_INFO = {"shopify": False, "woocommerce": True, "magento2": False, "medusa": True,
             "saleor": True}
# Values a scenario must give (no default would be right for any shop).
REQUIRED = {"medusa": {"region_id": "reg_01"}}


def test_every_preset_is_shipped_and_validates() -> None:
    assert set(PLATFORMS) <= set(profiles.names())
    for name in profiles.names():
        profile = profiles.load(name)
        assert profile.name == name


@pytest.mark.parametrize("name", [*PLATFORMS, "oscar"])
def test_each_preset_cites_its_reference(name: str) -> None:
    profile = profiles.load(name)
    assert profile.reference.strip() and profile.notes.strip()
    head = profiles.source(name).split("\nname:")[0]  # the comment block on top
    assert re.search(r"https://\S+", head), f"{name}: cite the API reference's URL on top"


@pytest.mark.parametrize("name", profiles.names())
def test_order_steps_keep_the_order_id_and_codes(name: str) -> None:
    profile = profiles.load(name)
    for step in ORDER_STEPS & set(profile.steps):
        kept = {k: c for part in profile.steps[step] for k, c in part.capture.items()}
        assert "order_id" in kept, f"{name} {step}: capture order_id"
        if name in PLATFORMS:  # the race probe judges by the codes orders carry
            assert kept["order_codes"].pick == "all" and kept["order_codes"].optional


@pytest.mark.parametrize("name", PLATFORMS)
def test_flows_and_checks_as_the_table_says(name: str) -> None:
    profile = profiles.load(name)
    for kind in FlowKind:
        missing = profile.supports(kind)
        assert (not missing) == (kind in FLOWS[name]), (kind, missing)
    assert profile.can_read_carts() == []  # promo.codes
    assert (profile.code_info is not None) == CODE_INFO[name]
    assert profile.attribution is None
    assert profile.messages == (name != "shopify")  # cart.js says nothing of a refusal


def _scenario(name: str, values: dict[str, Any]) -> dict[str, Any]:
    kinds = sorted(FLOWS[name])
    ordering = bool({FlowKind.CHECKOUT, FlowKind.PROMO_CHECKOUT} & set(kinds))
    data = demo_data(
        target={"base_url": "https://shop.example.test", "allowed_hosts": ["shop.example.test"],
                "mutations": ordering},
        flows=[{"name": k.value.replace("_", "-"), "kind": k.value, "weight": 1} for k in kinds],
        shop={"preset": name, "values": values})
    if not ordering:  # the race probe places orders
        data["promo"].pop("race")
    return data


def test_a_scenario_on_each_preset_validates(tmp_path: Path) -> None:
    paths = [write_scenario(tmp_path / f"{n}.yaml", _scenario(n, REQUIRED.get(n, {})))
             for n in PLATFORMS]
    out = peakready("validate", *map(str, paths), timeout=60)
    assert out.returncode == 0, out.stderr
    for path in paths:
        assert f"{path}: ok" in out.stdout


def test_a_value_the_preset_cannot_guess_is_named_by_validate(tmp_path: Path) -> None:
    path = write_scenario(tmp_path / "medusa.yaml", _scenario("medusa", {}))
    out = peakready("validate", str(path), timeout=60)
    assert out.returncode == 2
    assert "{region_id} has no value yet" in out.stderr


# -- judgements and captures, on answers shaped as each reference documents --

@pytest.mark.parametrize(("name", "step", "body", "said"), [
    ("saleor", "cart:add", {"errors": [{"message": "Cannot query field 'foo'"}], "data": None},
     "Cannot query field 'foo'"),
    ("saleor", "checkout:promo", {"data": {"checkoutAddPromoCode": {
        "checkout": None, "errors": [{"field": "promoCode", "message": "Promo code is invalid",
                                      "code": "INVALID"}]}}}, "Promo code is invalid"),
    ("woocommerce", "checkout:promo", {"code": "woocommerce_rest_cart_coupon_error",
                                       "message": "Coupon \"x\" does not exist!",
                                       "data": {"status": 400}}, "does not exist"),
    ("medusa", "checkout:promo", {"type": "invalid_data",
                                  "message": "The promotion code X is invalid"}, "is invalid"),
    ("magento2", "checkout:promo", {"message": "The coupon code isn't valid. Verify the code "
                                    "and try again."}, "isn't valid"),
])
def test_a_refusal_fails_the_step_with_the_shops_message(name: str, step: str, body: Any,
                                                        said: str) -> None:
    """Whatever the status (a GraphQL error comes in a 200 answer)."""
    expect = profiles.load(name).steps[step][-1].expect
    with pytest.raises(StepFailed) as exc:
        judge(step, expect, Answer(200, json.dumps(body)))
    assert exc.value.message is not None and said in exc.value.message


def test_a_saleor_checkout_that_did_not_become_an_order_fails() -> None:
    complete = profiles.load("saleor").steps["checkout:pay"][-1]
    answer = Answer(200, json.dumps({"data": {"checkoutComplete": {
        "order": None, "confirmationNeeded": False,
        "errors": [{"message": "Provided payment methods can not cover the checkout's total "
                               "amount", "code": "CHECKOUT_NOT_FULLY_PAID"}]}}}))
    with pytest.raises(StepFailed, match="can not cover"):
        judge("checkout:pay", complete.expect, answer)


def test_woocommerce_sends_back_the_cart_token_it_was_given() -> None:
    profile = profiles.load("woocommerce")
    first, add = profile.steps["cart:add"]
    values = {**profile.values, "product_id": "15", "quantity": 2}
    assert build("cart:add", first.request, values, "https://s.test").headers["Cart-Token"] == ""
    given = Answer(200, "{}", {"Cart-Token": "eyJ0.token"})
    values.update(capture("cart:add", first.capture, given, random.Random(1)))
    sent = build("cart:add", add.request, values, "https://s.test")
    assert sent.headers["Cart-Token"] == "eyJ0.token"
    assert json.loads(sent.body or b"") == {"id": "15", "quantity": 2}


def test_shopify_catalog_reads_major_units_and_the_cart_minor() -> None:
    """/products.json (the Ajax API's product list) writes prices as "129.00",
    /cart.js as 12900: the catalog says its own unit; only available variants
    are offered."""
    profile = profiles.load("shopify")
    assert profile.catalog is not None and profile.amounts == "minor"
    assert profile.catalog.amounts == "major" and profile.currency is None  # the cart's
    doc = {"products": [{"id": 329678821, "handle": "red-rain-coat", "title": "Red Rain Coat",
                         "variants": [{"id": 794864229, "title": "Small", "price": "129.00",
                                       "available": True},
                                      {"id": 794864233, "title": "Large", "price": "139.00",
                                       "available": False}]}]}
    items = listing.read(profile.catalog, Answer(200, json.dumps(doc)))
    assert items == [{"name": 794864229, "price": "129.00", "variant": 794864229}]
    sent = build("catalog", profile.catalog.request, {}, "https://s.test")
    assert sent.url == "https://s.test/products.json?limit=250"


# -- the shopify preset against the demo's Shopify-style endpoints ------------

def test_shopify_cart_codes_and_totals_on_the_demo(shop: DemoShop) -> None:
    """The shipped preset, as it is, on the demo's Shopify-style endpoints; the
    currency is read from a cart with something in it."""
    s = ProfileShop(profiles.load("shopify"), requests.Session(), shop.url, mutations=False)
    assert s.currency() == "EUR"
    catalog = sorted(s.catalog(), key=lambda p: p.price)
    a, b = catalog[0], catalog[5]
    cart = s.new_cart()
    s.add_item(cart, a.id, 2)
    s.add_item(cart, b.id, 1)  # a second line, in the same cart
    subtotal = a.price * 2 + b.price
    before = s.totals(cart)
    assert (before.currency, before.subtotal, before.discount, before.total) == (
        "EUR", subtotal, 0, subtotal)
    applied = s.apply_code(cart, "MIA20")  # 20 % off, the demo's pricing
    assert applied.accepted and applied.message is None and applied.totals is not None
    assert applied.totals.codes == ("MIA20",)
    assert applied.totals.discount == money.round_minor(subtotal / 5, "EUR")
    assert applied.totals.total == subtotal - applied.totals.discount
    for code in ("SUMMER15", "NOSUCHCODE"):  # expired, unknown: not applied, and no reason
        other = s.new_cart()
        s.add_item(other, a.id, 1)
        refused = s.apply_code(other, code)
        assert not refused.accepted and refused.message is None
        assert refused.totals is not None and refused.totals.codes == ()
    assert s.totals(cart).codes == ("MIA20",)  # carts do not share cookies


def test_shopify_landing_and_collection_on_the_demo(shop: DemoShop) -> None:
    """The theme-HTML captures the demo's pages have: a collection link on the
    landing page, a product link on the collection page. (The demo's product
    page has no Shopify product form, so browse:product is not run here.)"""
    session = ShopSession.start(profiles.load("shopify"), RequestsTransport(), shop.url,
                                {**session_values(1, "presets", None),
                                 "landing": "/?utm_source=instagram"})
    session.land()
    assert re.fullmatch(r"/collections/[a-z0-9-]+", session.values["collection_url"])
    session.step("browse:collection")
    assert re.fullmatch(r"/products/[a-z0-9-]+", session.values["product_url"])


def test_shopify_product_form_gives_the_variant() -> None:
    """Every theme's product form posts the variant as `id` to /cart/add (an
    input, or a select with the chosen option; a market's locale prefix too)."""
    step = profiles.load("shopify").steps["browse:product"][0]
    for form in ('<form method="post" action="/cart/add"><input type="hidden" name="id" '
                 'value="4242"></form>',
                 '<form action="/fr-ca/cart/add"><select name="id"><option value="1">S</option>'
                 '<option value="4242" selected>M</option></select></form>'):
        page = f'<html><body><form action="/search"><input name="id" value="x"></form>{form}' \
               '<a href="/collections/all/products/mug">Mug</a></body></html>'
        kept = capture("browse:product", step.capture, Answer(200, page), random.Random(1))
        assert kept == {"variant": "4242", "product_url": "/collections/all/products/mug"}
