"""django-oscar on loopback for the tests, and what its pages and database
say: the material for a "shop profile" of oscar.

``with OscarShop() as shop: shop.url`` starts ``tests/support/oscar_site``
(django-oscar 4.2 and django-oscar-api 3.3 on Django 5.2, SQLite, Whoosh
search; see its settings.py) under waitress in a child process on a free
127.0.0.1 port, from a fresh copy of a prepared template, and stops it on
exit. ``shop.db`` reads the shop's own database; ``Guest`` is one anonymous
shopper walking the HTML flow below with ``requests``.

The template (migrations, ``seed_shop``, ``update_index``) is built once per
cache key -- the installed django, django-oscar, django-oscar-api,
djangorestframework and whoosh versions and a hash of every .py file of
oscar_site/ -- into ``$PEAKREADY_OSCAR_CACHE`` (default
``$TMPDIR/peakready-oscar/<key>/``), under a file lock; each start copies
its SQLite file and index folder to a scratch folder, removed on stop.
Measured on the 2-CPU dev machine: building the template 13-16 s; each
start (copy + process + first /healthz) 0.6-1.1 s.

What the shop holds (oscar_site/management/commands/seed_shop.py): category
"Winter" (pk 1), 10 products (pk 1-10 in seed order, e.g. 1 Wool Scarf
£12.00 SKU WS-01, 5 Snow Boots £74.00 SB-05, 6 Ski Jacket £129.00 SJ-06,
10 Last Sledge £45.00 with 3 in stock), GBP, no tax, one shipping method
("Free shipping", code ``free-shipping``), shipping countries GB and IE, and
the vouchers WELCOME10, LIMITED5, EXPIRED, MIN50.

Cookies and CSRF
----------------
Every HTML page carries a form (the header's language selector), so the
first GET sets ``csrftoken``. Every POST needs the form's hidden
``csrfmiddlewaretoken`` (the value in the page; the cookie's own value is
accepted too) or an ``X-CSRFToken`` header: without either, 403. Over plain
http Django checks no Referer. The anonymous basket is the signed cookie
``oscar_open_basket`` ("<basket id>:<signature>"), the checkout state lives
in the session (``sessionid``), messages in the ``messages`` cookie. One
``requests.Session`` per shopper carries all of them.

Messages (the outcome of a POST that redirects) are shown on the next page
rendered for that session, inside ``<div id="messages">`` as
``<div class="alert alert-dismissible alert-<tag>... fade show">`` with the
text in ``<div class="alertinner ...">`` (``messages()`` reads them). The
level is the tag among success / info / warning / danger (an error); some
messages carry more tags (``alert-safe alert-noicon alert-success``).

The HTML flow (every step by ``Guest``; status codes are without following
redirects; paths have no language prefix in this site -- the oscar sandbox
puts them under /en-gb/)
-----------------------------------------------------------------------
1. Catalogue. ``GET /catalogue/`` 200: all products, and the category links
   (``href="/catalogue/category/winter_1/"``: ``<slug>_<pk>``).
   ``GET /catalogue/category/winter_1/`` 200: each product in
   ``<article class="product_pod">`` with ``<a href="/catalogue/<slug>_<pk>/">``
   (20 a page, ``?page=2``).
2. Product. ``GET /catalogue/wool-scarf_1/`` 200: price in
   ``<p class="price_color">£12.00</p>``, stock in
   ``<p class="instock availability">`` ("In stock (100 available)"), and
   ``<form id="add_to_basket_form" action="/basket/add/1/" method="post">``
   with fields ``csrfmiddlewaretoken`` and ``quantity`` (hidden, "1").
3. Add to basket. ``POST /basket/add/<pk>/`` (csrfmiddlewaretoken, quantity)
   302 to the Referer as sent (absolute), or ``/basket/`` without one. Next
   page: success "Wool Scarf has been added to your basket." and info "Your
   basket total is now £12.00 ...".
4. Basket. ``GET /basket/`` 200: lines in ``<form id="basket_formset">``
   (form-TOTAL_FORMS ..., form-0-quantity), the voucher form
   ``<form id="voucher_form" action="/basket/vouchers/add/" method="post">``
   with ``csrfmiddlewaretoken`` and ``code`` (in a hidden div a browser opens
   with JavaScript; posting it needs none), and ``<div id="basket_totals">``:
   an applied voucher is a row "Voucher WELCOME10 (WELCOME10)" with its
   remove form (``POST /basket/vouchers/<id>/remove/``) and "-£12.90"; the
   order total is ``<h3 class="price_color">£116.10</h3>``.
5. Voucher. ``POST /basket/vouchers/add/`` (csrfmiddlewaretoken, code;
   case-insensitive, stripped) 302 to the Referer or ``/basket/``; an empty
   code 302 to ``/basket/#voucher``. The outcome is a message on the next
   ``GET /basket/``:
   - info "Voucher 'WELCOME10' added to basket"
   - danger "The 'EXPIRED' voucher has expired"
   - danger "No voucher found with code 'NOSUCHCODE'"
   - danger "The 'X' voucher is not active" (not started yet)
   - danger "You have already added the 'X' voucher to your basket"
   - warning "Your basket does not qualify for a voucher discount": the
     offer's condition is not met (MIN50 under £50) or its limit is used up
     (LIMITED5 after 5 orders); the code is taken off the basket again
   - danger "Please enter a voucher code" (empty code)
6. Checkout gateway. ``GET /checkout/`` 200 (an empty basket: 302 to
   ``/basket/`` with warning "You need to add some items to your basket to
   checkout"): one POST form without an action (posts to /checkout/) with
   ``csrfmiddlewaretoken``, ``username`` (the e-mail), ``options`` (radio:
   ``anonymous`` checked, ``existing``, ``new``) and ``password`` (blank).
   ``POST /checkout/`` with username=<email>, options=anonymous: 302 to
   ``/checkout/shipping-address/``; an invalid e-mail: 200, the form again.
7. Shipping address. ``GET /checkout/shipping-address/`` 200:
   ``<form id="new_shipping_address" action="/checkout/shipping-address/"
   method="post">`` with csrfmiddlewaretoken, first_name*, last_name*,
   line1*, line2, line3, line4* (town), state, postcode*, country* (a
   <select>: GB, IE; with one shipping country oscar drops the field),
   phone_number, notes (* required). A GB postcode must be a real one in
   form ("SW1A 1AA"). Valid: 302 to ``/checkout/shipping-method/``; invalid:
   200, each field's error in ``<span class="error-block">``, form-wide ones
   in ``<div class="alert alert-danger">`` ("Addresses in United Kingdom
   require a valid postcode").
8. ``GET /checkout/shipping-method/`` 302 to ``/checkout/payment-method/``
   (one method, chosen for you; with several it is a 200 form with
   ``method_code``).
9. ``GET /checkout/payment-method/`` 302 to ``/checkout/payment-details/``.
10. ``GET /checkout/payment-details/`` 200: no form, no payment taken (oscar's
    default PaymentDetailsView), a link ``<a id="view_preview"
    href="/checkout/preview/">Continue</a>``.
11. ``GET /checkout/preview/`` 200: the order total as on the basket, and
    ``<form id="place_order_form" action="/checkout/preview/" method="post">``
    with csrfmiddlewaretoken and ``action=place_order`` (hidden).
12. Place order. ``POST /checkout/preview/`` (csrfmiddlewaretoken,
    action=place_order) 302 to ``/checkout/thank-you/``; a failure is a 200
    preview page with the error in ``<div class="alert alert-danger">``
    above the content (``checkout_error()``).
13. ``GET /checkout/thank-you/`` 200: "your order number is
    <strong>100001</strong>" (100000 + the basket's id).
A checkout step whose precondition fails 302s back with a message: no
e-mail yet, any later step 302 to ``/checkout/`` with warning "Please either
sign in or enter your email address"; no address yet, shipping-method 302 to
``/checkout/shipping-address/``. The order placed is the basket as it is at
the place-order POST, not as the preview showed it (the form carries no
total).

The JSON API (django-oscar-api 3.3.0 under /api/; it works with oscar 4.2.1)
-------------------------------------------------------------------------
Anonymous calls need no CSRF token (DRF checks CSRF only for a signed-in
session); the basket is the session's (cookie ``sessionid``; the
``Session-Id`` header of HeaderSessionMiddleware is not enabled). Bodies are
JSON.

The API's basket is the storefront's. oscar-api keeps a guest's basket id in
the session only (oscarapi/basket/operations.py: ``get_anonymous_basket``
reads ``request.session[OSCAR_BASKET_COOKIE_OPEN]``, ``get_basket`` creates
a new empty basket when there is none), while oscar's pages keep it in the
``oscar_open_basket`` cookie. With oscar's own BasketMiddleware the API
would see a basket of its own, empty (checkout: 406 "Cannot checkout with
empty basket"). This site runs oscar-api's ``ApiBasketMiddleWare`` in its
place (oscar_site/settings.py), as oscar-api advises for a shop that mixes
the API with oscar's views: on each /api/ request it stores the cookie's
basket in the session (oscarapi/middleware.py ``ApiBasketMiddleWare.__call__``)
and on the answer sets the cookie to the session's basket
(``process_response``). So a guest who filled the basket through the pages
checks it out through the API with the same cookies, and after an API order
the pages show the new, empty basket the API started.
- ``GET /api/`` the endpoints; ``GET /api/products/`` [{url, id, title}];
  ``GET /api/products/<pk>/`` (``price``, ``availability``: URLs);
  ``GET /api/countries/``; ``GET /api/categories/``.
- ``GET /api/basket/`` 200: {id, url, total_incl_tax, voucher_discounts:
  [{name, amount, voucher: {code ...}}], offer_discounts, ...}.
- ``POST /api/basket/add-product/`` {"url": "<base>/api/products/6/",
  "quantity": 1} 200: the basket.
- ``POST /api/basket/add-voucher/`` {"vouchercode": "WELCOME10"} 200: the
  voucher {name, code, start_datetime, end_datetime}; refused: 406
  {"non_field_errors": ["The 'EXPIRED' voucher has expired"]} ("Voucher code
  unknown" for a code that does not exist).
- ``GET /api/basket/shipping-methods/`` [{code: "free-shipping", price ...}].
- ``POST /api/checkout/`` {"basket": <basket url>, "guest_email", "total"
  (the basket's total_incl_tax), "shipping_method_code", "shipping_charge":
  {"currency", "excl_tax", "tax"}, "shipping_address": {"country":
  "<base>/api/countries/GB/", first_name, last_name, line1, line4,
  postcode}} 200: the order {number, url, total_incl_tax, voucher_discounts:
  [{name, amount, voucher: {code ...}}], offer_discounts, ...}, placed at
  once: no payment step (a shop would add an "api-payment" view). Only
  basket and (for a guest) guest_email are required. ``total`` is checked
  against the order's total, shipping included (406 {"non_field_errors":
  ["Total incorrect 1.00 != 10.80"]}), ``shipping_charge`` against the
  method's price; an unknown shipping_method_code falls back to the default
  method; the address's postcode is not validated (the HTML form does).
  Refused: 406 {"non_field_errors": [...]} ("Cannot checkout with empty
  basket", "Guest email is required for anonymous checkouts") or a field's
  errors ({"guest_email": [...]}, {"shipping_address": {"country": [...]}});
  a basket already ordered: 401 "Unauthorized"; a basket link that does not
  exist: 400 ["Invalid hyperlink - Object does not exist."]. The ordered
  basket ends "Frozen" (oscar-api freezes it after oscar submitted it), and
  the answer's cookie names a new one.

The database (SQLite, read with ``ShopDatabase``; oscar's table names)
--------------------------------------------------------------------
- ``order_order``: one row per order (number, total_incl_tax, guest_email,
  status "Pending", basket_id); ``order_line`` (partner_sku, quantity).
- ``order_orderdiscount``: the discounts an order got (voucher_id,
  voucher_code, offer_id, offer_name, amount, frequency, category): the
  truth of "orders carrying a code".
- ``voucher_voucher``: code, usage, start/end_datetime, and the counters
  num_basket_additions, num_orders, total_discount ("reporting information.
  Not used to enforce any consumption limits", says oscar);
  ``voucher_voucherapplication``: one row per order placed with the voucher
  in its basket (inserted, never lost); ``voucher_voucher_offers``: the
  voucher's offers.
- ``offer_conditionaloffer``: the limit, ``max_global_applications``, and
  its counter ``num_applications`` (plus num_orders, total_discount,
  status "Open" / "Consumed" once the counter reaches the limit).
- ``partner_stockrecord``: partner_sku, num_in_stock, num_allocated (NULL
  until the first order; an order adds its quantity with an atomic
  UPDATE). Available = num_in_stock - num_allocated.

How oscar limits redemptions, and what it does under a race
-----------------------------------------------------------
A voucher's ``usage`` is Single use / Multi-use / Once per customer (that
one refuses guests), checked at place-order time against
voucher_voucherapplication. "At most N orders" is the offer's
``max_global_applications`` (LIMITED5: 5, with max_basket_applications 1);
it is checked when the basket's offers are applied (each request), and
counted by ``ConditionalOffer.record_usage``: ``num_applications +=
freq`` on the Python object loaded with the basket, then a save of the
whole row. tests/test_oscar_shop.py races 8 guests, each with LIMITED5 in a
reached preview, on place-order at once:
- shop serving requests concurrently (the default here): all 8 orders carry
  the discount (8 > 5), and every counter is clobbered: offer
  num_applications 1, voucher num_orders 1 and total_discount £1.20
  (against 8 voucher_voucherapplication rows and £9.60 of discounts), the
  offer still "Open" -- so the next guests get it too. Over-redeemed, and
  the shop's own counters hide it;
- shop serving one request at a time (``OscarShop(atomic_requests=True)``):
  the limit holds, 5 discounted and offer "Consumed"; the 3 others, whose
  preview showed £10.80, are charged £12.00 with no message. A new guest's
  LIMITED5 gets "Your basket does not qualify for a voucher discount".
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import html
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from tests.support.paths import ROOT

SITE = Path(__file__).resolve().parent / "oscar_site"
SETTINGS = "tests.support.oscar_site.settings"
READY_PREFIX = "oscar test shop listening on "  # what oscar_site/serve.py prints
PACKAGES = ("django", "django-oscar", "django-oscar-api", "djangorestframework", "whoosh")
CACHE_ENV = "PEAKREADY_OSCAR_CACHE"  # where templates are kept; a temp folder by default

# --------------------------------------------------------------------------
# the template: migrations + seed, once per cache key
# --------------------------------------------------------------------------


def cache_key() -> str:
    """The installed versions of the packages the site runs on and a hash of
    every file of the site: a change to either builds a new template."""
    digest = hashlib.sha256()
    for name in PACKAGES:
        try:
            digest.update(f"{name}=={metadata.version(name)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name} absent\n".encode())
    for path in sorted(SITE.rglob("*.py")):
        digest.update(str(path.relative_to(SITE)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def cache_root() -> Path:
    root = os.environ.get(CACHE_ENV) or Path(tempfile.gettempdir()) / "peakready-oscar"
    return Path(root)


@dataclass
class Template:
    """A prepared shop: ``db`` (the SQLite file) and ``index`` (Whoosh's folder)."""

    folder: Path
    prepare_seconds: float | None  # None: it was already in the cache

    @property
    def db(self) -> Path:
        return self.folder / "shop.sqlite3"

    @property
    def index(self) -> Path:
        return self.folder / "index"


_template_lock = threading.Lock()


def _site_env(db: Path, index: Path) -> dict[str, str]:
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": pythonpath,
            "DJANGO_SETTINGS_MODULE": SETTINGS, "OSCAR_SITE_DB": str(db),
            "OSCAR_SITE_INDEX": str(index)}


def prepared(timeout: float = 300.0) -> Template:
    """The template for the installed packages and the site's files, built
    on first use (``python -m tests.support.oscar_site.prepare`` into a
    scratch folder, then renamed into place, under a file lock so parallel
    test processes build it once). Templates of other keys are removed."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    key = cache_key()
    final = root / key
    if (final / "done").exists():
        return Template(final, None)
    with _template_lock, open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / "done").exists():
            return Template(final, None)
        started = time.monotonic()
        scratch = Path(tempfile.mkdtemp(prefix=f"{key}.building-", dir=root))
        try:
            out = subprocess.run(
                [sys.executable, "-m", "tests.support.oscar_site.prepare"], cwd=ROOT,
                env=_site_env(scratch / "shop.sqlite3", scratch / "index"),
                capture_output=True, text=True, timeout=timeout)
            if out.returncode:
                raise RuntimeError(f"preparing the oscar shop failed:\n{out.stderr[-3000:]}")
            (scratch / "done").write_text(f"{time.monotonic() - started:.1f}\n")
            for old in root.iterdir():
                if old.is_dir() and old != scratch:
                    shutil.rmtree(old, ignore_errors=True)
            scratch.rename(final)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return Template(final, time.monotonic() - started)


# --------------------------------------------------------------------------
# the shop's own database, read directly
# --------------------------------------------------------------------------


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class VoucherUsage:
    """What the shop recorded about one voucher code (see the docstring)."""

    code: str
    num_basket_additions: int   # voucher_voucher: times added to a basket
    num_orders: int             # voucher_voucher: orders placed with it in the basket
    total_discount: Decimal     # voucher_voucher
    applications: int           # rows of voucher_voucherapplication (one per order)
    orders_discounted: int      # orders whose order_orderdiscount carries the code
    discount_given: Decimal     # sum of those discounts' amounts
    offer_num_applications: int  # offer_conditionaloffer.num_applications (the limit's counter)
    offer_num_orders: int
    offer_max_global_applications: int | None
    offer_status: str           # "Open", "Consumed" (limit reached) or "Suspended"


@dataclass(frozen=True)
class Stock:
    sku: str
    num_in_stock: int
    num_allocated: int          # NULL in the table until the first order: 0 here

    @property
    def available(self) -> int:
        return self.num_in_stock - self.num_allocated


class ShopDatabase:
    """Read-only queries on the shop's SQLite file, safe while it serves (WAL)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def rows(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def count_orders(self) -> int:
        return self.rows("SELECT COUNT(*) FROM order_order")[0][0]

    def order_numbers(self) -> list[str]:
        return [r[0] for r in self.rows("SELECT number FROM order_order ORDER BY id")]

    def order(self, number: str) -> dict[str, Any]:
        """One order: its totals, guest e-mail, status and discounts."""
        (oid, total, email, status, basket_id), = self.rows(
            "SELECT id, total_incl_tax, guest_email, status, basket_id FROM order_order"
            " WHERE number = ?", number)
        discounts = [{"voucher_code": code, "offer": offer, "amount": _money(amount),
                      "frequency": freq, "category": cat}
                     for code, offer, amount, freq, cat in self.rows(
                         "SELECT voucher_code, offer_name, amount, frequency, category"
                         " FROM order_orderdiscount WHERE order_id = ? ORDER BY id", oid)]
        lines = self.rows("SELECT partner_sku, quantity FROM order_line WHERE order_id = ?", oid)
        return {"number": number, "total": _money(total), "guest_email": email,
                "status": status, "basket_id": basket_id, "discounts": discounts,
                "lines": dict(lines)}

    def orders_with_voucher(self, code: str) -> int:
        """Orders whose recorded discounts carry this voucher code."""
        return self.rows("SELECT COUNT(DISTINCT order_id) FROM order_orderdiscount"
                         " WHERE voucher_code = ?", code.upper())[0][0]

    def voucher_usage(self, code: str) -> VoucherUsage:
        (vid, adds, orders, total), = self.rows(
            "SELECT id, num_basket_additions, num_orders, total_discount FROM voucher_voucher"
            " WHERE code = ?", code.upper())
        applications = self.rows(
            "SELECT COUNT(*) FROM voucher_voucherapplication WHERE voucher_id = ?", vid)[0][0]
        discounted, given = self.rows(
            "SELECT COUNT(DISTINCT order_id), COALESCE(SUM(amount), 0) FROM order_orderdiscount"
            " WHERE voucher_id = ?", vid)[0]
        (napps, norders, cap, status), = self.rows(
            "SELECT o.num_applications, o.num_orders, o.max_global_applications, o.status"
            " FROM offer_conditionaloffer o JOIN voucher_voucher_offers vo"
            " ON vo.conditionaloffer_id = o.id WHERE vo.voucher_id = ?", vid)
        return VoucherUsage(code.upper(), adds, orders, _money(total), applications, discounted,
                            _money(given), napps, norders, cap, status)

    def stock(self, sku: str) -> Stock:
        (num, allocated), = self.rows(
            "SELECT num_in_stock, num_allocated FROM partner_stockrecord WHERE partner_sku = ?",
            sku)
        return Stock(sku, num, allocated or 0)


# --------------------------------------------------------------------------
# the shop process
# --------------------------------------------------------------------------


class OscarShop:
    """A django-oscar shop on a free loopback port, from a fresh copy of the
    template: ``with OscarShop() as shop: shop.url``; ``shop.db`` reads its
    database (``shop.db.count_orders()``, ``shop.db.voucher_usage("WELCOME10")``)."""

    def __init__(self, *, threads: int = 16, atomic_requests: bool = False,
                 log_path: str | Path | None = None) -> None:
        self.threads = threads
        self.atomic_requests = atomic_requests
        self.log_path = log_path
        self.url = ""
        self.proc: subprocess.Popen[str] | None = None
        self.folder: Path | None = None
        self.template: Template | None = None
        self.start_seconds = 0.0  # copy + process start + first /healthz answer

    @property
    def db(self) -> ShopDatabase:
        assert self.folder is not None, "start the shop first"
        return ShopDatabase(self.folder / "shop.sqlite3")

    def count_orders(self) -> int:
        return self.db.count_orders()

    def voucher_usage(self, code: str) -> VoucherUsage:
        return self.db.voucher_usage(code)

    def start(self, timeout: float = 30.0) -> OscarShop:
        self.template = prepared()
        started = time.monotonic()
        self.folder = Path(tempfile.mkdtemp(prefix="peakready-oscar-shop-"))
        shutil.copyfile(self.template.db, self.folder / "shop.sqlite3")
        shutil.copytree(self.template.index, self.folder / "index")
        stderr = open(self.log_path, "a") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.oscar_site.serve", "0", str(self.threads)],
            cwd=ROOT, env={**_site_env(self.folder / "shop.sqlite3", self.folder / "index"),
                           "OSCAR_SITE_ATOMIC_REQUESTS": "1" if self.atomic_requests else "0"},
            stdout=subprocess.PIPE, stderr=stderr, text=True, start_new_session=True)
        if stderr is not subprocess.DEVNULL:
            stderr.close()
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith(READY_PREFIX):
            self.stop()
            raise RuntimeError(f"oscar shop did not start (said {line.strip()!r})")
        self.url = line[len(READY_PREFIX):].split()[0]
        deadline = started + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{self.url}/healthz", timeout=5).ok:
                    self.start_seconds = time.monotonic() - started
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"oscar shop at {self.url} did not answer /healthz in {timeout}s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> OscarShop:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


# --------------------------------------------------------------------------
# the HTML: forms and messages
# --------------------------------------------------------------------------


@dataclass
class Form:
    """A <form> as a browser would submit it: its successful controls' values."""

    id: str | None
    action: str | None
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.form = Form(a.get("id"), a.get("action"), (a.get("method") or "get").lower())
            self.forms.append(self.form)
        elif self.form is None or (not a.get("name") and tag != "option"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.form.fields[a["name"]] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select:
            if self.select not in self.form.fields or "selected" in a:
                self.form.fields[self.select] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = a["name"]
            self.form.fields[self.textarea] = ""

    def handle_data(self, data: str) -> None:
        if self.form and self.textarea:
            self.form.fields[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def forms(page: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(page)
    return parser.forms


def form(page: str, *, id: str | None = None, action: str | None = None,
         has: str | None = None) -> Form:
    """The one form with this id, or this action, or a field of this name."""
    found = [f for f in forms(page)
             if (id is None or f.id == id) and (action is None or f.action == action)
             and (has is None or has in f.fields)]
    if len(found) != 1:
        raise AssertionError(f"{len(found)} forms match id={id} action={action} has={has}")
    return found[0]


_ALERT = re.compile(r'<div class="alert alert-dismissible (?P<tags>[^"]*)"[^>]*>.*?'
                    r'<div class="alertinner[^"]*">(?P<text>.*?)</div>', re.S)
_LEVELS = ("danger", "warning", "success", "info", "debug")
_CHECKOUT_ERROR = re.compile(r'<div class="alert alert-danger">(?P<text>.*?)</div>', re.S)


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", fragment))).strip()


def messages(page: str) -> list[tuple[str, str]]:
    """Django messages as oscar renders them (partials/alert_messages.html,
    inside <div id="messages">): [(level, text)], level one of success,
    info, warning, danger (an error)."""
    found = []
    for m in _ALERT.finditer(page):
        tags = {t.removeprefix("alert-") for t in m["tags"].split()}
        found.append((next((lv for lv in _LEVELS if lv in tags), ""), _text(m["text"])))
    return found


def checkout_error(page: str) -> str | None:
    """The error a checkout page shows above its content (checkout.html's
    ``{% if error %}``), e.g. when placing the order failed."""
    m = _CHECKOUT_ERROR.search(page)
    return _text(m["text"]) if m else None


def price(page: str) -> str | None:
    """The product page's price: <p class="price_color">£12.00</p>."""
    m = re.search(r'<p class="price_color">([^<]+)</p>', page)
    return html.unescape(m[1]).strip() if m else None


def order_total(page: str) -> str | None:
    """The basket's (and preview's) order total: <h3 class="price_color"> in #basket_totals."""
    m = re.search(r'<h3 class="price_color">\s*([^<]+?)\s*</h3>', page)
    return html.unescape(m[1]) if m else None


# --------------------------------------------------------------------------
# a guest shopper going through the HTML pages
# --------------------------------------------------------------------------

ADDRESS = {"first_name": "Grace", "last_name": "Guest", "line1": "1 Test Street",
           "line4": "London", "postcode": "SW1A 1AA", "country": "GB"}


class StepFailed(AssertionError):
    pass


class Guest:
    """One anonymous shopper (its own cookies: session, csrftoken, basket)
    driving the HTML flow the module docstring describes. Each step checks
    the status and redirect it expects and raises StepFailed otherwise."""

    def __init__(self, url: str, email: str = "guest@example.com") -> None:
        self.url = url
        self.email = email
        self.http = requests.Session()
        self.last: requests.Response | None = None

    def _go(self, method: str, path: str, expect: int, data: dict[str, str] | None = None,
            location: str | None = None, referer: str | None = None) -> requests.Response:
        headers = {"Referer": self.url + referer} if referer else {}
        r = self.http.request(method, self.url + path, data=data, headers=headers,
                              allow_redirects=False, timeout=60)
        self.last = r
        got = r.headers.get("Location", "")
        if r.status_code != expect or (location is not None and
                                       got.removeprefix(self.url) != location):
            raise StepFailed(f"{method} {path}: {r.status_code} {got} (wanted {expect}"
                             f" {location or ''}) {checkout_error(r.text) or messages(r.text)}")
        return r

    def get(self, path: str, expect: int = 200, location: str | None = None) -> str:
        return self._go("GET", path, expect, location=location).text

    def add_to_basket(self, product_path: str, quantity: int = 1) -> list[tuple[str, str]]:
        """GET the product page, POST its #add_to_basket_form: 302 back to the
        product page (the Referer), whose next GET shows the message."""
        f = form(self.get(product_path), id="add_to_basket_form")
        f.fields["quantity"] = str(quantity)
        self._go("POST", f.action or "", 302, f.fields, location=product_path,
                 referer=product_path)
        return messages(self.get(product_path))

    def apply_voucher(self, code: str) -> list[tuple[str, str]]:
        """POST #voucher_form of /basket/: 302 to /basket/, whose GET shows
        the outcome as a message (info: added; danger/warning: refused)."""
        f = form(self.get("/basket/"), id="voucher_form")
        f.fields["code"] = code
        self._go("POST", f.action or "", 302, f.fields, location="/basket/", referer="/basket/")
        return messages(self.get("/basket/"))

    def basket(self) -> str:
        return self.get("/basket/")

    def to_preview(self, address: dict[str, str] | None = None) -> Form:
        """Gateway (guest e-mail), shipping address, the redirects through
        shipping and payment method, payment details, and the preview page:
        returns the preview's #place_order_form."""
        gateway = form(self.get("/checkout/"), has="username")
        gateway.fields.update(username=self.email, options="anonymous")
        self._go("POST", "/checkout/", 302, gateway.fields, location="/checkout/shipping-address/")
        shipping = form(self.get("/checkout/shipping-address/"), id="new_shipping_address")
        shipping.fields.update(address or ADDRESS)
        self._go("POST", "/checkout/shipping-address/", 302, shipping.fields,
                 location="/checkout/shipping-method/")
        self.get("/checkout/shipping-method/", 302, location="/checkout/payment-method/")
        self.get("/checkout/payment-method/", 302, location="/checkout/payment-details/")
        details = self.get("/checkout/payment-details/")
        if 'href="/checkout/preview/"' not in details:
            raise StepFailed("payment details page has no link to /checkout/preview/")
        return form(self.get("/checkout/preview/"), id="place_order_form")

    def place_order(self, place: Form) -> str:
        """POST the preview's form (action=place_order): 302 to
        /checkout/thank-you/ when the order is placed; returns its number.
        A refusal is a 200 preview page with the error above its content."""
        r = self._go("POST", place.action or "", 302, place.fields,
                     location="/checkout/thank-you/")
        del r
        thanks = self.get("/checkout/thank-you/")
        m = re.search(r"your order number is\s*<strong>(\w+)</strong>", thanks)
        if not m:
            raise StepFailed("thank-you page without an order number")
        return m[1]

    def checkout(self, address: dict[str, str] | None = None) -> str:
        return self.place_order(self.to_preview(address))
