"""GA4 default channel prediction, row by row of Google's "manual traffic" table."""

from __future__ import annotations

import pytest

from peakready.links.channels import CHANNELS, canonical, predict


@pytest.mark.parametrize(("source", "medium", "campaign", "channel"), [
    ("(direct)", "(none)", "", "Direct"),
    ("google", "cpc", "bf-cross-network", "Cross-network"),
    ("amazon", "cpc", "bf", "Paid Shopping"),
    ("google", "cpc", "xmas-shop", "Paid Shopping"),
    ("google", "ppc", "bf", "Paid Search"),
    ("instagram", "paid_social", "bf", "Paid Social"),
    ("tiktok", "retargeting", "bf", "Paid Social"),
    ("youtube", "cpv", "bf", "Paid Video"),
    ("criteo", "banner", "bf", "Display"),
    ("criteo", "cpm", "bf", "Display"),  # Display is checked before Paid Other
    ("meta", "cpc", "bf", "Paid Other"),
    ("etsy", "referral", "bf", "Organic Shopping"),
    ("instagram", "influencer", "bf", "Organic Social"),
    ("mia", "social", "bf", "Organic Social"),
    ("mia", "social media", "bf", "Organic Social"),
    ("youtube", "social", "bf", "Organic Social"),  # the medium rule comes first
    ("youtube", "influencer", "bf", "Organic Video"),
    ("mia", "short-video", "bf", "Organic Video"),
    ("bing", "referral", "bf", "Organic Search"),
    ("mia", "organic", "bf", "Organic Search"),
    ("blog.example", "referral", "bf", "Referral"),
    ("blog.example", "link", "bf", "Referral"),
    ("newsletter", "email", "bf", "Email"),
    ("e-mail", "newsletter", "bf", "Email"),
    ("partner", "affiliate", "bf", "Affiliates"),
    ("podcast", "audio", "bf", "Audio"),
    ("sms", "text", "bf", "SMS"),
    ("app", "web-push", "bf", "Mobile Push Notifications"),
    ("app", "mobile", "bf", "Mobile Push Notifications"),
    ("mia", "influencer", "bf", "Unassigned"),
    ("Instagram", "Social", "BF", "Organic Social"),  # casing is reported elsewhere
    ("bf", "shopping-cart", "x", "Unassigned"),
])
def test_predict(source: str, medium: str, campaign: str, channel: str) -> None:
    assert predict(source, medium, campaign) == channel


def test_shop_word_boundary_in_campaign() -> None:
    # ^(.*(([^a-df-z]|^)shop|shopping).*)$: "workshop" is no shop campaign; "eshop"
    # and "e-shop" are (the class leaves out every letter but e).
    assert predict("mia", "cpc", "workshop") == "Paid Other"
    assert predict("mia", "cpc", "eshop") == "Paid Shopping"
    assert predict("mia", "cpc", "e-shop") == "Paid Shopping"


@pytest.mark.parametrize(("name", "expected"), [
    ("organic social", "Organic Social"), (" SMS ", "SMS"), ("Influencers", None)])
def test_canonical(name: str, expected: str | None) -> None:
    assert canonical(name) == expected


def test_every_channel_has_a_rule_but_unassigned() -> None:
    from peakready.links.channels import RULES

    assert [name for name, _ in RULES] + ["Unassigned"] == list(CHANNELS)
