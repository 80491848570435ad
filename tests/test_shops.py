"""The checks' shop through a profile, against the demo storefront process
(its native JSON API through the `demo` preset, the same preset from a
profile file, and its Shopify-style AJAX API through the `shopify` preset),
and the money and cart-building helpers they rest on."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests
from peakready.checks.check import CheckContext
from peakready.checks.promo import codes as promo

from peakready.demo.server import DemoShop
from peakready.scenario.load import load_scenario
from peakready.scenario.model import Scenario
from peakready.shops import (
    MutationRefused,
    Product,
    ShopError,
    Unsupported,
    carries,
    carts,
    money,
    profiles,
)
from peakready.shops.adapter import ProfileShop, make_shop
from tests.support.scenarios import demo_data, write_scenario

PROFILES = ["demo", "shopify", "file"]


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo preset copied into a file of the user's, as the README says to start."""
    path = tmp_path_factory.mktemp("profile") / "my-shop.yaml"
    path.write_text(profiles.source("demo"), encoding="utf-8")
    return path


def adapter(name: str, url: str, mutations: bool = False, *,
            file: Path | None = None) -> ProfileShop:
    data = demo_data()
    data["target"]["mutations"] = mutations
    data["shop"] = {"profile": str(file)} if name == "file" else {"preset": name}
    scenario = Scenario.model_validate(data)
    profile = scenario.shop_profile()
    assert profile is not None
    return make_shop(profile, requests.Session(), url, mutations=scenario.target.mutations)


@pytest.mark.parametrize(("currency", "value", "minor", "major"), [
    ("EUR", 1999, True, "19.99"), ("EUR", "19.99", False, "19.99"),
    ("JPY", 1999, True, "1999"), ("KWD", 12345, True, "12.345"), ("eur", "5", False, "5"),
])
def test_to_major(currency: str, value: Any, minor: bool, major: str) -> None:
    assert money.to_major(value, currency, minor) == Decimal(major)


@pytest.mark.parametrize("bad", [None, True, "abc", "NaN", "Infinity"])
def test_to_major_refuses_non_amounts(bad: Any) -> None:
    with pytest.raises(ValueError, match="amount"):
        money.to_major(bad, "EUR", False)


@pytest.mark.parametrize(("amount", "currency", "rounded"), [
    ("16.20", "EUR", True), ("16.198", "EUR", False), ("300", "JPY", True),
    ("299.5", "JPY", False), ("1.235", "KWD", True), ("1.2345", "KWD", False),
])
def test_is_rounded(amount: str, currency: str, rounded: bool) -> None:
    assert money.is_rounded(Decimal(amount), currency) is rounded


CATALOG = [Product(pid, Decimal(p)) for pid, p in
           [("a", "12.99"), ("b", "24.99"), ("c", "33.99"), ("d", "0"), ("e", "49.99")]]


@pytest.mark.parametrize(("fn", "target", "subtotal", "lines"), [
    (carts.at_least, "60", "62.97", {"a": 1, "b": 2}),  # 12.99 + 2 x 24.99
    (carts.below, "60", "59.97", {"a": 2, "c": 1}),
    (carts.at_least, "12.99", "12.99", {"a": 1}),  # exactly at the threshold
    (carts.below, "12.99", None, None),  # nothing is cheaper than the cheapest item
    (carts.at_least, "500", "501.89", {"e": 8, "c": 3}),  # the dearest item, then a mix
    (carts.below, "500", "499.90", {"e": 10}),
])
def test_cart_building(fn: Any, target: str, subtotal: str | None,
                       lines: dict[str, int] | None) -> None:
    plan = fn(CATALOG, Decimal(target))
    if subtotal is None:
        assert plan is None
        return
    assert plan is not None and plan.subtotal == Decimal(subtotal)
    assert dict(plan.lines) == lines
    prices = {p.id: p.price for p in CATALOG}
    assert sum(prices[pid] * q for pid, q in plan.lines) == plan.subtotal


def test_smallest_cart_is_the_cheapest_priced_item() -> None:
    plan = carts.smallest(CATALOG)
    assert plan is not None and plan.lines == (("a", 1),)


@pytest.mark.parametrize("name", PROFILES)
def test_cart_and_codes(shop: DemoShop, name: str, demo_file: Path) -> None:
    s = adapter(name, shop.url, file=demo_file)
    catalog = s.catalog()
    assert len(catalog) == 40 and s.currency() == "EUR"
    cheapest = min(catalog, key=lambda p: p.price)
    cart = s.new_cart()
    s.add_item(cart, cheapest.id, 3)
    assert s.totals(cart).subtotal == cheapest.price * 3
    applied = s.apply_code(cart, " mia20 ")
    assert applied.accepted and applied.totals is not None
    assert applied.totals.codes == ("MIA20",)
    assert applied.totals.discount == money.round_minor(cheapest.price * 3 / 5, "EUR")
    refused = s.apply_code(s.new_cart(), "SUMMER15")
    assert not refused.accepted
    assert refused.message == (None if name == "shopify" else "The code SUMMER15 has expired.")
    other = s.new_cart()  # carts do not share cookies
    assert s.totals(other).codes == () and s.totals(cart).codes == ("MIA20",)


@pytest.mark.parametrize("name", PROFILES)
def test_checkout_needs_mutations(shop: DemoShop, name: str, demo_file: Path) -> None:
    s = adapter(name, shop.url, mutations=False, file=demo_file)
    before = requests.get(f"{shop.url}/api/orders/count", timeout=5).json()["orders"]
    cart = s.new_cart()
    s.add_item(cart, s.catalog()[0].id, 1)
    with pytest.raises(MutationRefused, match=r"target\.mutations"):
        s.checkout(cart)
    assert requests.get(f"{shop.url}/api/orders/count", timeout=5).json()["orders"] == before


@pytest.mark.parametrize("name", ["demo", "file"])
def test_checkout_code_info_and_attribution(shop: DemoShop, name: str, demo_file: Path) -> None:
    s = adapter(name, shop.url, mutations=True, file=demo_file)
    cart = s.new_cart()
    s.add_item(cart, s.catalog()[5].id, 2)
    assert s.apply_code(cart, "NOAH15").accepted
    order = s.checkout(cart)
    assert order.ok and order.codes == ("NOAH15",), order
    assert order.order_id is not None
    info = s.code_info("doorbuster")
    assert info is not None and info.code == "DOORBUSTER" and info.usage_limit == 5
    assert info.starts_at is not None and info.ends_at is not None
    assert info.starts_at < info.ends_at and info.starts_at.tzinfo is not None
    assert s.code_info("NOPE") is None
    records = s.attribution([order.order_id, "999999999"])
    assert set(records) == {order.order_id}
    assert records[order.order_id].codes == ("NOAH15",)


def test_checkout_with_the_code_entered_on_the_way(shop: DemoShop) -> None:
    """The race probe's checkout: the code entered where the promo flow enters
    it; a refused code is the shop's message, and the order goes on without it."""
    s = adapter("demo", shop.url, mutations=True)
    product = s.catalog()[3]
    cart = s.new_cart()
    s.add_item(cart, product.id, 1)
    order = s.checkout(cart, "noah15")
    assert order.ok and carries(order.codes, "NOAH15") and order.refused is None
    cart = s.new_cart()
    s.add_item(cart, product.id, 1)
    order = s.checkout(cart, "SUMMER15")
    assert order.ok and order.codes == ()
    assert order.refused == "The code SUMMER15 has expired."


@pytest.mark.parametrize(("codes", "code", "carried"), [
    (("MIA20",), "mia20", True), (("Voucher MIA20",), "MIA20", True),
    (("MIA200",), "MIA20", False), (("Voucher MIA20-X",), "MIA20", False), ((), "MIA20", False),
])
def test_an_order_carries_a_code_as_a_whole_word(codes: tuple[str, ...], code: str,
                                                 carried: bool) -> None:
    assert carries(codes, code) is carried


def test_shopify_has_no_checkout_code_info_or_attribution(shop: DemoShop) -> None:
    s = adapter("shopify", shop.url, mutations=True)
    assert not s.can_checkout
    with pytest.raises(Unsupported, match="cannot place an order"):
        s.checkout(s.new_cart())
    with pytest.raises(Unsupported):
        s.code_info("MIA20")
    with pytest.raises(Unsupported):
        s.attribution(["1"])


def test_promo_check_from_a_profile_file(shop: DemoShop, tmp_path: Path) -> None:
    """The demo preset, copied to a file beside the scenario, drives the promo
    check the same way."""
    (tmp_path / "my-shop.yaml").write_text(profiles.source("demo"), encoding="utf-8")
    section = {"codes": {"MIA20": {"kind": "percent", "value": 20},
                         "LENA10": {"kind": "fixed", "value": 10, "min_spend": 60}},
               "stacking": [{"codes": ["STACK5", "STACK10"], "stacks": False}]}
    data = demo_data(promo=section, campaigns=[])
    data["shop"] = {"profile": "my-shop.yaml"}
    scenario = load_scenario(write_scenario(tmp_path / "s.yaml", data))
    with requests.Session() as http:
        findings = list(promo.run(CheckContext(scenario=scenario, http=http,
                                               base_url=shop.url)))
    got = {(f.subject, f.code) for f in findings if f.subject != "unknown code"}
    assert got == {("MIA20", "promo-discount-ok"), ("MIA20", "promo-variants-ok"),
                   ("MIA20", "promo-min-spend-ok"), ("LENA10", "promo-discount-ok"),
                   ("LENA10", "promo-variants-ok"), ("LENA10", "promo-min-spend-ok"),
                   ("STACK5 + STACK10", "promo-over-stacking"),
                   ("SUMMER15", "promo-dead-code-refused")}


class _Redirector(BaseHTTPRequestHandler):
    """Answers every request with a redirect to ``target``; counts what it gets."""

    target = ""
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(302)
        self.send_header("Location", self.target)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_redirects_off_the_target_are_never_followed() -> None:
    elsewhere = ThreadingHTTPServer(("127.0.0.1", 0), type("Elsewhere", (_Redirector,), {}))
    shop = ThreadingHTTPServer(("127.0.0.1", 0), type("Shop", (_Redirector,), {}))
    shop.RequestHandlerClass.target = f"http://127.0.0.1:{elsewhere.server_port}/cart.js"  # type: ignore[attr-defined]
    for server in (elsewhere, shop):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        s = adapter("demo", f"http://127.0.0.1:{shop.server_port}")
        with pytest.raises(ShopError, match="redirected to another host"):
            s.catalog()
        assert shop.RequestHandlerClass.hits == 1  # type: ignore[attr-defined]
        assert elsewhere.RequestHandlerClass.hits == 0  # type: ignore[attr-defined]
    finally:
        for server in (elsewhere, shop):
            server.shutdown()
            server.server_close()


def test_unreachable_shop_is_a_shop_error() -> None:
    with DemoShop() as running:
        url = running.url
    s = adapter("demo", url)  # the process is gone: connection refused
    with pytest.raises(ShopError, match="no answer: ConnectionError"):
        s.catalog()


class _Backoffice(BaseHTTPRequestHandler):
    """An attribution endpoint that wants a bearer token."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization", "")
        self.seen.append(auth)
        ok = auth == "Bearer s3cret-t0ken"
        body = json.dumps({"orders": [{"id": 7, "src": "ig", "med": "social", "camp": "bf",
                                       "codes": ["MIA20"]}]} if ok else {"error": "no"})
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


def test_profile_headers_read_secrets_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Backoffice)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    data = demo_data()
    data["shop"] = {"preset": "demo"}
    profile = Scenario.model_validate(data).shop_profile()
    assert profile is not None
    secret = {"Authorization": "Bearer ${PR_TEST_SHOP_TOKEN}"}
    profile = profile.model_validate({**profile.model_dump(by_alias=True, exclude_none=True),
                                      "attribution": {
        "request": {"path": "/orders", "headers": secret},
        "items": {"json": "orders"},
        "fields": {"order_id": {"json": "id"}, "utm_source": {"json": "src"},
                   "utm_medium": {"json": "med"}, "utm_campaign": {"json": "camp"},
                   "codes": {"json": "codes", "pick": "all"}}}})
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        s = make_shop(profile, requests.Session(), url, mutations=False)
        monkeypatch.delenv("PR_TEST_SHOP_TOKEN", raising=False)
        with pytest.raises(Unsupported, match="needs the environment variable "
                                              "PR_TEST_SHOP_TOKEN, which is not set"):
            s.attribution(["7"])  # nothing sent: a check skips what it cannot read
        assert _Backoffice.seen == []
        monkeypatch.setenv("PR_TEST_SHOP_TOKEN", "wrong-t0ken")
        with pytest.raises(ShopError, match="HTTP 401") as refused:
            s.attribution(["7"])
        assert "t0ken" not in str(refused.value)
        monkeypatch.setenv("PR_TEST_SHOP_TOKEN", "s3cret-t0ken")
        record = s.attribution(["7"])["7"]
        assert (record.utm_source, record.utm_campaign, record.codes) == ("ig", "bf", ("MIA20",))
        assert _Backoffice.seen == ["Bearer wrong-t0ken", "Bearer s3cret-t0ken"]
    finally:
        server.shutdown()
        server.server_close()
    assert "s3cret" not in profile.model_dump_json()  # the profile holds only the name
