"""The scenario file: one YAML document that describes a shop, its traffic,
its campaigns, its service levels and its gate policy.

Validation reports every problem at once, each with its path in the file and
its line (``demo.yaml:14: flows[2].weight: must be > 0``). Unknown keys and
unknown check ids are errors, so a typo never silently disables a rule.
"""

from __future__ import annotations

import math
import zoneinfo
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml
from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from peakready.emailconfig import Email
from peakready.emailconfig import bind as bind_email
from peakready.exitcodes import BadInput
from peakready.findings import Level
from peakready.flows import FlowKind
from peakready.linkconfig import Links
from peakready.linkset import bind as bind_links
from peakready.loadconfig import Load
from peakready.shops.config import PromoSection
from peakready.sloconfig import Slos
from peakready.traffic.config import Traffic
from peakready.units import Strict
from peakready.yamlpos import LineIndex, format_loc

DEMO = "demo"
DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "demo.yaml"
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
    options: dict[str, Any] = Field(default_factory=dict, description="Check-specific "
                                    "options (none of the shipped checks reads any yet).")


class Scenario(_Strict):
    name: str = Field(min_length=1, description="Shown at the top of the report.")
    description: str = Field("", description="What is rehearsed, for the report.")
    target: Target
    load: Load
    flows: list[Flow] = Field(min_length=1)
    campaigns: list[Campaign] = Field(default_factory=list)
    slos: Slos = Field(default_factory=Slos)
    checks: dict[str, CheckPolicy] = Field(default_factory=dict)
    traffic: Traffic | None = Field(None, description="Replay last season's traffic.")
    promo: PromoSection | None = Field(None, description="Promo codes and attribution.")
    email: Email | None = Field(None, description="Sending domains for the SPF, DKIM and "
                                "DMARC checks, and planned zone files.")
    links: Links = Field(default_factory=Links, description="Campaign links: a CSV of more "
                         "links, naming conventions, landing and certificate rules.")
    errors_block: bool = Field(
        True, description="Whether a check that could not be evaluated (status error) at "
        "level error blocks the launch.")

    @field_validator("checks")
    @classmethod
    def _known_checks(cls, v: dict[str, CheckPolicy]) -> dict[str, CheckPolicy]:
        from checks import BY_ID  # the registry; imported late to avoid a cycle

        unknown = sorted(set(v) - set(BY_ID))
        if unknown:
            raise ValueError(
                f"unknown check id {unknown[0]!r}; known ids: {', '.join(sorted(BY_ID))}")
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

    def level_for(self, check_id: str, default: Level) -> Level:
        policy = self.checks.get(check_id)
        return policy.level if policy and policy.level else default

    def options_for(self, check_id: str) -> dict[str, Any]:
        policy = self.checks.get(check_id)
        return dict(policy.options) if policy else {}


_MESSAGES = {
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than_equal": "must be <= {le}",
    "less_than": "must be < {lt}",
    "missing": "required, but missing",
    "too_short": "must have at least {min_length} item(s)",
}


def _explain(err: dict[str, Any], model: type[BaseModel]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown key; check its spelling against the scenario reference"
    if kind in _MESSAGES:
        try:
            return _MESSAGES[kind].format(**ctx)
        except (KeyError, IndexError):
            pass
    if kind == "enum":
        return f"must be one of: {ctx.get('expected', '')}"
    msg = err["msg"]
    return msg.removeprefix("Value error, ")


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Parse and validate; raise BadInput listing every problem with its place."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise BadInput(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise BadInput(f"{source}: a scenario must be a YAML mapping (name:, target:, load:, ...)")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        index = LineIndex(text)
        problems = []
        for err in exc.errors():
            loc = [p for p in err["loc"] if p not in ("function-after", "function-before")]
            line = index.line_of(loc)
            place = f"{source}:{line}" if line else source
            problems.append(f"{place}: {format_loc(loc)}: {_explain(err, Scenario)}")
        n = len(problems)
        raise BadInput(f"{source}: {n} problem{'s' if n > 1 else ''} in the scenario",
                       problems) from None


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"{path}: cannot read the scenario file: {exc.strerror}") from None
    scenario = parse_scenario(text, str(path))
    if scenario.load.arrival_rate is not None and not math.isfinite(scenario.load.arrival_rate):
        raise BadInput(f"{path}: load.arrival_rate must be a finite number")
    scenario = bind_email(scenario, path)  # zone files are relative to the scenario file
    return bind_links(scenario, path)  # the links CSV is relative to the scenario file
