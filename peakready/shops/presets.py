"""The shipped adapters, as data: the same model a scenario's ``declarative:``
block fills, so every adapter is driven by one engine and a new platform is
a new entry here, not new code.

- ``demo``: the demo storefront's JSON API (``peakready demo-shop``): carts,
  codes, its native checkout, ``/api/attribution`` and ``/api/promos``.
- ``shopify``: the Shopify Online Store AJAX API (``/products.json``,
  ``/cart/add.js``, ``/cart.js``, ``/discount/CODE?redirect=/cart.js``).
  Amounts in ``cart.js`` are in minor units, in ``products.json`` strings in
  major units. A storefront has no API to complete a checkout or to read
  attribution (those are Admin API), and ``cart.js`` does not say why a code
  did not apply, so this adapter does not place orders and does not read
  messages; use ``declarative`` with your own back-office endpoints for that.
"""

from __future__ import annotations

from peakready.shops.declarative_config import DeclarativeConfig

# A test shopper; the demo shop accepts any well-formed address.
_ADDRESS = {"name": "Peakready Check", "street": "1 Probe Lane", "city": "Testville",
            "postcode": "10115", "country": "DE"}

DEMO = DeclarativeConfig.model_validate({
    "products": {"path": "/api/products", "items": "products",
                 "fields": {"id": "slug", "price": "price_cents"}},
    "add_item": {"method": "POST", "path": "/api/cart/items",
                 "body": {"product": "{product}", "quantity": "{quantity}"}},
    "apply_code": {"method": "POST", "path": "/api/cart/promo", "body": {"code": "{code}"}},
    "cart": {"path": "/api/cart"},
    "cart_fields": {"subtotal": "subtotal_cents", "total": "total_cents",
                    "discount": "discount_cents", "shipping": "shipping_cents",
                    "currency": "currency", "codes": "discounts[].code", "error": "error"},
    "checkout": [
        {"method": "POST", "path": "/api/checkout", "save": {"checkout": "checkout_id"}},
        {"method": "POST", "path": "/api/checkout/{checkout}/address",
         "body": {"email": "promo-check@example.test", "address": _ADDRESS}},
        {"method": "POST", "path": "/api/checkout/{checkout}/shipping",
         "body": {"method": "standard"}},
        {"method": "POST", "path": "/api/checkout/{checkout}/pay",
         "body": {"card_number": "4242 4242 4242 4242"}},
    ],
    "order": {"id": "order_id", "codes": "promo_codes"},
    "attribution": {"path": "/api/attribution", "query": {"after": "{after}", "limit": 500},
                    "items": "orders", "next": "next_after",
                    "fields": {"order_id": "order_id", "utm_source": "utm_source",
                               "utm_medium": "utm_medium", "utm_campaign": "utm_campaign",
                               "codes": "promo_codes"}},
    "code_info": {"path": "/api/promos", "items": "promos",
                  "fields": {"code": "code", "starts_at": "starts_at", "ends_at": "ends_at",
                             "usage_limit": "usage_limit", "used": "used"}},
})

SHOPIFY = DeclarativeConfig.model_validate({
    "products": {"path": "/products.json", "query": {"limit": 250},
                 "items": "products[].variants[] | [?available != `false`]",
                 "fields": {"id": "id", "price": "price"}, "amounts": "major"},
    "add_item": {"method": "POST", "path": "/cart/add.js",
                 "body": {"items": [{"id": "{product}", "quantity": "{quantity}"}]}},
    "apply_code": {"path": "/discount/{code}", "query": {"redirect": "/cart.js"}},
    "cart": {"path": "/cart.js"},
    "cart_fields": {"subtotal": "original_total_price", "total": "total_price",
                    "discount": "total_discount", "currency": "currency",
                    "codes": "discount_codes[?applicable].code", "error": "description"},
    "messages": False,
})

PRESETS: dict[str, DeclarativeConfig] = {"demo": DEMO, "shopify": SHOPIFY}
