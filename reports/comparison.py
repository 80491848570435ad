"""What a baseline comparison stores in the report (peakready.reports.baseline
computes it): the deltas of the headline figures and of every flow step, and
the findings that are new, fixed or not re-checked."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class BaselineRef(BaseModel):
    path: str = ""
    scenario: str = ""
    started_at: str = ""
    git_revision: str = ""
    verdict: str = ""


class Delta(BaseModel):
    name: str
    unit: str = ""  # "/s", "ms", "%", "x", "/min"
    before: float | None = None
    after: float | None = None
    higher_is_better: bool = True


class StepDelta(BaseModel):
    step: str
    rate_before: float | None = None  # requests/s over the run
    rate_after: float | None = None
    p50_before: float | None = None
    p50_after: float | None = None
    p95_before: float | None = None
    p95_after: float | None = None
    p99_before: float | None = None
    p99_after: float | None = None
    errors_before: float | None = None  # error rate, 0..1
    errors_after: float | None = None


class FindingChange(BaseModel):
    change: Literal["new", "fixed", "not re-checked"]
    check: str
    subject: str
    code: str
    status: str  # now for "new", then for the others
    summary: str


class Comparison(BaseModel):
    baseline: BaselineRef
    overall: list[Delta] = Field(default_factory=list)
    steps: list[StepDelta] = Field(default_factory=list)
    findings: list[FindingChange] = Field(default_factory=list)
    still_open: int = 0  # problems in both runs
