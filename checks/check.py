"""What a check is: a value with its metadata and one ``run(ctx)``.

A check module ends with ``CHECK = Check(id="email.spf", ...)``; its id is
its path under ``checks/`` (``checks/email/spf.py``), and the registry
(``peakready.checks.registry``) is an explicit tuple of them (pre-commit's
``all_languages``; Lighthouse's audits carry their own metadata the same
way). A check never knows its gate level: that is policy, applied by
``peakready.verdict`` from the scenario.

What a check may use comes in a ``CheckContext``: the scenario (or, for
``peakready email``, only the sending domains), the DNS resolver, the HTTP
session, the clock and, after the load, its result. Checks never build
their own clients, which is what makes a zone file, a loopback DNS server
and live DNS interchangeable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from peakready.findings import Finding, Level, Status

if TYPE_CHECKING:  # annotations only: `peakready email` need not load the scenario model
    import requests

    from peakready.email.config import Email
    from peakready.email.dns import DnsContext
    from peakready.load.results import LimitResult, LoadResult
    from peakready.scenario.model import Scenario


class Phase(StrEnum):
    PRE = "pre"  # before the load starts (DNS, links, promo codes)
    POST = "post"  # after the load, from its LoadResult (SLOs)


class Need(StrEnum):
    """What a check cannot run without. The runner skips a check whose need
    the context lacks, with one ``nothing-to-check`` finding naming it; the
    members are typed, so a misspelt need fails when the module is imported."""

    SCENARIO = "a scenario"
    EMAIL = "sending domains (email.domains)"
    CAMPAIGNS = "campaigns"
    PROMO = "a promo: section"
    HTTP = "an HTTP session to the target"
    LOAD_RESULT = "the load's result (no replay ran)"


def _present(need: Need, ctx: CheckContext) -> bool:
    sc = ctx.scenario
    match need:
        case Need.SCENARIO:
            return sc is not None
        case Need.EMAIL:
            return ctx.email is not None and bool(ctx.email.domains)
        case Need.CAMPAIGNS:
            return sc is not None and bool(sc.campaigns)
        case Need.PROMO:
            return sc is not None and sc.promo is not None
        case Need.HTTP:
            return ctx.http is not None
        case Need.LOAD_RESULT:
            return ctx.load is not None


@dataclass
class CheckContext:
    """What a check may use. ``email`` defaults to the scenario's section."""

    scenario: Scenario | None = None
    email: Email | None = None
    resolver: DnsContext | None = None  # zone files first, then live DNS or a nameserver
    http: requests.Session | None = None
    base_url: str = ""
    load: LoadResult | None = None
    limit: LimitResult | None = None  # from `run --find-limit`
    timeout: float = 10.0
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))

    def __post_init__(self) -> None:
        if self.email is None and self.scenario is not None:
            self.email = self.scenario.email

    @property
    def the_scenario(self) -> Scenario:
        """The scenario, for a check that declares ``Need.SCENARIO`` (the runner
        never calls it without one)."""
        if self.scenario is None:
            raise RuntimeError("this check needs a scenario: declare Need.SCENARIO")
        return self.scenario

    def missing(self, needs: Iterable[Need]) -> list[Need]:
        return [n for n in needs if not _present(n, self)]


RunFn = Callable[[CheckContext], Iterable[Finding]]
AppliesFn = Callable[[CheckContext], str | None]


@dataclass(frozen=True)
class Check:
    """A check family: metadata plus one entry point.

    ``doc`` is the module docstring: what it checks, why it matters, how to
    fix. Its ``area`` (the first part of the id, the folder it lives in)
    groups it in the report. ``applies``, when given, returns why there is nothing to check in
    this context (or None), so the check itself never writes that finding.
    """

    id: str
    title: str
    run: RunFn
    doc: str = ""
    phase: Phase = Phase.PRE
    default_level: Level = Level.ERROR
    needs: tuple[Need, ...] = ()
    applies: AppliesFn | None = None
    timeout: float = 60.0
    # A failing health finding means the measurement itself is not valid: the
    # verdict is INCONCLUSIVE, never GO and never NO-GO on its account.
    health: bool = False

    @property
    def area(self) -> str:
        """The folder the check lives in (``email`` for ``email.spf``)."""
        return self.id.split(".", 1)[0]

    def finding(self, subject: str, status: Status, code: str, summary: str, **kw: Any) -> Finding:
        return Finding(check=self.id, subject=subject, status=status, code=code,
                       summary=summary, **kw)
