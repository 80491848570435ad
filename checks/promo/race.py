"""Usage-limit race probe (opt-in): does a limited code hold its limit when
many shoppers pay at the same instant?

What it checks: with ``promo.race`` set and ``target.mutations: true``, it
fills M carts (``concurrency``) with the code, takes each through checkout
up to the last step, then releases all M payments at once. The code has N
redemptions left (read from the shop, or ``limit``), N < M. More than N
orders carrying the code fails, with the numbers as evidence.

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

from peakready.findings import Finding, Status
from peakready.shops import CheckoutResult, PendingCheckout, Shop, ShopError, Unsupported
from peakready.shops.carts import at_least
from peakready.shops.engine import make_shop


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


def _fire(shop: Shop, pending: list[PendingCheckout],
          timeout: float) -> list[CheckoutResult | Exception]:
    """Release every last checkout step at once; results in order, errors kept."""
    results: list[CheckoutResult | Exception] = [RuntimeError("not run")] * len(pending)
    barrier = threading.Barrier(len(pending), timeout=timeout)

    def pay(i: int) -> None:
        try:
            barrier.wait()
            results[i] = shop.finish_checkout(pending[i])
        except (ShopError, threading.BrokenBarrierError) as exc:
            results[i] = exc

    threads = [threading.Thread(target=pay, args=(i,), name=f"race-{i}")
               for i in range(len(pending))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout * 3)
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
    sc = ctx.the_scenario
    shop = make_shop(sc.promo, ctx.http, ctx.base_url or sc.target.base_url,
                     mutations=sc.target.mutations, timeout=ctx.timeout)
    if not shop.mutations:
        yield CHECK.finding(
            code, Status.SKIP, "mutations-not-allowed",
            "not run: the probe places orders and target.mutations is false",
            remediation="Set target.mutations: true only for a target you own (staging, test "
                        "payments), or remove promo.race.")
        return
    if not shop.can_checkout:
        yield CHECK.finding(code, Status.ERROR, "race-not-evaluated",
                            f"not run: the {shop.name} adapter cannot complete a checkout",
                            remediation="Use adapter: declarative with the shop's checkout "
                                        "steps (on a target with test payments).")
        return
    try:
        yield from _probe(ctx, shop, code, race.limit, race.concurrency)
    except (ShopError, Unsupported) as exc:
        yield CHECK.finding(code, Status.ERROR, "race-not-evaluated", f"could not evaluate: "
                            f"{exc}"[:500], remediation="Check the target is up and the "
                            "adapter can complete a checkout (promo.adapter).")


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
    pending, refused = [], Counter[str]()
    for _ in range(concurrency):
        cart = plan.fill(shop)
        applied = shop.apply_code(cart, code)
        if applied.accepted:
            pending.append(shop.start_checkout(cart))
        else:
            refused[applied.message or f"HTTP {applied.status}"] += 1
    ev.update(limit=left, carts_with_code=len(pending), refused_at_cart=dict(refused))
    if len(pending) <= left:
        yield CHECK.finding(code, Status.ERROR, "race-not-evaluated",
                            f"only {len(pending)} carts took the code, not more than the "
                            f"{left} redemptions left, so nothing could race", evidence=ev)
        return
    results = _fire(shop, pending, ctx.timeout)
    orders = [r for r in results if isinstance(r, CheckoutResult) and r.ok]
    with_code = [r for r in orders if code.upper() in {c.upper() for c in r.codes}]
    failed = Counter(str(r.message or f"HTTP {r.status}") if isinstance(r, CheckoutResult)
                     else type(r).__name__ for r in results
                     if not (isinstance(r, CheckoutResult) and r.ok))
    ev.update(orders=len(orders), orders_with_code=len(with_code),
              order_ids_with_code=[r.order_id for r in with_code], checkouts_refused=dict(failed))
    over = len(with_code) - left
    if over > 0:
        yield CHECK.finding(
            code, Status.FAIL, "race-over-redeemed",
            f"{len(with_code)} of {len(pending)} simultaneous checkouts redeemed {code}, "
            f"limited to {left}: {over} over the limit", evidence=ev,
            remediation="Redeem atomically in the order's transaction (a conditional "
                        "UPDATE that refuses when the limit is reached), then re-run.")
        return
    yield CHECK.finding(code, Status.PASS, "race-limit-held",
                        f"{len(with_code)} of {len(pending)} simultaneous checkouts redeemed "
                        f"{code} (limit {left})", evidence=ev)


CHECK = Check(id="promo.race", title="Usage-limited codes hold under a checkout race",
              run=run, doc=__doc__ or "", timeout=120.0,
              needs=(Need.SCENARIO, Need.PROMO, Need.HTTP))
