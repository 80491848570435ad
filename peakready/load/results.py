"""LoadResult: what a replay delivered and measured, as written by the Locust
side (``locustfiles/replay.py``) and read by the report.

Percentiles come from HDR histograms (3 significant digits) merged exactly
across workers; each step's whole-run histogram is kept encoded so a saved
result can be re-merged or compared later.

Session counts balance, in the totals, per campaign, per flow and per
interval (by the interval a session was scheduled for): planned = started +
dropped + cancelled, and started = completed + failed + cut_off.
``cancelled_by`` and ``cut_off_by`` name what cancelled or cut them off.
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


class Cause(StrEnum):
    """What cancelled session starts or cut sessions off."""

    DRAIN_LIMIT = "drain limit"  # the plan ended and sessions still ran after the drain time
    ABORT = "abort"  # the abort rule stopped the run
    INTERRUPT = "interrupt"  # Ctrl-C, SIGTERM, or Locust stopped before the plan ended
    FIND_LIMIT = "find-limit"  # find-limit stopped at the first step that did not hold
    WORKER_LOST = "worker lost"  # a worker died or went missing: its share was not reported
    NOT_REPORTED = "not reported"  # a worker's last figures did not reach the master
    STOP = "stop"  # the run stopped for another reason


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
    cancelled: int = 0  # never started: the run stopped (cancelled_by) before they were due
    completed: int = 0  # planned in this interval, and how they ended
    failed: int = 0
    cut_off: int = 0
    began: int = 0  # sessions that actually started in this interval (started counts
    #                 them in the interval they were scheduled for)
    requests: int = 0
    failures: int = 0
    users: int = 0
    steps: dict[str, StepStats] = Field(default_factory=dict)  # hist omitted per interval
    # planned / started / late / dropped / cancelled of each campaign in this
    # interval, and landing_p95_ms: the p95 of its landing pages that answered in it
    campaigns: dict[str, dict[str, float | None]] = Field(default_factory=dict)


class SessionStats(BaseModel):
    """planned = started + dropped + cancelled; started = completed + failed + cut_off."""

    planned: int = 0
    started: int = 0
    late: int = 0  # started, but later than load.late_tolerance
    dropped: int = 0  # never started: no user was free in time (the generator's fault)
    cancelled: int = 0  # never started: the run stopped first (see cancelled_by)
    completed: int = 0  # reached the end of their flow
    failed: int = 0  # stopped by an error
    cut_off: int = 0  # still running when the run stopped (see cut_off_by)
    order_attempts: int = 0  # order steps the shop answered, with an order or not
    orders: int = 0
    order_attempts_cut_off: int = 0  # order steps a stop cut short: neither
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
    # workers whose last figures never arrived: their unreported starts are
    # cancelled and their sessions in flight cut off (cause "worker lost"), and
    # the requests they sent since their last report are not counted
    lost_workers: list[str] = Field(default_factory=list)
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
    requests_cut_off: int = 0  # sent, and no answer before the stop cut their session off
    cancelled_by: dict[str, int] = Field(default_factory=dict)  # Cause -> session starts
    cut_off_by: dict[str, int] = Field(default_factory=dict)  # Cause -> sessions
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
        """Stopped before the plan ended, or a worker's figures were lost."""
        return self.status is not RunStatus.COMPLETED or bool(self.health.lost_workers)

    def counting_notes(self) -> list[str]:
        """What the report must say about its own counts: sessions it could not
        follow to their end, and figures lost with a worker."""
        notes = []
        lost = (Cause.WORKER_LOST, Cause.NOT_REPORTED)
        if self.health.lost_workers:
            notes.append(
                f"{len(self.health.lost_workers)} worker(s) lost: "
                f"{sum(self.cancelled_by.get(c, 0) for c in lost)} session starts they never "
                f"reported are counted cancelled and "
                f"{sum(self.cut_off_by.get(c, 0) for c in lost)} sessions they had open cut "
                "off; the requests they sent since their last report are not counted")
        stopped = {c: n for c, n in self.cut_off_by.items() if c not in lost}
        if stopped:
            by = ", ".join(f"{n} by {c}" for c, n in sorted(stopped.items()))
            notes.append(f"{sum(stopped.values())} sessions were still running when the load "
                         f"stopped and were cut off ({by}; {self.requests_cut_off} requests "
                         "in flight)")
        return notes
