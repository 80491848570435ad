"""The scenario's ``load:`` section: how the replay is driven and kept safe."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from peakready.units import Duration, Strict

_Strict = Strict


class ThinkTime(_Strict):
    """The pause between a session's steps, drawn uniformly from [min, max]."""

    min: Duration = Field(0.5, ge=0)
    max: Duration = Field(2.0, ge=0)

    @model_validator(mode="after")
    def _order(self) -> ThinkTime:
        if self.max < self.min:
            raise ValueError("max must be >= min")
        return self


class FindLimit(_Strict):
    """`run --find-limit`: a staircase of arrival rates from the forecast peak up."""

    factors: list[float] = Field(
        default_factory=lambda: [1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0],
        min_length=1, description="Steps, as multiples of the forecast peak rate.")
    step_duration: Duration = Field(60, gt=0, description="How long each step is held.")

    @field_validator("factors")
    @classmethod
    def _increasing(cls, v: list[float]) -> list[float]:
        if any(f <= 0 for f in v) or v != sorted(v):
            raise ValueError("must be positive and increasing, e.g. [1, 1.5, 2, 3]")
        return v


class Load(_Strict):
    arrival_rate: float | None = Field(
        None, gt=0, description="Session starts per second (open model), constant; "
        "or replay `traffic.history` instead.")
    duration: Duration | None = Field(None, gt=0, description="How long to send load at "
                                      "arrival_rate.")
    max_sessions_per_min: float | None = Field(
        None, gt=0, description="Cap on the planned arrival rate; the plan says when it bites.")
    interval: Duration | None = Field(
        None, gt=0, description="Resolution of the recorded series: the report's "
        "per-interval figures and per-interval SLOs. Unset, it is chosen from the plan's "
        "rate so intervals can be judged: the shortest of 10s, 15s, 20s, 30s, 1m, 2m, 5m, "
        "10m, 15m, 30m, 1h (from 1m for plans of 30 minutes or more) in which the plan's "
        "median session rate sends `slos.min_interval_samples` landing requests (one per "
        "session), but at most a third of the run; `peakready plan` shows it and why.")
    max_request_rate: float = Field(
        500, gt=0, description="Safety cap on requests per second across all workers.")
    max_users: int = Field(2000, gt=0, description="Cap on the pool of Locust users.")
    think_time: ThinkTime = Field(default_factory=ThinkTime)
    late_tolerance: Duration = Field(
        1.0, gt=0, description="A session start that waits longer for a free user is late.")
    drop_after: Duration = Field(
        30.0, gt=0, description="A session start never served within this is dropped.")
    max_late_fraction: float = Field(
        0.05, ge=0, le=1, description="More late or dropped starts than this make the "
        "run INCONCLUSIVE: the generator did not deliver the plan.")
    abort_error_rate: float = Field(
        0.5, gt=0, le=1, description="Stop early when the error rate stays above this...")
    abort_window: Duration = Field(30.0, gt=0, description="...for this long.")
    request_timeout: Duration = Field(30.0, gt=0, description="A request slower than this "
                                      "fails.")
    seed: int = Field(1, description="Seed of the session draws: the same seed replays the "
                      "same sessions.")
    find_limit: FindLimit = Field(default_factory=lambda: FindLimit())
