"""UTM tagging of campaign links (static rules, no network).

What it checks, for every campaign link and every line of the links CSV:
``utm_source``, ``utm_medium`` and ``utm_campaign`` (or the scenario's
``links.required``) present and non-empty, in the query string (not after
``#``), in a well-formed URL with one ``?``; no parameter given twice with
different values; lower case, no spaces or ``+``, and the same casing of a
value across the whole link set; the GA4 default channel the link will land
in (Unassigned fails, a channel other than the declared one fails, "Paid
Other" warns) and a source GA4 knows; the team's campaign-name pattern and
medium allow-list; no e-mail address or phone number in any UTM value; and
a promo code in the link that matches the campaign's code. A short link
carries no UTMs itself: declare its expansion as the campaign's
``landing`` so its tags are checked here (``links.landing`` then checks
that the redirect really delivers them).

Why it matters: a link that loses its UTMs sends its visitors to "Direct"
or "Unassigned"; ``Instagram`` and ``instagram`` are two rows in every GA4
report; a source GA4 does not know (``ig``, ``meta``) turns paid social into
"Paid Other"; personal data in analytics breaks Google's terms and the GDPR.
The influencer's sales cannot be attributed, and the budget decision for
the next campaign is made blind.

How to fix: build every link with the campaign builder your team agreed on:
``?utm_source=<platform>&utm_medium=<medium>&utm_campaign=<campaign>``
before any ``#``, in lower case, with ``-`` instead of spaces, a source
from GA4's list (``instagram``, ``tiktok``, ``youtube``) and a medium that
gives the channel you expect (``social``, ``video``, ``cpc``, ``email``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from peakready.checks.check import Check, CheckContext, Need
from peakready.checks.links import _urls as urlparts
from peakready.checks.links._set import campaign_links, links_to_check

from peakready.findings import Finding, Status
from peakready.links import channels as ga4_channels
from peakready.links.config import Links
from peakready.links.linkset import LinkEntry
from peakready.links.sources import KNOWN

_PROBLEM = (Status.WARN, Status.FAIL)


def _rules(entry: LinkEntry, conv: Links) -> Iterator[tuple[Status, str, str, str]]:
    """(status, code, summary, remediation) for one link, in reading order."""
    url = entry.tagged_url
    parts = urlparts.split(url)
    if parts is None or (url != entry.url and urlparts.split(entry.url) is None):
        yield (Status.FAIL, "link-malformed",
               "the link is not a well-formed http(s) URL with a single `?`",
               "Rebuild the link with a URL builder: scheme, host, path, one `?`, "
               "then the parameters joined with `&`.")
        return
    query = urlparts.params(parts.query)
    in_fragment = sorted({p.key for p in urlparts.params(parts.fragment.lstrip("?"))
                          if p.is_utm})
    if in_fragment:
        yield (Status.FAIL, "utm-in-fragment",
               f"{', '.join(in_fragment)} after `#`: browsers never send the fragment, so "
               "analytics does not see these tags",
               "Move the utm_* parameters before the `#` (the fragment goes last).")
    seen: dict[str, list[str]] = defaultdict(list)
    for p in query:
        seen[p.key].append(p.value)
    for key, values in seen.items():
        if len(values) > 1 and (key in conv.required or key.startswith("utm_")):
            if len(set(values)) > 1:
                yield (Status.FAIL, "utm-conflict",
                       f"{key} is given {len(values)} times with different values "
                       f"({', '.join(map(repr, values))}): which one analytics keeps is "
                       "not defined", f"Keep one {key}.")
            else:
                yield (Status.WARN, "utm-duplicate", f"{key} is given {len(values)} times",
                       f"Remove the repeated {key}.")
    value = {k: v[0].strip() for k, v in seen.items()}
    missing = [k for k in conv.required if not value.get(k)]
    if missing:
        yield (Status.FAIL, "utm-missing", f"missing or empty: {', '.join(missing)}",
               "Add " + "&".join(f"{k}=..." for k in missing) + " to the link's query string"
               " (for a short link, declare its expansion as the campaign's `landing`).")
    utms = [p for p in query if p.is_utm]
    upper = sorted({p.key for p in utms if p.value != p.value.lower()})
    if upper:
        yield (Status.WARN, "utm-uppercase", f"upper case in {', '.join(upper)}: GA4 reports "
               "split `Instagram` and `instagram` into two rows",
               "Use lower case in every utm_* value.")
    spaced = sorted({p.key for p in utms if p.value.strip() and " " in p.value})
    if spaced:
        yield (Status.WARN, "utm-space", f"spaces or `+` in {', '.join(spaced)}: they reach "
               "reports as `%20`, `+` or a space depending on the tool that built the link",
               "Use `-` or `_` between words.")
    pii = sorted({(p.key, kind) for p in utms for kind in urlparts.personal_data(p.text)})
    if pii:
        yield (Status.FAIL, "utm-personal-data",
               "personal data in " + ", ".join(f"{k} ({kind})" for k, kind in pii)
               + ": analytics must never receive it",
               "Remove e-mail addresses and phone numbers from the link; identify the "
               "creator by a handle or id instead.")
    yield from _channel_rules(entry, value, conv)
    yield from _convention_rules(value, conv)
    code = (urlparts.promo_code(entry.url, conv.promo_params)
            or urlparts.promo_code(url, conv.promo_params))
    if code and entry.promo_code and code.casefold() != entry.promo_code.strip().casefold():
        yield (Status.FAIL, "promo-mismatch",
               f"the link applies promo code {code!r}, the campaign's code is "
               f"{entry.promo_code!r}", "Put the campaign's own code in the link.")


def _channel_rules(entry: LinkEntry, value: dict[str, str],
                   conv: Links) -> Iterator[tuple[Status, str, str, str]]:
    source, medium = value.get("utm_source", ""), value.get("utm_medium", "")
    if not (source and medium):
        return
    channel = ga4_channels.predict(source, medium, value.get("utm_campaign", ""))
    declared = entry.channel.strip()
    if channel == "Unassigned":
        yield (Status.FAIL, "channel-unassigned",
               f"GA4 puts {source} / {medium} in no channel: its sessions show as Unassigned",
               "Use a medium GA4 recognises (social, video, cpc, email, affiliate, referral) "
               "and a source from its list.")
    elif declared and ga4_channels.canonical(declared) != channel:
        known = "" if ga4_channels.canonical(declared) else " (not a GA4 channel name)"
        yield (Status.FAIL, "channel-mismatch",
               f"GA4 will report {source} / {medium} as {channel}, the campaign expects "
               f"{declared}{known}",
               "Change utm_source/utm_medium so GA4's rules give the expected channel, or "
               "correct the campaign's channel.")
    elif channel == "Paid Other":
        yield (Status.WARN, "channel-paid-other",
               f"{source} / {medium} is paid traffic from a source GA4 does not place: it "
               "lands in Paid Other instead of Paid Social, Search or Video",
               "Use the platform's name as GA4 lists it (facebook, instagram, tiktok).")
    extra = {s.lower() for s in conv.extra_sources}
    if source.lower() not in KNOWN | extra:
        yield (Status.WARN, "source-unknown",
               f"utm_source {source!r} is not on GA4's list of known sources",
               "Use the platform's name as GA4 lists it (instagram, not ig; facebook, not "
               "meta), or add it to the scenario's links.extra_sources.")


def _convention_rules(value: dict[str, str],
                      conv: Links) -> Iterator[tuple[Status, str, str, str]]:
    campaign, medium = value.get("utm_campaign", ""), value.get("utm_medium", "")
    if campaign and conv.campaign_pattern and not re.fullmatch(conv.campaign_pattern,
                                                               campaign):
        yield (Status.WARN, "campaign-name-pattern",
               f"utm_campaign {campaign!r} does not match the naming pattern "
               f"{conv.campaign_pattern}", "Rename the campaign to follow the convention.")
    if medium and conv.mediums and medium.lower() not in {m.lower() for m in conv.mediums}:
        yield (Status.WARN, "medium-not-allowed",
               f"utm_medium {medium!r} is not one of the team's mediums "
               f"({', '.join(conv.mediums)})", "Use one of the agreed mediums.")


def _evidence(entry: LinkEntry) -> dict[str, Any]:
    ev: dict[str, Any] = {"link": urlparts.redact(unquote(entry.url))}
    if entry.tagged_url != entry.url:
        ev["landing"] = urlparts.redact(unquote(entry.tagged_url))
    ev["utm"] = {k: urlparts.redact(v) for k, v in urlparts.utm(entry.tagged_url).items()}
    return ev


def _case_splits(links: list[LinkEntry]) -> dict[str, list[tuple[str, list[str]]]]:
    """Per subject: (parameter, variants) where the set spells one value in
    several casings."""
    spelled: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for e in links:
        if urlparts.split(e.tagged_url) is None:
            continue
        for key, v in urlparts.utm(e.tagged_url).items():
            if v.strip():
                spelled[(key, v.strip().lower())][v.strip()].append(e.subject)
    out: dict[str, list[tuple[str, list[str]]]] = defaultdict(list)
    for (key, _), variants in spelled.items():
        if len(variants) > 1:
            for subjects in variants.values():
                for s in subjects:
                    out[s].append((key, sorted(variants)))
    return out


def check_links(links: list[LinkEntry], conv: Links | None = None) -> list[Finding]:
    conv = conv or Links()
    splits = _case_splits(links)
    findings: list[Finding] = []
    for e in links:
        ev = _evidence(e)
        mine = [CHECK.finding(e.subject, st, code, urlparts.redact(summary), evidence=ev,
                              remediation=fix)
                for st, code, summary, fix in _rules(e, conv)]
        for key, variants in splits.get(e.subject, []):
            mine.append(CHECK.finding(
                e.subject, Status.FAIL, "utm-case-split",
                f"{key} is spelled {' and '.join(map(repr, variants))} across the link set: "
                "GA4 reports them as different campaigns", evidence={**ev, "variants": variants},
                remediation=f"Use one spelling (lower case) of {key} in every link."))
        if not any(f.status in _PROBLEM for f in mine):
            u = urlparts.utm(e.tagged_url)
            channel = ga4_channels.predict(u.get("utm_source", ""), u.get("utm_medium", ""),
                                           u.get("utm_campaign", ""))
            mine.append(CHECK.finding(e.subject, Status.PASS, "utm-ok",
                                      f"tagged for GA4's {channel} channel",
                                      evidence={**ev, "channel": channel}))
        findings += mine
    return findings


def check_link(subject: str, url: str, conv: Links | None = None, **kw: Any) -> list[Finding]:
    """One link on its own (the case files and the tests use this)."""
    return check_links([LinkEntry(subject=subject, url=url, **kw)], conv)


def run(ctx: CheckContext) -> Iterator[Finding]:
    links = campaign_links(ctx)
    yield from check_links(links, ctx.the_scenario.links)


CHECK = Check(id="links.utm", title="UTM tagging of campaign links", run=run,
              doc=__doc__ or "", needs=(Need.SCENARIO,), applies=links_to_check)
