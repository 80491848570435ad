"""Open-model replay inside Locust: arrival scheduler, user pool, recording.

Real shoppers arrive whether or not the shop is slow. Locust users are a
closed loop, so each process runs an arrival scheduler that releases session
starts ("tickets") at the plan's λ(t) into a queue; a pool of Locust users
takes them. A ticket that waits longer than ``late_tolerance`` for a free
user is *late*; one older than ``drop_after`` (or still queued at the end)
is *dropped*. Both are counted, never hidden (coordinated omission).

The pool starts at the plan's Little's-law estimate and grows, within
``max_users``, while tickets queue. The master (or the single local
process) owns the shape, the abort rule, the progress file and the result;
workers record and ship their figures with Locust's own reports.

Options (also as environment variables): ``--scenario`` (PEAKREADY_SCENARIO),
``--plan`` (PEAKREADY_PLAN, default: built from the scenario),
``--peakready-results`` and ``--peakready-progress``.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import math
import os
import signal
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import gevent
import gevent.queue
from locust import LoadTestShape, events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from peakready.exitcodes import BadInput
from peakready.limit import judge_step
from peakready.plan import Arrival, Plan, arrivals, build_plan
from peakready.recorder import Recorder
from peakready.results import CpuWarning, Health, LoadResult, RunStatus
from peakready.safety import host_allowed
from peakready.scenario import Scenario, load_scenario

log = logging.getLogger("peakready")
REPORT_KEY = "peakready"
START_MSG = "peakready_start"
DRAIN_S = 30.0  # after the plan ends, wait this long for sessions in flight


class Ticket(NamedTuple):
    arrival: Arrival
    due: float  # monotonic time it was scheduled for


class TokenBucket:
    """The max_request_rate safety cap, per process (its share of the total)."""

    def __init__(self, per_s: float) -> None:
        self.rate = per_s
        self.burst = max(1.0, per_s / 2)  # half a second of burst absorbs random clumps
        self.tokens = self.burst
        self.last = time.monotonic()
        self.limited = 0

    def acquire(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        self.tokens -= 1
        if self.tokens < 0:  # a reservation: wait until the token would exist
            self.limited += 1
            gevent.sleep(-self.tokens / self.rate)


@dataclass
class Replay:
    """Per-process replay state. ``REPLAY`` holds the one of this process."""

    env: Environment
    scenario: Scenario
    plan: Plan
    recorder: Recorder
    queue: gevent.queue.Queue = field(default_factory=gevent.queue.Queue)
    t0: float | None = None  # monotonic start of the plan
    started_wall: str = ""
    scheduling_done: bool = False
    busy: int = 0
    status: RunStatus = RunStatus.COMPLETED
    stop_reason: str = ""
    health: Health = field(default_factory=Health)
    worker_figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    written: bool = False
    limiter: TokenBucket | None = None
    workers: int = 1
    limit_judged: int = 0  # find-limit: steps judged so far
    limit_done: bool = False

    # -- worker side: schedule and serve ------------------------------------
    def start(self, index: int, count: int, t0: float) -> None:
        # Everything alive now (modules, models, the plan) lives as long as the
        # run: keep it out of the garbage collector's way for the whole load.
        gc.freeze()
        self.t0 = t0
        self.started_wall = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.limiter = TokenBucket(self.scenario.load.max_request_rate / count)
        gevent.spawn(self._schedule, index, count)

    def now(self) -> float:
        return time.monotonic() - (self.t0 or time.monotonic())

    def _schedule(self, index: int, count: int) -> None:
        assert self.t0 is not None
        for a in arrivals(self.plan, index, count):
            delay = self.t0 + a.t - time.monotonic()
            if delay > 0.001:  # a start due within the millisecond goes now
                gevent.sleep(delay)
            self.recorder.session("planned", a.t, a.campaign, a.flow)
            self.queue.put(Ticket(a, self.t0 + a.t))
        self.scheduling_done = True

    def take(self) -> Ticket | None:
        """Next session start for a free user; None if there is none yet."""
        load = self.scenario.load
        while True:
            try:  # the fast path under load: no timer is armed
                ticket = self.queue.get_nowait()
            except gevent.queue.Empty:
                try:
                    ticket = self.queue.get(timeout=0.5)
                except gevent.queue.Empty:
                    return None
            a = ticket.arrival
            now = time.monotonic()
            waited = now - ticket.due
            if waited > load.drop_after:
                self.recorder.session("dropped", a.t, a.campaign, a.flow)
                continue
            self.recorder.started(a.t, now - self.t0, a.campaign, a.flow,  # type: ignore[operator]
                                  waited > load.late_tolerance)
            return ticket

    def drop_queued(self) -> None:
        while True:
            try:
                t = self.queue.get_nowait()
            except gevent.queue.Empty:
                return
            self.recorder.session("dropped", t.arrival.t, t.arrival.campaign, t.arrival.flow)

    def figures(self) -> dict[str, Any]:
        """What the shape needs from this process: queue, busy users, done."""
        return {"backlog": self.queue.qsize(), "busy": self.busy,
                "done": self.scheduling_done and self.queue.qsize() == 0 and self.busy == 0,
                "limited": self.limiter.limited if self.limiter else 0}

    # -- master / local side -----------------------------------------------
    def combined(self) -> dict[str, Any]:
        if isinstance(self.env.runner, MasterRunner):
            figs = list(self.worker_figures.values())
            n = max(1, self.env.runner.worker_count)
            return {"backlog": sum(f["backlog"] for f in figs),
                    "busy": sum(f["busy"] for f in figs),
                    "done": len(figs) >= n and all(f["done"] for f in figs),
                    "limited": sum(f["limited"] for f in figs)}
        return self.figures()

    def finished(self) -> bool:
        if self.t0 is None:
            return False
        if self.limit_done:
            return True
        if self.combined()["done"]:
            return True
        return self.now() > self.plan.duration_s + max(DRAIN_S, self.scenario.load.drop_after)

    def judge_limit(self) -> None:
        """Find-limit: judge each step once its figures are in; stop at the first
        that does not hold (no point hammering a shop past its limit)."""
        k = self.limit_judged
        if not self.plan.limit_factors or k >= len(self.plan.steps) or self.limit_done:
            return
        step = self.plan.steps[k]
        settle = 4.0 if isinstance(self.env.runner, MasterRunner) else 2.0
        if self.now() < step.t + step.duration + settle:
            return
        judged = judge_step(self.recorder.interval(k), self.plan.limit_factors[k],
                            step.total_per_s * 60, self.scenario)
        self.limit_judged += 1
        log.warning("find-limit: %.1f/min %s", judged.per_min,
                    "held" if judged.held else f"broke: {judged.problems[0]}")
        if not judged.held:
            self.limit_done = True
            self.stop_reason = (f"find-limit: {judged.per_min:.1f}/min did not hold: "
                                f"{judged.problems[0]}")
            gevent.spawn(self.env.runner.quit)

    def abort_if_failing(self) -> None:
        load = self.scenario.load
        last = self.recorder.index(self.now())
        first = self.recorder.index(max(0.0, self.now() - load.abort_window))
        w = self.recorder.window(first, last)
        if w["requests"] >= 20 and w["failures"] / w["requests"] > load.abort_error_rate:
            self.status = RunStatus.ABORTED
            self.stop_reason = (
                f"error rate {w['failures'] / w['requests']:.0%} over the last "
                f"{load.abort_window:g}s exceeded the abort threshold "
                f"{load.abort_error_rate:.0%} ({w['failures']} of {w['requests']} requests)")
            log.error("aborting the load: %s", self.stop_reason)
            gevent.spawn(self.env.runner.quit)

    def write_progress(self, path: str, last: dict[str, Any]) -> dict[str, Any]:
        tot = self.recorder.totals()
        now = self.now()
        rps = 0.0
        if last and now > last["elapsed"]:
            rps = (tot["requests"] - last["requests"]) / (now - last["elapsed"])
        line = {"elapsed": round(now, 2), "plan_s": self.plan.duration_s,
                "planned": tot["planned"], "started": tot["started"], "late": tot["late"],
                "dropped": tot["dropped"], "requests": tot["requests"],
                "failures": tot["failures"], "rps": round(rps, 1),
                "users": self.env.runner.user_count, **self.combined()}
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")
        return line

    def result(self) -> LoadResult:
        self.health.rate_limited = self.combined()["limited"]
        self.health.max_users = self.scenario.load.max_users
        self.health.plan_capped = list(self.plan.capped)
        return self.recorder.result(
            status=self.status, stop_reason=self.stop_reason, started_at=self.started_wall,
            ended_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            planned_duration_s=self.plan.duration_s, elapsed_s=round(self.now(), 3),
            workers=self.workers, health=self.health)


REPLAY: Replay | None = None


class ReplayShape(LoadTestShape):
    """Size the user pool from the plan; grow it while session starts queue."""

    use_common_options = True

    def __init__(self) -> None:
        super().__init__()
        self.users = 0

    def tick(self) -> tuple[int, float] | None:
        r = REPLAY
        if r is None:
            return None
        if r.finished():
            return None
        cap = r.scenario.load.max_users
        if self.users == 0:
            self.users = min(cap, max(2, math.ceil(r.plan.users_needed() * 1.25) + 2))
        else:
            fig = r.combined()
            want = fig["busy"] + fig["backlog"]
            if fig["backlog"] > 0 or fig["busy"] > 0.9 * self.users:
                want = max(want, self.users + max(5, math.ceil(self.users * 0.25)))
            if want > cap:
                r.health.user_cap_hit = True
            self.users = max(self.users, min(cap, want))
        if r.t0 is not None:
            r.recorder.users(r.now(), self.users)
        return self.users, max(50.0, float(self.users))


# -- Locust wiring -------------------------------------------------------------
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


def _refuse(env: Environment, message: str) -> None:
    log.error("%s", message)
    env.process_exit_code = 2
    if env.runner is not None:
        gevent.spawn(env.runner.quit)


@events.init.add_listener
def _init(environment: Environment, **_: Any) -> None:
    global REPLAY
    opts = environment.parsed_options
    path = getattr(opts, "scenario", "") if opts else ""
    if not path:
        raise SystemExit("peakready: give the scenario with --scenario FILE or PEAKREADY_SCENARIO")
    worker = isinstance(environment.runner, WorkerRunner)
    try:
        scenario = load_scenario(path)
        if worker:  # the plan comes from the master: no history file needed here
            environment.runner.register_message(START_MSG, partial(_on_start_message,
                                                                   scenario=scenario))
            return
        plan_path = getattr(opts, "plan", "")
        plan = (Plan.model_validate_json(Path(plan_path).read_text(encoding="utf-8"))
                if plan_path else build_plan(scenario, path))
    except BadInput as exc:
        raise SystemExit(exc.render()) from None
    environment.shape_class = environment.shape_class or ReplayShape()
    REPLAY = Replay(environment, scenario, plan, Recorder(plan.interval_s))
    if environment.runner is not None:
        # While a shape runs, headless Locust has no SIGTERM handler yet (it
        # installs one after the shape ends): stop cleanly, as on Ctrl-C, so the
        # result is written when Kubernetes or CI sends SIGTERM.
        gevent.signal_handler(signal.SIGTERM, _on_sigterm, environment)


def _on_sigterm(environment: Environment) -> None:
    r = REPLAY
    if r is not None and r.status is RunStatus.COMPLETED:
        r.status = RunStatus.INTERRUPTED
        r.stop_reason = "stopped by SIGTERM"
    gevent.spawn(environment.runner.quit)


def host_problem(environment: Environment) -> str | None:
    r = REPLAY
    host = environment.host or ""
    from urllib.parse import urlsplit
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
    r = REPLAY
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
    global REPLAY
    if REPLAY is not None and REPLAY.t0 is not None:
        return
    plan = Plan.model_validate_json(msg.data["plan"])
    REPLAY = Replay(environment, scenario, plan, Recorder(plan.interval_s))
    problem = host_problem(environment)
    if problem:  # defence in depth: the master checked too
        log.error("%s", problem)
        return
    data = msg.data
    REPLAY.start(data["index"], data["count"],
                 time.monotonic() + (data["t0_wall"] - time.time()))


def _supervise(progress_path: str) -> None:
    """Master/local: progress line, abort rule and histogram compaction, each second."""
    r = REPLAY
    last: dict[str, Any] = {}
    while r is not None and r.status is RunStatus.COMPLETED and r.env.runner.state not in (
            "stopped", "quitting"):
        if progress_path:
            last = r.write_progress(progress_path, last)
        r.abort_if_failing()
        r.judge_limit()
        runner = r.env.runner
        if isinstance(runner, MasterRunner):
            for node in runner.clients.missing:
                if node.id not in r.health.missing_workers:
                    r.health.missing_workers.append(node.id)
                    log.error("worker %s went missing at %.0fs", node.id, r.now())
        r.recorder.compact(r.recorder.index(r.now()) - 1)
        gevent.sleep(1.0)


@events.request.add_listener
def _on_request(request_type: str, name: str, response_time: float, exception: Any,
                context: dict[str, Any] | None = None, **_: Any) -> None:
    r = REPLAY
    if r is None or r.t0 is None:
        return
    failed = exception is not None
    r.recorder.request(r.now(), name, response_time or 0.0, failed,
                       (context or {}).get("campaign"),
                       _describe(exception) if failed else None)


def _describe(exc: Any) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:300]


@events.cpu_warning.add_listener
def _cpu(environment: Environment, cpu_usage: float, **_: Any) -> None:
    r = REPLAY
    if r is not None and not isinstance(environment.runner, WorkerRunner):
        r.health.cpu_warnings.append(CpuWarning(worker="local", at_s=round(r.now(), 1),
                                                cpu_percent=cpu_usage))


@events.report_to_master.add_listener
def _report(client_id: str, data: dict[str, Any]) -> None:
    r = REPLAY
    if r is not None:
        data[REPORT_KEY] = {"recorder": r.recorder.drain(), "figures": r.figures()}


@events.worker_report.add_listener
def _worker_report(client_id: str, data: dict[str, Any]) -> None:
    r = REPLAY
    part = data.get(REPORT_KEY)
    if r is None or not part:
        return
    r.recorder.absorb(part["recorder"])
    r.worker_figures[client_id] = part["figures"]
    cpu = data.get("current_cpu_usage", 0)
    if cpu > 90 and r.t0 is not None:
        r.health.cpu_warnings.append(
            CpuWarning(worker=client_id, at_s=round(r.now(), 1), cpu_percent=cpu))


@events.test_stop.add_listener
def _test_stop(environment: Environment, **_: Any) -> None:
    r = REPLAY
    if r is None:
        return
    if not isinstance(environment.runner, MasterRunner):
        r.drop_queued()
    if not isinstance(environment.runner, WorkerRunner):
        _write_result(environment)


@events.quitting.add_listener
def _quitting(environment: Environment, **_: Any) -> None:
    r = REPLAY
    if r is not None and not r.written and not isinstance(environment.runner, WorkerRunner):
        if r.status is RunStatus.COMPLETED and not r.finished():
            r.status = RunStatus.INTERRUPTED
            r.stop_reason = "the load was stopped before the plan ended"
        _write_result(environment)


@events.quit.add_listener
def _quit(exit_code: int, **_: Any) -> None:
    """Write the result once more at the very end: a master only has its workers'
    final figures (sent when they quit) after test_stop has fired."""
    r = REPLAY
    if r is not None and isinstance(r.env.runner, MasterRunner):
        _write_result(r.env)


def _write_result(environment: Environment) -> None:
    r = REPLAY
    if r is None or r.t0 is None:
        return
    if r.status is RunStatus.COMPLETED and not r.finished():
        r.status = RunStatus.INTERRUPTED
        r.stop_reason = "the load was stopped before the plan ended"
    path = getattr(environment.parsed_options, "peakready_results", "")
    if path:
        tmp = f"{path}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(r.result().model_dump_json())
        os.replace(tmp, path)
    r.written = True
