"""The session flows a shopper can take, and the steps each one makes.

This is the shared vocabulary of the scenario (flow kinds, SLO step names),
the Locust user (which requests each step sends) and the report (per-step
tables). Request names in Locust are these step names, never raw URLs.
"""

from __future__ import annotations

from enum import StrEnum


class FlowKind(StrEnum):
    BOUNCE = "bounce"  # lands and leaves
    BROWSE = "browse"  # lands, views a collection and products, leaves
    CART = "cart"  # ... adds to cart, views it, abandons
    CHECKOUT = "checkout"  # native multi-step checkout, no promo code
    PROMO_CHECKOUT = "promo_checkout"  # native checkout with the campaign's code
    WALLET = "wallet"  # one-step wallet payment from the cart


LANDING = "landing"
COLLECTION = "browse:collection"
PRODUCT = "browse:product"
CART_ADD = "cart:add"
CART_VIEW = "cart:view"
CHECKOUT_START = "checkout:start"
CHECKOUT_PROMO = "checkout:promo"
CHECKOUT_ADDRESS = "checkout:address"
CHECKOUT_SHIPPING = "checkout:shipping"
CHECKOUT_PAY = "checkout:pay"
WALLET_PAY = "wallet:pay"
# The landing request timed from the session's *scheduled* start: what a
# shopper waiting in line feels (coordinated-omission corrected).
LANDING_SCHEDULED = "landing@scheduled"

_BROWSE = (LANDING, COLLECTION, PRODUCT)
_CART = (*_BROWSE, CART_ADD, CART_VIEW)
_NATIVE = (CHECKOUT_START, CHECKOUT_ADDRESS, CHECKOUT_SHIPPING, CHECKOUT_PAY)

STEPS: dict[FlowKind, tuple[str, ...]] = {
    FlowKind.BOUNCE: (LANDING,),
    FlowKind.BROWSE: _BROWSE,
    FlowKind.CART: _CART,
    FlowKind.CHECKOUT: (*_CART, *_NATIVE),
    FlowKind.PROMO_CHECKOUT: (*_CART, CHECKOUT_START, CHECKOUT_PROMO, *_NATIVE[1:]),
    FlowKind.WALLET: (*_CART, WALLET_PAY),
}

ALL_STEPS: tuple[str, ...] = (
    LANDING, COLLECTION, PRODUCT, CART_ADD, CART_VIEW, CHECKOUT_START, CHECKOUT_PROMO,
    CHECKOUT_ADDRESS, CHECKOUT_SHIPPING, CHECKOUT_PAY, WALLET_PAY, LANDING_SCHEDULED,
)

# Steps whose success means an order was placed.
ORDER_STEPS = frozenset({CHECKOUT_PAY, WALLET_PAY})
ORDERING_FLOWS = frozenset({FlowKind.CHECKOUT, FlowKind.PROMO_CHECKOUT, FlowKind.WALLET})


def requests_per_session(kind: FlowKind, products: int) -> int:
    """Requests one session of this flow sends (PRODUCT repeats per product)."""
    steps = STEPS[kind]
    return len(steps) + (products - 1 if PRODUCT in steps else 0)
