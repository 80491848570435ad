"""Usage-limit race probe (opt-in): does a limited code hold its limit when
many shoppers check out with it at the same instant?

What it checks: with ``promo.race`` set and ``target.mutations: true``, it
fills M carts (``concurrency``) through the shop profile, then releases M
whole checkouts at once, each entering the code where the promo flow does
(``checkout:promo``) and going on to payment. The code has N redemptions
left (read from the shop's ``code_info``, or ``limit``), N < M. Wherever the
shop commits a redemption -- when the code is entered, when payment starts,
when the order is placed -- only the orders count: more than N orders
carrying the code (``order_codes``, captured by ``checkout:pay``) fails,
with the numbers as evidence. Carts refused the code on the way are listed
with the shop's message; that is how a shop that reserves codes early holds
its limit.

Why it matters: "first 100 orders get 40 % off" at midnight on Black Friday.
A shop that checks the count, places the order and only then increments it,
without a lock or an atomic conditional update, redeems the code far past
its limit, and the overrun is paid out of margin.

How to fix: redeem atomically at order time, in the same transaction as
the order (``UPDATE ... SET used = used + 1 WHERE code = ? AND used < limit``,
and refuse the order when no row changed), or reserve a redemption when the
code is applied; then re-run the probe on a fresh code.

It places up to M real orders: use a code kept for the probe, on a target
you own, with test payments.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

from peakready.checks.check import Check, CheckContext, Need
from peakready.checks.promo import _rules as R

from peakready.findings import Finding, Status
from peakready.flows import CHECKOUT_PAY
from peakready.shops import Cart, CheckoutResult, Shop, ShopError, Unsupported, carries
from peakready.shops.carts import at_least


def _remaining(shop: Shop, code: str, limit: int | None) -> tuple[int | None, dict[str, Any]]:
    try:
        info = shop.code_info(code)
    except Unsupported:
        return limit, {"limit_from": "scenario"}
    if info is None or info.usage_limit is None:
        return limit, {"limit_from": "scenario", "shop_says": "no usage limit" if info
                       else "no such code"}
    left = info.usage_limit - (info.used or 0)
    return left, {"limit_from": "shop", "usage_limit": info.usage_limit, "used": info.used,
                  "scenario_limit": limit}


def _fire(shop: Shop, carts: list[Cart], code: str,
          timeout: float) -> list[CheckoutResult | Exception]:
    """Release every checkout at once, code entered on the way; results in
    order, errors kept."""
    results: list[CheckoutResult | Exception] = [RuntimeError("not run")] * len(carts)
    barrier = threading.Barrier(len(carts), timeout=timeout)

    def go(i: int) -> None:
        try:
            barrier.wait()
            results[i] = shop.checkout(carts[i], code)
        except (ShopError, threading.BrokenBarrierError) as exc:
            results[i] = exc

    threads = [threading.Thread(target=go, args=(i,), name=f"race-{i}")
               for i in range(len(carts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout * 10)
    return results


def run(ctx: CheckContext) -> Iterator[Finding]:
    promo = ctx.the_scenario.promo
    assert promo is not None and ctx.http is not None
    race = promo.race
    if race is None:
        yield CHECK.finding("race", Status.SKIP, "race-not-requested",
                            "opt-in: set promo.race to probe a usage-limited code")
        return
    code = race.code
    if not ctx.the_scenario.target.mutations:
        yield CHECK.finding(
            code, Status.SKIP, "mutations-not-allowed",
            "not run: the probe places orders and target.mutations is false",
            remediation="Set target.mutations: true only for a target you own (staging, test "
                        "payments), or remove promo.race.")
        return
    shop, problem = R.shop_for(CHECK, ctx)
    if shop is None:
        assert problem is not None
        yield problem
        return
    if not shop.can_checkout:
        missing = [s for s in shop.checkout_steps if s not in shop.profile.steps]
        yield CHECK.finding(code, Status.ERROR, "race-not-evaluated",
                            f"not run: the shop profile {shop.name!r} cannot place an order "
                            f"(no {', '.join(missing)})", evidence={"notes": shop.profile.notes},
                            remediation="Give the profile the checkout steps up to payment "
                                        "(on a target with test payments).")
        return
    if not any("order_codes" in part.capture for part in
               shop.profile.steps.get(CHECKOUT_PAY, [])):
        yield CHECK.finding(code, Status.ERROR, "race-not-evaluated",
                            f"not run: the shop profile {shop.name!r} does not read which codes "
                            f"an order carries, and the probe judges by those orders",
                            remediation=f"Capture `order_codes` in {CHECKOUT_PAY} (the "
                                        "discounts the order confirmation lists).")
        return
    try:
        yield from _probe(ctx, shop, code, race.limit, race.concurrency)
    except (ShopError, Unsupported) as exc:
        yield CHECK.finding(code, Status.ERROR, "race-not-evaluated", f"could not evaluate: "
                            f"{exc}"[:500], remediation="Check the target is up and its shop "
                            "profile completes a checkout (`peakready shop try SCENARIO "
                            "--flow promo_checkout`).")


def _why(r: CheckoutResult | Exception) -> str:
    if isinstance(r, CheckoutResult):
        return f"{r.step}: {r.message or f'HTTP {r.status}'}"[:200]
    return f"{type(r).__name__}: {r}"[:200]


def _probe(ctx: CheckContext, shop: Shop, code: str, limit: int | None,
           concurrency: int) -> Iterator[Finding]:
    left, ev = _remaining(shop, code, limit)
    ev["concurrency"] = concurrency
    if left is None or left <= 0 or concurrency <= left:
        why = ("say promo.race.limit: the shop does not tell the code's usage" if left is None
               else f"the code has no redemptions left ({left})" if left <= 0
               else f"concurrency {concurrency} must exceed the {left} redemptions left")
        yield CHECK.finding(code, Status.ERROR, "race-not-evaluated", f"not run: {why}",
                            evidence=ev,
                            remediation="Give the probe a fresh limited code and "
                                        "concurrency above its limit.")
        return
    promo = ctx.the_scenario.promo
    exp = next((e for c, e in promo.codes.items() if c.upper() == code.upper()), None) \
        if promo else None
    target = max(promo.cart_value if promo else 0, exp.min_spend if exp else 0)
    plan = at_least(shop.catalog(), target)
    if plan is None:
        raise ShopError("the catalog cannot make a cart for the probe")
    carts = [plan.fill(shop) for _ in range(concurrency)]
    results = _fire(shop, carts, code, ctx.timeout)
    orders = [r for r in results if isinstance(r, CheckoutResult) and r.ok]
    with_code = [r for r in orders if carries(r.codes, code)]
    refused = Counter(r.refused for r in results if isinstance(r, CheckoutResult) and r.refused)
    failed = Counter(_why(r) for r in results
                     if not (isinstance(r, CheckoutResult) and r.ok))
    ev.update(limit=left, cart=plan.evidence(), checkouts=len(carts), orders=len(orders),
              orders_with_code=len(with_code),
              order_ids_with_code=[r.order_id for r in with_code],
              code_refused=dict(refused), checkouts_failed=dict(failed))
    if not with_code:
        said = (f"the shop refused it {sum(refused.values())} time(s)" if refused
                else "none was told why")
        yield CHECK.finding(code, Status.ERROR, "race-not-evaluated",
                            f"no checkout placed an order with {code} ({said}; "
                            f"{len(orders)} orders without it), so the race says nothing "
                            f"about its limit", evidence=ev,
                            remediation="Try the flow by hand (`peakready shop try SCENARIO "
                                        "--flow promo_checkout`): the code must apply on the "
                                        "probe's cart, and checkout:pay must capture "
                                        "order_codes.")
        return
    over = len(with_code) - left
    if over > 0:
        yield CHECK.finding(
            code, Status.FAIL, "race-over-redeemed",
            f"{len(with_code)} of {len(carts)} simultaneous checkouts placed an order with "
            f"{code}, limited to {left}: {over} over the limit", evidence=ev,
            remediation="Redeem atomically in the order's transaction (a conditional "
                        "UPDATE that refuses when the limit is reached), then re-run.")
        return
    yield CHECK.finding(code, Status.PASS, "race-limit-held",
                        f"{len(with_code)} of {len(carts)} simultaneous checkouts placed an "
                        f"order with {code} (limit {left})", evidence=ev)


CHECK = Check(id="promo.race", title="Usage-limited codes hold under a checkout race",
              run=run, doc=__doc__ or "", timeout=120.0,
              needs=(Need.SCENARIO, Need.PROMO, Need.HTTP))
