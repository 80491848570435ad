"""The set of campaign links the link checks look at: the scenario's
campaigns plus, optionally, a CSV of links for programs with hundreds of
creators (``links.csv`` in the scenario).

CSV format, one link per line, an optional header line
``influencer,url,channel,promo_code,landing``::

    Mia Home,https://shop.example/c/winter?utm_source=instagram&...,Organic Social,MIA20
    Lena Living,https://bit.ly/lena-bf,Organic Video,,https://shop.example/c/textiles?utm_...

``channel``, ``promo_code`` and ``landing`` (the expansion of a short link,
so its tags can be checked without the network) are optional. A broken
CSV is bad input: the error names the file and the line, exit code 2.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urljoin, urlsplit

from peakready.errors import BadInput
from peakready.links.channels import CHANNELS
from peakready.links.config import Links

COLUMNS = ("influencer", "url", "channel", "promo_code", "landing")


class Campaign(Protocol):
    """What the link checks read of a scenario's campaign."""

    @property
    def name(self) -> str: ...
    @property
    def link(self) -> str: ...
    @property
    def landing(self) -> str | None: ...
    @property
    def influencer(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def promo_code(self) -> str | None: ...


@dataclass(frozen=True)
class LinkEntry:
    """One link as posted, with what the campaign expects of it."""

    subject: str  # the campaign name, or "links.csv:12 Mia Home"
    url: str  # absolute
    influencer: str = ""
    channel: str = ""
    promo_code: str | None = None
    landing: str | None = None  # absolute: where a short link should lead

    @property
    def tagged_url(self) -> str:
        """The URL whose UTMs analytics should see: the link itself, unless it
        carries no utm_* at all and its expansion (``landing``) is declared."""
        parts = urlsplit(self.url)
        if self.landing and "utm_" not in parts.query and "utm_" not in parts.fragment:
            return self.landing
        return self.url


def _absolute(base_url: str, link: str) -> str:
    """Resolve a path on the target (``/collections/x?...``); anything else is
    kept as written, so ``shop.example/x`` stays a malformed link to report."""
    link = link.strip()
    if link.startswith(("/", "?")) and not link.startswith("//"):
        return urljoin((base_url or "http://localhost") + "/", link)
    return link


def _bad(where: str, message: str) -> BadInput:
    return BadInput(f"{where}: {message}")


def read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; raise BadInput naming file:line and the fix."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise _bad(str(path), f"cannot read the links CSV: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise _bad(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start}); "
                   "save the file as CSV UTF-8") from None
    rows: list[tuple[int, dict[str, str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if not rows and [f.strip().lower() for f in fields[:2]] == ["influencer", "url"]:
                continue  # the header line
            where = f"{path}:{line}"
            if not 2 <= len(fields) <= len(COLUMNS):
                raise _bad(where, f"expected 2 to {len(COLUMNS)} columns "
                           f"({','.join(COLUMNS)}), found {len(fields)}; quote values that "
                           "contain commas")
            row = dict(zip(COLUMNS, (f.strip() for f in fields), strict=False))
            if not row["influencer"]:
                raise _bad(where, "the influencer column is empty; name the creator")
            if not row["url"]:
                raise _bad(where, "the url column is empty; give the link as posted")
            channel = row.get("channel", "")
            if channel and channel.lower() not in {c.lower() for c in CHANNELS}:
                raise _bad(where, f"unknown channel {channel!r}; use a GA4 default channel "
                           f"such as {', '.join(CHANNELS[:4])}, or leave it empty")
            rows.append((line, row))
    except csv.Error as exc:
        raise _bad(f"{path}:{reader.line_num}", f"not valid CSV: {exc}") from None
    return rows


def entries(campaigns: Iterable[Campaign], links: Links, base_url: str) -> list[LinkEntry]:
    """Every link to check: the campaigns first, then the CSV's lines."""
    out = [LinkEntry(subject=c.name, url=_absolute(base_url, c.link), influencer=c.influencer,
                     channel=c.channel, promo_code=c.promo_code,
                     landing=_absolute(base_url, c.landing) if c.landing else None)
           for c in campaigns]
    if links.csv:
        path = Path(links.csv)
        for line, row in read_csv(path):
            landing = row.get("landing")
            out.append(LinkEntry(
                subject=f"{path.name}:{line} {row['influencer']}",
                url=_absolute(base_url, row["url"]), influencer=row["influencer"],
                channel=row.get("channel", ""), promo_code=row.get("promo_code") or None,
                landing=_absolute(base_url, landing) if landing else None))
    return out
