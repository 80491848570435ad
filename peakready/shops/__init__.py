"""Target adapters: the small interface promo and attribution checks talk to
a shop through, so one check works on any platform.

The interface (``Shop``): read the catalog, create a cart, add an item, apply
a code, read the totals, start and finish a checkout, read a code's validity
and usage, read the shop's attribution records. Three adapters ship, all as
configurations of one HTTP engine (``engine.HttpShop``): ``demo`` (the demo
storefront's JSON API), ``shopify`` (the Shopify AJAX cart API: ``/cart/add.js``,
``/cart.js``, ``/discount/CODE``) and ``declarative`` (endpoints and JSON
fields written in the scenario, for any other shop). Another kind of source
(an analytics export, an admin API) only has to provide the same methods.

Safety: placing an order is a mutation; an adapter built for a target whose
scenario does not set ``target.mutations: true`` refuses to start a checkout
(``MutationRefused``) before it sends anything. Carts and codes are what any
shopper does and are not refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import requests


class ShopError(Exception):
    """The shop could not be asked, or answered something unreadable."""


class Unsupported(ShopError):
    """This adapter cannot do that (e.g. a Shopify storefront has no checkout API)."""


class MutationRefused(Exception):
    """Placing an order on a target whose scenario does not allow mutations."""


@dataclass(frozen=True)
class Product:
    id: str
    price: Decimal


@dataclass(frozen=True)
class Totals:
    currency: str
    subtotal: Decimal
    discount: Decimal
    total: Decimal
    codes: tuple[str, ...]
    shipping: Decimal | None = None

    def evidence(self) -> dict[str, Any]:
        out = {"currency": self.currency, "subtotal": str(self.subtotal),
               "discount": str(self.discount), "total": str(self.total),
               "codes": list(self.codes)}
        if self.shipping is not None:
            out["shipping"] = str(self.shipping)
        return out

    def has(self, code: str) -> bool:
        return code.strip().upper() in {c.upper() for c in self.codes}


@dataclass(frozen=True)
class Applied:
    """What happened when a shopper entered a code."""

    entered: str
    accepted: bool
    status: int
    message: str | None
    totals: Totals | None


@dataclass(frozen=True)
class CheckoutResult:
    status: int
    order_id: str | None = None
    codes: tuple[str, ...] = ()
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.order_id is not None


@dataclass(frozen=True)
class CodeInfo:
    code: str
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    usage_limit: int | None = None
    used: int | None = None


@dataclass(frozen=True)
class AttributionRecord:
    order_id: str
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    codes: tuple[str, ...]


@dataclass
class Cart:
    """One shopper's cart: its own cookies, and variables saved by checkout steps."""

    session: requests.Session
    vars: dict[str, Any] = field(default_factory=dict)


@dataclass
class PendingCheckout:
    """A checkout with every step done but the last (the one that places the order)."""

    cart: Cart
    failed: CheckoutResult | None = None


class Shop(Protocol):
    name: str
    messages: bool  # whether a rejected code comes with a message in the API answer
    mutations: bool
    can_checkout: bool  # whether the adapter knows the shop's checkout steps

    def catalog(self) -> list[Product]: ...
    def currency(self) -> str: ...
    def new_cart(self) -> Cart: ...
    def add_item(self, cart: Cart, product_id: str, quantity: int) -> None: ...
    def apply_code(self, cart: Cart, code: str) -> Applied: ...
    def totals(self, cart: Cart) -> Totals: ...
    def start_checkout(self, cart: Cart) -> PendingCheckout: ...
    def finish_checkout(self, pending: PendingCheckout) -> CheckoutResult: ...
    def code_info(self, code: str) -> CodeInfo | None: ...
    def attribution(self, order_ids: list[str]) -> dict[str, AttributionRecord]: ...


def checkout(shop: Shop, cart: Cart) -> CheckoutResult:
    return shop.finish_checkout(shop.start_checkout(cart))
