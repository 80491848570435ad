"""The steps one session of a flow takes, in order, through a shop profile."""

from __future__ import annotations

from collections.abc import Iterator

from peakready.flows import CHECKOUT_PROMO, LANDING, PRODUCT, STEPS, FlowKind

OPTIONAL = frozenset({CHECKOUT_PROMO})  # a refused code: the shopper goes on without it


def flow_steps(kind: FlowKind, products: int = 1, code: bool = True) -> Iterator[str]:
    """The steps after the landing: a product page per product viewed, the
    promo step only when the campaign has a code."""
    for step in STEPS[kind]:
        if step == LANDING or (step == CHECKOUT_PROMO and not code):
            continue
        yield from [step] * (products if step == PRODUCT else 1)
