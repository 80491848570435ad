"""Bench: render the report of a 4-hour run with 1M requests.

Builds a synthetic Report in memory (240 one-minute intervals, 12 flow
steps with per-interval percentiles, 6 campaigns, ~450 findings with
evidence, a baseline comparison and a filled capacity section), then times
each renderer from a cold start (the first render pays matplotlib's font
setup) and prints the figures. Budget (issue 7): HTML render ≤ 2 s, HTML
size ≤ 1.5 MB.

    .venv/bin/python bench/report.py
"""

from __future__ import annotations

import math
import random
import sys
import time

from peakready.reports.model import Capacity, CheckInfo, PlanInfo, Report, ScenarioInfo

from peakready.findings import Finding, Level, Status
from peakready.load.results import Interval, LoadResult, SessionStats, StepStats
from peakready.verdict import Verdict

INTERVALS, STEPS, CAMPAIGNS, TARGET_REQUESTS = 240, 12, 6, 1_000_000
MEAN_SHAPE = 0.6 + 0.4 * 2 / math.pi + 0.5 * 9 / 240  # of the traffic curve below
STEP_NAMES = ["landing", "landing@scheduled", "browse:collection", "browse:product", "cart:add",
              "cart:view", "checkout:start", "checkout:address", "checkout:shipping",
              "checkout:promo", "checkout:pay", "wallet:pay"][:STEPS]
CHECKS = [("email.spf", "email"), ("email.dkim", "email"), ("email.dmarc", "email"),
          ("email.mx", "email"), ("links.utm", "links"), ("links.redirects", "links"),
          ("promo.codes", "promo"), ("load.slo", "load"), ("load.generator", "load")]


def _stats(rng: random.Random, requests: int, base_ms: float) -> StepStats:
    p50 = base_ms * rng.uniform(0.8, 1.3)
    return StepStats(count=requests, requests=requests, failures=int(requests * rng.random()
                                                                       * 0.01),
                     p50_ms=p50, p95_ms=p50 * 2.4, p99_ms=p50 * 4.1, max_ms=p50 * 9,
                     mean_ms=p50 * 1.2)


def synthetic_report(seed: int = 1) -> Report:
    rng = random.Random(seed)
    per_interval = TARGET_REQUESTS // INTERVALS
    base = {s: 20 + 30 * i for i, s in enumerate(STEP_NAMES)}
    series, curve = [], []
    for i in range(INTERVALS):
        shape = 0.6 + 0.4 * math.sin(math.pi * i / INTERVALS) + (0.5 if 150 < i < 160 else 0)
        planned = int(900 * shape)
        late = int(planned * 0.02) if i > 150 else 0
        dropped = int(planned * 0.01) if 152 < i < 158 else 0
        reqs = int(per_interval * shape / MEAN_SHAPE)
        steps = {s: _stats(rng, reqs // STEPS, base[s] * shape) for s in STEP_NAMES}
        series.append(Interval(t=i * 60.0, planned=planned, started=planned - dropped,
                               began=planned - dropped, late=late, dropped=dropped, requests=sum(
                                   st.requests for st in steps.values()),
                               failures=sum(st.failures for st in steps.values()), users=400,
                               steps=steps))
        curve.append((i * 60.0, float(planned)))
    total = sum(iv.requests for iv in series)
    steps = {s: _stats(rng, total // STEPS, base[s]) for s in STEP_NAMES}
    campaigns = {f"bf-creator-{c}": SessionStats(
        planned=30000, started=29800, late=400, dropped=200, completed=29000, failed=800,
        order_attempts=3000, orders=2950, landing=_stats(rng, 30000, 40)) for c in
        range(CAMPAIGNS)}
    load = LoadResult(planned_duration_s=INTERVALS * 60.0, elapsed_s=INTERVALS * 60.0,
                      interval_s=60.0, requests=total, failures=sum(
                          iv.failures for iv in series), series=series, steps=steps,
                      campaigns=campaigns,
                      totals=SessionStats(planned=180000, started=178800, late=2400,
                                          dropped=1200, order_attempts=18000, orders=17700))
    findings = []
    statuses = [Status.PASS] * 8 + [Status.WARN, Status.FAIL, Status.ERROR, Status.SKIP]
    for check, _area in CHECKS:
        n = 60 if check.startswith(("email", "links")) else 40
        for j in range(n):
            st = rng.choice(statuses)
            findings.append(Finding(
                check=check, subject=f"subject-{j}.shop.example", status=st,
                code=f"{check.split('.')[1]}-{st.value}", summary=f"{check} said {st.value} "
                f"for subject {j} with some explanation of what was seen",
                evidence={"record": "v=spf1 include:_spf.example ~all " * 3,
                          "answers": [f"192.0.2.{k}" for k in range(8)],
                          "bulk_sender": ["spf", "dmarc"] if check.startswith("email") else []},
                remediation="Publish the record shown above at the domain's DNS host.",
                level=Level.ERROR))
    report = Report(
        scenario=ScenarioInfo(name="4-hour Black Friday replay (bench)", target="https://127.0.0.1"),
        started_at="2026-11-27T18:00:00+00:00", git_revision="0123456789ab",
        verdict=Verdict.NO_GO, exit_code=1, load=load, findings=findings,
        plan=PlanInfo(summary={"duration_s": INTERVALS * 60.0}, curve=curve),
        capacity=Capacity(last_season_peak_per_min=900, growth=0.2, safety=0.25,
                          forecast_peak_per_min=1350, tested_peak_per_min=1340,
                          limit_per_min=2100, headroom=2100 / 1350, min_headroom=1.5,
                          limit_steps=[{"factor": f, "per_min": 1350 * f, "planned": int(
                              1350 * f * 2), "began": int(1350 * f * 2), "held": f < 1.7,
                                        "problems": [] if f < 1.7 else ["p95 over the SLO"]}
                                       for f in (1.0, 1.2, 1.4, 1.6, 1.8)]),
        checks=[CheckInfo(id=c, title=c, area=a, level="error", health=c == "load.generator")
                for c, a in CHECKS])
    from peakready.reports.baseline import compare

    report.comparison = compare(report, synthetic_report_base(rng))
    return report


def synthetic_report_base(rng: random.Random) -> Report:
    """A smaller 'last week' report to compare against."""
    steps = {s: _stats(rng, 70000, 20 + 25 * i) for i, s in enumerate(STEP_NAMES)}
    load = LoadResult(elapsed_s=14400, requests=840000, failures=900, steps=steps)
    return Report(scenario=ScenarioInfo(name="last week"), verdict=Verdict.GO, exit_code=0,
                  load=load, started_at="2026-11-20T18:00:00+00:00")


def main() -> None:
    from peakready import reports

    report = synthetic_report()
    load = report.load
    assert load is not None
    print(f"synthetic run: {len(load.series)} intervals of {load.interval_s:g} s, "
          f"{len(load.steps)} steps, {len(load.campaigns)} campaigns, {load.requests:,} "
          f"requests, {len(report.findings)} findings")
    print("cold = first render in this process: includes importing matplotlib and "
          "loading its font cache")
    figures = {}
    for name, render in reports.RENDERERS.items():
        t = time.perf_counter()
        out = render(report)
        dt = time.perf_counter() - t
        figures[name] = (dt, len(out.encode()) / 1e6)
        print(f"{name:>12}: {dt:6.3f} s (cold)  {figures[name][1]:6.3f} MB")
    t = time.perf_counter()
    reports.RENDERERS["report.html"](report)
    print(f" report.html: {time.perf_counter() - t:6.3f} s (warm)")
    html_s, html_mb = figures["report.html"]
    total = sum(dt for dt, _ in figures.values())
    ok = html_s <= 2.0 and html_mb <= 1.5
    print(f"report.html: {html_s:.3f} s cold (budget 2 s), {html_mb:.3f} MB (budget 1.5 MB); "
          f"all four formats {total:.3f} s: " + ("within budget" if ok else "OVER BUDGET"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
