"""Shopify-style AJAX cart endpoints on the demo storefront, so peakready's
``shopify`` adapter is tested against a real server process.

They follow the shapes of Shopify's Online Store AJAX API
(https://shopify.dev/docs/api/ajax): ``GET /products.json`` (variants with
prices as strings in major units), ``POST /cart/add.js``, ``GET /cart.js``
(amounts in minor units, ``discount_codes``) and ``GET /discount/CODE``,
which applies a code and redirects to ``?redirect=``. They share the demo's
carts and promo rules (``pricing.py``), bugs included, so what the native
API gets wrong, this one gets wrong too.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, jsonify, redirect, request

from peakready.demo.pricing import (
    CURRENCY,
    Promo,
    PromoRejected,
    check_applicable,
    find_promo,
    totals,
)


def _major(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _problem(status: int, message: str, description: str) -> Response:
    resp = jsonify(status=status, message=message, description=description)
    resp.status_code = status
    return resp


def register(app: Flask, db: Callable[[], sqlite3.Connection],
             now: Callable[[], dt.datetime]) -> None:
    def lines() -> list[sqlite3.Row]:
        return db().execute(
            "SELECT p.id, p.slug, p.name, p.price_cents, c.quantity FROM cart_items c"
            " JOIN products p ON p.id = c.product_id WHERE c.session_id = ? ORDER BY p.id",
            (g.sid,)).fetchall()

    def applied() -> list[Promo]:
        rows = db().execute(
            "SELECT p.* FROM cart_promos c JOIN promos p ON p.code = c.code"
            " WHERE c.session_id = ? ORDER BY c.rowid", (g.sid,)).fetchall()
        return [Promo.from_row(r) for r in rows]

    def cart() -> dict[str, Any]:
        rows = lines()
        subtotal = sum(r["price_cents"] * r["quantity"] for r in rows)
        t = totals(subtotal, applied())
        discount = sum(a for _, a in t.discounts)
        return {
            "token": g.sid, "currency": CURRENCY, "item_count": sum(r["quantity"] for r in rows),
            "items": [{"id": r["id"], "variant_id": r["id"], "handle": r["slug"],
                       "title": r["name"], "quantity": r["quantity"], "price": r["price_cents"],
                       "line_price": r["price_cents"] * r["quantity"]} for r in rows],
            "original_total_price": subtotal, "items_subtotal_price": subtotal,
            "total_discount": discount, "total_price": subtotal - discount,
            "cart_level_discount_applications": [
                {"type": "discount_code", "title": c, "total_allocated_amount": a}
                for c, a in t.discounts],
            "discount_codes": [{"code": c, "applicable": True} for c, _ in t.discounts],
        }

    @app.get("/products.json")
    def shopify_products() -> Response:
        rows = db().execute("SELECT id, slug, name, price_cents, stock FROM products"
                            " ORDER BY id LIMIT ?",
                            (min(request.args.get("limit", 30, type=int), 250),)).fetchall()
        return jsonify(products=[
            {"id": r["id"], "handle": r["slug"], "title": r["name"],
             "variants": [{"id": r["id"], "title": "Default Title",
                           "price": _major(r["price_cents"]), "available": r["stock"] > 0}]}
            for r in rows])

    @app.post("/cart/add.js")
    def shopify_cart_add() -> Response:
        data = request.get_json(silent=True) or request.form.to_dict()
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            items = [data]
        added = []
        for item in items:
            try:
                vid, qty = int(item.get("id")), int(item.get("quantity", 1))
            except (AttributeError, TypeError, ValueError):
                return _problem(422, "Cart Error", "Parameter Missing or Invalid")
            if not 1 <= qty <= 99:
                return _problem(422, "Cart Error", "Quantity must be between 1 and 99")
            if db().execute("SELECT 1 FROM products WHERE id = ?", (vid,)).fetchone() is None:
                return _problem(404, "Cart Error", "Cannot find variant")
            db().execute(
                "INSERT INTO cart_items VALUES (?, ?, ?) ON CONFLICT (session_id, product_id)"
                " DO UPDATE SET quantity = MIN(99, quantity + excluded.quantity)",
                (g.sid, vid, qty))
            added.append({"id": vid, "variant_id": vid, "quantity": qty})
        return jsonify(items=added)

    @app.get("/cart.js")
    def shopify_cart() -> Response:
        return jsonify(cart())

    @app.get("/discount/<code>")
    def shopify_discount(code: str) -> Response:
        # Shopify answers with a redirect whether or not the code applies; a code
        # that does not apply is simply absent from cart.js's discount_codes.
        subtotal = sum(r["price_cents"] * r["quantity"] for r in lines())
        try:
            promo = check_applicable(find_promo(db(), code), code, subtotal, applied(), now())
        except PromoRejected:
            pass
        else:
            db().execute("INSERT OR IGNORE INTO cart_promos VALUES (?, ?)", (g.sid, promo.code))
        target = request.args.get("redirect", "/checkout")
        if not target.startswith("/") or target.startswith("//"):
            target = "/checkout"  # never an open redirect
        return redirect(target, code=302)
