"""The links the link checks look at, taken from the check's context."""

from __future__ import annotations

from peakready.checks.check import CheckContext

from peakready.links.linkset import LinkEntry, entries


def campaign_links(ctx: CheckContext) -> list[LinkEntry]:
    """The scenario's campaigns, then its links CSV, as absolute URLs."""
    sc = ctx.the_scenario
    return entries(sc.campaigns, sc.links, ctx.base_url)


def links_to_check(ctx: CheckContext) -> str | None:
    """The ``applies`` hook of the link checks: why there is nothing to check."""
    if campaign_links(ctx):
        return None
    return "the scenario has no campaigns and no links CSV"
