"""The scenario's ``traffic:`` section: which history to replay and how."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Literal

from pydantic import Field, field_validator, model_validator

from peakready.traffic.sessions import DEFAULT_PATHS
from peakready.units import Duration, Strict, parse_duration, regex_expr

Format = Literal["auto", "combined", "jsonl", "csvlog", "cloudflare", "cloudfront", "ga4",
                 "shopify", "curve"]


class Window(Strict):
    """Which part of the history to replay: the busiest stretch, or a range."""

    busiest: Duration | None = Field(None, gt=0, description="e.g. 60m: the busiest hour")
    start: dt.datetime | None = None
    end: dt.datetime | None = None

    @model_validator(mode="after")
    def _one(self) -> Window:
        if self.busiest is not None and (self.start or self.end):
            raise ValueError("give either busiest or start/end, not both")
        if self.busiest is None and not (self.start or self.end):
            raise ValueError("give busiest (e.g. 60m) or start and/or end")
        if self.start and self.end and self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Spike(Strict):
    """A post that has not happened yet: a spike of sessions that decays."""

    at: str = Field(description="Offset into the replayed window (45m) or an ISO time.")
    campaign: str
    peak_per_min: float = Field(gt=0, description="Sessions per minute at the peak.")
    half_life: Duration = Field(gt=0, description="Time for the rate to halve.")

    @field_validator("at")
    @classmethod
    def _at(cls, v: str) -> str:
        try:
            parse_duration(v)
        except ValueError:
            try:
                dt.datetime.fromisoformat(v)
            except ValueError:
                raise ValueError("must be an offset such as 45m or an ISO 8601 time "
                                 "such as 2026-11-27T20:00:00+01:00") from None
        return v


class FlowPaths(Strict):
    """Regular expressions on the request path+query that mark how deep a session got."""

    browse: list[str] = Field(default_factory=lambda: list(DEFAULT_PATHS["browse"]))
    cart: list[str] = Field(default_factory=lambda: list(DEFAULT_PATHS["cart"]))
    checkout: list[str] = Field(default_factory=lambda: list(DEFAULT_PATHS["checkout"]))
    wallet: list[str] = Field(default_factory=lambda: list(DEFAULT_PATHS["wallet"]))

    @field_validator("browse", "cart", "checkout", "wallet")
    @classmethod
    def _regex(cls, v: list[str]) -> list[str]:
        return [regex_expr(rx) for rx in v]


class Traffic(Strict):
    history: str = Field(description="Last season's traffic file, relative to the scenario.")
    format: Format = "auto"
    columns: dict[str, str] = Field(
        default_factory=dict, description="Column mapping for jsonl/csvlog/shopify/curve: "
        "timestamp, ip, user_agent, method, url (or path + query), status, sessions, "
        "campaign, source, medium.")
    timezone: str | None = Field(
        None, description="Time zone of timestamps that carry none (GA4: the property's).")
    interval: Duration = Field(60, ge=1, description="Bucket of the session curve.")
    growth: float = Field(0.0, ge=-0.99, description="Expected growth over last season, "
                          "e.g. 0.25 for +25%.")
    safety: float = Field(0.0, ge=0, description="Safety buffer on top, e.g. 0.2 for +20%.")
    window: Window | None = None
    speedup: float = Field(1.0, ge=1, description="Replay k times faster at the same rates "
                           "(a 6-hour evening in 30 minutes: 12).")
    spikes: list[Spike] = Field(default_factory=list)
    paths: FlowPaths = Field(default_factory=FlowPaths)
    bots: list[str] = Field(default_factory=list,
                            description="Extra user-agent patterns to treat as bots.")
    session_idle: Duration = Field(1800, gt=0, description="Idle time that ends a session.")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                zoneinfo.ZoneInfo(v)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {v!r}") from None
        return v
