"""UTM tagging of campaign links (static rules, no network).

What it checks: every campaign link carries ``utm_source``, ``utm_medium``
and ``utm_campaign`` with non-empty values, in the query string (not after
``#``), in a well-formed URL.

Why it matters: a link that loses its UTMs sends its visitors to "Direct" or
"Unassigned" in analytics; the influencer's sales cannot be attributed, and
the campaign's budget decision is made blind.

How to fix: tag every link as ``?utm_source=<platform>&utm_medium=<medium>
&utm_campaign=<campaign>`` before the ``#``, using the campaign builder your
team agreed on, and re-run the check.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from peakready.findings import Check, CheckContext, Finding, Status

REQUIRED = ("utm_source", "utm_medium", "utm_campaign")


def check_link(subject: str, url: str) -> Iterator[Finding]:
    parts = urlsplit(url)
    evidence: dict[str, Any] = {"link": url}
    if parts.scheme not in ("http", "https") or not parts.hostname or url.count("?") > 1:
        yield CHECK.finding(
            subject, Status.FAIL, "link-malformed",
            "the link is not a well-formed http(s) URL with a single `?`",
            evidence=evidence,
            remediation="Rebuild the link with a URL builder: scheme, host, path, one `?`, "
                        "then the parameters joined with `&`.")
        return
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    fragment = dict(parse_qsl(parts.fragment.lstrip("?"), keep_blank_values=True))
    evidence["utm"] = {k: v for k, v in query.items() if k.startswith("utm_")}
    in_fragment = sorted(k for k in fragment if k.startswith("utm_"))
    if in_fragment:
        yield CHECK.finding(
            subject, Status.FAIL, "utm-in-fragment",
            f"{', '.join(in_fragment)} after `#`: browsers never send the fragment, so "
            "analytics does not see these tags",
            evidence={**evidence, "fragment": parts.fragment},
            remediation="Move the utm_* parameters before the `#` (the fragment goes last).")
    missing = [k for k in REQUIRED if not query.get(k, "").strip()]
    if missing:
        yield CHECK.finding(
            subject, Status.FAIL, "utm-missing",
            f"missing or empty: {', '.join(missing)}", evidence=evidence,
            remediation="Add " + "&".join(f"{k}=..." for k in missing)
                        + " to the link's query string.")
    elif not in_fragment:
        yield CHECK.finding(subject, Status.PASS, "utm-ok",
                            "utm_source, utm_medium and utm_campaign are present",
                            evidence=evidence)


def run(ctx: CheckContext, options: dict[str, Any]) -> Iterator[Finding]:
    base = ctx.base_url or "http://localhost"
    for c in ctx.scenario.campaigns:
        yield from check_link(c.name, urljoin(base + "/", c.link))


CHECK = Check(id="links.utm", title="UTM tagging of campaign links", area="links", run=run,
              doc=__doc__ or "", needs=("campaigns",))
