"""Service levels under load: latency and errors per flow step, checkout success.

What it checks: for every flow step the replay exercised, its p95 and p99
latency and its error rate against the scenario's ``slos`` (``steps: {"*":
..., "checkout:pay": ...}``), over the whole run and in every interval with
enough samples (``min_interval_samples``; more than ``interval_tolerance`` of
the intervals breaching fails, fewer warns); the share of checkout attempts
that ended in an order against ``checkout_success_rate``; and, if set, the
share of dropped session starts against ``max_dropped_rate``. Latency
percentiles come from HDR histograms merged across workers.
``landing@scheduled`` is the landing page timed from the session's
*scheduled* start, so a slow shop cannot hide behind a slow generator; it is
not judged when the generator fell behind or requests waited behind
``load.max_request_rate`` (then it times peakready's own queue). A latency
failure rests on timings the generator took: when the generator was
unhealthy (``load.generator``) it is set aside and never makes the run
NO-GO; error rates and checkout success are the shop's own answers and
always count.

Why it matters: at peak, a slow checkout loses the order and a failing one
loses the customer; these are the numbers the launch decision rests on.

How to fix: find the slowest step in the per-step table and its failures in
the error list; profile that endpoint under load (database locks, cache
misses, third-party calls) or add capacity, then re-run.
"""

from __future__ import annotations

from collections.abc import Iterator

from peakready.checks.check import Check, CheckContext, Need, Phase

from peakready.findings import Finding, Status
from peakready.flows import LANDING, LANDING_SCHEDULED
from peakready.load.results import LoadResult, RunStatus
from peakready.load.slo import error_breaches, interval_breaches, latency_breaches
from peakready.load.slo_config import Slos

MIN_REQUESTS = 5  # fewer samples than this say nothing about a percentile


def run(ctx: CheckContext) -> Iterator[Finding]:
    load, slos = ctx.load, ctx.the_scenario.slos
    assert load is not None  # Need.LOAD_RESULT: the runner checked
    if load.status is RunStatus.ABORTED:
        yield CHECK.finding(
            "load", Status.FAIL, "load-aborted",
            f"the load was stopped early: {load.stop_reason}",
            evidence={"elapsed_s": load.elapsed_s, "planned_s": load.planned_duration_s},
            remediation="The shop failed under the planned load; fix the errors listed "
                        "below before anything else.")
    tot = load.totals
    due = tot.planned - tot.cancelled  # starts a stop cancelled were never the generator's
    behind = (tot.late + tot.dropped) / due if due > 0 else 0.0
    generator_behind = behind > ctx.the_scenario.load.max_late_fraction
    queued = _not_judged_scheduled(load, behind, generator_behind,
                                   ctx.the_scenario.load.max_request_rate)
    yield from _run_wide(load, slos, queued)
    yield from _per_interval(load, slos, skip_scheduled=queued is not None)
    yield from _overall(load, slos, generator_behind)


def _not_judged_scheduled(load: LoadResult, behind: float, generator_behind: bool,
                          max_request_rate: float) -> Finding | None:
    """Why ``landing@scheduled`` times the generator, not the shop, in this run.

    It runs from the session's scheduled start to the landing page's answer,
    so it also holds the wait for a free user and the wait behind
    peakready's own ``max_request_rate`` limiter (the landing request itself
    is timed without them, as ``landing``)."""
    if generator_behind:
        # The run is INCONCLUSIVE through load.generator; a slow shop still shows
        # in its own steps' latencies.
        return CHECK.finding(
            LANDING_SCHEDULED, Status.SKIP, "slo-generator-behind",
            f"not judged: {behind:.1%} of session starts were late or dropped for lack "
            "of generator capacity, so this wait measures the generator (see "
            "load.generator)", evidence={"late_or_dropped": round(behind, 4)})
    limited = load.health.rate_limited
    if limited:
        st = load.steps.get(LANDING_SCHEDULED)
        shop = load.steps.get(LANDING)
        figures = ""
        if st is not None and st.p95_ms is not None:
            figures = f" (p95 {st.p95_ms:,.0f} ms"
            if shop is not None and shop.p95_ms is not None:
                figures += f"; the landing request itself: p95 {shop.p95_ms:,.0f} ms"
            figures += ")"
        return CHECK.finding(
            LANDING_SCHEDULED, Status.SKIP, "slo-rate-limited",
            f"not judged: {limited} requests waited behind load.max_request_rate "
            f"({max_request_rate:g}/s), peakready's own safety cap, and this wait "
            f"includes that queue{figures}",
            evidence={"rate_limited": limited, "max_request_rate": max_request_rate,
                      "p95_ms": st.p95_ms if st else None,
                      "landing_p95_ms": shop.p95_ms if shop else None})
    return None


def _run_wide(load: LoadResult, slos: Slos, queued: Finding | None) -> Iterator[Finding]:
    for step, st in sorted(load.steps.items()):
        slo = slos.for_step(step)
        if slo is None:
            continue
        if step == LANDING_SCHEDULED and queued is not None:
            yield queued
            continue
        evidence = {"requests": st.requests, "failures": st.failures,
                    "error_rate": round(st.error_rate, 5), "p50_ms": st.p50_ms,
                    "p95_ms": st.p95_ms, "p99_ms": st.p99_ms, "max_ms": st.max_ms,
                    "p95_limit_ms": slo.p95_ms, "p99_limit_ms": slo.p99_ms,
                    "max_error_rate": slo.max_error_rate}
        if st.requests < MIN_REQUESTS:
            yield CHECK.finding(step, Status.SKIP, "slo-too-few-samples",
                                f"only {st.requests} requests: too few to judge",
                                evidence=evidence)
            continue
        errors = error_breaches(slo, st)
        broken = latency_breaches(slo, st) + errors
        if broken:
            yield CHECK.finding(
                step, Status.FAIL, "slo-breached", "; ".join(broken), evidence=evidence,
                remediation=f"Profile `{step}` under load; see the error list for what "
                            "failed and the latency chart for when it degraded.",
                generator_dependent=not errors)
        else:
            p95 = f"p95 {st.p95_ms:.0f} ms" if st.p95_ms is not None else ""
            yield CHECK.finding(step, Status.PASS, "slo-met",
                                f"{p95}, errors {st.error_rate:.2%}: within the SLO",
                                evidence=evidence)


def _per_interval(load: LoadResult, slos: Slos, skip_scheduled: bool) -> Iterator[Finding]:
    """A run can meet its SLO on average and still break it during the spike."""
    judged, found = interval_breaches(load, slos, skip_scheduled=skip_scheduled)
    by_step: dict[str, list] = {}
    for b in found:
        by_step.setdefault(b.step, []).append(b)
    for step, bs in sorted(by_step.items()):
        share = len(bs) / judged[step]
        first = bs[0]
        on_errors = sum(b.errors for b in bs)  # intervals the shop's error answers broke
        evidence = {"intervals_judged": judged[step], "intervals_breached": len(bs),
                    "intervals_breached_on_errors": on_errors,
                    "tolerance": slos.interval_tolerance, "interval_s": load.interval_s,
                    "breaches": [{"t_s": b.t, "requests": b.requests, "why": b.reasons}
                                 for b in bs[:20]]}
        summary = (f"broke its SLO in {len(bs)} of {judged[step]} intervals "
                   f"({share:.0%}), first at {first.t:.0f}s: {'; '.join(first.reasons)}")
        if share > slos.interval_tolerance:
            yield CHECK.finding(
                f"{step} (per interval)", Status.FAIL, "slo-breached-intervals", summary,
                evidence=evidence,
                remediation=f"`{step}` degrades at the busiest moments; look at the latency "
                            "chart around those times (a spike, a cache expiry, a lock).",
                generator_dependent=on_errors / judged[step] <= slos.interval_tolerance)
        else:
            yield CHECK.finding(f"{step} (per interval)", Status.WARN, "slo-breached-briefly",
                                summary, evidence=evidence,
                                remediation="Within the tolerance, but watch it: peaks hurt.",
                                generator_dependent=not on_errors)


def _overall(load: LoadResult, slos: Slos, generator_behind: bool) -> Iterator[Finding]:
    attempts, orders = load.totals.order_attempts, load.totals.orders
    if attempts:
        rate = orders / attempts
        ok = rate >= slos.checkout_success_rate
        yield CHECK.finding(
            "checkout", Status.PASS if ok else Status.FAIL,
            "checkout-success-met" if ok else "checkout-success-low",
            f"{rate:.2%} of {attempts} checkout attempts placed an order "
            f"(target {slos.checkout_success_rate:.2%})",
            evidence={"attempts": attempts, "orders": orders,
                      "target": slos.checkout_success_rate},
            remediation="" if ok else "See the failures of the checkout:* and wallet:* "
                                      "steps; each lost order is lost revenue at peak.")
    tot = load.totals
    due = tot.planned - tot.cancelled
    if slos.max_dropped_rate is not None and due > 0:
        rate = tot.dropped / due
        evidence = {"planned": tot.planned, "cancelled": tot.cancelled, "dropped": tot.dropped,
                    "target": slos.max_dropped_rate}
        if generator_behind:
            yield CHECK.finding("arrivals", Status.SKIP, "dropped-not-judged",
                                "not judged: the generator was behind (see load.generator)",
                                evidence=evidence)
        else:
            ok = rate <= slos.max_dropped_rate
            yield CHECK.finding(
                "arrivals", Status.PASS if ok else Status.FAIL,
                "dropped-rate-met" if ok else "dropped-rate-high",
                f"{rate:.2%} of {due} session starts due were dropped "
                f"(at most {slos.max_dropped_rate:.2%})", evidence=evidence,
                remediation="" if ok else "Sessions waited longer than load.drop_after for "
                                          "a free user; see the late/dropped chart.",
                generator_dependent=True)  # a start waits for the generator's users


CHECK = Check(id="load.slo", title="Service levels under load", run=run,
              doc=__doc__ or "", phase=Phase.POST, needs=(Need.SCENARIO, Need.LOAD_RESULT))
