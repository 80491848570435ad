"""The one type that crosses every boundary: a Finding, and what makes one.

Checks, load SLOs and the generator-health rules all speak in Findings, so
the verdict is computed one way for everything (DESIGN.md, "The way data
flows"). A Check is a value: metadata plus one ``run(ctx, options)``
function; the registry in ``checks/__init__.py`` is a plain tuple of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    import requests

    from peakready.dnsctx import DnsContext
    from peakready.results import LimitResult, LoadResult
    from peakready.scenario import Scenario


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"  # could not be evaluated (DNS timeout, refused connection, crash)
    SKIP = "skip"


class Level(StrEnum):
    """Gate policy for one check id (lighthouse-ci's assertion levels)."""

    OFF = "off"
    WARN = "warn"
    ERROR = "error"


class Finding(BaseModel):
    """One observation about one subject. Everything in it is data, never markup."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    check: str
    subject: str
    status: Status
    code: str
    summary: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    remediation: str = ""
    # Filled by the gate (reports.gate.apply_levels), never by a check.
    level: Level | None = None


class Phase(StrEnum):
    PRE = "pre"  # before the load starts (DNS, links, promo codes)
    POST = "post"  # after the load, from its LoadResult (SLOs)


@dataclass
class CheckContext:
    """What a check may use. Checks never build their own clients."""

    scenario: Scenario
    resolver: DnsContext | None = None  # zone files first, then live DNS or a nameserver
    http: requests.Session | None = None
    base_url: str = ""
    load: LoadResult | None = None
    limit: LimitResult | None = None  # from `run --find-limit`
    timeout: float = 10.0
    clock: Callable[[], dt.datetime] = field(
        default=lambda: dt.datetime.now(dt.UTC)
    )


RunFn = Callable[[CheckContext, dict[str, Any]], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    """A check family: metadata plus one entry point.

    ``doc`` is the module docstring: what it checks, why it matters, how to
    fix. ``area`` groups it in the report (email, links, promo, load).
    """

    id: str
    title: str
    area: str
    run: RunFn
    doc: str = ""
    phase: Phase = Phase.PRE
    default_level: Level = Level.ERROR
    needs: tuple[str, ...] = ()  # scenario sections it reads; skipped when empty
    timeout: float = 60.0
    # A failing health finding means the measurement itself is not valid: the
    # verdict is INCONCLUSIVE, never GO and never NO-GO on its account.
    health: bool = False

    def finding(self, subject: str, status: Status, code: str, summary: str, **kw: Any) -> Finding:
        return Finding(check=self.id, subject=subject, status=status, code=code,
                       summary=summary, **kw)
