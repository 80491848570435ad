"""Locust event wiring of the replay: options, start and stop, the master's
supervision (progress, abort rule, find-limit judge), worker reports and the
result file. (Requests are recorded by the user class itself.)

Options (also as environment variables): ``--scenario`` (PEAKREADY_SCENARIO),
``--plan`` (PEAKREADY_PLAN, default: built from the scenario),
``--peakready-results``, ``--peakready-progress`` and ``--peakready-drain``
(PEAKREADY_DRAIN: seconds sessions may still run after the plan ends, 30 by
default). A worker takes its plan from the master's start message, so it
needs no history file.

At the stop, the master asks every worker still there to stop and send its
final figures (after ``Replay.close_books``) and waits for them before it
writes the result; Locust's own last report comes too late for that.

Memory diagnosis (``bench/soak.py --trace``): with PEAKREADY_TRACEMALLOC=PATH
each Locust process traces its allocations (tracemalloc, 25 frames) and every
PEAKREADY_TRACEMALLOC_EVERY seconds (default 60) rewrites ``PATH.<pid>`` with
the traced total and the allocation sites that grew most since the first
snapshot (taken one period in, after warm-up), by traceback. Tracing slows
the generator several times over: a diagnosis, never a measurement.
"""

from __future__ import annotations

import datetime as dt
import linecache
import os
import signal
import time
import tracemalloc
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gevent
from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner
from peakready.locustfiles import replay
from peakready.locustfiles.replay import (
    DRAIN_S,
    FINAL_MSG,
    REPORT_KEY,
    START_MSG,
    STOP_MSG,
    Replay,
    ReplayShape,
    log,
)

from peakready.errors import BadInput
from peakready.load.recorder import Recorder
from peakready.load.results import Cause, CpuWarning, RunStatus
from peakready.load.safety import host_allowed
from peakready.plan.build import build_plan
from peakready.plan.model import Plan
from peakready.scenario.load import load_scenario
from peakready.scenario.model import Scenario
from peakready.shops.profile import Profile


def shop_profile(scenario: Scenario) -> Profile:
    """The scenario's shop profile; without one, landings only (validate
    refuses other flows then)."""
    return scenario.shop_profile() or Profile(name="landings only")


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--scenario", env_var="PEAKREADY_SCENARIO", default="",
                        help="peakready scenario file")
    parser.add_argument("--plan", env_var="PEAKREADY_PLAN", default="",
                        help="plan.json from `peakready plan` (default: built from the scenario)")
    parser.add_argument("--peakready-results", env_var="PEAKREADY_RESULTS", default="",
                        help="where to write the result JSON")
    parser.add_argument("--peakready-progress", env_var="PEAKREADY_PROGRESS", default="",
                        help="where to append one progress line per second")
    parser.add_argument("--peakready-drain", env_var="PEAKREADY_DRAIN", type=float,
                        default=DRAIN_S, help="seconds sessions in flight may still run after "
                        "the plan ends; those still running then are cut off")


def _refuse(env: Environment, message: str) -> None:
    log.error("%s", message)
    env.process_exit_code = 2
    if env.runner is not None:
        gevent.spawn(env.runner.quit)


def _trace_memory(path: str, every: float) -> None:
    """PEAKREADY_TRACEMALLOC: what grew since the first snapshot, every ``every`` s."""
    gevent.sleep(every)
    first, began = tracemalloc.take_snapshot(), time.monotonic()
    keep = (tracemalloc.Filter(False, tracemalloc.__file__),  # itself and what it reads
            tracemalloc.Filter(False, linecache.__file__))
    first = first.filter_traces(keep)
    while True:
        gevent.sleep(every)
        now = tracemalloc.take_snapshot().filter_traces(keep)
        grown = now.compare_to(first, "traceback")
        traced, peak = tracemalloc.get_traced_memory()
        lines = [f"{time.monotonic() - began:.0f} s after the first snapshot: traced "
                 f"{traced / 2**20:.1f} MiB (peak {peak / 2**20:.1f}), grown "
                 f"{sum(d.size_diff for d in grown) / 2**20:+.2f} MiB", ""]
        for d in grown[:25]:
            lines.append(f"{d.size_diff / 1024:+.1f} KiB ({d.count_diff:+d} blocks), now "
                         f"{d.size / 1024:.1f} KiB in {d.count} blocks")
            lines += [f"    {ln}" for ln in d.traceback.format(most_recent_first=True)[:24]]
        Path(f"{path}.{os.getpid()}").write_text("\n".join(lines) + "\n", encoding="utf-8")


@events.init.add_listener
def _init(environment: Environment, **_: Any) -> None:
    trace = os.environ.get("PEAKREADY_TRACEMALLOC")
    if trace and not tracemalloc.is_tracing():
        tracemalloc.start(25)
        gevent.spawn(_trace_memory, trace,
                     float(os.environ.get("PEAKREADY_TRACEMALLOC_EVERY", "60")))
    opts = environment.parsed_options
    path = getattr(opts, "scenario", "") if opts else ""
    if not path:
        raise SystemExit("peakready: give the scenario with --scenario FILE or PEAKREADY_SCENARIO")
    worker = isinstance(environment.runner, WorkerRunner)
    try:
        # the gate policy is the parent process's business: no check ids here
        scenario = load_scenario(path, check_ids=None)
        if worker:  # the plan comes from the master: no history file needed here
            environment.runner.register_message(START_MSG, partial(_on_start_message,
                                                                   scenario=scenario))
            environment.runner.register_message(STOP_MSG, _on_stop_message, concurrent=True)
            return
        plan_path = getattr(opts, "plan", "")
        plan = (Plan.model_validate_json(Path(plan_path).read_text(encoding="utf-8"))
                if plan_path else build_plan(scenario))
    except BadInput as exc:
        raise SystemExit(exc.render()) from None
    environment.shape_class = environment.shape_class or ReplayShape()
    replay.REPLAY = Replay(environment, scenario, plan,
                           Recorder(plan.interval_s, whose=gevent.getcurrent),
                           profile=shop_profile(scenario),
                           drain_s=getattr(opts, "peakready_drain", DRAIN_S))
    if isinstance(environment.runner, MasterRunner):
        environment.runner.register_message(FINAL_MSG, _on_final_message)
    if environment.runner is not None:
        # While a shape runs, headless Locust has no SIGTERM handler yet (it
        # installs one after the shape ends): stop cleanly, as on Ctrl-C, so the
        # result is written when Kubernetes or CI sends SIGTERM.
        gevent.signal_handler(signal.SIGTERM, _on_sigterm, environment)


def _on_sigterm(environment: Environment) -> None:
    r = replay.REPLAY
    if r is not None and r.status is RunStatus.COMPLETED:
        r.status = RunStatus.INTERRUPTED
        r.stop_cause = Cause.INTERRUPT
        r.stop_reason = "stopped by SIGTERM"
    gevent.spawn(environment.runner.quit)


def host_problem(environment: Environment) -> str | None:
    r = replay.REPLAY
    host = environment.host or ""
    name = urlsplit(host).hostname or ""
    if not name:
        return "peakready: no target host; pass --host http://127.0.0.1:PORT"
    if r and not host_allowed(name, r.scenario.target.allowed_hosts):
        return (f"peakready: refusing to send load to {name!r}: not loopback and not in the "
                "scenario's target.allowed_hosts")
    return None


@events.test_start.add_listener
def _test_start(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    problem = host_problem(environment)
    if problem:
        _refuse(environment, problem)


@events.spawning_complete.add_listener
def _spawned(user_count: int, **_: Any) -> None:
    r = replay.REPLAY
    if r is None or r.t0 is not None:
        return
    runner = r.env.runner
    if isinstance(runner, WorkerRunner):
        return  # waits for the master's start message
    if isinstance(runner, MasterRunner):
        count = runner.worker_count
        t0_wall = time.time() + 0.5  # every worker starts its clock at the same instant
        plan_json = r.plan.model_dump_json()
        for i, client_id in enumerate(sorted(runner.clients, key=runner.get_worker_index)):
            runner.send_message(START_MSG, {"t0_wall": t0_wall, "index": i, "count": count,
                                            "plan": plan_json}, client_id=client_id)
            r.shares[client_id] = i
        r.t0 = time.monotonic() + 0.5
        r.workers = count
        r.started_wall = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    else:
        r.start(0, 1, time.monotonic())
    opts = r.env.parsed_options
    gevent.spawn(_supervise, getattr(opts, "peakready_progress", ""))


def _on_start_message(environment: Environment, msg: Any, scenario: Scenario,
                      **_: Any) -> None:
    """Worker: the master's plan and this worker's share; start the clock."""
    if replay.REPLAY is not None and replay.REPLAY.t0 is not None:
        return
    plan = Plan.model_validate_json(msg.data["plan"])
    replay.REPLAY = Replay(environment, scenario, plan,
                           Recorder(plan.interval_s, whose=gevent.getcurrent),
                           profile=shop_profile(scenario))
    problem = host_problem(environment)
    if problem:  # defence in depth: the master checked too
        log.error("%s", problem)
        return
    data = msg.data
    replay.REPLAY.start(data["index"], data["count"],
                 time.monotonic() + (data["t0_wall"] - time.time()))


STATS_KEEP_S = 60  # Locust's per-second counts kept (its current rate reads the last 12 s)
HISTORY_KEEP = 120  # Locust's chart points kept (one per 5 s) when nothing draws them


def trim_locust_stats(environment: Environment, now: float | None = None) -> None:
    """Keep Locust's own statistics from growing with the run's length.

    Every request name's ``num_reqs_per_sec``/``num_fail_per_sec`` gain an
    entry per second for the whole run and only the last 12 s are ever read
    (``current_rps``); ``stats.history`` gains a chart point every 5 s, read
    only by the web UI and ``--html``. Both grow with time, not load (a soak
    of hours: tens of MB). Counts older than ``STATS_KEEP_S`` are dropped,
    and chart points beyond ``HISTORY_KEEP`` when headless without ``--html``.
    Locust's totals, percentiles and errors are untouched."""
    stats = environment.stats
    if stats is None:
        return
    oldest = int(time.time() if now is None else now) - STATS_KEEP_S
    for entry in (*stats.entries.values(), stats.total):
        for table in (entry.num_reqs_per_sec, entry.num_fail_per_sec):
            old = [t for t in table if t < oldest]
            for t in old:
                del table[t]
    opts = environment.parsed_options
    drawn = opts is None or not getattr(opts, "headless", False) or getattr(
        opts, "html_file", None)
    if not drawn and len(stats.history) > HISTORY_KEEP:
        del stats.history[:-HISTORY_KEEP]


def _supervise(progress_path: str) -> None:
    """Master/local: progress line, abort rule and histogram compaction, each
    second; Locust's own per-second statistics trimmed each minute."""
    r = replay.REPLAY
    last: dict[str, Any] = {}
    ticks = 0
    while r is not None and r.status is RunStatus.COMPLETED and not r.stopping.is_set() \
            and r.env.runner.state not in ("stopped", "quitting"):
        if progress_path:
            last = r.write_progress(progress_path, last)
        r.abort_if_failing()
        r.judge_limit()
        runner = r.env.runner
        if isinstance(runner, MasterRunner):
            _note_missing(r, runner)
        r.recorder.compact(r.recorder.index(r.now()) - 1)
        ticks += 1
        if ticks % 60 == 0:
            trim_locust_stats(r.env)
        gevent.sleep(1.0)


@events.cpu_warning.add_listener
def _cpu(environment: Environment, cpu_usage: float, **_: Any) -> None:
    r = replay.REPLAY
    if r is not None and not isinstance(environment.runner, WorkerRunner):
        r.health.cpu_warnings.append(CpuWarning(worker="local", at_s=round(r.now(), 1),
                                                cpu_percent=cpu_usage))


@events.report_to_master.add_listener
def _report(client_id: str, data: dict[str, Any]) -> None:
    r = replay.REPLAY
    if r is not None:
        data[REPORT_KEY] = {"recorder": r.recorder.drain(), "figures": r.figures()}


@events.worker_report.add_listener
def _worker_report(client_id: str, data: dict[str, Any]) -> None:
    r = replay.REPLAY
    part = data.get(REPORT_KEY)
    if r is None or not part:
        return
    r.absorb(client_id, part)
    cpu = data.get("current_cpu_usage", 0)
    if cpu > 90 and r.t0 is not None:
        r.health.cpu_warnings.append(
            CpuWarning(worker=client_id, at_s=round(r.now(), 1), cpu_percent=cpu))


@events.test_stopping.add_listener
def _test_stopping(environment: Environment, **_: Any) -> None:
    """No user takes another session start from here on."""
    r = replay.REPLAY
    if r is not None:
        r.stop()


@events.test_stop.add_listener
def _test_stop(environment: Environment, **_: Any) -> None:
    r = replay.REPLAY
    if r is None:
        return
    runner = environment.runner
    if not isinstance(runner, MasterRunner):
        r.close_books()  # the users are stopped: count what is left
    if isinstance(runner, MasterRunner):
        _collect_finals(r, runner)
    if not isinstance(runner, WorkerRunner):
        _write_result(environment)


def _collect_finals(r: Replay, runner: MasterRunner) -> None:
    """Ask every worker still there to stop and send its final figures; wait
    for them (a worker lets its sessions run up to --stop-timeout)."""
    gone = {node.id for node in runner.clients.missing}
    waiting = {cid for cid in r.shares if cid not in r.final and cid not in gone}
    for client_id in waiting:
        runner.send_message(STOP_MSG, None, client_id=client_id)
    deadline = time.monotonic() + (r.env.stop_timeout or 0) + 15.0
    while time.monotonic() < deadline:
        _note_missing(r, runner)
        gone = set(r.health.missing_workers)
        if not {cid for cid in waiting if cid not in r.final and cid not in gone}:
            return
        gevent.sleep(0.05)
    log.error("no final figures from worker(s) %s",
              ", ".join(sorted(cid for cid in waiting if cid not in r.final)))


def _note_missing(r: Replay, runner: MasterRunner) -> None:
    for node in runner.clients.missing:
        if node.id not in r.health.missing_workers:
            r.health.missing_workers.append(node.id)
            log.error("worker %s went missing at %.0fs", node.id, r.now())


def _on_stop_message(environment: Environment, msg: Any, **_: Any) -> None:
    """Worker: stop the users, close the books, send the final figures."""
    r = replay.REPLAY
    runner = environment.runner
    if r is None or runner is None:
        return
    r.stop()
    runner.stop()  # its test_stop closes the books (once)
    r.close_books()
    runner.send_message(FINAL_MSG, {"recorder": r.recorder.drain(), "figures": r.figures()})


def _on_final_message(environment: Environment, msg: Any, **_: Any) -> None:
    r = replay.REPLAY
    if r is not None and msg.data:
        r.absorb(msg.node_id, msg.data, final=True)


@events.quitting.add_listener
def _quitting(environment: Environment, **_: Any) -> None:
    r = replay.REPLAY
    if r is not None and not r.written and not isinstance(environment.runner, WorkerRunner):
        _stopped_early(r)
        _write_result(environment)


@events.quit.add_listener
def _quit(exit_code: int, **_: Any) -> None:
    """Write the result once more at the very end: a master only has its workers'
    final figures (sent when they quit) after test_stop has fired."""
    r = replay.REPLAY
    if r is not None and isinstance(r.env.runner, MasterRunner):
        _write_result(r.env)


def _stopped_early(r: Replay) -> None:
    """Stopped before the plan finished (judged when the stop began: once the
    books are closed, nothing is left to do)."""
    early = r.early if r.stopped_at is not None else not r.finished()
    if r.status is RunStatus.COMPLETED and early:
        r.status = RunStatus.INTERRUPTED
        r.stop_cause = r.stop_cause or Cause.INTERRUPT
        r.stop_reason = "the load was stopped before the plan ended"


def _write_result(environment: Environment) -> None:
    r = replay.REPLAY
    if r is None or r.t0 is None:
        return
    _stopped_early(r)
    path = getattr(environment.parsed_options, "peakready_results", "")
    if path:
        tmp = f"{path}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(r.result().model_dump_json())
        os.replace(tmp, path)
    r.written = True
