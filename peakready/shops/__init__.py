"""What the promo and attribution checks ask of a shop, whatever it runs on.

The interface (``Shop``): read the catalog, start a cart, add an item, enter
a code, read the totals, check out (with the campaign's code or without),
read a code's validity and usage, read the shop's attribution records. One
implementation ships, ``peakready.shops.adapter.ProfileShop``: it does each
of these through the scenario's shop profile -- the same steps the load
sends -- so a check works on any shop a profile describes.

Safety: placing an order is a mutation; a shop built for a target whose
scenario does not set ``target.mutations: true`` refuses to check out
(``MutationRefused``) before it sends anything. Carts and codes are what any
shopper does and are not refused.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol


class ShopError(Exception):
    """The shop could not be asked, or answered something unreadable."""


class Unsupported(ShopError):
    """The shop's profile cannot do that (e.g. the shopify preset stops before payment)."""


class MutationRefused(Exception):
    """Placing an order on a target whose scenario does not allow mutations."""


@dataclass(frozen=True)
class Product:
    id: str  # what reports show
    price: Decimal
    # the values `cart:add` needs for this product (a slug, an add-to-basket URL)
    values: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


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
        return carries(self.codes, code)


def carries(codes: tuple[str, ...] | list[str], code: str) -> bool:
    """Whether a cart's or order's codes include ``code``: equal (any case), or
    a whole word of an entry (a page that names the discount "Voucher MIA20")."""
    want = code.strip().upper()
    if not want:
        return False
    word = re.compile(rf"(?<![A-Z0-9_-]){re.escape(want)}(?![A-Z0-9_-])")
    return any(c.strip().upper() == want or word.search(c.upper()) for c in codes)


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
    codes: tuple[str, ...] = ()  # the codes the order carries, as the shop shows them
    message: str | None = None  # why it failed: the shop's message, or what went wrong
    step: str | None = None  # the step that failed
    refused: str | None = None  # the code was refused on the way (the shop's message)

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
    """One shopper's cart: a shop session of its own (cookies, captured values)."""

    session: Any  # peakready.shops.session.ShopSession
    started: bool = False  # whether the profile's new_cart requests were sent


class Shop(Protocol):
    name: str
    messages: bool  # whether a refused code comes with the shop's reason
    mutations: bool
    can_checkout: bool  # whether the profile has the checkout steps up to payment
    reads_codes: bool  # whether the shop's cart shows which codes it holds

    def catalog(self) -> list[Product]: ...
    def currency(self) -> str: ...
    def new_cart(self) -> Cart: ...
    def add_item(self, cart: Cart, product_id: str, quantity: int) -> None: ...
    def apply_code(self, cart: Cart, code: str) -> Applied: ...
    def totals(self, cart: Cart) -> Totals: ...
    def checkout(self, cart: Cart, code: str | None = None) -> CheckoutResult: ...
    def code_info(self, code: str) -> CodeInfo | None: ...
    def attribution(self, order_ids: list[str]) -> dict[str, AttributionRecord]: ...
