"""The scenario's ``slos:`` section: the service levels the shop must hold."""

from __future__ import annotations

from pydantic import Field, field_validator

from peakready.flows import ALL_STEPS
from peakready.units import Strict

_Strict = Strict


class StepSlo(_Strict):
    p95_ms: float | None = Field(None, gt=0, description="Highest 95th percentile latency, ms.")
    p99_ms: float | None = Field(None, gt=0, description="Highest 99th percentile latency, ms.")
    max_error_rate: float | None = Field(None, ge=0, le=1, description="Highest share of "
                                         "failed requests.")


class Slos(_Strict):
    steps: dict[str, StepSlo] = Field(
        default_factory=lambda: {"*": StepSlo(p95_ms=1000, p99_ms=3000, max_error_rate=0.01)},
        description="Per flow step (`*` = every step not listed).")
    checkout_success_rate: float = Field(0.98, ge=0, le=1, description="Lowest share of "
                                         "checkout attempts that must end in an order.")
    interval_tolerance: float = Field(
        0.1, ge=0, le=1, description="Share of intervals a step may breach its SLO in "
        "(over the run it must hold regardless); beyond it the step fails.")
    min_interval_samples: int = Field(
        20, ge=1, description="An interval with fewer requests of a step is not judged; "
        "unless `load.interval` is set, intervals are made long enough for the landing page "
        "to get this many at the plan's median rate.")
    max_dropped_rate: float | None = Field(
        None, ge=0, le=1, description="Most session starts that may be dropped.")
    min_headroom: float | None = Field(
        None, gt=0, description="Required headroom (limit / forecast peak) from "
        "`run --find-limit`, e.g. 1.5.")

    @field_validator("steps")
    @classmethod
    def _known_steps(cls, v: dict[str, StepSlo]) -> dict[str, StepSlo]:
        unknown = [k for k in v if k != "*" and k not in ALL_STEPS]
        if unknown:
            raise ValueError(f"unknown step {unknown[0]!r}; steps are: * {' '.join(ALL_STEPS)}")
        return v

    def for_step(self, step: str) -> StepSlo | None:
        return self.steps.get(step) or self.steps.get("*")
