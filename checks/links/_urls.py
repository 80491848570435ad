"""Reading campaign URLs the way analytics does: query parameters with their
raw and decoded values, promo codes carried by a link, and personal data
that must never reach an analytics property.

``urllib.parse.parse_qsl`` is used for decoding but not for the raw view:
it turns ``+`` into a space and merges repeated keys' evidence away, and
the link rules need both (``+`` warns; repeated keys warn or fail).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, unquote, unquote_plus, urlsplit


@dataclass(frozen=True)
class Param:
    key: str
    value: str  # decoded as a browser form would (`+` is a space)
    raw: str  # as written in the URL, not decoded

    @property
    def text(self) -> str:
        """Percent-decoded with `+` kept: a phone number's `+49` stays one."""
        return unquote(self.raw)

    @property
    def is_utm(self) -> bool:
        return self.key.lower().startswith("utm_")


def params(query: str) -> list[Param]:
    out = []
    for pair in query.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        out.append(Param(unquote_plus(key), unquote_plus(value), value))
    return out


def split(url: str) -> SplitResult | None:
    """The URL's parts, or None when it is not a well-formed http(s) URL with
    a single `?` (a second `?` usually means two links were glued together)."""
    if any(c.isspace() or ord(c) < 32 for c in url) or url.count("?") > 1:
        return None
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a non-numeric port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts


def utm(url: str) -> dict[str, str]:
    """The utm_* parameters of a URL's query (first occurrence wins)."""
    parts = urlsplit(url)
    out: dict[str, str] = {}
    for p in params(parts.query):
        if p.is_utm:
            out.setdefault(p.key, p.value)
    return out


# Shopify-style discount links: https://shop.example/discount/MIA20?redirect=/x
_DISCOUNT_PATH = re.compile(r"/discount/([^/?#]+)", re.IGNORECASE)


def promo_code(url: str, names: list[str]) -> str | None:
    """The promo code a link applies, from a query parameter or the path."""
    parts = urlsplit(url)
    wanted = {n.lower() for n in names}
    for p in params(parts.query):
        if p.key.lower() in wanted and p.value.strip():
            return p.value.strip()
    m = _DISCOUNT_PATH.search(parts.path)
    return unquote(m.group(1)) if m else None


# Personal data in analytics breaks Google's terms (no PII in GA) and the
# GDPR. Heuristics, tuned to not flag dates in campaign names (bf-2025-11-28).
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
_PHONES = (
    re.compile(r"(?:\+|\b00)[1-9](?:[ ./()-]?\d){7,14}\b"),  # international, E.164-like
    re.compile(r"\(?\b\d{3}\)?[ .-]?\d{3}[ .-]\d{4}\b"),  # 555-123-4567
    re.compile(r"\b0\d{2,4}[ /-]?\d{6,8}\b"),  # national trunk prefix: 0170 1234567
)


def personal_data(text: str) -> list[str]:
    """The kinds of personal data found in ``text``: "e-mail address", "phone number"."""
    kinds = []
    if _EMAIL.search(text):
        kinds.append("e-mail address")
    if any(p.search(text) for p in _PHONES):
        kinds.append("phone number")
    return kinds


def redact(text: str) -> str:
    """``text`` with e-mail addresses and phone numbers masked, for evidence."""
    text = _EMAIL.sub("[e-mail redacted]", text)
    for p in _PHONES:
        text = p.sub("[phone redacted]", text)
    return text


def scrub(value: Any) -> Any:
    """Evidence with personal data masked in every string (URLs are looked at
    percent-decoded, where an e-mail's `@` is `%40`)."""
    if isinstance(value, str):
        return redact(unquote(value)) if personal_data(unquote(value)) else value
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value
