"""The scenario file: one YAML document that describes a shop, its traffic,
its campaigns, its service levels and its gate policy.

Each stage's section model sits beside the code that uses it (``traffic:``
in peakready.traffic.config, ``email:`` in peakready.email.config, ...);
this module composes them and holds what belongs to no one stage: the
target, the flows, the campaigns and the gate policy. Reading a file,
reporting every problem with its line and resolving the paths it names is
peakready.scenario.load.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol
from urllib.parse import urljoin, urlsplit

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from peakready.email.config import Email
from peakready.findings import Level
from peakready.flows import FlowKind
from peakready.links.config import Links
from peakready.load.config import Load
from peakready.load.slo_config import Slos
from peakready.shops import profiles
from peakready.shops.config import PromoSection
from peakready.shops.profile import Profile
from peakready.shops.section import ShopSection, resolve
from peakready.traffic.config import Traffic
from peakready.units import Strict

DEMO = "demo"


class HasLevel(Protocol):
    """What the gate policy needs of a check (peakready.checks.check.Check)."""

    @property
    def id(self) -> str: ...
    @property
    def default_level(self) -> Level: ...
_Strict = Strict


class DemoOptions(_Strict):
    """Faults the embedded demo shop is started with (rehearsing a broken shop)."""

    unsafe_promo_race: bool = Field(False, description="Redeem codes check-then-increment.")
    attribution_drop_every: int = Field(0, ge=0, description="Lose every Nth order from "
                                        "the attribution log.")


class Target(_Strict):
    base_url: str = Field(
        description="Where the shop runs: an http(s) URL, or `demo` to start the "
        "embedded demo storefront on 127.0.0.1.")
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts other than loopback that load may be sent to. A load test "
        "is a weapon: list a host here only if you own it.")
    timezone: str = Field("UTC", description="The shop's time zone (IANA name).")
    mutations: bool = Field(
        False, description="Whether checks may place orders on this target (promo checkout, "
        "usage-limit race probe). Only for a shop you own, with test payments.")
    demo_options: DemoOptions | None = Field(
        None, description="Only with base_url: demo: faults to start the demo shop with.")

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if v == DEMO:
            return v
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be `demo` or an http(s) URL such as https://staging.shop.example")
        return v.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r}; use an IANA name such as Europe/Berlin") from None
        return v

    @property
    def is_demo(self) -> bool:
        return self.base_url == DEMO

    @model_validator(mode="after")
    def _demo_options(self) -> Target:
        if self.demo_options is not None and not self.is_demo:
            raise ValueError("demo_options applies only to base_url: demo")
        return self


class Flow(_Strict):
    name: str = Field(min_length=1, description="Name in the report and in `slos`.")
    kind: FlowKind = Field(description="How deep the session goes: lands and leaves, "
                           "browses, abandons a cart, checks out (with the campaign's code), "
                           "or pays with a wallet.")
    weight: float = Field(gt=0, description="Relative share of sessions.")
    products: int = Field(2, ge=1, le=20, description="Product pages viewed per session.")


class Campaign(_Strict):
    name: str = Field(min_length=1, description="Campaign id (usually the utm_campaign).")
    influencer: str = Field("", description="Who posts the link, as the report shows it.")
    link: str = Field(min_length=1, description="The link as posted: an absolute URL, or a "
                      "path on the target such as /collections/x?utm_source=...")
    landing: str | None = Field(
        None, description="What the load requests for this campaign, if not the link's "
        "own path and query (e.g. when the link is a third-party shortener).")
    channel: str = Field("", description="Expected GA4 default channel, e.g. Organic Social.")
    promo_code: str | None = Field(None, description="The code the creator posts; "
                                   "promo_checkout sessions of this campaign use it.")
    weight: float = Field(1.0, gt=0, description="Relative share of campaign sessions.")

    def url(self, base_url: str) -> str:
        return urljoin(base_url + "/", self.link)

    def landing_path(self) -> str:
        """Path and query the load requests on the target."""
        parts = urlsplit(self.landing or self.link)
        path = parts.path or "/"
        return f"{path}?{parts.query}" if parts.query else path


class CheckPolicy(_Strict):
    level: Level | None = Field(None, description="Gate level: `error` blocks the launch, "
                                "`warn` only warns, `off` ignores the check (default: the "
                                "check's own).")


class Scenario(_Strict):
    """The scenario file: one YAML document that describes a shop, its traffic,
    its campaigns, its service levels and its gate policy.

    Validation reports every problem at once, each with its path in the file and
    its line (``demo.yaml:14: flows[2].weight: must be > 0``). Unknown keys and
    unknown check ids are errors, so a typo never silently disables a rule.
    Paths in it are relative to the scenario file.
    """

    name: str = Field(min_length=1, description="Shown at the top of the report.")
    description: str = Field("", description="What is rehearsed, for the report.")
    target: Target
    load: Load
    flows: list[Flow] = Field(min_length=1)
    campaigns: list[Campaign] = Field(default_factory=list)
    slos: Slos = Field(default_factory=Slos)
    checks: dict[str, CheckPolicy] = Field(default_factory=dict)
    traffic: Traffic | None = Field(None, description="Replay last season's traffic.")
    shop: ShopSection | None = Field(None, description="The shop profile: how each step of "
                                     "a session talks to the target (a preset, or a file). "
                                     "Default: the `demo` preset for the demo target; none "
                                     "otherwise (landings only).")
    promo: PromoSection | None = Field(None, description="Promo codes and attribution.")
    email: Email | None = Field(None, description="Sending domains for the SPF, DKIM and "
                                "DMARC checks, and planned zone files.")
    links: Links = Field(default_factory=Links, description="Campaign links: a CSV of more "
                         "links, naming conventions, landing and certificate rules.")
    errors_block: bool = Field(
        True, description="Whether a check that could not be evaluated (status error) at "
        "level error blocks the launch.")
    # Where the scenario was read from (peakready.scenario.load sets it); the
    # paths it names are already resolved, so nothing downstream needs it.
    _source: Path | None = PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        return self._source

    @field_validator("checks")
    @classmethod
    def _known_checks(cls, v: dict[str, CheckPolicy],
                      info: ValidationInfo) -> dict[str, CheckPolicy]:
        # The registry sits above the scenario (checks read it), so its ids
        # come in through the validation context (peakready.scenario.load).
        known = (info.context or {}).get("check_ids")
        unknown = sorted(set(v) - set(known)) if known is not None else []
        if unknown:
            raise ValueError(
                f"unknown check id {unknown[0]!r}; known ids: {', '.join(sorted(known))}")
        return v

    @model_validator(mode="after")
    def _load_source(self) -> Scenario:
        constant = self.load.arrival_rate is not None or self.load.duration is not None
        if self.traffic is None and (self.load.arrival_rate is None
                                     or self.load.duration is None):
            raise ValueError("give load.arrival_rate and load.duration (a constant rate), "
                             "or a traffic: section with a history to replay")
        if self.traffic is not None and constant:
            raise ValueError("give either traffic.history or load.arrival_rate/duration, "
                             "not both")
        if self.traffic is not None:
            names = {c.name for c in self.campaigns}
            for i, spike in enumerate(self.traffic.spikes):
                if spike.campaign not in names:
                    raise ValueError(f"traffic.spikes[{i}].campaign: {spike.campaign!r} is not "
                                     f"a campaign of this scenario ({', '.join(sorted(names))})")
        return self

    @model_validator(mode="after")
    def _unique_names(self) -> Scenario:
        for what, items in (("flows", self.flows), ("campaigns", self.campaigns)):
            seen: set[str] = set()
            for item in items:
                if item.name in seen:
                    raise ValueError(f"{what}: duplicate name {item.name!r}")
                seen.add(item.name)
        return self

    def shop_profile(self) -> Profile | None:
        """The profile of the target shop (BadInput when it does not validate)."""
        if self.shop is not None:
            return resolve(self.shop, str(self.source or self.name))
        return profiles.load("demo") if self.target.is_demo else None

    def level_for(self, check_id: str, default: Level) -> Level:
        policy = self.checks.get(check_id)
        return policy.level if policy and policy.level else default

    def levels(self, checks: Iterable[HasLevel]) -> dict[str, Level]:
        """The gate policy for these checks: the scenario's level, else the check's own."""
        return {c.id: self.level_for(c.id, c.default_level) for c in checks}

