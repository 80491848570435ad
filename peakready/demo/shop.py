"""The demo storefront: a small but real shop that peakready loads and checks.

HTML landing, collection and product pages (recording the landing request's
UTM parameters on the session), a JSON cart API with promo codes, a native
multi-step checkout, a one-step wallet checkout, a link shortener and an
attribution log. ``unsafe_promo_race`` makes redemption check-then-increment
without a lock (the count is checked when a code enters a cart and bumped
after the order), the classic Black Friday over-redemption bug;
``attribution_drop_every`` loses every Nth order from the attribution log.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flask import Flask, Response, g, jsonify, redirect, render_template_string, request

from peakready.demo import pages, shopify_api
from peakready.demo.db import COLLECTIONS, ThreadConnections, iso
from peakready.demo.pricing import (
    SHIPPING,
    Promo,
    PromoRejected,
    check_applicable,
    euros,
    find_promo,
    totals,
)

COOKIE = "pr_sid"
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
DECLINED_CARD = "4000000000000002"
# Back-office and health endpoints do not start shopper sessions.
SESSIONLESS = ("/healthz", "/api/attribution", "/api/promos", "/api/orders", "/api/products")


def create_app(db_path: str, *, unsafe_promo_race: bool = False,
               attribution_drop_every: int = 0,
               clock: Callable[[], dt.datetime] | None = None) -> Flask:
    app = Flask("peakready-demo-shop")
    conns = ThreadConnections(db_path)
    now = clock or (lambda: dt.datetime.now(dt.UTC))
    nav = list(COLLECTIONS.items())

    def db() -> sqlite3.Connection:
        return conns.get()

    def page(title: str, body_tpl: str, status: int = 200, **ctx: Any) -> Response:
        body = render_template_string(body_tpl, **ctx)
        html = render_template_string(pages.LAYOUT, title=title, body=body, collections=nav)
        return Response(html, status=status, mimetype="text/html")

    def error(status: int, message: str) -> Response:
        resp = jsonify(error=message)
        resp.status_code = status
        return resp

    def body() -> dict[str, Any]:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else request.form.to_dict()

    # -- sessions ---------------------------------------------------------
    @app.before_request
    def _session() -> None:
        g.new_session = False
        if request.path.startswith(SESSIONLESS):
            return
        sid = request.cookies.get(COOKIE)
        if sid and db().execute("SELECT 1 FROM sessions WHERE id = ?", (sid,)).fetchone():
            g.sid = sid
            return
        g.sid = secrets.token_urlsafe(16)
        g.new_session = True
        utm = [request.args.get(k) for k in UTM_KEYS]
        db().execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (g.sid, iso(now()), request.full_path.rstrip("?"), *utm))

    @app.after_request
    def _cookie(resp: Response) -> Response:
        if getattr(g, "new_session", False):
            resp.set_cookie(COOKIE, g.sid, httponly=True, samesite="Lax")
        return resp

    # -- pages ------------------------------------------------------------
    def product_view(row: sqlite3.Row) -> dict[str, Any]:
        return {**dict(row), "price": euros(row["price_cents"])}

    @app.get("/")
    def home() -> Response:
        rows = db().execute("SELECT * FROM products WHERE id % 5 = 1 ORDER BY id").fetchall()
        return page("Home", pages.HOME, featured=[product_view(r) for r in rows])

    @app.get("/collections/<slug>")
    def collection(slug: str) -> Response:
        if slug not in COLLECTIONS:
            return page("Not found", pages.NOT_FOUND, 404)
        rows = db().execute("SELECT * FROM products WHERE collection = ? ORDER BY price_cents",
                            (slug,)).fetchall()
        return page(COLLECTIONS[slug], pages.COLLECTION, name=COLLECTIONS[slug],
                    products=[product_view(r) for r in rows])

    @app.get("/products/<slug>")
    def product(slug: str) -> Response:
        row = db().execute("SELECT * FROM products WHERE slug = ?", (slug,)).fetchone()
        if row is None:
            return page("Not found", pages.NOT_FOUND, 404)
        related = db().execute(
            "SELECT slug, name FROM products WHERE collection = ? AND id != ? LIMIT 4",
            (row["collection"], row["id"])).fetchall()
        return page(row["name"], pages.PRODUCT, p=row, price=euros(row["price_cents"]),
                    related=related)

    @app.get("/checkout")
    def checkout_page() -> Response:
        lines, t = cart_state()
        return page("Cart", pages.CHECKOUT, lines=lines, subtotal=euros(t.subtotal),
                    total=euros(t.total))

    @app.get("/go/<slug>")
    def short_link(slug: str) -> Response:
        row = db().execute("SELECT * FROM short_links WHERE slug = ?", (slug,)).fetchone()
        if row is None:
            return page("Not found", pages.NOT_FOUND, 404)
        target = row["target"].split("?")[0] if row["drops_query"] else row["target"]
        return redirect(target, code=301)

    @app.get("/healthz")
    def healthz() -> Response:
        db().execute("SELECT 1").fetchone()
        return jsonify(ok=True)

    # -- cart -------------------------------------------------------------
    def applied_promos(sid: str) -> list[Promo]:
        rows = db().execute(
            "SELECT p.* FROM cart_promos c JOIN promos p ON p.code = c.code"
            " WHERE c.session_id = ? ORDER BY c.rowid", (sid,)).fetchall()
        return [Promo.from_row(r) for r in rows]

    def cart_state(shipping: str = "standard") -> tuple[list[dict], Any]:
        rows = db().execute(
            "SELECT p.id, p.slug, p.name, p.price_cents, c.quantity FROM cart_items c"
            " JOIN products p ON p.id = c.product_id WHERE c.session_id = ? ORDER BY p.id",
            (g.sid,)).fetchall()
        lines = [{**dict(r), "price": euros(r["price_cents"] * r["quantity"])} for r in rows]
        subtotal = sum(r["price_cents"] * r["quantity"] for r in rows)
        return lines, totals(subtotal, applied_promos(g.sid), shipping)

    def cart_json(shipping: str = "standard") -> dict[str, Any]:
        lines, t = cart_state(shipping)
        return {"lines": [{k: ln[k] for k in ("slug", "name", "price_cents", "quantity")}
                          for ln in lines], **t.as_json()}

    @app.get("/api/products")
    def products_api() -> Response:
        rows = db().execute("SELECT id, slug, name, collection, price_cents FROM products"
                            " ORDER BY id").fetchall()
        return jsonify(products=[dict(r) for r in rows])

    @app.get("/api/cart")
    def cart_view() -> Response:
        return jsonify(cart_json())

    @app.post("/api/cart/items")
    def cart_add() -> Response:
        data = body()
        try:
            qty = int(data.get("quantity", 1))
        except (TypeError, ValueError):
            return error(400, "quantity must be a whole number")
        if not 1 <= qty <= 99:
            return error(400, "quantity must be between 1 and 99")
        row = db().execute("SELECT id FROM products WHERE slug = ?",
                           (str(data.get("product", "")),)).fetchone()
        if row is None:
            return error(404, "no such product")
        db().execute(
            "INSERT INTO cart_items VALUES (?, ?, ?) ON CONFLICT (session_id, product_id)"
            " DO UPDATE SET quantity = MIN(99, quantity + excluded.quantity)",
            (g.sid, row["id"], qty))
        return jsonify(cart_json())

    @app.post("/api/cart/promo")
    def cart_promo() -> Response:
        entered = str(body().get("code", ""))
        _, t = cart_state()
        try:
            promo = check_applicable(find_promo(db(), entered), entered, t.subtotal,
                                     applied_promos(g.sid), now())
        except PromoRejected as exc:
            return error(422, str(exc))
        db().execute("INSERT OR IGNORE INTO cart_promos VALUES (?, ?)", (g.sid, promo.code))
        return jsonify(cart_json())

    @app.delete("/api/cart/promo/<code>")
    def cart_promo_remove(code: str) -> Response:
        db().execute("DELETE FROM cart_promos WHERE session_id = ? AND UPPER(code) = UPPER(?)",
                     (g.sid, code.strip()))
        return jsonify(cart_json())

    # -- checkout ---------------------------------------------------------
    @app.post("/api/checkout")
    def checkout_start() -> Response:
        if not cart_state()[0]:
            return error(409, "your cart is empty")
        cid = secrets.token_urlsafe(12)
        db().execute("INSERT INTO checkouts (id, session_id, created_at) VALUES (?, ?, ?)",
                     (cid, g.sid, iso(now())))
        return jsonify(checkout_id=cid, cart=cart_json())

    def own_checkout(cid: str) -> sqlite3.Row | None:
        return db().execute("SELECT * FROM checkouts WHERE id = ? AND session_id = ?",
                            (cid, g.sid)).fetchone()

    @app.post("/api/checkout/<cid>/address")
    def checkout_address(cid: str) -> Response:
        if own_checkout(cid) is None:
            return error(404, "no such checkout")
        data = body()
        address = data.get("address") or {}
        missing = [k for k in ("name", "street", "city", "postcode", "country")
                   if not str(address.get(k, "")).strip()]
        if "@" not in str(data.get("email", "")) or missing:
            return error(422, f"missing or invalid: {', '.join(missing) or 'email'}")
        db().execute("UPDATE checkouts SET email = ?, address = ? WHERE id = ?",
                     (data["email"], json.dumps(address), cid))
        return jsonify(ok=True, cart=cart_json())

    @app.post("/api/checkout/<cid>/shipping")
    def checkout_shipping(cid: str) -> Response:
        co = own_checkout(cid)
        if co is None or co["address"] is None:
            return error(409, "enter an address first")
        method = str(body().get("method", "standard"))
        if method not in SHIPPING:
            return error(422, f"unknown shipping method; choose one of {', '.join(SHIPPING)}")
        db().execute("UPDATE checkouts SET shipping_method = ? WHERE id = ?", (method, cid))
        return jsonify(cart=cart_json(method))

    @app.post("/api/checkout/<cid>/pay")
    def checkout_pay(cid: str) -> Response:
        co = own_checkout(cid)
        if co is None or co["shipping_method"] is None:
            return error(409, "choose a shipping method first")
        if str(body().get("card_number", "")).replace(" ", "") == DECLINED_CARD:
            return error(402, "the card was declined")
        return place_order("card", co["shipping_method"])

    @app.post("/api/wallet/pay")
    def wallet_pay() -> Response:
        if not str(body().get("wallet_token", "")).startswith("tok_"):
            return error(422, "a wallet token is required")
        return place_order("wallet", "standard")

    def place_order(method: str, shipping: str) -> Response:
        conn = db()
        # The unsafe shop checked the usage count when the code entered the cart and
        # trusts that at order time, so every cart already holding the code redeems it.
        stale = applied_promos(g.sid)
        conn.execute("BEGIN IMMEDIATE")
        try:
            lines = conn.execute(
                "SELECT p.id, p.price_cents, c.quantity FROM cart_items c JOIN products p"
                " ON p.id = c.product_id WHERE c.session_id = ?", (g.sid,)).fetchall()
            if not lines:
                conn.execute("ROLLBACK")
                return error(409, "your cart is empty")
            promos = stale if unsafe_promo_race else applied_promos(g.sid)
            subtotal = sum(r["price_cents"] * r["quantity"] for r in lines)
            for p in promos:  # dates and minimum spend are re-checked at order time
                try:
                    check_applicable(replace(p, usage_limit=None) if unsafe_promo_race else p,
                                     p.code, subtotal, [], now())
                except PromoRejected as exc:
                    conn.execute("ROLLBACK")
                    return error(409, str(exc))
                if not unsafe_promo_race:
                    cur = conn.execute(
                        "UPDATE promos SET used = used + 1 WHERE code = ?"
                        " AND (usage_limit IS NULL OR used < usage_limit)", (p.code,))
                    if cur.rowcount != 1:
                        conn.execute("ROLLBACK")
                        return error(409, f"The code {p.code} has been fully redeemed.")
            t = totals(subtotal, promos, shipping)
            codes = ",".join(p.code for p in promos)
            stamp = iso(now())
            order_id = conn.execute(
                "INSERT INTO orders (session_id, created_at, payment_method, subtotal_cents,"
                " discount_cents, shipping_cents, total_cents, promo_codes)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (g.sid, stamp, method, t.subtotal, t.subtotal + t.shipping - t.total,
                 t.shipping, t.total, codes)).lastrowid
            for r in lines:
                conn.execute("INSERT INTO order_lines VALUES (?, ?, ?, ?)",
                             (order_id, r["id"], r["quantity"], r["price_cents"]))
                conn.execute("UPDATE products SET stock = stock - ? WHERE id = ?",
                             (r["quantity"], r["id"]))
            if not (attribution_drop_every and order_id % attribution_drop_every == 0):
                conn.execute(
                    "INSERT INTO attribution SELECT ?, id, ?, utm_source, utm_medium,"
                    " utm_campaign, utm_content, utm_term, ?, ? FROM sessions WHERE id = ?",
                    (order_id, stamp, codes, t.total, g.sid))
            conn.execute("DELETE FROM cart_items WHERE session_id = ?", (g.sid,))
            conn.execute("DELETE FROM cart_promos WHERE session_id = ?", (g.sid,))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if unsafe_promo_race:  # ...and increments later, without a guard
            for p in promos:
                conn.execute("UPDATE promos SET used = used + 1 WHERE code = ?", (p.code,))
        return jsonify(order_id=order_id, payment_method=method, promo_codes=codes,
                       **t.as_json())

    # -- back office --------------------------------------------------------
    @app.get("/api/attribution")
    def attribution() -> Response:
        after = request.args.get("after", 0, type=int)
        limit = min(request.args.get("limit", 1000, type=int), 10000)
        rows = db().execute("SELECT * FROM attribution WHERE order_id > ? ORDER BY order_id"
                            " LIMIT ?", (after, limit)).fetchall()
        orders = [dict(r) for r in rows]
        return jsonify(orders=orders, next_after=orders[-1]["order_id"] if orders else after)

    @app.get("/api/orders/count")
    def orders_count() -> Response:
        n = db().execute("SELECT COUNT(*) FROM orders").fetchone()[0]
        return jsonify(orders=n)

    @app.get("/api/promos")
    def promos_api() -> Response:
        rows = db().execute("SELECT * FROM promos ORDER BY code").fetchall()
        return jsonify(promos=[dict(r) for r in rows])

    @app.errorhandler(404)
    def _404(_: Exception) -> Response:
        if request.path.startswith("/api/"):
            return error(404, "not found")
        return page("Not found", pages.NOT_FOUND, 404)

    shopify_api.register(app, db, now)  # the Shopify-style AJAX cart API
    return app
