"""Campaign links reach a working, tagged landing page (live, over HTTP).

What it checks: every campaign link (and every line of the links CSV) is
followed hop by hop, at most ``links.max_hops`` redirects: every UTM of the
link (or of its declared ``landing``) reaches the final URL unchanged, no
hop goes from https to http, and the final answer is 2xx (each fails
otherwise; each hop's status and time is the evidence). More than
``links.warn_hops`` redirects, or a hop through a link shortener, warns.
The landing page must contain the analytics tag (``links.analytics_tag``:
your GA4 measurement id or GTM container); its response time is reported
and warns above ``links.slow_landing``; a link on the landing page to the
same site that carries ``utm_*`` fails.

Why it matters: a redirect that drops the query string (a common short-link
misconfiguration) turns the influencer's traffic into "Direct"; a 404 or a
slow page wastes the post that pointed at it; a page without the tag
records nothing; internal links with UTMs start a new session on click and
overwrite the visitor's real source.

How to fix: make the redirect keep the query string (or put the UTMs on
the final URL), serve the landing page over https with a 200, add the
analytics snippet to its template, and remove utm_* from links inside the
site (use the analytics tool's own event tracking for internal promotions).
A link that could not be fetched (refused, timed out) is reported as an
error: check the link and re-run when the site is reachable.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from peakready.checks.check import Check, CheckContext, Need
from peakready.checks.links import _redirects as redirects
from peakready.checks.links import _urls as urlparts
from peakready.checks.links._set import campaign_links, links_to_check

from peakready.findings import Finding, Status
from peakready.links.config import Links
from peakready.links.linkset import LinkEntry


class _Anchors(HTMLParser):
    """The href of every <a> and <area> on a page (stdlib parser: no extra dependency)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("a", "area"):
            self.hrefs += [v for k, v in attrs if k == "href" and v]


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def internal_utm_links(page_url: str, html: str) -> list[str]:
    parser = _Anchors()
    parser.feed(html)
    out = []
    for href in parser.hrefs:
        url = urljoin(page_url, href.strip())
        if _host(url) == _host(page_url) and urlparts.utm(url):
            out.append(url)
    return list(dict.fromkeys(out))


Result = tuple[Status, str, str, str, dict[str, Any]]


def _chain_rules(entry: LinkEntry, chain: redirects.Chain,
                 conv: Links) -> Iterator[Result]:
    for a, b in itertools.pairwise(chain.hops):
        if urlsplit(a.url).scheme == "https" and urlsplit(b.url).scheme == "http":
            yield (Status.FAIL, "redirect-downgrade", f"the redirect from {a.url} goes to "
                   f"plain http ({b.url})", "Redirect to the https URL.", {})
    if chain.stopped:
        what = "loops" if chain.stopped == "loop" else f"has more than {conv.max_hops} redirects"
        yield (Status.FAIL, f"redirect-{chain.stopped}", f"the redirect chain {what}",
               "Point the link straight at the landing page.", {})
        return
    final = chain.final
    assert final is not None
    if not 200 <= final.status < 300:
        yield (Status.FAIL, "landing-status", f"the link ends in HTTP {final.status} at "
               f"{final.url}", "Fix the redirect target or publish the landing page.", {})
    expected = urlparts.utm(entry.tagged_url) if urlparts.split(entry.tagged_url) else {}
    arrived = urlparts.utm(final.url)
    lost = sorted(k for k in expected if k not in arrived)
    changed = sorted(k for k in expected if k in arrived and arrived[k] != expected[k])
    if lost or changed:
        what = "; ".join(filter(None, [lost and f"lost {', '.join(lost)}",
                                       changed and f"changed {', '.join(changed)}"]))
        yield (Status.FAIL, "utm-lost", f"the UTMs do not survive the redirects: {what}",
               "Make every redirect keep the query string (or tag the final URL).",
               {"expected_utm": expected, "final_utm": arrived})
    untagged = [k for k in conv.required if k not in arrived]
    if not expected and untagged and 200 <= final.status < 300:
        yield (Status.FAIL, "landing-untagged", f"the landing page is reached without "
               f"{', '.join(untagged)}: analytics sees untagged traffic",
               "Tag the link (or the short link's target) with the required parameters.",
               {"final_utm": arrived})
    if chain.redirects > conv.warn_hops:
        yield (Status.WARN, "redirect-long", f"{chain.redirects} redirects before the landing "
               f"page (more than {conv.warn_hops})",
               "Link to the final URL; each hop costs time and can fail.", {})
    short = sorted({h for h in chain.hosts() if h.removeprefix("www.") in conv.shorteners})
    if short:
        yield (Status.WARN, "redirect-shortener", f"the link goes through a shortener "
               f"({', '.join(short)})", "Prefer a first-party link or redirect; a shortener is "
               "one more service that can fail or rate-limit at peak.", {})


def _landing_rules(chain: redirects.Chain, conv: Links) -> Iterator[Result]:
    final = chain.final
    if final is None or chain.stopped or not 200 <= final.status < 300:
        return
    tag = re.search(conv.analytics_tag, chain.body)
    if not tag:
        yield (Status.FAIL, "analytics-tag-missing", f"the landing page {final.url} has no "
               "analytics tag matching " + conv.analytics_tag,
               "Add the GA4/GTM snippet to the landing page template.", {})
    if final.ms > conv.slow_landing * 1000:
        yield (Status.WARN, "landing-slow", f"the landing page took {final.ms:.0f} ms "
               f"(more than {conv.slow_landing * 1000:.0f} ms)",
               "Make the landing page faster or cache it; shoppers leave slow pages.", {})
    internal = internal_utm_links(final.url, chain.body) if "html" in chain.content_type else []
    if internal:
        yield (Status.FAIL, "internal-utm-link", f"{len(internal)} link(s) on the landing page "
               "to the same site carry utm_*: a click restarts the session and overwrites "
               "the source", "Remove utm_* from links inside the site.",
               {"internal_links": internal[:10]})


def check_entry(ctx: CheckContext, entry: LinkEntry, conv: Links) -> list[Finding]:
    subject = entry.subject
    if urlparts.split(entry.url) is None:
        return [CHECK.finding(subject, Status.SKIP, "link-malformed",
                              "not followed: the link is not a well-formed URL (see links.utm)",
                              evidence={"link": entry.url})]
    assert ctx.http is not None  # run() skips without a session
    timeout = min(ctx.timeout, conv.request_timeout)
    chain = redirects.follow(ctx.http, entry.url, max_hops=conv.max_hops, timeout=timeout)
    ev: dict[str, Any] = {"link": entry.url, "hops": chain.evidence()}
    if chain.error:
        return [CHECK.finding(subject, Status.ERROR, "link-unreachable",
                              urlparts.scrub(f"could not be evaluated: {chain.error}"),
                              evidence=urlparts.scrub(ev),
                              remediation="Check that the link's host is up and reachable "
                              "from here, then re-run.")]
    final = chain.final
    if final is not None and not chain.stopped:
        ev["final_url"] = final.url
        ev["landing_ms"] = round(final.ms, 1)
    ev = urlparts.scrub(ev)  # a link with personal data is reported, never repeated
    out = [CHECK.finding(subject, st, code, urlparts.scrub(summary),
                         evidence={**ev, **urlparts.scrub(extra)}, remediation=fix)
           for st, code, summary, fix, extra in [*_chain_rules(entry, chain, conv),
                                                 *_landing_rules(chain, conv)]]
    if not any(f.status in (Status.FAIL, Status.WARN) for f in out) and final is not None:
        tag = re.search(conv.analytics_tag, chain.body)
        out.append(CHECK.finding(
            subject, Status.PASS, "landing-ok",
            f"HTTP {final.status} after {chain.redirects} redirect(s), landing page in "
            f"{final.ms:.0f} ms, tag {tag.group(0) if tag else ''} present, UTMs arrive intact",
            evidence=ev))
    return out


def run(ctx: CheckContext) -> Iterator[Finding]:
    links = campaign_links(ctx)
    conv = ctx.the_scenario.links
    with cf.ThreadPoolExecutor(max_workers=min(conv.concurrency, len(links)),
                               thread_name_prefix="links") as pool:
        for found in pool.map(lambda e: check_entry(ctx, e, conv), links):
            yield from found


CHECK = Check(id="links.landing", title="Campaign links reach a working, tagged landing page",
              run=run, doc=__doc__ or "", timeout=120.0,
              needs=(Need.SCENARIO, Need.HTTP), applies=links_to_check)
