"""The rules behind ``promo.codes`` (checks/promo/codes.py), one function per
promise: discount, case and padding, minimum spend, validity window. Not a
check of its own; it has no ``CHECK``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from peakready.checks.check import Check, CheckContext

from peakready.errors import BadInput
from peakready.findings import Finding, Status
from peakready.shops import Applied, Product, Shop, ShopError, Totals, Unsupported, carts
from peakready.shops.adapter import ProfileShop, make_shop
from peakready.shops.carts import CartPlan
from peakready.shops.config import CodeExpectation
from peakready.shops.money import fmt, is_rounded, minor_unit, round_minor

EDGE = dt.timedelta(hours=24)  # a code ending this close after the campaign end: warn


def could_not(check: Check, subject: str, exc: Exception) -> Finding:
    return check.finding(subject, Status.ERROR, "shop-not-evaluated",
                         f"could not evaluate: {exc}"[:500],
                         remediation="Make sure the target is up and its shop profile fits "
                                     "it (`peakready shop try SCENARIO` shows each step), "
                                     "then re-run.")


def shop_for(check: Check, ctx: CheckContext) -> tuple[ProfileShop | None, Finding | None]:
    """The scenario's shop through its profile, or the finding saying why not."""
    sc = ctx.the_scenario
    assert ctx.http is not None
    try:
        profile = sc.shop_profile()
    except BadInput as exc:
        return None, could_not(check, "shop", exc)
    if profile is None:
        return None, check.finding(
            "shop", Status.ERROR, "shop-not-evaluated", "the scenario has no shop profile, "
            "so the shop's carts cannot be read", remediation="Add `shop: {preset: NAME}` "
            "(or `profile: FILE`) describing the target shop.")
    return make_shop(profile, ctx.http, ctx.base_url or sc.target.base_url,
                     mutations=sc.target.mutations, timeout=ctx.timeout), None


def human(delta: dt.timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    parts = [f"{days} d"] if days else []
    if rest // 60:
        parts.append(f"{rest // 60} h")
    if rest % 60 and not days:
        parts.append(f"{rest % 60} min")
    return " ".join(parts) or "0 min"


@dataclass
class Probe:
    """What every rule needs: the check, the shop, its catalog, currency, zone and now."""

    check: Check
    shop: Shop
    products: list[Product]
    currency: str
    tz: dt.tzinfo
    now: dt.datetime

    def plan(self, target: Decimal) -> CartPlan:
        plan = carts.at_least(self.products, target)
        if plan is None:
            raise ShopError(f"the catalog cannot make a cart of at least {self.money(target)}")
        return plan

    def money(self, amount: Decimal) -> str:
        return fmt(amount, self.currency)

    def local(self, t: dt.datetime | None) -> str:
        return t.astimezone(self.tz).isoformat(sep=" ", timespec="minutes") if t else "—"

    def answer(self, a: Applied) -> dict[str, Any]:
        out: dict[str, Any] = {"entered": a.entered, "accepted": a.accepted,
                               "status": a.status}
        if a.message:
            out["message"] = a.message
        if a.totals:
            out["cart_totals"] = a.totals.evidence()
        return out

    def finding(self, subject: str, status: Status, code: str, summary: str,
                evidence: dict[str, Any] | None = None, remediation: str = "") -> Finding:
        return self.check.finding(subject, status, code, summary, evidence=evidence or {},
                                  remediation=remediation)

    def fail(self, subject: str, code: str, summary: str, evidence: dict[str, Any],
             remediation: str) -> Finding:
        return self.finding(subject, Status.FAIL, code, summary, evidence, remediation)

    def guarded(self, subject: str, rule: Callable[[], Iterable[Finding]]) -> Iterator[Finding]:
        """One subject's findings; a shop that cannot be asked is an error for it alone."""
        try:
            yield from rule()
        except ShopError as exc:
            yield could_not(self.check, subject, exc)

    def try_code(self, plan: CartPlan, code: str) -> Applied:
        return self.shop.apply_code(plan.fill(self.shop), code)


def promised(exp: CodeExpectation, subtotal: Decimal) -> Decimal:
    """The exact discount promised on this subtotal (before rounding)."""
    if exp.kind == "percent":
        return subtotal * exp.value / 100
    return min(exp.value, subtotal)


def discount_finding(p: Probe, code: str, exp: CodeExpectation | None, t: Totals,
                     ev: dict[str, Any]) -> Finding:
    problems = []
    if t.total < 0 or t.discount > t.subtotal:
        problems.append(f"total {p.money(t.total)} after a {p.money(t.discount)} discount on "
                        f"{p.money(t.subtotal)}: it must never go below zero")
    for name, amount in (("discount", t.discount), ("total", t.total)):
        if not is_rounded(amount, t.currency):
            problems.append(f"the {name} {amount} is not rounded to the {t.currency} "
                            f"minor unit ({minor_unit(t.currency)})")
    if exp is not None:
        exact = promised(exp, t.subtotal)
        # Percent: any correct rounding to the minor unit (half-up or half-even) is within
        # half a unit of the exact value; a fixed amount is exact.
        tolerance = minor_unit(t.currency) / 2 if exp.kind == "percent" else Decimal(0)
        ev["promised_discount"] = str(round_minor(exact, t.currency))
        if abs(t.discount - exact) > tolerance:
            what = f"{exp.value}% of {p.money(t.subtotal)}" if exp.kind == "percent" \
                else f"{p.money(exp.value)} off"
            problems.append(f"gives {p.money(t.discount)} off instead of "
                            f"{p.money(round_minor(exact, t.currency))} ({what})")
    elif t.discount <= 0:
        problems.append("is accepted but takes nothing off")
    if problems:
        return p.fail(code, "promo-discount-wrong", "; ".join(problems), ev,
                      "Set the code's value in the shop to what the campaign promised, with "
                      "amounts rounded to the currency's minor unit and capped at the cart.")
    if exp is None:
        return p.finding(code, Status.WARN, "promo-no-expectation",
                         f"applies ({p.money(t.discount)} off {p.money(t.subtotal)}), but the "
                         "scenario does not say what it promises", ev,
                         "Add the code under promo.codes with its kind and value.")
    return p.finding(code, Status.PASS, "promo-discount-ok",
                     f"{p.money(t.discount)} off a {p.money(t.subtotal)} cart, as promised", ev)


def variants(code: str, case_insensitive: bool) -> list[tuple[str, str]]:
    """What shoppers type instead of the code: lower, upper, mixed case, padded."""
    mixed = "".join(ch.upper() if i % 2 else ch.lower() for i, ch in enumerate(code))
    out: list[tuple[str, str]] = []
    if case_insensitive:
        for label, v in (("lower-case", code.lower()), ("upper-case", code.upper()),
                         ("mixed-case", mixed)):
            if v != code and v not in (x for _, x in out):
                out.append((label, v))
    out.append(("padded", f"  {code} "))
    return out


def variants_finding(p: Probe, code: str, exp: CodeExpectation | None, plan: CartPlan,
                     discount: Decimal) -> Finding:
    tried, bad, case_bad = [], [], False
    for label, entered in variants(code, exp.case_insensitive if exp else True):
        a = p.try_code(plan, entered)
        tried.append(p.answer(a))
        if not a.accepted or a.totals is None:
            bad.append(f"{label} {entered!r} is refused ({a.message or 'no message'})")
        elif a.totals.discount != discount:
            bad.append(f"{label} {entered!r} gives {p.money(a.totals.discount)} off, not "
                       f"{p.money(discount)}")
        else:
            continue
        case_bad = case_bad or label != "padded"
    if bad:
        return p.fail(code, "promo-case-sensitive" if case_bad else "promo-padding",
                      "; ".join(bad), {"tried": tried},
                      "Match codes case-insensitively and trim spaces: creators' followers "
                      "type codes in every case, and phones add a trailing space.")
    return p.finding(code, Status.PASS, "promo-variants-ok", "other cases and padded input "
                     "work like the code", {"tried": tried})


def min_spend_findings(p: Probe, code: str, exp: CodeExpectation, plan: CartPlan,
                       on_plan: Applied) -> Iterator[Finding]:
    if exp.min_spend <= 0:
        small = carts.smallest(p.products)
        if small is None:
            return
        a = p.try_code(small, code)
        ev = {"cart": small.evidence(), **p.answer(a)}
        if not a.accepted:
            yield p.fail(code, "promo-hidden-min-spend", f"refused on a "
                         f"{p.money(small.subtotal)} cart though no minimum spend was "
                         f"promised: {a.message or 'no message'}", ev,
                         "Remove the minimum spend, or put it in the creator's brief and in "
                         "promo.codes.")
        elif a.totals and a.totals.total < 0:
            yield p.fail(code, "promo-discount-wrong", f"total {p.money(a.totals.total)} on "
                         f"a {p.money(small.subtotal)} cart: it must never go below zero", ev,
                         "Cap the discount at the cart's value.")
        else:
            yield p.finding(code, Status.PASS, "promo-min-spend-ok",
                            f"works on the cheapest item ({p.money(small.subtotal)}), as no "
                            "minimum spend was promised", ev)
        return
    threshold = exp.min_spend
    under, at = carts.below(p.products, threshold), carts.at_least(p.products, threshold)
    ev: dict[str, Any] = {"promised_min_spend": str(threshold)}
    problems = []
    if under is not None:
        a = p.try_code(under, code)
        ev["below"] = {"subtotal": str(under.subtotal), **p.answer(a)}
        if a.accepted:
            problems.append(f"accepted at {p.money(under.subtotal)}, below the minimum "
                            f"{p.money(threshold)}")
        elif p.shop.messages and not a.message:
            problems.append(f"refused at {p.money(under.subtotal)} without a message")
    if at is not None:
        a = on_plan if at == plan else p.try_code(at, code)
        ev["at_or_above"] = {"subtotal": str(at.subtotal), **p.answer(a)}
        if not a.accepted:
            problems.append(f"refused at {p.money(at.subtotal)}, though promised from "
                            f"{p.money(threshold)}: {a.message or 'no message'}")
    if problems:
        yield p.fail(code, "promo-min-spend-wrong", "; ".join(problems), ev,
                     "Set the code's minimum spend to the promised amount (at the threshold "
                     "it must apply), and tell shoppers below it what is missing.")
        return
    low = p.money(under.subtotal) if under else "—"
    high = p.money(at.subtotal) if at else "—"
    yield p.finding(code, Status.PASS, "promo-min-spend-ok", f"refused at {low}, accepted at "
                    f"{high} (minimum {p.money(threshold)})", ev)


def window_finding(p: Probe, code: str, exp: CodeExpectation, applies_now: bool) -> Finding:
    assert exp.window is not None
    start, end = exp.window.bounds(p.tz)
    ev: dict[str, Any] = {"campaign": [p.local(start), p.local(end)], "zone": str(p.tz)}
    try:
        info = p.shop.code_info(code)
    except Unsupported as exc:
        if start <= p.now < end:
            inside = f"now, inside the window, it is {'applied' if applies_now else 'refused'}"
        else:
            inside = "now is outside the window, so it could not be tried either"
        return p.finding(code, Status.SKIP, "promo-window-unreadable", f"{exc}; {inside}", ev)
    if info is None:
        return p.fail(code, "promo-window-unknown-code", f"the shop has no code {code}", ev,
                      "Create the code in the shop.")
    ev["code_valid"] = [p.local(info.starts_at), p.local(info.ends_at)]
    if info.starts_at and info.starts_at > start:
        return p.fail(code, "promo-starts-late", f"starts {p.local(info.starts_at)}, "
                      f"{human(info.starts_at - start)} after the campaign starts "
                      f"({p.local(start)})", ev,
                      "Move the code's start to the campaign start, in the shop's time zone.")
    if info.ends_at and info.ends_at < end:
        return p.fail(code, "promo-ends-early", f"ends {p.local(info.ends_at)}, "
                      f"{human(end - info.ends_at)} before the campaign ends ({p.local(end)})",
                      ev, "Extend the code to the campaign end, in the shop's time zone.")
    if info.ends_at and info.ends_at < end + EDGE:
        return p.finding(code, Status.WARN, "promo-ends-at-edge", f"ends "
                         f"{p.local(info.ends_at)}, only {human(info.ends_at - end)} after "
                         f"the campaign ({p.local(end)})", ev,
                         "Leave a day of slack: a late post or a time-zone slip breaks it.")
    return p.finding(code, Status.PASS, "promo-window-ok",
                     f"valid {p.local(info.starts_at)} – {p.local(info.ends_at)}, covering the "
                     "campaign", ev)
