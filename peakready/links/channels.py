"""Predict the GA4 default channel group of a tagged link from its source,
medium and campaign name, before any visitor clicks it.

Source: Google Analytics Help, "[GA4] Default channel group", table
"Channels for manual traffic" (https://support.google.com/analytics/answer/9756891).
GA4 evaluates the channels in the order listed there and the first match
wins; a link that matches none lands in "Unassigned". The rules are written
here by hand because no maintained Python library publishes them; the
source lists are in ``peakready/links/sources.py``.

We compare lower-cased values: the casing of a value is reported separately
(``utm-uppercase``, ``utm-case-split``), because GA4 reports split sessions
by the exact value even where its channel rules do not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from peakready.links.sources import SEARCH, SHOPPING, SOCIAL, VIDEO

# The channel names as GA4 shows them, in its evaluation order.
CHANNELS = (
    "Direct", "Cross-network", "Paid Shopping", "Paid Search", "Paid Social", "Paid Video",
    "Display", "Paid Other", "Organic Shopping", "Organic Social", "Organic Video",
    "Organic Search", "Referral", "Email", "Affiliates", "Audio", "SMS",
    "Mobile Push Notifications", "Unassigned",
)

# "Medium matches regex ^(.*cp.*|ppc|retargeting|paid.*)$"
_PAID = re.compile(r"^(.*cp.*|ppc|retargeting|paid.*)$")
# "Campaign Name matches regex ^(.*(([^a-df-z]|^)shop|shopping).*)$"
_SHOP_CAMPAIGN = re.compile(r"^(.*(([^a-df-z]|^)shop|shopping).*)$")
_VIDEO_MEDIUM = re.compile(r"^(.*video.*)$")
_SOCIAL_MEDIUMS = {"social", "social-network", "social-media", "sm", "social network",
                   "social media"}
_DISPLAY_MEDIUMS = {"display", "banner", "expandable", "interstitial", "cpm"}
_EMAIL = {"email", "e-mail", "e_mail", "e mail"}


@dataclass(frozen=True)
class Traffic:
    source: str
    medium: str
    campaign: str = ""

    @property
    def paid(self) -> bool:
        return bool(_PAID.match(self.medium))

    @property
    def shopping(self) -> bool:
        return self.source in SHOPPING or bool(_SHOP_CAMPAIGN.match(self.campaign))


Rule = tuple[str, Callable[[Traffic], bool]]

RULES: tuple[Rule, ...] = (
    ("Direct", lambda t: t.source == "(direct)" and t.medium in ("(not set)", "(none)")),
    ("Cross-network", lambda t: "cross-network" in t.campaign),
    ("Paid Shopping", lambda t: t.shopping and t.paid),
    ("Paid Search", lambda t: t.source in SEARCH and t.paid),
    ("Paid Social", lambda t: t.source in SOCIAL and t.paid),
    ("Paid Video", lambda t: t.source in VIDEO and t.paid),
    ("Display", lambda t: t.medium in _DISPLAY_MEDIUMS),
    ("Paid Other", lambda t: t.paid),
    ("Organic Shopping", lambda t: t.shopping),
    ("Organic Social", lambda t: t.source in SOCIAL or t.medium in _SOCIAL_MEDIUMS),
    ("Organic Video", lambda t: t.source in VIDEO or bool(_VIDEO_MEDIUM.match(t.medium))),
    ("Organic Search", lambda t: t.source in SEARCH or t.medium == "organic"),
    ("Referral", lambda t: t.medium in ("referral", "app", "link")),
    ("Email", lambda t: t.source in _EMAIL or t.medium in _EMAIL),
    ("Affiliates", lambda t: t.medium == "affiliate"),
    ("Audio", lambda t: t.medium == "audio"),
    ("SMS", lambda t: t.source == "sms" or t.medium == "sms"),
    ("Mobile Push Notifications", lambda t: t.medium.endswith("push")
     or "mobile" in t.medium or "notification" in t.medium or t.source == "firebase"),
)


def predict(source: str, medium: str, campaign: str = "") -> str:
    """The channel GA4 would assign to a session from this link."""
    t = Traffic(source.strip().lower(), medium.strip().lower(), campaign.strip().lower())
    return next((name for name, rule in RULES if rule(t)), "Unassigned")


def canonical(channel: str) -> str | None:
    """``organic social`` → ``Organic Social``; None when GA4 has no such channel."""
    return {c.lower(): c for c in CHANNELS}.get(channel.strip().lower())
