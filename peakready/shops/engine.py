"""The HTTP engine behind every shipped adapter: requests described by a
``DeclarativeConfig``, answers read with JMESPath.

Redirects are followed by hand, and only on the target's own origin: a shop
that redirects elsewhere is an error, never followed (a header secret never
leaves the target).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin, urlsplit

import jmespath
import requests

from peakready.shops import (
    Applied,
    AttributionRecord,
    Cart,
    CheckoutResult,
    CodeInfo,
    MutationRefused,
    PendingCheckout,
    Product,
    ShopError,
    Totals,
    Unsupported,
)
from peakready.shops.config import PromoSection
from peakready.shops.declarative_config import DeclarativeConfig, ListSource, Request
from peakready.shops.http import env_headers, fill
from peakready.shops.money import to_major
from peakready.shops.presets import PRESETS
from peakready.shops.visitor import visitor

MAX_REDIRECTS = 5
MAX_PAGES = 1000  # attribution pages read at most: a bound on a misbehaving cursor


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


class HttpShop:
    def __init__(self, name: str, config: DeclarativeConfig, http: requests.Session,
                 base_url: str, *, mutations: bool = False, timeout: float = 10.0) -> None:
        self.name, self.cfg, self.http = name, config, http
        self.base_url = base_url.rstrip("/")
        self.origin = urlsplit(self.base_url)[:2]
        self.mutations, self.timeout = mutations, timeout
        self.messages = config.messages
        self.can_checkout = bool(config.checkout)
        self._currency: str | None = config.currency

    # -- transport ------------------------------------------------------------
    def send(self, session: requests.Session, req: Request,
             values: dict[str, Any]) -> tuple[int, Any]:
        path = fill(req.path, values, in_path=True)
        params = {k: fill(v, values) for k, v in req.query.items()} or None
        body = fill(req.body, values) if req.body is not None else None
        url, method = self.base_url + path, req.method
        headers = env_headers(req.headers) if req.headers else None
        try:
            for _ in range(MAX_REDIRECTS + 1):
                resp = session.request(method, url, params=params, json=body, headers=headers,
                                       timeout=self.timeout, allow_redirects=False)
                if not resp.is_redirect:
                    break
                url = urljoin(url, resp.headers["Location"])
                if urlsplit(url)[:2] != self.origin:
                    raise ShopError(f"{req.method} {path}: redirected off the target to {url}")
                method, params, body = "GET", None, None
            else:
                raise ShopError(f"{req.method} {path}: more than {MAX_REDIRECTS} redirects")
        except requests.RequestException as exc:
            raise ShopError(f"{req.method} {path}: {type(exc).__name__}: {exc}") from None
        if resp.status_code >= 500:
            raise ShopError(f"{req.method} {path}: HTTP {resp.status_code} "
                            f"{resp.text[:200]!r}")
        try:
            data = resp.json()
        except ValueError:
            data = None
        return resp.status_code, data

    def _field(self, path: str, data: Any, what: str, required: bool = True) -> Any:
        value = jmespath.search(path, data) if data is not None else None
        if value is None and required:
            raise ShopError(f"the {what} answer has no `{path}`: {str(data)[:200]}")
        return value

    def _items(self, src: ListSource, data: Any, what: str) -> list[dict[str, Any]]:
        items = self._field(src.items, data, what)
        if not isinstance(items, list):
            raise ShopError(f"the {what} answer's `{src.items}` is not a list")
        return [{k: jmespath.search(p, it) for k, p in src.fields.items()} for it in items]

    def _message(self, data: Any) -> str | None:
        path = self.cfg.cart_fields.error
        if not self.messages or path is None or data is None:
            return None
        msg = jmespath.search(path, data)
        return str(msg).strip() or None if msg is not None else None

    # -- catalog and cart -----------------------------------------------------------
    def currency(self) -> str:
        if self._currency is None:
            self._currency = self.totals(self.new_cart()).currency
        return self._currency

    def catalog(self) -> list[Product]:
        src = self.cfg.products
        status, data = self.send(self.http, src, {})
        if status >= 400:
            raise ShopError(f"the catalog ({src.path}) answered HTTP {status}")
        cur = self.currency()
        try:
            return [Product(str(it["id"]), to_major(it["price"], cur, src.amounts == "minor"))
                    for it in self._items(src, data, "catalog") if it["id"] is not None]
        except ValueError as exc:
            raise ShopError(f"the catalog has an unreadable price: {exc}") from None

    def new_cart(self) -> Cart:
        return Cart(session=visitor(self.http))

    def add_item(self, cart: Cart, product_id: str, quantity: int) -> None:
        status, data = self.send(cart.session, self.cfg.add_item,
                                 {"product": product_id, "quantity": quantity})
        if status >= 400:
            raise ShopError(f"could not add {product_id} x{quantity} to a cart: HTTP {status} "
                            f"{self._message(data) or ''}".strip())

    def parse_totals(self, data: Any) -> Totals:
        f, minor = self.cfg.cart_fields, self.cfg.amounts == "minor"
        cur = str(self._field(f.currency, data, "cart") if f.currency else self.cfg.currency)
        try:
            def amount(path: str | None) -> Decimal | None:
                return None if path is None else to_major(self._field(path, data, "cart"),
                                                          cur, minor)
            subtotal, total = amount(f.subtotal), amount(f.total)
            shipping = amount(f.shipping)
        except ValueError as exc:
            raise ShopError(f"the cart has an unreadable amount: {exc}") from None
        assert subtotal is not None and total is not None
        discount = amount(f.discount) if f.discount else subtotal + (shipping or 0) - total
        return Totals(cur, subtotal, discount or Decimal(0), total,
                      codes_of(jmespath.search(f.codes, data)), shipping)

    def totals(self, cart: Cart) -> Totals:
        status, data = self.send(cart.session, self.cfg.cart, {})
        if status >= 400:
            raise ShopError(f"reading the cart answered HTTP {status}")
        return self.parse_totals(data)

    def apply_code(self, cart: Cart, code: str) -> Applied:
        status, data = self.send(cart.session, self.cfg.apply_code, {"code": code})
        if status >= 400:
            return Applied(code, False, status, self._message(data), None)
        try:
            totals = self.parse_totals(data)
        except ShopError:  # the answer is not the cart: read it
            totals = self.totals(cart)
        return Applied(code, totals.has(code), status, None, totals)

    # -- checkout -------------------------------------------------------------------
    def start_checkout(self, cart: Cart) -> PendingCheckout:
        if not self.mutations:
            raise MutationRefused("placing an order needs `target.mutations: true`")
        if not self.cfg.checkout:
            raise Unsupported(f"the {self.name} adapter cannot complete a checkout")
        for step in self.cfg.checkout[:-1]:
            failed = self._step(cart, step)
            if failed:
                return PendingCheckout(cart, failed)
        return PendingCheckout(cart)

    def finish_checkout(self, pending: PendingCheckout) -> CheckoutResult:
        if not self.mutations:
            raise MutationRefused("placing an order needs `target.mutations: true`")
        if pending.failed:
            return pending.failed
        cart = pending.cart
        status, data = self.send(cart.session, self.cfg.checkout[-1], cart.vars)
        if status >= 400:
            return CheckoutResult(status, message=self._message(data))
        order = self.cfg.order
        assert order is not None  # validated: checkout steps come with order fields
        oid = self._field(order.id, data, "checkout")
        codes = codes_of(jmespath.search(order.codes, data)) if order.codes else ()
        return CheckoutResult(status, str(oid), codes)

    def _step(self, cart: Cart, step: Request) -> CheckoutResult | None:
        status, data = self.send(cart.session, step, cart.vars)
        if status >= 400:
            return CheckoutResult(status, message=self._message(data))
        for name, path in step.save.items():
            cart.vars[name] = self._field(path, data, f"checkout ({step.path})")
        return None

    # -- back office ----------------------------------------------------------------
    def code_info(self, code: str) -> CodeInfo | None:
        src = self.cfg.code_info
        if src is None:
            raise Unsupported(f"the {self.name} adapter cannot read a code's dates and usage")
        status, data = self.send(self.http, src, {"code": code})
        if status == 404:
            return None
        if status >= 400:
            raise ShopError(f"reading code {code!r} answered HTTP {status}")
        for it in self._items(src, data, "code"):
            if str(it["code"]).strip().upper() == code.strip().upper():
                return CodeInfo(str(it["code"]), _when(it.get("starts_at")),
                                _when(it.get("ends_at")), it.get("usage_limit"), it.get("used"))
        return None

    def attribution(self, order_ids: list[str]) -> dict[str, AttributionRecord]:
        src = self.cfg.attribution
        if src is None:
            raise Unsupported(f"the {self.name} adapter has no attribution source")
        wanted = set(order_ids)
        after: Any = src.after
        if wanted and all(i.isdigit() for i in wanted):
            after = max(int(after) if str(after).isdigit() else 0, min(map(int, wanted)) - 1)
        found: dict[str, AttributionRecord] = {}
        for _ in range(MAX_PAGES):
            status, data = self.send(self.http, src, {"after": after})
            if status >= 400:
                raise ShopError(f"the attribution source ({src.path}) answered HTTP {status}")
            items = self._items(src, data, "attribution")
            for it in items:
                oid = str(it["order_id"])
                if oid in wanted:
                    found[oid] = AttributionRecord(
                        oid, _text(it["utm_source"]), _text(it["utm_medium"]),
                        _text(it["utm_campaign"]), codes_of(it["codes"]))
            cursor = (jmespath.search(src.next, data) if src.next
                      else items[-1]["order_id"] if items else None)
            if not items or cursor is None or cursor == after or len(found) == len(wanted):
                break
            after = cursor
        return found


def make_shop(promo: PromoSection | None, http: requests.Session, base_url: str, *,
              mutations: bool, timeout: float = 10.0) -> HttpShop:
    """The adapter ``promo.adapter`` names (or the declarative one it
    describes), bound to the target; without a promo section, the demo's."""
    name = promo.adapter if promo else "demo"
    config = promo.declarative if promo and promo.declarative else PRESETS[name]
    return HttpShop(name, config, http, base_url, mutations=mutations, timeout=timeout)
