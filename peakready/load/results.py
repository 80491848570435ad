"""LoadResult: what a replay delivered and measured, as written by the Locust
side (``locustfiles/replay.py``) and read by the report.

Percentiles come from HDR histograms (3 significant digits) merged exactly
across workers; each step's whole-run histogram is kept encoded so a saved
result can be re-merged or compared later.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

RESULT_SCHEMA_VERSION = 1


class RunStatus(StrEnum):
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"  # Ctrl-C / SIGTERM
    ABORTED = "aborted"  # stopped early on a sustained error rate
    CRASHED = "crashed"  # the generator died; what it sent before is kept


class Latency(BaseModel):
    count: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    mean_ms: float | None = None


class StepStats(Latency):
    requests: int = 0
    failures: int = 0
    hist: str = ""  # HDR histogram, base64 (hdrh encoding), microseconds

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


class Interval(BaseModel):
    t: float  # offset of the interval's start, seconds
    planned: int = 0
    started: int = 0
    late: int = 0
    dropped: int = 0
    began: int = 0  # sessions that actually started in this interval (started counts
    #                 them in the interval they were scheduled for)
    requests: int = 0
    failures: int = 0
    users: int = 0
    steps: dict[str, StepStats] = Field(default_factory=dict)  # hist omitted per interval
    # planned / started / late / dropped of each campaign in this interval, and
    # landing_p95_ms: the p95 of its landing pages that answered in it
    campaigns: dict[str, dict[str, float | None]] = Field(default_factory=dict)


class SessionStats(BaseModel):
    planned: int = 0
    started: int = 0
    late: int = 0
    dropped: int = 0
    completed: int = 0  # reached the end of their flow
    failed: int = 0  # stopped by an error
    order_attempts: int = 0
    orders: int = 0
    landing: Latency = Field(default_factory=Latency)

    @property
    def checkout_success(self) -> float | None:
        return self.orders / self.order_attempts if self.order_attempts else None


class PlacedOrder(BaseModel):
    """An order the replay placed, for attribution checks against the shop's records."""

    order_id: str
    campaign: str | None
    flow: str
    promo_code: str | None = None
    at_s: float = 0.0  # offset from the start of the replay


class ErrorSample(BaseModel):
    step: str
    message: str
    count: int


class CpuWarning(BaseModel):
    worker: str
    at_s: float
    cpu_percent: float


class Health(BaseModel):
    cpu_warnings: list[CpuWarning] = Field(default_factory=list)
    missing_workers: list[str] = Field(default_factory=list)
    user_cap_hit: bool = False
    max_users: int = 0
    rate_limited: int = 0  # requests delayed by the max_request_rate safety cap
    plan_capped: list[dict[str, float]] = Field(default_factory=list)  # where the cap bit


class LimitStep(BaseModel):
    """One step of a find-limit staircase."""

    factor: float  # x the forecast peak rate
    per_min: float  # planned session starts per minute
    planned: int = 0
    began: int = 0
    held: bool = False
    problems: list[str] = Field(default_factory=list)  # why it did not hold


class LimitResult(BaseModel):
    forecast_per_min: float
    steps: list[LimitStep] = Field(default_factory=list)
    highest_held_per_min: float | None = None  # None: not even the first step held
    ended_without_breach: bool = False  # the limit is at least the last step (a floor)
    note: str = ""

    @property
    def headroom(self) -> float | None:
        if self.highest_held_per_min is None:
            return 0.0
        return self.highest_held_per_min / self.forecast_per_min if self.forecast_per_min \
            else None


class LoadResult(BaseModel):
    schema_version: int = RESULT_SCHEMA_VERSION
    status: RunStatus = RunStatus.COMPLETED
    stop_reason: str = ""
    started_at: str = ""
    ended_at: str = ""
    planned_duration_s: float = 0.0
    elapsed_s: float = 0.0
    interval_s: float = 60.0
    workers: int = 1
    totals: SessionStats = Field(default_factory=SessionStats)
    requests: int = 0
    failures: int = 0
    series: list[Interval] = Field(default_factory=list)
    steps: dict[str, StepStats] = Field(default_factory=dict)
    campaigns: dict[str, SessionStats] = Field(default_factory=dict)
    flows: dict[str, SessionStats] = Field(default_factory=dict)
    errors: list[ErrorSample] = Field(default_factory=list)
    health: Health = Field(default_factory=Health)
    orders: list[PlacedOrder] = Field(default_factory=list)
    orders_truncated: bool = False  # more than MAX_ORDERS were placed; the rest not listed

    @property
    def partial(self) -> bool:
        return self.status is not RunStatus.COMPLETED
