"""The Report of a run: its findings stamped with their gate levels, the
verdict, the capacity figures and the run's metadata, built from what the
run collected (``RunState``)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from peakready import __version__
from peakready.checks.load import generator
from peakready.checks.registry import ALL
from peakready.findings import Finding, Status
from peakready.load.results import LimitResult, LoadResult
from peakready.plan.model import Plan
from peakready.reports.model import Capacity, CheckInfo, PlanInfo, Report, ScenarioInfo
from peakready.scenario.model import Scenario
from peakready.verdict import apply_levels, verdict


@dataclass
class RunState:
    started_at: str = ""
    base_url: str = ""
    findings: list[Finding] = field(default_factory=list)
    load: LoadResult | None = None
    limit: LimitResult | None = None
    notes: list[str] = field(default_factory=list)
    crashed: bool = False


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def git_revision(where: Path) -> str:
    for var in ("GITHUB_SHA", "CI_COMMIT_SHA"):
        if os.environ.get(var):
            return os.environ[var][:12]
    try:
        out = subprocess.run(["git", "-C", str(where), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def build_report(scenario: Scenario, plan: Plan, state: RunState, *, strict: bool = False,
                 replay: bool = True) -> Report:
    findings = list(state.findings)
    if (state.load is None and replay) or state.crashed:
        findings.append(generator.CHECK.finding(
            "generator", Status.FAIL, "run-incomplete",
            "the load did not run to completion: " + ("; ".join(state.notes) or "unknown"),
            remediation="Re-run; a run that did not complete cannot clear a launch."))
    levels = scenario.levels(ALL)
    findings = apply_levels(findings, levels)
    health = frozenset(c.id for c in ALL if c.health)
    v = verdict(findings, health, scenario.errors_block)
    partial = (state.crashed or (state.load is None and replay)
               or (state.load is not None and state.load.partial))
    curve = [(st.t, round(st.total_per_s * st.duration, 3)) for st in plan.steps]
    return Report(
        tool_version=__version__,
        scenario=ScenarioInfo(name=scenario.name, path=str(scenario.source or ""),
                              target=state.base_url or scenario.target.base_url,
                              description=scenario.description),
        started_at=state.started_at, finished_at=now_iso(),
        git_revision=git_revision((scenario.source or Path.cwd()).resolve().parent),
        verdict=v, exit_code=int(v.exit_code(strict)), strict=strict,
        errors_block=scenario.errors_block, partial=partial, notes=state.notes,
        plan=PlanInfo(summary=plan.summary(), curve=curve), load=state.load,
        capacity=capacity(plan, state.load, state.limit, scenario.slos.min_headroom),
        checks=[CheckInfo(id=c.id, title=c.title, area=c.area, level=levels[c.id].value,
                          health=c.health) for c in ALL],
        findings=findings)


def capacity(plan: Plan, load: LoadResult | None, limit: LimitResult | None,
             min_headroom: float | None) -> Capacity:
    """Last season's peak, the buffered forecast, what the replay delivered,
    and the limit and headroom when they were measured."""
    tested = None
    if load is not None and load.series:
        tested = round(max(iv.started for iv in load.series) * 60 / load.interval_s, 2)
    cap = Capacity(
        last_season_peak_per_min=plan.last_season_peak_per_min, growth=plan.growth,
        safety=plan.safety,
        forecast_peak_per_min=plan.forecast_peak_per_min or round(plan.peak_per_s * 60, 2),
        tested_peak_per_min=tested, min_headroom=min_headroom,
        limit_note="not measured (run with --find-limit)")
    if limit is not None:
        cap.limit_per_min = limit.highest_held_per_min
        cap.headroom = None if limit.headroom is None else round(limit.headroom, 3)
        cap.limit_note = limit.note
        cap.limit_steps = [s.model_dump() for s in limit.steps]
    return cap


