"""Attribution integrity after the replay: do the campaign orders the load
placed show up in the shop's attribution source, credited to the campaign?

What it checks: every order the replay placed in a session that landed
through a campaign link is looked up in the shop's attribution source (for
the demo storefront, its attribution log ``/api/attribution``; for other
shops, the ``attribution`` endpoint of the declarative adapter). An order is
*missing* when the source does not have it, *misattributed* when its
``utm_source``, ``utm_medium`` or ``utm_campaign`` differ from the campaign
link's, or when the promo code the order carried is not recorded. More of
both together than ``promo.attribution.max_missing_rate`` of the campaign
orders fails.

Why it matters: creators are paid, and next season's budget is split, by
what attribution says. At peak, attribution is often the first thing to
break: an asynchronous writer that falls behind and drops events, a
redirect that loses the query string, a session that is re-created between
landing and checkout.

How to fix: look up a few of the missing order ids (in the evidence) in
the shop's order and attribution tables; make the attribution write part of
the order transaction, or make its queue durable; keep UTMs from the
landing request on the session until the order is placed; then re-run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from peakready.checks.check import Check, CheckContext, Need, Phase

from peakready.findings import Finding, Status
from peakready.scenario.model import Campaign
from peakready.shops import ShopError, Unsupported
from peakready.shops.adapter import codes_of, make_shop
from peakready.shops.config import AttributionPolicy

UTMS = ("utm_source", "utm_medium", "utm_campaign")
SAMPLE = 10  # order ids listed per kind of problem


def campaign_utms(c: Campaign) -> dict[str, str]:
    """The UTMs the campaign's link carries (or its landing, for a bare short link)."""
    for url in (c.link, c.landing or ""):
        query = dict(parse_qsl(urlsplit(url).query))
        utms = {k: query[k] for k in UTMS if query.get(k)}
        if utms:
            return utms
    return {}


def run(ctx: CheckContext) -> Iterator[Finding]:
    load, scenario = ctx.load, ctx.the_scenario
    assert ctx.http is not None
    assert load is not None  # Need.LOAD_RESULT: the runner checked
    profile = scenario.shop_profile()
    if profile is None or profile.attribution is None:
        yield CHECK.finding("attribution", Status.SKIP, "no-attribution-source",
                            "no attribution source: the shop profile "
                            + (f"{profile.name!r} has no `attribution:` " if profile else
                               "is missing (`shop:`) ")
                            + "(a request listing orders with their UTMs)")
        return
    campaigns = {c.name: c for c in scenario.campaigns}
    orders = [o for o in load.orders if o.campaign in campaigns]
    if not orders:
        yield CHECK.finding("attribution", Status.SKIP, "no-campaign-orders",
                            "the replay placed no orders through a campaign link")
        return
    shop = make_shop(profile, ctx.http, ctx.base_url or scenario.target.base_url,
                     mutations=scenario.target.mutations, timeout=ctx.timeout)
    try:
        records = shop.attribution([o.order_id for o in orders])
    except Unsupported as exc:
        yield CHECK.finding("attribution", Status.SKIP, "no-attribution-source",
                            f"not read: {exc}", remediation="Set it to check attribution.")
        return
    except ShopError as exc:
        yield CHECK.finding("attribution", Status.ERROR, "attribution-not-evaluated",
                            f"could not read the attribution source: {exc}"[:500],
                            remediation="Check the target is up and the shop profile's "
                                        "`attribution:` request reads its attribution records.")
        return
    missing: list[str] = []
    wrong: list[dict[str, Any]] = []
    for o in orders:
        rec = records.get(o.order_id)
        if rec is None:
            missing.append(o.order_id)
            continue
        want = campaign_utms(campaigns[o.campaign or ""])
        seen = {k: getattr(rec, k) for k in UTMS}
        diff = {k: {"expected": v, "recorded": seen[k]} for k, v in want.items()
                if (seen[k] or "") != v}
        lost = {c.upper() for c in codes_of(o.promo_code)} - {c.upper() for c in rec.codes}
        if diff or lost:
            wrong.append({"order_id": o.order_id, "campaign": o.campaign, "utm": diff,
                          "codes_not_recorded": sorted(lost)})
    policy = scenario.promo.attribution if scenario.promo else AttributionPolicy()
    bad = len(missing) + len(wrong)
    rate = bad / len(orders)
    evidence = {"campaign_orders": len(orders), "missing": len(missing),
                "misattributed": len(wrong), "rate": round(rate, 4),
                "max_missing_rate": policy.max_missing_rate, "source": shop.name,
                "missing_sample": missing[:SAMPLE], "misattributed_sample": wrong[:SAMPLE]}
    if load.orders_truncated:
        evidence["note"] = "the replay listed only some of its orders; those were checked"
    counts = f"{len(missing)} missing and {len(wrong)} misattributed of {len(orders)} " \
             f"campaign orders ({rate:.1%})"
    if rate > policy.max_missing_rate:
        yield CHECK.finding("attribution", Status.FAIL, "attribution-lost", counts +
                            f", above the {policy.max_missing_rate:.1%} allowed",
                            evidence=evidence,
                            remediation="Look up the sample order ids in the shop's "
                                        "attribution records; see this check's notes.")
    else:
        yield CHECK.finding("attribution", Status.PASS, "attribution-ok",
                            counts + f", within the {policy.max_missing_rate:.1%} allowed",
                            evidence=evidence)


CHECK = Check(id="attribution.orders", title="Campaign orders are attributed", run=run,
              doc=__doc__ or "", phase=Phase.POST, timeout=120.0,
              needs=(Need.SCENARIO, Need.CAMPAIGNS, Need.LOAD_RESULT, Need.HTTP))
