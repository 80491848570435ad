"""Service levels under load: latency and errors per flow step, checkout success.

What it checks: for every flow step the replay exercised, its p95 and p99
latency and its error rate over the run against the scenario's ``slos``
(``steps: {"*": ..., "checkout:pay": ...}``); and the share of checkout
attempts that ended in an order against ``checkout_success_rate``. Latency
percentiles come from HDR histograms merged across workers.
``landing@scheduled`` is the landing page timed from the session's
*scheduled* start, so a slow shop cannot hide behind a slow generator.

Why it matters: at peak, a slow checkout loses the order and a failing one
loses the customer; these are the numbers the launch decision rests on.

How to fix: find the slowest step in the per-step table and its failures in
the error list; profile that endpoint under load (database locks, cache
misses, third-party calls) or add capacity, then re-run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from peakready.findings import Check, CheckContext, Finding, Phase, Status
from peakready.flows import LANDING_SCHEDULED
from peakready.results import RunStatus

MIN_REQUESTS = 5  # fewer samples than this say nothing about a percentile


def run(ctx: CheckContext, options: dict[str, Any]) -> Iterator[Finding]:
    load, slos = ctx.load, ctx.scenario.slos
    if load is None:
        return
    if load.status is RunStatus.ABORTED:
        yield CHECK.finding(
            "load", Status.FAIL, "load-aborted",
            f"the load was stopped early: {load.stop_reason}",
            evidence={"elapsed_s": load.elapsed_s, "planned_s": load.planned_duration_s},
            remediation="The shop failed under the planned load; fix the errors listed "
                        "below before anything else.")
    tot = load.totals
    behind = (tot.late + tot.dropped) / tot.planned if tot.planned else 0.0
    for step, st in sorted(load.steps.items()):
        slo = slos.for_step(step)
        if slo is None:
            continue
        if step == LANDING_SCHEDULED and behind > ctx.scenario.load.max_late_fraction:
            # The wait for a free user measures the generator, not the shop: the
            # run is INCONCLUSIVE through load.generator; a slow shop still shows
            # in its own steps' latencies.
            yield CHECK.finding(
                step, Status.SKIP, "slo-generator-behind",
                f"not judged: {behind:.1%} of session starts were late or dropped for lack "
                "of generator capacity, so this wait measures the generator (see "
                "load.generator)", evidence={"late_or_dropped": round(behind, 4)})
            continue
        evidence = {"requests": st.requests, "failures": st.failures,
                    "error_rate": round(st.error_rate, 5), "p50_ms": st.p50_ms,
                    "p95_ms": st.p95_ms, "p99_ms": st.p99_ms, "max_ms": st.max_ms}
        if st.requests < MIN_REQUESTS:
            yield CHECK.finding(step, Status.SKIP, "slo-too-few-samples",
                                f"only {st.requests} requests: too few to judge",
                                evidence=evidence)
            continue
        breaches = []
        limits: dict[str, float] = {}
        for name, limit, value in (("p95", slo.p95_ms, st.p95_ms), ("p99", slo.p99_ms,
                                                                      st.p99_ms)):
            if limit is not None and value is not None:
                limits[f"{name}_limit_ms"] = limit
                if value > limit:
                    breaches.append(f"{name} {value:.0f} ms > {limit:.0f} ms")
        if slo.max_error_rate is not None:
            limits["max_error_rate"] = slo.max_error_rate
            if st.error_rate > slo.max_error_rate:
                breaches.append(f"errors {st.error_rate:.2%} > {slo.max_error_rate:.2%}")
        evidence.update(limits)
        if breaches:
            yield CHECK.finding(
                step, Status.FAIL, "slo-breached", "; ".join(breaches), evidence=evidence,
                remediation=f"Profile `{step}` under load; see the error list for what "
                            "failed and the latency chart for when it degraded.")
        else:
            p95 = f"p95 {st.p95_ms:.0f} ms" if st.p95_ms is not None else ""
            yield CHECK.finding(step, Status.PASS, "slo-met",
                                f"{p95}, errors {st.error_rate:.2%}: within the SLO",
                                evidence=evidence)
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


CHECK = Check(id="load.slo", title="Service levels under load", area="load", run=run,
              doc=__doc__ or "", phase=Phase.POST)
