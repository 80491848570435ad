"""Build carts with a chosen subtotal from a shop's catalog.

A minimum-spend promise is tested at its edge: the largest subtotal the
catalog can make below the threshold must be refused, the smallest one at or
above it accepted. Real prices rarely add up to the threshold exactly, so
the carts say how close they came. The search fills most of a large target
with the dearest product and tries every mix of up to three items for the
rest: bounded (at most ~11 000 sums for 40 prices) and exact enough for a
check, without the cost of a full subset-sum over cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations_with_replacement

from peakready.shops import Cart, Product, Shop

MAX_PRICES = 40  # distinct prices considered (spread over the whole range)
MIX = 3  # items mixed freely on top of the filler
MAX_QUANTITY = 99


@dataclass(frozen=True)
class CartPlan:
    lines: tuple[tuple[str, int], ...]  # (product id, quantity)
    subtotal: Decimal

    def evidence(self) -> list[str]:
        return [f"{pid} x{qty}" for pid, qty in self.lines]

    def fill(self, shop: Shop) -> Cart:
        cart = shop.new_cart()
        for pid, qty in self.lines:
            shop.add_item(cart, pid, qty)
        return cart


def _prices(products: list[Product]) -> list[Product]:
    by_price: dict[Decimal, Product] = {}
    for p in products:
        if p.price > 0:
            by_price.setdefault(p.price, p)
    ordered = sorted(by_price.values(), key=lambda p: p.price)
    if len(ordered) <= MAX_PRICES:
        return ordered
    step = (len(ordered) - 1) / (MAX_PRICES - 1)
    return [ordered[round(i * step)] for i in range(MAX_PRICES)]


def _plan(filler: Product | None, count: int, mix: tuple[Product, ...]) -> CartPlan:
    qty: dict[str, int] = {filler.id: count} if filler and count else {}
    for p in mix:
        qty[p.id] = qty.get(p.id, 0) + 1
    base = filler.price * count if filler else Decimal(0)
    return CartPlan(tuple(qty.items()), base + sum((p.price for p in mix), Decimal(0)))


def _search(products: list[Product], target: Decimal, *, under: bool) -> CartPlan | None:
    prices = _prices(products)
    if not prices:
        return None
    dearest = prices[-1]
    count = max(0, int(target // dearest.price) - MIX + 1)
    if count > MAX_QUANTITY:
        return None
    base = dearest.price * count
    best: tuple[Decimal, int, tuple[Product, ...]] | None = None
    for k in range(MIX + 1):
        for mix in combinations_with_replacement(prices, k):
            if not mix and not count:
                continue
            total = base + sum((p.price for p in mix), Decimal(0))
            if (total < target) != under:
                continue
            # under: the largest total; at least: the smallest; then the fewest items
            key = (-total if under else total, k)
            if best is None or key < best[:2]:
                best = (key[0], k, mix)
    return _plan(dearest, count, best[2]) if best else None


def at_least(products: list[Product], target: Decimal) -> CartPlan | None:
    """The smallest subtotal >= target (fewest items on a tie), or None."""
    return _search(products, target, under=False)


def below(products: list[Product], target: Decimal) -> CartPlan | None:
    """The largest non-empty subtotal < target (fewest items on a tie), or None."""
    return _search(products, target, under=True)


def smallest(products: list[Product]) -> CartPlan | None:
    prices = _prices(products)
    return _plan(None, 0, (prices[0],)) if prices else None
