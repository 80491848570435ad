"""The gate: per-check levels applied to findings, and the verdict.

Both are pure functions of their inputs (lighthouse-ci's assertions as
separate policy): the same check can warn on staging and block on
production, and the check never knows its level.

The verdict also says what it rests on (``grounds``): the findings that
block the launch, the health findings that make the measurement invalid,
and the failures set aside because they rest only on timings taken by a
load generator that was not healthy — the generator's limits are not the
shop's (docs/design.md, "Findings, checks, verdict").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from peakready.errors import ExitCode
from peakready.findings import Finding, Level, Status


class Verdict(StrEnum):
    GO = "GO"
    GO_WITH_WARNINGS = "GO WITH WARNINGS"
    NO_GO = "NO-GO"
    INCONCLUSIVE = "INCONCLUSIVE"

    def exit_code(self, strict: bool = False) -> ExitCode:
        if self is Verdict.NO_GO:
            return ExitCode.NO_GO
        if self is Verdict.INCONCLUSIVE:
            return ExitCode.INCONCLUSIVE
        if self is Verdict.GO_WITH_WARNINGS and strict:
            return ExitCode.NO_GO
        return ExitCode.GO


def apply_levels(findings: Iterable[Finding], levels: Mapping[str, Level]) -> list[Finding]:
    """Stamp each finding with its check's level (default: error)."""
    return [f.model_copy(update={"level": levels.get(f.check, Level.ERROR)}) for f in findings]


def blocking(f: Finding, errors_block: bool = True) -> bool:
    """A finding that makes the launch NO-GO (unless the gate sets it aside:
    ``grounds``)."""
    if f.level is not Level.ERROR:
        return False
    return f.status is Status.FAIL or (f.status is Status.ERROR and errors_block)


def warning(f: Finding, errors_block: bool = True) -> bool:
    if f.level is Level.OFF:
        return False
    if f.status is Status.WARN:
        return True
    return f.status in (Status.FAIL, Status.ERROR) and not blocking(f, errors_block)


def unhealthy(f: Finding) -> bool:
    """A failing finding of a health check: the measurement is not valid."""
    return f.status in (Status.FAIL, Status.ERROR) and f.level is not Level.OFF


@dataclass(frozen=True)
class Grounds:
    """The verdict and the findings it rests on."""

    verdict: Verdict
    # would make the run NO-GO: a failure at level error, not set aside
    blocking: tuple[Finding, ...] = ()
    # failing health findings: the load generator did not deliver a valid measurement
    unhealthy: tuple[Finding, ...] = ()
    # would block, but rest only on timings the unhealthy generator took
    set_aside: tuple[Finding, ...] = ()
    # findings that only warn
    warnings: tuple[Finding, ...] = ()

    @property
    def rests_on(self) -> tuple[Finding, ...]:
        """The findings this verdict rests on: the blockers of a NO-GO, the
        health failures of an INCONCLUSIVE, the warnings of GO WITH WARNINGS."""
        return {Verdict.NO_GO: self.blocking, Verdict.INCONCLUSIVE: self.unhealthy,
                Verdict.GO_WITH_WARNINGS: self.warnings}.get(self.verdict, ())


def grounds(findings: Iterable[Finding], health_checks: frozenset[str] = frozenset(),
            errors_block: bool = True) -> Grounds:
    """NO-GO > INCONCLUSIVE > GO WITH WARNINGS > GO.

    A failing health finding makes the run INCONCLUSIVE. In such a run a
    failure that rests only on timings the generator took
    (``Finding.generator_dependent``: latency, a wait for a free user or
    behind ``load.max_request_rate``) is set aside: it never makes the run
    NO-GO by itself. A NO-GO then rests only on what the generator cannot
    cause — the shop's own error answers, failed checks.
    """
    findings = list(findings)
    sick = tuple(f for f in findings if f.check in health_checks and unhealthy(f))
    block, aside = [], []
    for f in findings:
        if f.check in health_checks or not blocking(f, errors_block):
            continue
        (aside if sick and f.generator_dependent else block).append(f)
    warns = tuple(f for f in findings
                  if warning(f, errors_block) and not (sick and f.generator_dependent))
    if block:
        v = Verdict.NO_GO
    elif sick:
        v = Verdict.INCONCLUSIVE
    elif warns:
        v = Verdict.GO_WITH_WARNINGS
    else:
        v = Verdict.GO
    return Grounds(v, tuple(block), sick, tuple(aside), warns)


def verdict(findings: Iterable[Finding], health_checks: frozenset[str] = frozenset(),
            errors_block: bool = True) -> Verdict:
    """The verdict of ``grounds`` (docs/design.md, "Findings, checks, verdict")."""
    return grounds(findings, health_checks, errors_block).verdict
