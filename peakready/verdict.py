"""The gate: per-check levels applied to findings, and the verdict.

Both are pure functions of their inputs (lighthouse-ci's assertions as
separate policy): the same check can warn on staging and block on
production, and the check never knows its level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
    """A finding that makes the launch NO-GO."""
    if f.level is not Level.ERROR:
        return False
    return f.status is Status.FAIL or (f.status is Status.ERROR and errors_block)


def warning(f: Finding, errors_block: bool = True) -> bool:
    if f.level is Level.OFF:
        return False
    if f.status is Status.WARN:
        return True
    return f.status in (Status.FAIL, Status.ERROR) and not blocking(f, errors_block)


def verdict(findings: Iterable[Finding], health_checks: frozenset[str] = frozenset(),
            errors_block: bool = True) -> Verdict:
    """NO-GO > INCONCLUSIVE > GO WITH WARNINGS > GO (docs/design.md, "Findings,
    checks, verdict")."""
    findings = list(findings)
    if any(blocking(f, errors_block) for f in findings if f.check not in health_checks):
        return Verdict.NO_GO
    if any(f.status in (Status.FAIL, Status.ERROR) and f.level is not Level.OFF
           for f in findings if f.check in health_checks):
        return Verdict.INCONCLUSIVE
    if any(warning(f, errors_block) for f in findings):
        return Verdict.GO_WITH_WARNINGS
    return Verdict.GO
