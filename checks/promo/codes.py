"""Promo codes, through the shop's real cart and checkout.

What it checks, for each code the scenario promises (``promo.codes`` and
the campaigns' ``promo_code``), on carts built from the shop's own catalog:

- it applies and gives the promised discount (percent or amount) on a
  representative cart (``promo.cart_value``), to the currency's minor unit,
  and the total never goes negative;
- ``mia20``, ``mIa20`` and ``" MIA20 "`` work like ``MIA20``;
- minimum spend: the largest cart below the promised threshold is refused
  with a message, the smallest at or above it accepted; a code promised with
  no minimum works on the cheapest single item;
- its validity covers the campaign window (``window:``) in the shop's time
  zone; a code that ends within 24 h after the campaign end is a warning;
- each pair in ``promo.stacking`` combines, or not, as expected;
- expired codes (``promo.rejected``) and an unknown code are refused with a
  message, and the checkout still completes without them (this places an
  order, so only with ``target.mutations: true``).

Why it matters: influencer sales ride on codes. A code that expired the
day before the post, that only works in upper case, with a minimum spend
nobody told the creator about, or that stacks with another code costs
either the sale or the margin, at the moment traffic peaks.

How to fix: correct the code in the shop's discount settings (dates in the
shop's time zone, case-insensitive matching, the minimum spend and
combination rules the campaign brief promised), or correct the promise in
the creator's brief, then re-run.
"""

from __future__ import annotations

import secrets
import zoneinfo
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from peakready.checks.check import Check, CheckContext, Need
from peakready.checks.promo import _rules as R

from peakready.findings import Finding, Status
from peakready.shops import ShopError, Unsupported
from peakready.shops.config import CodeExpectation, StackRule


def _codes(ctx: CheckContext) -> dict[str, CodeExpectation | None]:
    promo = ctx.the_scenario.promo
    assert promo is not None
    out: dict[str, CodeExpectation | None] = dict(promo.codes)
    for c in ctx.the_scenario.campaigns:
        if c.promo_code and c.promo_code.strip().upper() not in {k.upper() for k in out}:
            out[c.promo_code.strip()] = None
    return out


def run(ctx: CheckContext) -> Iterator[Finding]:
    promo = ctx.the_scenario.promo
    assert promo is not None and ctx.http is not None
    shop, problem = R.shop_for(CHECK, ctx)
    if shop is None:
        assert problem is not None
        yield problem
        return
    try:
        products = shop.catalog()
        currency = shop.currency()
    except ShopError as exc:
        yield R.could_not(CHECK, "catalog", exc)
        return
    zone = zoneinfo.ZoneInfo(ctx.the_scenario.target.timezone)
    p = R.Probe(CHECK, shop, products, currency, zone, ctx.clock())
    expectations = _codes(ctx)
    for code, exp in expectations.items():
        yield from p.guarded(code, lambda c=code, e=exp: _one_code(p, c, e, promo.cart_value))
    for rule in promo.stacking:
        subject = " + ".join(rule.codes)
        yield from p.guarded(subject, lambda r=rule: _stacking(p, r, expectations,
                                                               promo.cart_value))
    unknown = f"NOPE{secrets.token_hex(3).upper()}"
    for code in [*promo.rejected, unknown]:
        subject = "unknown code" if code == unknown else code
        yield from p.guarded(subject, lambda c=code, s=subject: _dead(p, s, c,
                                                                      promo.cart_value))


def _one_code(p: R.Probe, code: str, exp: CodeExpectation | None,
              cart_value: Decimal) -> Iterator[Finding]:
    min_spend = exp.min_spend if exp else Decimal(0)
    plan = p.plan(max(cart_value, min_spend))
    cart = plan.fill(p.shop)
    applied = p.shop.apply_code(cart, code)
    ev: dict[str, Any] = {"cart": plan.evidence(), **p.answer(applied)}
    if not applied.accepted or applied.totals is None:
        yield p.fail(code, "promo-rejected", f"refused on a {p.money(plan.subtotal)} cart: "
                     f"{applied.message or 'no message'}", ev,
                     "Check the code exists, is active now and has no condition the "
                     "campaign did not promise.")
    else:  # the other promises only mean something for a code that applies at all
        yield R.discount_finding(p, code, exp, applied.totals, ev)
        yield R.variants_finding(p, code, exp, plan, applied.totals.discount)
        if exp is not None:
            yield from R.min_spend_findings(p, code, exp, plan, applied)
    if exp is not None and exp.window is not None:
        yield R.window_finding(p, code, exp, applied.accepted)


def _stacking(p: R.Probe, rule: StackRule, expectations: dict[str, CodeExpectation | None],
              cart_value: Decimal) -> Iterator[Finding]:
    a, b = rule.codes
    spend = [e.min_spend for c, e in expectations.items() if e and c.upper() in
             (a.upper(), b.upper())]
    plan = p.plan(max([cart_value, *spend]))
    subject = f"{a} + {b}"
    for first, second in ((a, b), (b, a)):
        cart = plan.fill(p.shop)
        one = p.shop.apply_code(cart, first)
        if not one.accepted:
            yield p.finding(subject, Status.ERROR, "stacking-not-evaluated",
                            f"{first} alone is refused ({one.message or 'no message'}), so "
                            "its combination cannot be tried", {"first": p.answer(one)},
                            f"Make {first} valid first (see its own findings).")
            return
        two = p.shop.apply_code(cart, second)
        totals = two.totals or p.shop.totals(cart)
        if p.shop.reads_codes:
            both = totals.has(first) and totals.has(second)
        else:  # the cart does not list codes: both apply when the second adds a discount
            both = two.accepted and one.totals is not None and \
                totals.discount > one.totals.discount
        ev = {"order": [first, second], "second": p.answer(two), "cart": totals.evidence()}
        if both != rule.stacks:
            said = (f"both apply ({p.money(totals.discount)} off)" if both else
                    f"{second} is refused after {first}: {two.message or 'no message'}")
            yield p.fail(subject, "promo-over-stacking" if both else "promo-stacking-refused",
                         f"expected {'stacking' if rule.stacks else 'no stacking'}; {said}",
                         ev, "Set the codes' combination rules in the shop to what the "
                         "campaign promised (or correct promo.stacking).")
            return
    yield p.finding(subject, Status.PASS, "promo-stacking-ok",
                    "stack as expected" if rule.stacks else "do not stack, as expected",
                    {"cart": plan.evidence()})


def _dead(p: R.Probe, subject: str, code: str, cart_value: Decimal) -> Iterator[Finding]:
    plan = p.plan(cart_value)
    cart = plan.fill(p.shop)
    applied = p.shop.apply_code(cart, code)
    ev: dict[str, Any] = {"entered": code, **p.answer(applied)}
    if applied.accepted:
        yield p.fail(subject, "promo-dead-code-accepted",
                     f"{code} was accepted, though it must be refused", ev,
                     "End or delete the code in the shop's discount settings.")
        return
    if p.shop.messages and not applied.message:
        yield p.fail(subject, "promo-rejected-silently", f"{code} was refused without a "
                     "message: the shopper cannot tell why", ev,
                     "Show the reason (expired, not valid) next to the code field.")
        return
    why = f"refused with a message: {applied.message!r}" if applied.message else "refused"
    if not p.shop.mutations:
        yield p.finding(subject, Status.PASS, "promo-dead-code-refused",
                        f"{why} (checkout not tried: target.mutations is false)", ev)
        return
    try:
        order = p.shop.checkout(cart)
    except Unsupported as exc:
        yield p.finding(subject, Status.PASS, "promo-dead-code-refused",
                        f"{why} (checkout not tried: {exc})", ev)
        return
    ev["checkout"] = {"status": order.status, "order_id": order.order_id,
                      "message": order.message}
    if not order.ok:
        ev["checkout"]["step"] = order.step
        yield p.fail(subject, "promo-checkout-blocked", f"after {code} was refused, the "
                     f"checkout failed at {order.step}: {order.message or f'HTTP {order.status}'}",
                     ev,
                     "A refused code must leave the cart usable: clear it from the checkout "
                     "instead of blocking payment.")
        return
    yield p.finding(subject, Status.PASS, "promo-dead-code-refused",
                    f"{why}; the checkout completed without it (order {order.order_id})", ev)


CHECK = Check(id="promo.codes", title="Promo codes keep the campaign's promise", run=run,
              doc=__doc__ or "", timeout=120.0, needs=(Need.SCENARIO, Need.PROMO, Need.HTTP))
