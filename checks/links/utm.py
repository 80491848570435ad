"""UTM tagging of campaign links (static rules, no network).

What it checks, for every campaign link and every line of the links CSV:
``utm_source``, ``utm_medium`` and ``utm_campaign`` (or the scenario's
``links.required``) present and non-empty, in the query string (not after
``#``), in a well-formed URL with one ``?``; no parameter given twice with
different values; lower case, no spaces or ``+``, and the same casing of a
value across the whole link set (one finding per value spelled several ways,
about the links that spell it differently from the rest: from the lower-case
spelling if a link uses it, else from the most common one); the GA4 default
channel the link will land in (Unassigned fails, a channel other than the
declared one fails, "Paid Other" warns) and a source GA4 knows; the team's
campaign-name pattern and medium allow-list; no e-mail address or phone
number in any UTM value; and a promo code in the link that matches the
campaign's code. A short link carries no UTMs itself: declare its expansion
as the campaign's ``landing`` so its tags are checked here
(``links.landing`` then checks that the redirect really delivers them).

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
from dataclasses import dataclass
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
    upper = {p.key: p.value for p in reversed(utms) if p.value != p.value.lower()}
    if upper:
        named = ", ".join(f"{k}={v!r}" for k, v in sorted(upper.items()))
        yield (Status.WARN, "utm-uppercase", f"upper case in {named}: GA4 reports "
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


@dataclass(frozen=True)
class _Split:
    """One value spelled in several casings across the link set: the
    spelling most links agree on, and the links that spell it otherwise."""

    key: str
    spelling: str  # lower case when any link has it, else the most common
    agreeing: int  # how many links use ``spelling``
    odd: list[tuple[int, str, str]]  # (index, subject, its spelling): the odd ones out

    @property
    def subject(self) -> str:
        """The links that are wrong, by name (the first five, then a count)."""
        names = [s for _, s, _ in self.odd]
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        return ", ".join(names[:5]) + more


def _case_splits(links: list[LinkEntry]) -> list[_Split]:
    """Per parameter and value spelled in several casings: one ``_Split``. The
    reference spelling is the lower-case one (the convention every link is
    held to) when a link uses it, else the one most links use (the first seen
    on a tie); every other spelling is an odd one out."""
    spelled: dict[tuple[str, str], dict[str, list[tuple[int, str]]]] = defaultdict(
        lambda: defaultdict(list))
    for i, e in enumerate(links):
        if urlparts.split(e.tagged_url) is None:
            continue
        for key, v in urlparts.utm(e.tagged_url).items():
            if v.strip():
                spelled[(key, v.strip().lower())][v.strip()].append((i, e.subject))
    out: list[_Split] = []
    for (key, lower), variants in spelled.items():
        if len(variants) < 2:
            continue
        order = list(variants)
        spelling = lower if lower in variants else max(
            order, key=lambda v: (len(variants[v]), -order.index(v)))
        odd = sorted((i, s, v) for v in order if v != spelling for i, s in variants[v])
        out.append(_Split(key, spelling, len(variants[spelling]), odd))
    return out


def _split_finding(split: _Split, evidence: list[dict[str, Any]]) -> Finding:
    others = sorted({v for _, _, v in split.odd})
    n = len(split.odd)
    who = "this link" if n == 1 else f"these {n} links"
    return CHECK.finding(
        split.subject, Status.FAIL, "utm-case-split", urlparts.redact(
            f"{split.key} is {' / '.join(map(repr, others))} in {who}, {split.spelling!r} in "
            f"{split.agreeing} other link{'s' if split.agreeing != 1 else ''}: GA4 reports the "
            "spellings as separate rows"),
        evidence=urlparts.scrub({"parameter": split.key, "spelling": split.spelling,
                                 "agreeing_links": split.agreeing,
                                 "odd_ones_out": [{"subject": s, "value": v, **evidence[i]}
                                                  for i, s, v in split.odd]}),
        remediation=urlparts.redact(f"Spell {split.key} {split.spelling!r} in "
                                    + ("this link." if n == 1 else "each of these links.")))


def check_links(links: list[LinkEntry], conv: Links | None = None) -> list[Finding]:
    """Every link's own findings (a link that breaks no rule passes), then
    one ``utm-case-split`` per value the set spells in several casings, whose
    subject is the link (or links) spelling it differently from the rest."""
    conv = conv or Links()
    findings: list[Finding] = []
    evidence = [_evidence(e) for e in links]
    splits = _case_splits(links)
    odd = {i for split in splits for i, _, _ in split.odd}
    for i, e in enumerate(links):
        ev = evidence[i]
        mine = [CHECK.finding(e.subject, st, code, urlparts.redact(summary), evidence=ev,
                              remediation=fix)
                for st, code, summary, fix in _rules(e, conv)]
        if i not in odd and not any(f.status in _PROBLEM for f in mine):
            u = urlparts.utm(e.tagged_url)
            channel = ga4_channels.predict(u.get("utm_source", ""), u.get("utm_medium", ""),
                                           u.get("utm_campaign", ""))
            mine.append(CHECK.finding(e.subject, Status.PASS, "utm-ok",
                                      f"tagged for GA4's {channel} channel",
                                      evidence={**ev, "channel": channel}))
        findings += mine
    return findings + [_split_finding(s, evidence) for s in splits]


def check_link(subject: str, url: str, conv: Links | None = None, **kw: Any) -> list[Finding]:
    """One link on its own (the case files and the tests use this)."""
    return check_links([LinkEntry(subject=subject, url=url, **kw)], conv)


def run(ctx: CheckContext) -> Iterator[Finding]:
    links = campaign_links(ctx)
    yield from check_links(links, ctx.the_scenario.links)


CHECK = Check(id="links.utm", title="UTM tagging of campaign links", run=run,
              doc=__doc__ or "", needs=(Need.SCENARIO,), applies=links_to_check)
