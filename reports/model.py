"""The Report: the whole run as one schema-versioned object.

It is written as ``report.json`` and every renderer is a plain function of
it, so ``peakready report report.json`` re-renders without re-running.
"""

from __future__ import annotations

from typing import Any

from peakready.reports.comparison import Comparison
from pydantic import BaseModel, Field, computed_field

from peakready.findings import Finding, Status
from peakready.load.results import LoadResult
from peakready.verdict import Grounds, Verdict, grounds

# Bump when a field is removed or changes meaning; added optional fields keep
# it. The JSON Schema (reports/report.schema.json) is generated from these
# models by `python -m peakready.reports.schema`; a test fails when it is stale.
REPORT_SCHEMA_VERSION = 1
AREAS = ("email", "links", "promo", "attribution", "load")


class ScenarioInfo(BaseModel):
    name: str
    path: str = ""
    target: str = ""
    description: str = ""


class PlanInfo(BaseModel):
    summary: dict[str, Any] = Field(default_factory=dict)
    # planned session starts per interval (offset s, sessions), for the chart
    curve: list[tuple[float, float]] = Field(default_factory=list)


class Capacity(BaseModel):
    """Can the shop take last season's peak plus buffer, and how much more?

    Rates are session starts per minute. ``limit`` is the highest rate that
    held its SLOs when stepping up (``--find-limit``); headroom = limit /
    forecast peak, and the scenario sets the minimum.
    """

    last_season_peak_per_min: float | None = None
    growth: float = 0.0
    safety: float = 0.0
    forecast_peak_per_min: float | None = None  # last season x (1+growth) x (1+safety)
    tested_peak_per_min: float | None = None  # what the replay actually started at peak
    limit_per_min: float | None = None
    headroom: float | None = None
    min_headroom: float | None = None
    limit_note: str = ""  # how the limit was found, or why not
    limit_steps: list[dict[str, Any]] = Field(default_factory=list)  # the staircase, judged


class CheckInfo(BaseModel):
    id: str
    title: str
    area: str
    level: str
    health: bool = False


class FindingRef(BaseModel):
    """A finding of ``Report.findings``, by its place in that list."""

    index: int
    check: str
    subject: str
    code: str


class VerdictBasis(BaseModel):
    """What the verdict rests on (``peakready.verdict.grounds``)."""

    rests_on: list[FindingRef] = Field(default_factory=list, description=(
        "the findings the verdict rests on: what blocks a NO-GO, the failing health "
        "findings of an INCONCLUSIVE, the warnings of GO WITH WARNINGS; none for GO"))
    generator_healthy: bool = Field(True, description=(
        "no health finding (load.generator) failed: the load figures describe the shop"))
    set_aside: list[FindingRef] = Field(default_factory=list, description=(
        "failures that would block but rest only on timings taken by an unhealthy "
        "load generator (latency, a wait for a free user or behind "
        "load.max_request_rate): never a NO-GO on their own"))


class Report(BaseModel):
    """A peakready run: the verdict, what was planned and measured, and every
    finding. Written as report.json; the HTML, Markdown and JUnit outputs
    are rendered from it alone."""

    schema_version: int = Field(REPORT_SCHEMA_VERSION, description=(
        "Version of this schema; readers reject a report newer than they know."))
    tool_version: str = ""
    scenario: ScenarioInfo
    started_at: str = Field("", description="ISO 8601, UTC")
    finished_at: str = ""
    git_revision: str = Field("", description="of the scenario's repository, or CI's SHA")
    verdict: Verdict
    exit_code: int = Field(description="0 GO, 1 NO-GO, 2 bad input, 3 internal error, "
                           "4 INCONCLUSIVE")
    strict: bool = False
    errors_block: bool = True
    partial: bool = Field(False, description="the run did not complete; see notes")
    notes: list[str] = Field(default_factory=list)
    plan: PlanInfo = Field(default_factory=PlanInfo)
    capacity: Capacity = Field(default_factory=Capacity)
    load: LoadResult | None = None
    checks: list[CheckInfo] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    comparison: Comparison | None = Field(None, description="deltas against --baseline")

    def area_of(self, check_id: str) -> str:
        for c in self.checks:
            if c.id == check_id:
                return c.area
        return check_id.split(".", 1)[0]

    def grounds(self) -> Grounds:
        """The verdict's grounds, recomputed from the findings the way the gate
        computed the verdict (peakready.verdict.grounds)."""
        health = frozenset(c.id for c in self.checks if c.health)
        return grounds(self.findings, health, self.errors_block)

    def _refs(self, findings: tuple[Finding, ...]) -> list[FindingRef]:
        ids = {id(f): i for i, f in enumerate(self.findings)}
        return [FindingRef(index=ids[id(f)], check=f.check, subject=f.subject, code=f.code)
                for f in findings]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verdict_basis(self) -> VerdictBasis:
        g = self.grounds()
        return VerdictBasis(rests_on=self._refs(g.rests_on),
                            generator_healthy=not g.unhealthy,
                            set_aside=self._refs(g.set_aside))

    def blocking(self) -> list[Finding]:
        """What makes the launch NO-GO."""
        return list(self.grounds().blocking)

    def inconclusive_reasons(self) -> list[Finding]:
        """The health findings that make the measurement invalid (verdict.verdict)."""
        return list(self.grounds().unhealthy)

    def set_aside(self) -> list[Finding]:
        """Failures not counted against the shop: they rest only on timings an
        unhealthy load generator took."""
        return list(self.grounds().set_aside)

    def grouped(self) -> list[tuple[str, list[Finding]]]:
        """Findings by area, failures first."""
        order = {Status.FAIL: 0, Status.ERROR: 1, Status.WARN: 2, Status.PASS: 3,
                 Status.SKIP: 4}
        groups: dict[str, list[Finding]] = {}
        for f in self.findings:
            groups.setdefault(self.area_of(f.check), []).append(f)
        known = [a for a in AREAS if a in groups] + sorted(set(groups) - set(AREAS))
        return [(a, sorted(groups[a], key=lambda f: (order[f.status], f.check, f.subject)))
                for a in known]
