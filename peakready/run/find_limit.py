"""`run --find-limit`: the staircase of peakready.plan.limit as its own
Locust run, judged step by step."""

from __future__ import annotations

from pathlib import Path

from peakready.load.results import LimitResult, LoadResult
from peakready.plan.limit import judge, limit_plan
from peakready.plan.model import Plan
from peakready.run.locust import Master, ProgressFn, run_load
from peakready.scenario.model import Scenario


def run_limit(scenario: Scenario, plan: Plan, scenario_path: str | Path, base_url: str,
              outdir: Path, workers: int = 1, on_progress: ProgressFn | None = None,
              master: Master | None = None) -> tuple[LimitResult, LoadResult]:
    """Run the staircase as its own Locust run (in ``outdir``) and judge it."""
    staircase = limit_plan(plan, scenario)
    load = run_load(scenario_path, staircase, base_url, outdir, workers=workers,
                    on_progress=on_progress, master=master)
    return judge(staircase, load, scenario), load
