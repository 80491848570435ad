"""Generator health: did the load test deliver the plan?

What it checks: late and dropped session starts (a start waited for a free
Locust user longer than ``late_tolerance``, or was never served), the load
generator's CPU (Locust's 90 % warning), missing workers (and the figures
lost with them), the user-pool cap, the request-rate safety cap, sessions
still running when the drain time after the plan ran out, and whether the
run was interrupted. Starts a stop cancelled (an abort, Ctrl-C, find-limit,
a lost worker: ``cancelled_by``) are not the generator's lateness: late and
dropped are judged against the starts the run still had to serve.

Why it matters: when the generator, not the shop, is the bottleneck, the
measured latencies describe the generator. Such a run proves nothing, so it
is INCONCLUSIVE (exit 4), never GO. So is a run that cannot say how more
than ``max_late_fraction`` of its sessions ended (cut off at the drain limit).

How to fix: add workers (``--workers N``) or machines, raise
``load.max_users``, or lower the plan's rate; then re-run.
"""

from __future__ import annotations

from collections.abc import Iterator

from peakready.checks.check import Check, CheckContext, Need, Phase

from peakready.findings import Finding, Status
from peakready.load.results import Cause, LoadResult, RunStatus

SUBJECT = "generator"


def run(ctx: CheckContext) -> Iterator[Finding]:
    load = ctx.load
    assert load is not None  # Need.LOAD_RESULT: the runner checked
    cfg = ctx.the_scenario.load
    tot = load.totals
    if load.status in (RunStatus.INTERRUPTED, RunStatus.CRASHED):
        yield CHECK.finding(
            SUBJECT, Status.FAIL, f"run-{load.status.value}",
            f"the run was {load.status.value} after {load.elapsed_s:.0f}s of "
            f"{load.planned_duration_s:.0f}s: {load.stop_reason}",
            evidence={"elapsed_s": load.elapsed_s, "planned_s": load.planned_duration_s},
            remediation="Re-run to completion; a partial run cannot clear a launch.")
    due = tot.planned - tot.cancelled  # the starts the generator had to serve
    if due > 0:
        behind = (tot.late + tot.dropped) / due
        evidence = {"planned": tot.planned, "started": tot.started, "late": tot.late,
                    "dropped": tot.dropped, "cancelled": tot.cancelled,
                    "cancelled_by": load.cancelled_by, "late_or_dropped": round(behind, 4),
                    "threshold": cfg.max_late_fraction,
                    "user_cap_hit": load.health.user_cap_hit,
                    "max_users": load.health.max_users}
        if behind > cfg.max_late_fraction:
            cause = ("the user pool hit load.max_users" if load.health.user_cap_hit
                     else "users could not be started fast enough")
            yield CHECK.finding(
                SUBJECT, Status.FAIL, "arrivals-behind-plan",
                f"{behind:.1%} of session starts were late or dropped ({cause})",
                evidence=evidence,
                remediation="Raise load.max_users or add workers; if the shop is slow, its "
                            "latency SLOs say so — the generator must still keep up.")
        else:
            yield CHECK.finding(
                SUBJECT, Status.PASS, "arrivals-on-plan",
                f"{tot.started} of {tot.planned} planned sessions started; "
                f"{behind:.1%} late or dropped" + _cancelled(load), evidence=evidence)
    yield from _cut_off(load, cfg.max_late_fraction)
    if load.health.cpu_warnings:
        first = load.health.cpu_warnings[0]
        yield CHECK.finding(
            SUBJECT, Status.FAIL, "generator-cpu-saturated",
            f"load generator CPU above 90% ({first.worker} at {first.at_s:.0f}s, "
            f"{len(load.health.cpu_warnings)} warnings)",
            evidence={"warnings": [w.model_dump() for w in load.health.cpu_warnings[:20]]},
            remediation="Add workers (--workers N) so no generator process saturates.")
    health = load.health
    if health.missing_workers or health.lost_workers:
        missing = sorted({*health.missing_workers, *health.lost_workers})
        summary = f"{len(missing)} worker(s) went missing during the run"
        if health.lost_workers:
            causes = (Cause.WORKER_LOST, Cause.NOT_REPORTED)
            summary += (
                f"; the last figures of {len(health.lost_workers)} never arrived: "
                f"{sum(load.cancelled_by.get(c, 0) for c in causes)} of their session starts "
                f"are counted cancelled, {sum(load.cut_off_by.get(c, 0) for c in causes)} "
                "sessions cut off, and the requests they sent since their last report are "
                "not counted")
        yield CHECK.finding(
            SUBJECT, Status.FAIL, "worker-missing", summary,
            evidence={"workers": missing, "lost": health.lost_workers,
                      "cancelled_by": load.cancelled_by, "cut_off_by": load.cut_off_by},
            remediation="Check the workers' logs and resources; re-run.")
    if load.health.plan_capped:
        worst = max(c["planned_per_min"] for c in load.health.plan_capped)
        cap = load.health.plan_capped[0]["capped_per_min"]
        yield CHECK.finding(
            SUBJECT, Status.WARN, "plan-capped",
            f"the plan was capped at {cap:g} sessions/min in "
            f"{len(load.health.plan_capped)} interval(s); the forecast needs up to "
            f"{worst:g}/min, so the peak was not tested at full strength",
            evidence={"capped": load.health.plan_capped[:50]},
            remediation="Raise load.max_sessions_per_min (with the shop owner's consent) or "
                        "add capacity to the generator, then re-run at the full forecast.")
    if load.health.rate_limited > 0.01 * max(1, load.requests):
        yield CHECK.finding(
            SUBJECT, Status.FAIL, "request-rate-capped",
            f"{load.health.rate_limited} requests were held back by "
            f"load.max_request_rate ({cfg.max_request_rate:g}/s)",
            evidence={"rate_limited": load.health.rate_limited,
                      "max_request_rate": cfg.max_request_rate},
            remediation="The plan needs more requests per second than the safety cap "
                        "allows: lower the plan or raise load.max_request_rate.")


def _cancelled(load: LoadResult) -> str:
    if not load.totals.cancelled:
        return ""
    by = ", ".join(f"{n} by {cause}" for cause, n in sorted(load.cancelled_by.items()))
    return f"; {load.totals.cancelled} cancelled ({by})"


def _cut_off(load: LoadResult, threshold: float) -> Iterator[Finding]:
    """Sessions still running at the drain limit: how they ended is unknown
    (a stop's cut-offs are the stop's: the run is partial anyway)."""
    n = load.cut_off_by.get(Cause.DRAIN_LIMIT, 0)
    started = load.totals.started
    if not n or not started:
        return
    share = n / started
    yield CHECK.finding(
        SUBJECT, Status.FAIL if share > threshold else Status.WARN, "sessions-cut-off",
        f"{n} of {started} sessions ({share:.1%}) were still running at the drain limit "
        f"after the plan ended and were cut off ({load.totals.order_attempts_cut_off} order "
        f"attempts and {load.requests_cut_off} requests with no answer yet): how they ended "
        "is unknown",
        evidence={"cut_off": n, "started": started, "share": round(share, 4),
                  "threshold": threshold,
                  "order_attempts_cut_off": load.totals.order_attempts_cut_off,
                  "requests_cut_off": load.requests_cut_off},
        remediation="A cut-off session is neither a success nor a failure: look for steps "
                    "the shop did not answer (a hanging payment?), and re-run.")


CHECK = Check(id="load.generator", title="Load generator delivered the plan", run=run,
              doc=__doc__ or "", phase=Phase.POST, health=True,
              needs=(Need.SCENARIO, Need.LOAD_RESULT))
