"""The checks' shop (``peakready.shops.Shop``) through a shop profile.

A check's cart is a shopper session like the load's: the profile's
``cart:add`` adds an item, ``checkout:promo`` enters a code, the checkout
steps place an order, with the same templates, captures, judgements and
same-origin redirects (peakready.shops.session). What the load has no step
for is the profile's too: ``catalog`` (products and prices), ``totals`` (the
cart's amounts and codes), ``new_cart``, ``code_info`` and ``attribution``.

A code counts as applied when the cart then shows it (when the profile reads
the cart's codes) *and* takes something off: a shop that lists a code it
does not honour has not applied it. A refusal is the shop's message, read
wherever the profile's ``checkout:promo`` says (``expect.errors``: a JSON
field, a GraphQL error in a 200 answer, a page's alert).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import secrets
from decimal import Decimal
from typing import Any

import requests

from peakready.flows import CART_ADD, CHECKOUT_PROMO, STEPS, FlowKind
from peakready.shops import (
    Applied,
    AttributionRecord,
    Cart,
    CheckoutResult,
    CodeInfo,
    MutationRefused,
    Product,
    ShopError,
    Totals,
    Unsupported,
)
from peakready.shops import listing as lists
from peakready.shops.answer import Answer
from peakready.shops.money import to_major
from peakready.shops.profile import ENV, TOTALS_FIELDS, Listing, Profile
from peakready.shops.session import ShopSession, StepFailed, build, judge, session_values
from peakready.shops.transport import RequestsTransport
from peakready.shops.visitor import visitor

MAX_PAGES = 1000  # attribution pages read at most: a bound on a misbehaving cursor
# The checkout after the cart, in the promo flow's order (the code entered where
# a shopper enters it); without a code, the same steps without `checkout:promo`.
CHECKOUT = STEPS[FlowKind.PROMO_CHECKOUT][len(STEPS[FlowKind.CART]):]
ORDER_VALUES = ("order_id", "order_codes")


def codes_of(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        items = [items]
    return tuple(str(c).strip() for c in items if c is not None and str(c).strip())


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _when(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ShopError(f"not an ISO 8601 date and time: {value!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _count(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise ShopError(f"not a count: {value!r}") from None


class ProfileShop:
    def __init__(self, profile: Profile, http: requests.Session, base_url: str, *,
                 mutations: bool = False, timeout: float = 10.0) -> None:
        self.profile, self.http, self.timeout = profile, http, timeout
        self.name, self.messages, self.mutations = profile.name, profile.messages, mutations
        self.base_url = base_url.rstrip("/")
        self.checkout_steps = [s for s in CHECKOUT if s != CHECKOUT_PROMO]
        self.can_checkout = all(s in profile.steps for s in self.checkout_steps)
        self._run = f"check-{secrets.token_hex(3)}"
        self._seq = itertools.count(1)
        self._products: dict[str, Product] = {}
        self._currency = profile.currency

    # -- sessions -------------------------------------------------------------
    def _session(self) -> ShopSession:
        transport = RequestsTransport(visitor(self.http), self.timeout)
        return ShopSession.start(self.profile, transport, self.base_url,
                                 session_values(next(self._seq), self._run, None))

    def _fetch(self, session: ShopSession, what: str, listing: Listing,
               values: dict[str, Any]) -> Answer:
        session.values.update(values)
        try:
            sent = build(what, listing.request, session.values, self.base_url)
            answer = session.send(what, sent)
            if answer.status != 404:
                judge(what, listing.expect, answer)
        except StepFailed as exc:
            raise ShopError(str(exc)) from None
        return answer

    def _secrets_set(self, what: str, listing: Listing) -> None:
        """A back-office read whose token is not in the environment cannot be
        made: Unsupported (the check skips what it would have read), not an
        error of the shop."""
        for value in listing.request.headers.values():
            for name in ENV.findall(value):
                if name not in os.environ:
                    raise Unsupported(f"the shop profile's {what} needs the environment "
                                      f"variable {name}, which is not set")

    def _items(self, what: str, listing: Listing, answer: Answer) -> list[dict[str, Any]]:
        try:
            return lists.read(listing, answer)
        except ValueError as exc:
            raise ShopError(f"{what}: {exc}") from None

    def _step(self, cart: Cart, name: str) -> None:
        self._start(cart)
        try:
            cart.session.step(name)
        except StepFailed as exc:
            raise ShopError(str(exc)) from None

    def _start(self, cart: Cart) -> None:
        if cart.started:
            return
        cart.started = True
        for part in self.profile.new_cart:
            try:
                cart.session.run_part("new cart", part)
            except StepFailed as exc:
                raise ShopError(str(exc)) from None

    # -- catalog and cart -----------------------------------------------------
    def currency(self) -> str:
        if self._currency is None:
            products = self.catalog()
            if not products:
                raise ShopError("the catalog is empty, so no cart can show the currency")
            cart = self.new_cart()
            cheapest = min(products, key=lambda p: p.price)
            self.add_item(cart, cheapest.id, 1)
            self._currency = self.totals(cart).currency
        return self._currency

    def catalog(self) -> list[Product]:
        src = self.profile.catalog
        if src is None:
            raise Unsupported(f"the shop profile {self.name!r} has no catalog: give `catalog:` "
                              "(a request listing products with their prices)")
        items = self._items("catalog", src, self._fetch(self._session(), "catalog", src, {}))
        minor = (src.amounts or self.profile.amounts) == "minor"
        cur = self._currency or ""
        out: dict[str, Product] = {}
        for it in items:
            values = {k: v for k, v in it.items() if k not in ("price", "name")}
            if it["price"] is None or any(v is None for v in values.values()):
                continue  # not for sale (no price, no add-to-cart form)
            try:
                price = to_major(it["price"], cur, minor)
            except ValueError as exc:
                raise ShopError(f"the catalog has an unreadable price: {exc}") from None
            pid = str(it.get("name") or next(iter(values.values())))
            out.setdefault(pid, Product(pid, price, values))
        self._products = out
        return list(out.values())

    def new_cart(self) -> Cart:
        return Cart(self._session())

    def add_item(self, cart: Cart, product_id: str, quantity: int) -> None:
        product = self._products.get(product_id)
        if product is None:
            raise ShopError(f"{product_id!r} is not in the catalog read")
        cart.session.values.update(product.values, quantity=quantity)
        try:
            self._step(cart, CART_ADD)
        except ShopError as exc:
            raise ShopError(f"could not add {product_id} x{quantity} to a cart: {exc}") from None

    def totals(self, cart: Cart) -> Totals:
        if not self.profile.totals:
            raise Unsupported(f"the shop profile {self.name!r} cannot read a cart: give "
                              "`totals:` (a request capturing subtotal and total)")
        self._start(cart)
        values = cart.session.values
        for key in TOTALS_FIELDS:
            values.pop(key, None)
        for part in self.profile.totals:
            try:
                cart.session.run_part("totals", part)
            except StepFailed as exc:
                raise ShopError(str(exc)) from None
        cur = str(values.get("currency") or self._currency or "")
        if not cur:
            raise ShopError("the cart does not show its currency: give the profile's "
                            "`currency`, or capture `currency` in totals")
        minor = self.profile.amounts == "minor"
        try:
            def amount(key: str) -> Decimal | None:
                v = values.get(key)
                return None if v is None else to_major(v, cur, minor)
            subtotal, total, shipping = amount("subtotal"), amount("total"), amount("shipping")
            discount = amount("discount")
        except ValueError as exc:
            raise ShopError(f"the cart has an unreadable amount: {exc}") from None
        assert subtotal is not None and total is not None  # required captures
        if discount is None:
            discount = subtotal + (shipping or 0) - total
        return Totals(cur, subtotal, abs(discount), total, codes_of(values.get("codes")),
                      shipping)

    @property
    def reads_codes(self) -> bool:
        """Whether the profile reads which codes a cart holds."""
        return any("codes" in part.capture for part in self.profile.totals)

    def apply_code(self, cart: Cart, code: str) -> Applied:
        if CHECKOUT_PROMO not in self.profile.steps:
            raise Unsupported(f"the shop profile {self.name!r} has no step {CHECKOUT_PROMO}")
        self._start(cart)
        cart.session.values["code"] = code
        try:
            answer = cart.session.step(CHECKOUT_PROMO)
        except StepFailed as exc:
            status = exc.answer.status if exc.answer is not None else 0
            if status == 0 or status >= 500:
                raise ShopError(str(exc)) from None
            return Applied(code, False, status, exc.message, None)
        totals = self.totals(cart)
        shown = totals.has(code) if self.reads_codes else True
        return Applied(code, shown and totals.discount > 0, answer.status, None, totals)

    # -- checkout -------------------------------------------------------------
    def checkout(self, cart: Cart, code: str | None = None) -> CheckoutResult:
        """Every checkout step after the cart (entering ``code`` where the promo
        flow does); the order's id and codes from `checkout:pay`'s captures."""
        if not self.mutations:
            raise MutationRefused("placing an order needs `target.mutations: true`")
        if not self.can_checkout:
            missing = [s for s in self.checkout_steps if s not in self.profile.steps]
            raise Unsupported(f"the shop profile {self.name!r} cannot place an order (no "
                              f"{', '.join(missing)})" + (f": {self.profile.notes}"
                                                          if self.profile.notes else ""))
        self._start(cart)
        values = cart.session.values
        for key in ORDER_VALUES:
            values.pop(key, None)
        refused: str | None = None
        steps = CHECKOUT if code is not None and CHECKOUT_PROMO in self.profile.steps \
            else self.checkout_steps
        for step in steps:
            if step == CHECKOUT_PROMO:
                values["code"] = code
            try:
                cart.session.step(step)
            except StepFailed as exc:
                status = exc.answer.status if exc.answer is not None else 0
                if step == CHECKOUT_PROMO and 0 < status < 500:
                    refused = exc.message or exc.reason  # a shopper goes on without it
                    continue
                return CheckoutResult(status, message=exc.message or exc.reason, step=step,
                                      refused=refused)
        return CheckoutResult(200, str(values["order_id"]), codes_of(values.get("order_codes")),
                              refused=refused)

    # -- back office ----------------------------------------------------------
    def code_info(self, code: str) -> CodeInfo | None:
        src = self.profile.code_info
        if src is None:
            raise Unsupported(f"the shop profile {self.name!r} cannot read a code's dates and "
                              "usage (no `code_info:`)")
        self._secrets_set("code_info", src)
        answer = self._fetch(self._session(), "code_info", src, {"code": code})
        if answer.status == 404:
            return None
        for it in self._items("code_info", src, answer):
            if str(it["code"] or "").strip().upper() == code.strip().upper():
                return CodeInfo(str(it["code"]), _when(it.get("starts_at")),
                                _when(it.get("ends_at")), _count(it.get("usage_limit")),
                                _count(it.get("used")))
        return None

    def attribution(self, order_ids: list[str]) -> dict[str, AttributionRecord]:
        src = self.profile.attribution
        if src is None:
            raise Unsupported(f"the shop profile {self.name!r} has no attribution source "
                              "(`attribution:`)")
        self._secrets_set("attribution", src)
        wanted = set(order_ids)
        after: Any = ""
        if wanted and all(i.isdigit() for i in wanted):
            after = min(map(int, wanted)) - 1
        session = self._session()
        found: dict[str, AttributionRecord] = {}
        for _ in range(MAX_PAGES):
            answer = self._fetch(session, "attribution", src, {"after": after})
            items = self._items("attribution", src, answer)
            for it in items:
                oid = str(it["order_id"])
                if oid in wanted:
                    found[oid] = AttributionRecord(
                        oid, _text(it.get("utm_source")), _text(it.get("utm_medium")),
                        _text(it.get("utm_campaign")), codes_of(it.get("codes")))
            cursor = (src.next.compiled.apply(answer) if src.next
                      else items[-1]["order_id"] if items else None)
            if not items or cursor is None or cursor == after or len(found) == len(wanted):
                break
            after = cursor
        return found


def make_shop(profile: Profile, http: requests.Session, base_url: str, *, mutations: bool,
              timeout: float = 10.0) -> ProfileShop:
    return ProfileShop(profile, http, base_url, mutations=mutations, timeout=timeout)

