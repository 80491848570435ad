"""The one type that crosses every boundary: a Finding.

Checks, load SLOs and the generator-health rules all speak in Findings, so
the verdict is computed one way for everything (docs/design.md, "Findings,
checks, verdict"). What a check is (``Check``) lives with the checks, in
``peakready.checks.check``; this module is at the bottom of the tree and
imports nothing of peakready.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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
    # Set by the check: this finding's failure rests only on timings the load
    # generator took (a latency, a wait for a free user or behind
    # load.max_request_rate), which a starved or throttled generator inflates on
    # its own. In a run whose generator was unhealthy the gate sets it aside:
    # it never makes the run NO-GO (peakready.verdict.grounds).
    generator_dependent: bool = False
    # Filled by the gate (peakready.verdict.apply_levels), never by a check.
    level: Level | None = None
