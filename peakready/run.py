"""`peakready run`: scenario → checks → replay → SLO findings → report → exit code.

Whatever happens after the scenario is accepted (a target that fails, Ctrl-C,
a crash of the generator or of peakready itself), a report is written and
marked partial where it is.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import traceback
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import requests
from pydantic import ValidationError

import checks
import reports
from peakready import __version__
from peakready.checkrun import run_checks
from peakready.console import Progress, console
from peakready.dnsctx import DnsContext
from peakready.exitcodes import BadInput, ExitCode
from peakready.findings import CheckContext, Finding, Phase, Status
from peakready.limit import run_limit
from peakready.loadrun import Master, run_load
from peakready.plan import Plan, build_plan
from peakready.results import LimitResult, LoadResult, RunStatus
from peakready.safety import refuse_unless_allowed
from peakready.scenario import DEFAULT_SCENARIO, Scenario, load_scenario
from reports.baseline import compare
from reports.gate import apply_levels, verdict
from reports.model import Capacity, CheckInfo, PlanInfo, Report, ScenarioInfo


@dataclass
class RunOptions:
    scenario_path: Path = DEFAULT_SCENARIO
    outdir: Path | None = None
    workers: int = 1
    strict: bool = False
    progress: bool = True
    baseline: Path | None = None  # an earlier report.json to compare with
    find_limit: bool = False  # step the rate up from the forecast peak after the replay
    replay: bool = True  # False: find the limit instead of replaying
    master: Master | None = None  # workers on other machines (`peakready worker`)
    target: str | None = None  # overrides target.base_url (still checked: allowed_hosts)


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


def make_resolver(scenario: Scenario) -> DnsContext:
    """The checks' DNS: the scenario's planned zone files first (load_scenario
    has parsed them already), then its nameserver or the system resolver."""
    email = scenario.email
    if email is None:
        return DnsContext()
    return DnsContext.from_files(email.zone_files, email.nameserver, email.timeout)


def with_target(scenario: Scenario, base_url: str) -> Scenario:
    """The scenario aimed at another URL (staging, a review app), re-validated."""
    data = scenario.model_dump()
    data["target"]["base_url"] = base_url
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadInput(f"--target {base_url}: {first['msg'].removeprefix('Value error, ')}"
                       ) from None


def _sigterm_as_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def execute(opts: RunOptions) -> ExitCode:
    """Run a scenario end to end; BadInput propagates (exit 2) before any traffic."""
    scenario = load_scenario(opts.scenario_path)
    if opts.target:
        scenario = with_target(scenario, opts.target)
    plan = build_plan(scenario, str(opts.scenario_path))
    baseline = reports.load_report(opts.baseline) if opts.baseline else None  # before traffic
    if not scenario.target.is_demo:
        refuse_unless_allowed(scenario.target.base_url, scenario.target.allowed_hosts,
                              str(opts.scenario_path))
    outdir = opts.outdir or Path("out") / opts.scenario_path.stem
    outdir.mkdir(parents=True, exist_ok=True)
    state = RunState(started_at=now_iso())
    previous = signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    try:
        _run(scenario, plan, opts, outdir, state)
    except KeyboardInterrupt:
        state.notes.append("interrupted before the load finished")
    except Exception as exc:  # still write what we have, marked partial
        state.crashed = True
        state.notes.append(f"internal error: {type(exc).__name__}: {exc}")
        (outdir / "traceback.txt").write_text(traceback.format_exc(), encoding="utf-8")
    finally:
        signal.signal(signal.SIGTERM, previous)
    report = build_report(scenario, plan, opts, state)
    if baseline is not None:
        report.comparison = compare(report, baseline, str(opts.baseline))
    try:
        written = reports.write_all(report, outdir)
    except Exception as exc:  # a renderer bug must not lose the run: keep the JSON
        (outdir / "report.json").write_text(report.model_dump_json(indent=2), encoding="utf-8")
        (outdir / "traceback.txt").write_text(traceback.format_exc(), encoding="utf-8")
        console.print(f"could not render the report ({type(exc).__name__}: {exc}); "
                      f"{outdir / 'report.json'} is written", markup=False)
        return ExitCode.INTERNAL_ERROR
    _print_summary(report, written)
    return ExitCode.INTERNAL_ERROR if state.crashed else ExitCode(report.exit_code)


def _run(scenario: Scenario, plan: Plan, opts: RunOptions, outdir: Path,
         state: RunState) -> None:
    with ExitStack() as stack:
        if scenario.target.is_demo:
            from peakready.demo.server import DemoShop

            console.print("starting the demo storefront on 127.0.0.1 ...")
            faults = scenario.target.demo_options
            shop = stack.enter_context(DemoShop(log_path=outdir / "demo-shop.log",
                                                **(faults.model_dump() if faults else {})))
            state.base_url = shop.url
        else:
            state.base_url = scenario.target.base_url
        http = stack.enter_context(requests.Session())
        http.headers["User-Agent"] = f"peakready/{__version__} (readiness check)"
        resolver = stack.enter_context(make_resolver(scenario))
        ctx = CheckContext(scenario=scenario, resolver=resolver, http=http,
                           base_url=state.base_url)
        console.print(f"running pre-flight checks against {state.base_url} ...")
        state.findings += run_checks(checks.ALL, ctx, Phase.PRE)
        if opts.replay:
            s = plan.summary()
            console.print(f"replaying {plan.source}: {s['total_sessions']} sessions over "
                          f"{plan.duration_s:.0f}s (peak {s['peak_sessions_per_min']}/min, "
                          f"~{s['peak_requests_per_s']} req/s)")
            with _progress(opts) as progress:
                state.load = run_load(opts.scenario_path, plan, state.base_url, outdir,
                                      workers=opts.workers, on_progress=progress,
                                      master=opts.master)
            _note_status(state.load, state.notes)
            ctx.load = state.load
        if opts.find_limit and (state.load is None or not state.load.partial):
            console.print("finding the limit: stepping up from the forecast peak ...")
            with _progress(opts) as progress:
                state.limit, limit_load = run_limit(
                    scenario, plan, opts.scenario_path, state.base_url, outdir / "limit",
                    workers=opts.workers, on_progress=progress, master=opts.master)
            console.print(f"limit: {state.limit.note}", markup=False)
            if limit_load.status is RunStatus.INTERRUPTED:
                state.notes.append(f"find-limit interrupted: {limit_load.stop_reason}")
            ctx.limit = state.limit
        state.findings += run_checks(checks.ALL, ctx, Phase.POST)


@contextmanager
def _progress(opts: RunOptions) -> Iterator[Progress | None]:
    progress = Progress() if opts.progress else None
    try:
        yield progress
    finally:
        if progress:
            progress.close()


def _note_status(load: LoadResult, notes: list[str]) -> None:
    if load.status is RunStatus.INTERRUPTED:
        notes.append(f"load interrupted: {load.stop_reason}")
    elif load.status is RunStatus.ABORTED:
        notes.append(f"load aborted: {load.stop_reason}")
    elif load.status is RunStatus.CRASHED:
        notes.append(f"load generator crashed: {load.stop_reason}")


def build_report(scenario: Scenario, plan: Plan, opts: RunOptions, state: RunState) -> Report:
    findings = list(state.findings)
    if (state.load is None and opts.replay) or state.crashed:
        findings.append(checks.generator.CHECK.finding(
            "generator", Status.FAIL, "run-incomplete",
            "the load did not run to completion: " + ("; ".join(state.notes) or "unknown"),
            remediation="Re-run; a run that did not complete cannot clear a launch."))
    levels = {c.id: scenario.level_for(c.id, c.default_level) for c in checks.ALL}
    findings = apply_levels(findings, levels)
    health = frozenset(c.id for c in checks.ALL if c.health)
    v = verdict(findings, health, scenario.errors_block)
    partial = (state.crashed or (state.load is None and opts.replay)
               or (state.load is not None and state.load.partial))
    curve = [(st.t, round(st.total_per_s * st.duration, 3)) for st in plan.steps]
    return Report(
        tool_version=__version__,
        scenario=ScenarioInfo(name=scenario.name, path=str(opts.scenario_path),
                              target=state.base_url or scenario.target.base_url,
                              description=scenario.description),
        started_at=state.started_at, finished_at=now_iso(),
        git_revision=git_revision(opts.scenario_path.resolve().parent),
        verdict=v, exit_code=int(v.exit_code(opts.strict)), strict=opts.strict,
        errors_block=scenario.errors_block, partial=partial, notes=state.notes,
        plan=PlanInfo(summary=plan.summary(), curve=curve), load=state.load,
        capacity=capacity(plan, state.load, state.limit, scenario.slos.min_headroom),
        checks=[CheckInfo(id=c.id, title=c.title, area=c.area, level=levels[c.id].value,
                          health=c.health) for c in checks.ALL],
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


def _print_summary(report: Report, written: dict[str, Path]) -> None:
    style = {"GO": "bold green", "GO WITH WARNINGS": "bold yellow", "NO-GO": "bold red",
             "INCONCLUSIVE": "bold magenta"}[report.verdict.value]
    console.print(f"\nverdict: [{style}]{report.verdict.value}[/]"
                  + (" (partial run)" if report.partial else ""))
    for f in report.blocking():
        console.print(f"  blocking: {f.check} {f.subject}: {f.summary}", markup=False)
    console.print(f"report: {written['report.html']}")
    for name, path in written.items():
        if name != "report.html":
            console.print(f"        {path}")
