"""Run checks concurrently: the one place where an exception or a timeout
becomes an ``error`` Finding (Lighthouse's runner pattern), so a check never
takes the run down and a slow one cannot stall the others past its timeout.
It is also the one place that skips a check: turned off by the gate policy,
lacking what it needs, or with nothing to check here (its ``applies``).
"""

from __future__ import annotations

import concurrent.futures as cf
import time
from collections.abc import Iterable, Mapping

from peakready.checks.check import Check, CheckContext, Phase

from peakready.findings import Finding, Level, Status


def _skip(check: Check, code: str, summary: str) -> Finding:
    return check.finding(check.id, Status.SKIP, code, summary)


def _crashed(check: Check, exc: BaseException) -> Finding:
    return check.finding(
        check.id, Status.ERROR, "check-crashed",
        f"the check could not be evaluated: {type(exc).__name__}: {exc}"[:500],
        remediation="This is a bug in peakready or an unexpected answer from the target; "
                    "the evidence above says which. Re-run with the same input to reproduce.")


def _why_not(check: Check, ctx: CheckContext) -> Finding | None:
    missing = ctx.missing(check.needs)
    if missing:
        return _skip(check, "nothing-to-check", f"needs {', '.join(missing)}")
    if check.applies is not None:
        reason = check.applies(ctx)
        if reason:
            return _skip(check, "nothing-to-check", reason)
    return None


def run_checks(checks: Iterable[Check], ctx: CheckContext, phase: Phase,
               levels: Mapping[str, Level] | None = None, max_workers: int = 8
               ) -> list[Finding]:
    """Run the checks of ``phase``; ``levels`` is the gate policy (a check at
    ``off`` is not run at all)."""
    findings: list[Finding] = []
    todo: list[Check] = []
    for check in checks:
        if check.phase is not phase:
            continue
        if (levels or {}).get(check.id, check.default_level) is Level.OFF:
            findings.append(_skip(check, "check-off", "turned off by the scenario's checks policy"))
            continue
        try:
            skipped = _why_not(check, ctx)
        except Exception as exc:  # an applies hook that fails is the check failing
            findings.append(_crashed(check, exc))
            continue
        if skipped is not None:
            findings.append(skipped)
            continue
        todo.append(check)
    if not todo:
        return findings
    pool = cf.ThreadPoolExecutor(max_workers=min(max_workers, len(todo)),
                                 thread_name_prefix="check")
    try:
        started = time.monotonic()
        futures = {c: pool.submit(lambda c=c: list(c.run(ctx))) for c in todo}
        for check, fut in futures.items():
            remaining = max(0.0, started + check.timeout - time.monotonic())
            try:
                findings.extend(fut.result(timeout=remaining))
            except cf.TimeoutError:
                findings.append(check.finding(
                    check.id, Status.ERROR, "check-timeout",
                    f"the check did not finish within {check.timeout:g}s",
                    remediation="A target did not answer in time; see the other findings "
                                "and re-run when it is reachable."))
            except Exception as exc:  # the runner is the one place that catches
                findings.append(_crashed(check, exc))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return findings
