"""The demo storefront, over HTTP, as a separate process."""

from __future__ import annotations

import threading

import pytest
import requests

from peakready.demo.server import DemoShop

ADDRESS = {"email": "a@example.test", "address": {
    "name": "A", "street": "1 St", "city": "C", "postcode": "1", "country": "DE"}}


def _cart(shop: DemoShop, product: str = "chunky-knit-throw", qty: int = 1) -> requests.Session:
    s = requests.Session()
    s.get(f"{shop.url}/", timeout=5)
    r = s.post(f"{shop.url}/api/cart/items", json={"product": product, "quantity": qty},
               timeout=5)
    r.raise_for_status()
    return s


def _checkout(shop: DemoShop, s: requests.Session) -> requests.Response:
    cid = s.post(f"{shop.url}/api/checkout", timeout=5).json()["checkout_id"]
    assert s.post(f"{shop.url}/api/checkout/{cid}/address", json=ADDRESS, timeout=5).ok
    assert s.post(f"{shop.url}/api/checkout/{cid}/shipping", json={"method": "standard"},
                  timeout=5).ok
    return s.post(f"{shop.url}/api/checkout/{cid}/pay", json={"card_number": "4242"},
                  timeout=10)


def test_pages_carry_analytics_and_record_landing_utms(shop: DemoShop) -> None:
    s = requests.Session()
    r = s.get(f"{shop.url}/collections/candles?utm_source=ig&utm_medium=social"
              "&utm_campaign=utm-probe", timeout=5)
    assert r.status_code == 200 and "G-PEAKDEMO01" in r.text
    assert s.get(f"{shop.url}/products/fig-leaf-candle", timeout=5).status_code == 200
    s.post(f"{shop.url}/api/cart/items", json={"product": "fig-leaf-candle"}, timeout=5)
    order = s.post(f"{shop.url}/api/wallet/pay", json={"wallet_token": "tok_1"}, timeout=5)
    assert order.status_code == 200
    oid = order.json()["order_id"]
    log = requests.get(f"{shop.url}/api/attribution", params={"after": oid - 1}, timeout=5)
    row = next(o for o in log.json()["orders"] if o["order_id"] == oid)
    assert (row["utm_source"], row["utm_medium"], row["utm_campaign"]) == (
        "ig", "social", "utm-probe")


def test_unknown_pages_are_404(shop: DemoShop) -> None:
    assert requests.get(f"{shop.url}/products/nope", timeout=5).status_code == 404
    assert requests.get(f"{shop.url}/collections/nope", timeout=5).status_code == 404
    assert requests.get(f"{shop.url}/api/nope", timeout=5).json() == {"error": "not found"}


@pytest.mark.parametrize(("code", "status", "message"), [
    ("MIA20", 200, None),
    ("mia20", 200, None),  # case-insensitive
    ("  Mia20 ", 200, None),  # padded
    ("SUMMER15", 422, "has expired"),
    ("NOPE", 422, "is not valid"),
    ("LENA10", 422, "Spend at least €60.00"),
    ("cozyhome", 422, "is not valid"),  # the demo's deliberate case-sensitivity bug
    ("CozyHome", 200, None),
])
def test_promo_rules(shop: DemoShop, code: str, status: int, message: str | None) -> None:
    s = _cart(shop)  # one throw, under €60
    r = s.post(f"{shop.url}/api/cart/promo", json={"code": code}, timeout=5)
    assert r.status_code == status, r.text
    if message:
        assert message in r.json()["error"]
    else:
        cart = r.json()
        assert cart["discount_cents"] > 0
        assert cart["total_cents"] == (cart["subtotal_cents"] - cart["discount_cents"]
                                       + cart["shipping_cents"])


def test_percent_and_fixed_discounts(shop: DemoShop) -> None:
    s = _cart(shop, qty=3)
    sub = s.get(f"{shop.url}/api/cart", timeout=5).json()["subtotal_cents"]
    assert sub >= 6000
    cart = s.post(f"{shop.url}/api/cart/promo", json={"code": "LENA10"}, timeout=5).json()
    assert cart["discount_cents"] == 1000
    s2 = _cart(shop, qty=3)
    cart = s2.post(f"{shop.url}/api/cart/promo", json={"code": "MIA20"}, timeout=5).json()
    assert cart["discount_cents"] == (sub * 20 + 50) // 100


def test_stacking(shop: DemoShop) -> None:
    s = _cart(shop)
    assert s.post(f"{shop.url}/api/cart/promo", json={"code": "MIA20"}, timeout=5).ok
    r = s.post(f"{shop.url}/api/cart/promo", json={"code": "NOAH15"}, timeout=5)
    assert r.status_code == 422 and "cannot be combined" in r.json()["error"]
    s2 = _cart(shop)
    assert s2.post(f"{shop.url}/api/cart/promo", json={"code": "STACK5"}, timeout=5).ok
    cart = s2.post(f"{shop.url}/api/cart/promo", json={"code": "STACK10"}, timeout=5).json()
    assert len(cart["discounts"]) == 2  # the demo's deliberate over-stacking pair


def test_native_checkout_places_order_and_empties_cart(shop: DemoShop) -> None:
    s = _cart(shop, qty=2)
    s.post(f"{shop.url}/api/cart/promo", json={"code": "NOAH15"}, timeout=5)
    r = _checkout(shop, s)
    assert r.status_code == 200, r.text
    assert r.json()["promo_codes"] == "NOAH15"
    assert s.get(f"{shop.url}/api/cart", timeout=5).json()["lines"] == []


def test_checkout_steps_are_enforced(shop: DemoShop) -> None:
    s = requests.Session()
    assert s.post(f"{shop.url}/api/checkout", timeout=5).status_code == 409  # empty cart
    s = _cart(shop)
    cid = s.post(f"{shop.url}/api/checkout", timeout=5).json()["checkout_id"]
    assert s.post(f"{shop.url}/api/checkout/{cid}/pay", timeout=5).status_code == 409
    bad = s.post(f"{shop.url}/api/checkout/{cid}/address", json={"email": "x"}, timeout=5)
    assert bad.status_code == 422
    other = requests.Session()
    assert other.post(f"{shop.url}/api/checkout/{cid}/address", json=ADDRESS,
                      timeout=5).status_code == 404  # not your checkout


def test_short_links(shop: DemoShop) -> None:
    r = requests.get(f"{shop.url}/go/mia-bf", allow_redirects=False, timeout=5)
    assert r.status_code == 301 and "utm_campaign=bf-mia" in r.headers["Location"]
    broken = requests.get(f"{shop.url}/go/lena-bf", allow_redirects=False, timeout=5)
    assert broken.status_code == 301 and "?" not in broken.headers["Location"]
    assert requests.get(f"{shop.url}/go/nope", timeout=5).status_code == 404


def _race(shop: DemoShop, n: int) -> list[int]:
    """n shoppers with DOORBUSTER (limit 5) in their carts pay at the same instant."""
    sessions = []
    for _ in range(n):
        s = _cart(shop)
        assert s.post(f"{shop.url}/api/cart/promo", json={"code": "DOORBUSTER"}, timeout=5).ok
        sessions.append(s)
    barrier = threading.Barrier(n)
    codes: list[int] = []

    def pay(s: requests.Session) -> None:
        barrier.wait()
        codes.append(s.post(f"{shop.url}/api/wallet/pay", json={"wallet_token": "tok_r"},
                            timeout=30).status_code)

    threads = [threading.Thread(target=pay, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


def test_usage_limit_is_atomic() -> None:
    with DemoShop() as shop:
        codes = _race(shop, 20)
        assert codes.count(200) == 5
        assert codes.count(409) == 15
        promo = next(p for p in requests.get(f"{shop.url}/api/promos", timeout=5).json()[
            "promos"] if p["code"] == "DOORBUSTER")
        assert promo["used"] == 5


def test_unsafe_promo_race_over_redeems() -> None:
    with DemoShop(unsafe_promo_race=True) as shop:
        codes = _race(shop, 20)
        assert codes.count(200) > 5, codes
