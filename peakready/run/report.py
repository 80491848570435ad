"""The Report of a run: its findings stamped with their gate levels, the
verdict, the capacity figures and the run's metadata, built from what the
run collected (``RunState``).

A run keeps ``run.json`` in its report folder (written before any traffic,
again after the pre-flight checks): the scenario file, the target and the
pre-flight findings. With it, ``plan.json`` and ``load-result.json`` beside
it, ``report_from_load`` builds the report later when the run could not
write it (a full disk, a crash after the load): ``peakready report`` of a
load-result.json runs ``python -m peakready.run.report`` (``main``) for it, in
a process of its own, since it runs the checks after the load again and
``peakready report`` of a report.json loads no check (docs/design.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from peakready import __version__, reports
from peakready.checks.check import CheckContext, Phase
from peakready.checks.load import generator
from peakready.checks.registry import ALL, IDS
from peakready.checks.runner import run_checks
from peakready.errors import BadInput, ExitCode
from peakready.findings import Finding, Status
from peakready.load.results import LimitResult, LoadResult
from peakready.plan.build import build_plan
from peakready.plan.model import Plan
from peakready.reports.model import Capacity, CheckInfo, PlanInfo, Report, ScenarioInfo
from peakready.scenario.load import load_scenario
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


MANIFEST = "run.json"


def save_manifest(outdir: Path, scenario: Scenario, state: RunState, *, strict: bool,
                  replay: bool, find_limit: bool) -> None:
    """Write ``run.json`` whole (creating the folder); OSError when it cannot."""
    data: dict[str, Any] = {
        "tool_version": __version__,
        "scenario": str(scenario.source.resolve()) if scenario.source else "",
        "target": state.base_url or scenario.target.base_url, "started_at": state.started_at,
        "strict": strict, "replay": replay, "find_limit": find_limit, "notes": state.notes,
        "findings": [f.model_dump(mode="json") for f in state.findings]}
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / MANIFEST
    tmp = path.with_name(MANIFEST + ".tmp")
    try:
        tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def report_from_load(path: Path, *, strict: bool = False) -> Report:
    """The report of a run from its saved ``load-result.json``: the scenario
    and pre-flight findings from ``run.json`` beside it, the plan from
    ``plan.json`` (else built again), the checks after the load run again on
    the result (those that need the shop, attribution, are skipped)."""
    folder = path.parent
    load = reports.read_json(path, LoadResult, "the load result", "load-result.json")
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        source = Path(manifest["scenario"])
        findings = [Finding.model_validate(f) for f in manifest.get("findings", [])]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInput(f"{path}: no readable {MANIFEST} beside it, so the run's scenario is "
                       f"unknown ({type(exc).__name__}: {exc})",
                       [f"a run writes {MANIFEST} into its report folder; render the "
                        "report.json of the run instead if it was saved"]) from None
    scenario = load_scenario(source, check_ids=IDS)  # BadInput names the file
    try:
        plan = Plan.model_validate_json((folder / "plan.json").read_text(encoding="utf-8"))
    except (OSError, ValidationError):
        plan = build_plan(scenario)
    notes = [*manifest.get("notes", []),
             f"rebuilt later from {path.name} by `peakready report`; checks after the load "
             "that ask the shop (attribution) were not run"]
    if manifest.get("find_limit"):
        notes.append("the --find-limit result is not in load-result.json: not shown")
    state = RunState(started_at=manifest.get("started_at", ""),
                     base_url=manifest.get("target", ""), findings=findings, load=load,
                     notes=notes)
    ctx = CheckContext(scenario=scenario, load=load, base_url=state.base_url)
    state.findings += run_checks(ALL, ctx, Phase.POST, scenario.levels(ALL))
    report = build_report(scenario, plan, state, strict=strict,
                          replay=bool(manifest.get("replay", True)))
    report.finished_at = load.ended_at or report.finished_at
    return report


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


def main(argv: list[str] | None = None) -> int:
    """``python -m peakready.run.report LOAD_RESULT --out DIR [--strict] [--baseline F]``:
    what ``peakready report`` runs for a load-result.json."""
    p = argparse.ArgumentParser(prog="peakready report")
    p.add_argument("result", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--strict", action="store_true")
    p.add_argument("--baseline", type=Path)
    args = p.parse_args(argv)
    try:
        report = report_from_load(args.result, strict=args.strict)
        if args.baseline:
            report = reports.with_baseline(report, args.baseline)
    except BadInput as exc:
        print(exc.render(), file=sys.stderr)
        return ExitCode.BAD_INPUT
    for path in reports.write_all(report, args.out).values():
        print(path)
    return report.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
