"""The scenario's ``links:`` section: where more campaign links come from and
the team's naming conventions the link checks enforce.

Every key is optional; an empty section keeps GA4's own rules only (the
required parameters, the default channel group, the known source list).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from peakready.units import Duration, Strict, regex_expr

# A GA4 measurement id (G-XXXXXXX) or a Tag Manager container (GTM-XXXXXX)
# anywhere in the landing page: the page loads *some* analytics tag.
DEFAULT_TAG = r"\bG-[A-Z0-9]{4,}\b|\bGTM-[A-Z0-9]{4,}\b"

# Link shorteners whose hop is worth a warning: each is one more service that
# can be down, rate-limit, or drop the query string at peak.
DEFAULT_SHORTENERS = (
    "bit.ly", "bitly.com", "buff.ly", "cutt.ly", "goo.gl", "is.gd", "lnkd.in", "ow.ly",
    "rebrand.ly", "shorturl.at", "t.co", "t.ly", "tiny.cc", "tinyurl.com", "trib.al",
)


def _regex(value: str | None) -> str | None:
    return None if value is None else regex_expr(value)


class Window(Strict):
    """When the campaign runs; certificates must outlive its end plus a margin."""

    start: dt.datetime | None = None
    end: dt.datetime | None = Field(
        None, description="A date alone means the end of that day, in the shop's time zone.")

    @field_validator("end", mode="before")
    @classmethod
    def _end_of_day(cls, v: Any) -> Any:
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            return dt.datetime.combine(v, dt.time.max)
        if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v.strip()):
            return dt.datetime.combine(dt.date.fromisoformat(v.strip()), dt.time.max)
        return v

    @model_validator(mode="after")
    def _order(self) -> Window:
        if self.start and self.end:
            naive = {self.start.tzinfo is None, self.end.tzinfo is None}
            if len(naive) == 1 and self.end <= self.start:
                raise ValueError("end must be after start")
        return self


class Links(Strict):
    csv: str | None = Field(
        None, description="A CSV of more links, one per line: influencer,url[,channel,"
        "promo_code[,landing]]; a path relative to the scenario file.")
    required: list[str] = Field(
        default_factory=lambda: ["utm_source", "utm_medium", "utm_campaign"],
        min_length=1, description="Query parameters every link must carry, non-empty.")
    mediums: list[str] = Field(
        default_factory=list, description="Allowed utm_medium values (empty: any).")
    campaign_pattern: str | None = Field(
        None, description="Regular expression every utm_campaign must match in full, "
        "e.g. ^bf-[a-z0-9-]+$.")
    extra_sources: list[str] = Field(
        default_factory=list, description="utm_source values your team uses that are not "
        "on GA4's known source list (e.g. a newsletter name), so they do not warn.")
    promo_params: list[str] = Field(
        default_factory=lambda: ["promo", "promo_code", "discount", "coupon", "code"],
        description="Query parameters that carry a promo code (Shopify's /discount/CODE "
        "path is recognised too).")
    analytics_tag: str = Field(
        DEFAULT_TAG, description="Regular expression the landing page's HTML must contain: "
        "your GA4 measurement id or GTM container, e.g. G-ABC123XYZ.")
    shorteners: list[str] = Field(default_factory=lambda: list(DEFAULT_SHORTENERS))
    max_hops: int = Field(10, ge=1, le=10, description="Redirects followed before giving up.")
    warn_hops: int = Field(2, ge=0, description="More redirects than this warn.")
    slow_landing: Duration = Field(
        3.0, gt=0, description="A landing page slower than this (seconds) warns.")
    request_timeout: Duration = Field(10.0, gt=0, le=60, description="Per request.")
    concurrency: int = Field(8, ge=1, le=64, description="Links checked at the same time.")
    tls_margin_days: int = Field(
        14, ge=0, description="Certificates must stay valid this long after the campaign "
        "window ends (after today when no window is given).")
    window: Window = Field(default_factory=Window)
    tls_urls: list[str] = Field(
        default_factory=list, description="More https URLs whose certificates must outlive "
        "the campaign, e.g. a checkout or payment page on another host.")

    @field_validator("tls_urls")
    @classmethod
    def _https(cls, v: list[str]) -> list[str]:
        for url in v:
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.hostname:
                raise ValueError(f"{url!r} is not an https URL such as "
                                 "https://checkout.shop.example/")
        return v

    @field_validator("campaign_pattern", "analytics_tag")
    @classmethod
    def _pattern(cls, v: str | None) -> str | None:
        return _regex(v)

    @field_validator("required", "mediums", "extra_sources", "promo_params", "shorteners")
    @classmethod
    def _non_empty(cls, v: list[str]) -> list[str]:
        if any(not s.strip() for s in v):
            raise ValueError("entries must be non-empty strings")
        return [s.strip() for s in v]
