"""`peakready run`: scenario → checks → replay → SLO findings → report → exit code.

Whatever happens after the scenario is accepted (a target that fails, Ctrl-C,
a crash of the generator or of peakready itself), a report is written and
marked partial where it is. The report folder is tried before any traffic (a
folder that cannot be written is bad input); when it still fails at the end
(a full disk), the verdict is printed all the same, report.json goes where it
can, and load-result.json stays for `peakready report` to render later.
An interrupt before the scenario is accepted reaches peakready.cli, which says
nothing was sent.
"""

from __future__ import annotations

import signal
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import requests
from pydantic import ValidationError

from peakready import __version__, reports
from peakready.checks.check import CheckContext, Phase
from peakready.checks.registry import ALL
from peakready.checks.runner import run_checks
from peakready.demo.server import DemoShop
from peakready.email.dns import DnsContext
from peakready.errors import BadInput, ExitCode
from peakready.load.results import LoadResult, RunStatus
from peakready.load.safety import refuse_unless_allowed
from peakready.plan.build import build_plan
from peakready.plan.model import Plan
from peakready.reports.baseline import compare
from peakready.reports.model import Report
from peakready.run.console import Progress, console
from peakready.run.find_limit import run_limit
from peakready.run.locust import Master, run_load
from peakready.run.report import RunState, build_report, now_iso, save_manifest
from peakready.run.trial import trial
from peakready.scenario.model import Scenario


@dataclass
class RunOptions:
    scenario: Scenario  # loaded once (peakready.scenario.load), paths resolved
    outdir: Path | None = None
    workers: int = 1
    strict: bool = False
    progress: bool = True
    baseline: Path | None = None  # an earlier report.json to compare with
    find_limit: bool = False  # step the rate up from the forecast peak after the replay
    replay: bool = True  # False: find the limit instead of replaying
    master: Master | None = None  # workers on other machines (`peakready worker`)
    target: str | None = None  # overrides target.base_url (still checked: allowed_hosts)


def scenario_file(scenario: Scenario) -> Path:
    """The file the Locust process reads the scenario from (it runs apart)."""
    if scenario.source is None:
        raise BadInput(f"{scenario.name}: a scenario read from a file is needed to run the "
                       "load")
    return scenario.source


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
        aimed = Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise BadInput(f"--target {base_url}: {first['msg'].removeprefix('Value error, ')}"
                       ) from None
    aimed._source = scenario.source
    return aimed


def _sigterm_as_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def execute(opts: RunOptions) -> ExitCode:
    """Run a scenario end to end; BadInput propagates (exit 2) before any traffic."""
    scenario = opts.scenario
    if opts.target:
        scenario = with_target(scenario, opts.target)
    source = str(scenario.source or scenario.name)
    plan = build_plan(scenario)
    baseline = reports.load_report(opts.baseline) if opts.baseline else None  # before traffic
    if not scenario.target.is_demo:
        refuse_unless_allowed(scenario.target.base_url, scenario.target.allowed_hosts, source)
    outdir = opts.outdir or Path("out") / (scenario.source.stem if scenario.source
                                           else scenario.name)
    state = RunState(started_at=now_iso())
    try:  # before any traffic: a run whose report cannot be written is not started
        save_manifest(outdir, scenario, state, strict=opts.strict, replay=opts.replay,
                      find_limit=opts.find_limit)
    except OSError as exc:
        raise BadInput(f"the report folder {outdir} cannot be written: {_why(exc)}",
                       ["nothing was sent; give a writable --out with free space"]) from None
    previous = signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    try:
        _run(scenario, plan, opts, outdir, state)
    except BadInput:
        raise  # the shop profile does not fit the shop: exit 2, before any load
    except KeyboardInterrupt:
        state.notes.append("interrupted before the load finished")
    except Exception as exc:  # still write what we have, marked partial
        state.crashed = True
        state.notes.append(f"internal error: {type(exc).__name__}: {exc}")
        with suppress(OSError):  # a full disk must not lose the run
            (outdir / "traceback.txt").write_text(traceback.format_exc(), encoding="utf-8")
    finally:
        signal.signal(signal.SIGTERM, previous)
    try:
        return _finish(scenario, plan, opts, baseline, outdir, state)
    except KeyboardInterrupt:  # a second Ctrl-C while the report is written
        console.print(f"interrupted while writing the report; what the load measured is "
                      f"in {outdir / 'load-result.json'} (peakready report renders it)",
                      markup=False, soft_wrap=True)
        return ExitCode.INCONCLUSIVE


def _finish(scenario: Scenario, plan: Plan, opts: RunOptions, baseline: Report | None,
            outdir: Path, state: RunState) -> ExitCode:
    report = build_report(scenario, plan, state, strict=opts.strict, replay=opts.replay)
    if baseline is not None:
        report.comparison = compare(report, baseline, str(opts.baseline))
    try:
        written = reports.write_all(report, outdir)
    except OSError as exc:  # a full or read-only disk: the verdict stands, say where it is
        _print_summary(report, {})
        _save_elsewhere(report, outdir, f"could not write the report to {outdir}: {_why(exc)}")
        return ExitCode.INTERNAL_ERROR if state.crashed else ExitCode(report.exit_code)
    except Exception as exc:  # a renderer bug must not lose the run: keep the JSON
        _print_summary(report, {})
        _save_elsewhere(report, outdir, f"could not render the report ({type(exc).__name__}: "
                        f"{exc})", traceback.format_exc())
        return ExitCode.INTERNAL_ERROR
    _print_summary(report, written)
    return ExitCode.INTERNAL_ERROR if state.crashed else ExitCode(report.exit_code)


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _save_elsewhere(report: Report, outdir: Path, problem: str, trace: str = "") -> None:
    """report.json (the source of every other format) in the report folder or,
    when that cannot be written, in a new temporary folder; print where it and
    load-result.json are."""
    console.print(problem, markup=False, soft_wrap=True)
    for name in reports.RENDERERS:  # write_all's half-written files
        with suppress(OSError):
            (outdir / f"{name}.tmp").unlink(missing_ok=True)
    saved: Path | None = None
    for folder in (outdir, None):
        try:
            folder = folder or Path(tempfile.mkdtemp(prefix="peakready-report-"))
            path = folder / "report.json"
            tmp = path.with_name("report.json.tmp")
            try:
                tmp.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
                tmp.replace(path)
            finally:
                tmp.unlink(missing_ok=True)
            if trace:
                (folder / "traceback.txt").write_text(trace, encoding="utf-8")
        except OSError:
            continue
        saved = path
        break
    result = outdir / "load-result.json"
    if saved is not None:
        console.print(f"saved: {saved}", markup=False, soft_wrap=True)
    if result.exists():
        console.print(f"kept:  {result}", markup=False, soft_wrap=True)
    if saved is None and not result.exists():
        console.print("nothing of this run could be saved; the verdict above is all there is",
                      markup=False)
        return
    again = saved or result
    console.print(f"render it with: peakready report {again} --out DIR", markup=False,
                  soft_wrap=True)


def _run(scenario: Scenario, plan: Plan, opts: RunOptions, outdir: Path,
         state: RunState) -> None:
    with ExitStack() as stack:
        if scenario.target.is_demo:
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
        levels = scenario.levels(ALL)
        if opts.replay or opts.find_limit:
            console.print(f"trying one session of each flow against {state.base_url} ...")
            trial(scenario, state.base_url)  # BadInput: the profile does not fit the shop
        console.print(f"running pre-flight checks against {state.base_url} ...")
        state.findings += run_checks(ALL, ctx, Phase.PRE, levels)
        with suppress(OSError):  # kept for `peakready report` of load-result.json
            save_manifest(outdir, scenario, state, strict=opts.strict, replay=opts.replay,
                          find_limit=opts.find_limit)
        if opts.replay:
            s = plan.summary()
            console.print(f"replaying {plan.source}: {s['total_sessions']} sessions over "
                          f"{plan.duration_s:.0f}s (peak {s['peak_sessions_per_min']}/min, "
                          f"~{s['peak_requests_per_s']} req/s)")
            with _progress(opts) as progress:
                state.load = run_load(scenario_file(scenario), plan, state.base_url, outdir,
                                      workers=opts.workers, on_progress=progress,
                                      master=opts.master)
            _note_status(state.load, state.notes)
            ctx.load = state.load
        if opts.find_limit and (state.load is None or not state.load.partial):
            console.print("finding the limit: stepping up from the forecast peak ...")
            with _progress(opts) as progress:
                state.limit, limit_load = run_limit(
                    scenario, plan, scenario_file(scenario), state.base_url, outdir / "limit",
                    workers=opts.workers, on_progress=progress, master=opts.master)
            console.print(f"limit: {state.limit.note}", markup=False)
            if limit_load.status is RunStatus.INTERRUPTED:
                state.notes.append(f"find-limit interrupted: {limit_load.stop_reason}")
            ctx.limit = state.limit
        state.findings += run_checks(ALL, ctx, Phase.POST, levels)


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
    notes += load.counting_notes()  # cut-off sessions, a lost worker's figures


def _print_summary(report: Report, written: dict[str, Path]) -> None:
    style = {"GO": "bold green", "GO WITH WARNINGS": "bold yellow", "NO-GO": "bold red",
             "INCONCLUSIVE": "bold magenta"}[report.verdict.value]
    console.print(f"\nverdict: [{style}]{report.verdict.value}[/]"
                  + (" (partial run)" if report.partial else ""))
    for f in report.blocking():
        console.print(f"  blocking: {f.check} {f.subject}: {f.summary}", markup=False)
    if not written:
        return
    console.print(f"report: {written['report.html']}")
    for name, path in written.items():
        if name != "report.html":
            console.print(f"        {path}")
