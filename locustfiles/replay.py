"""Open-model replay inside Locust: session starts at λ(t), a user pool, recording.

Real shoppers arrive whether or not the shop is slow. Locust users are a
closed loop, so the plan's arrivals (this process's share, in time order)
are handed out to the pool: a free user takes the next arrival and sleeps
until it is due. An arrival that is due while every user is busy waits in
the backlog; one that starts more than ``late_tolerance`` after it was due
is *late*; one older than ``drop_after`` (or still waiting at the end) is
*dropped*. Both are counted, never hidden (coordinated omission).

When the run stops (the plan and its drain time are over, the abort rule,
find-limit, Ctrl-C), no user takes another start, and ``close_books`` counts
what is left: a start not yet due, or due for less than ``late_tolerance``,
is *cancelled* by the stop (not the generator's fault); one waiting longer
is dropped; a session still running is *cut off*, with its order attempt and
request in flight. The master names the cause (``cancelled_by``,
``cut_off_by``) and, for a worker whose last figures never came, counts its
unreported share as cancelled and its open sessions as cut off ("worker
lost"), so planned always equals the plan.

Handing arrivals to users, rather than running a scheduler greenlet that
queues each start for a user to pick up, saves a timer, a queue hand-over
and a context switch per session: under load the generator spends its CPU
on requests, not on its own bookkeeping (``bench/generator.py``).

The pool starts at the plan's Little's-law estimate and grows, within
``max_users``, while arrivals wait. The master (or the single local
process) owns the shape, the abort rule, the progress file and the result;
workers record and ship their figures with Locust's own reports. How this
state is wired into Locust's events is in ``locustfiles/hooks.py``.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import math
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import gevent
import gevent.event
from locust import LoadTestShape
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import MasterRunner

from peakready.load.recorder import NO_CAMPAIGN, Event, Recorder
from peakready.load.results import Cause, Health, LoadResult, RunStatus
from peakready.plan.arrivals import Arrival, arrivals
from peakready.plan.limit import judge_step
from peakready.plan.model import Plan
from peakready.scenario.model import Scenario
from peakready.shops.profile import Profile
from peakready.shops.session import session_values

log = logging.getLogger("peakready")
REPORT_KEY = "peakready"
START_MSG = "peakready_start"
STOP_MSG = "peakready_stop"  # master -> worker: stop now and send your final figures
FINAL_MSG = "peakready_final"  # worker -> master: the figures after close_books
DRAIN_S = 30.0  # after the plan ends, wait this long for sessions in flight


class TokenBucket:
    """The max_request_rate safety cap, per process (its share of the total).

    A token bucket kept as its theoretical arrival time (GCRA, as in ATM
    traffic policing): one clock reading and a comparison per request. A
    request that does not conform reserves its slot and waits for it, so at
    most ``burst + rate × t`` requests go out in any ``t`` seconds."""

    def __init__(self, per_s: float, on_send: Any = None) -> None:
        self.on_send = on_send  # told of every request about to go out
        self.rate = per_s
        self.burst = max(1.0, per_s / 2)  # half a second of burst absorbs random clumps
        self.spacing = 1.0 / per_s
        self.tolerance = (self.burst - 1) * self.spacing
        self.tat = time.monotonic()  # when the bucket would next be full
        self.limited = 0

    def acquire(self) -> None:
        now = time.monotonic()
        tat = self.tat if self.tat > now else now
        self.tat = tat + self.spacing
        if tat - now > self.tolerance:  # a reservation: wait until it conforms
            self.limited += 1
            gevent.sleep(tat - now - self.tolerance)
        if self.on_send is not None:
            self.on_send()


@dataclass
class Replay:
    """Per-process replay state. ``REPLAY`` holds the one of this process."""

    env: Environment
    scenario: Scenario
    plan: Plan
    recorder: Recorder
    t0: float | None = None  # monotonic start of the plan
    started_wall: str = ""
    source: Iterator[Arrival] | None = None  # this process's arrivals, not yet handed out
    backlog: deque[Arrival] = field(default_factory=deque)  # due, waiting for a user
    ahead: Arrival | None = None  # the next arrival, read from source but not yet due
    scheduling_done: bool = False  # source exhausted
    busy: int = 0  # users in a session
    holders: set[Any] = field(default_factory=set)  # users holding a start, asleep until due
    stopping: gevent.event.Event = field(default_factory=gevent.event.Event)  # no more starts
    stopped_at: float | None = None  # when the stop began (offset from t0)
    early: bool = False  # ... and whether the plan had not finished then
    books_closed: bool = False
    status: RunStatus = RunStatus.COMPLETED
    stop_reason: str = ""
    stop_cause: Cause | None = None  # what stopped the run early, when it did
    drain_s: float = DRAIN_S  # after the plan ends, wait this long for sessions in flight
    health: Health = field(default_factory=Health)
    worker_figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    # master: each worker's share (index of count), what it reported per cell
    # ([planned, open sessions]), and which sent their final figures
    shares: dict[str, int] = field(default_factory=dict)
    reported: dict[str, dict[tuple[int, str, str], list[int]]] = field(default_factory=dict)
    final: set[str] = field(default_factory=set)
    _share_cells: list[dict[tuple[int, str, str], int]] | None = None
    written: bool = False
    limiter: TokenBucket | None = None
    workers: int = 1
    limit_judged: int = 0  # find-limit: steps judged so far
    limit_done: bool = False
    profile: Profile | None = None  # the shop's: how each step talks to it
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))
    _campaign_values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def session_start(self, a: Arrival, base_url: str) -> dict[str, Any]:
        """The values a session starts with: its unique id, its campaign's link,
        code and UTMs (worked out once per campaign: this runs per session)."""
        key = a.campaign or ""
        common = self._campaign_values.get(key)
        if common is None:
            campaign = {c.name: c for c in self.scenario.campaigns}.get(key)
            common = session_values(0, self.run_id, campaign)
            landing = self.plan.campaign_landing.get(key, common["landing"])
            common.update(landing=landing, landing_url=base_url.rstrip("/") + landing)
            self._campaign_values[key] = common
        values = dict(common)
        values.update(session=f"{self.run_id}-{a.seq}", seq=a.seq, quantity=1 + a.seq % 2)
        return values

    # -- worker side: hand out arrivals ----------------------------------------
    def start(self, index: int, count: int, t0: float) -> None:
        # Everything alive now (modules, models, the plan) lives as long as the
        # run: keep it out of the garbage collector's way for the whole load.
        gc.freeze()
        self.t0 = t0
        self.started_wall = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.limiter = TokenBucket(self.scenario.load.max_request_rate / count,
                                   on_send=self.recorder.sent)
        self.source = arrivals(self.plan, index, count)

    def now(self) -> float:
        return time.monotonic() - (self.t0 or time.monotonic())

    def _next(self) -> Arrival | None:
        a = self.ahead
        if a is not None:
            self.ahead = None
            return a
        a = next(self.source, None)  # type: ignore[arg-type]
        if a is None:
            self.scheduling_done = True
        return a

    def take(self) -> tuple[Arrival, list[int]]:
        """The next session start, for a free user, once it is due, and its
        counts (for ``Recorder.ended``).

        A user that gets an arrival before it is due sleeps until then; one
        that gets it later is late by the difference. With nothing left to
        hand out, it waits for the stop. Once the run is stopping, no user
        takes another start: it hands back the one it holds and stops
        (``StopUser``), and ``close_books`` counts what is left."""
        load = self.scenario.load
        t0 = self.t0
        assert t0 is not None
        stopping, holders = self.stopping, self.holders
        while True:
            if stopping.is_set():
                raise StopUser
            a = self.backlog.popleft() if self.backlog else self._next()
            if a is None:
                stopping.wait()
                continue
            now = time.monotonic()
            if t0 + a.t - now > 0.001:  # a start due within the millisecond goes now
                me = gevent.getcurrent()
                holders.add(me)
                try:  # a stop wakes it with StopUser (a plain sleep costs less than a wait)
                    gevent.sleep(t0 + a.t - now)
                except BaseException:  # stopped while holding it: hand it back
                    self.backlog.appendleft(a)
                    raise
                finally:
                    holders.discard(me)
                now = time.monotonic()
            waited = now - t0 - a.t
            if waited > load.drop_after:
                self._dropped(a)
                continue
            return a, self.recorder.started(a.t, now - t0, a.campaign, a.flow,
                                            waited > load.late_tolerance)

    def due(self) -> int:
        """Move every arrival that is due into the backlog; return its length."""
        if self.source is None:
            return 0
        now = self.now()
        while (a := self._next()) is not None:
            if a.t > now:
                self.ahead = a
                break
            self.backlog.append(a)
        return len(self.backlog)

    @property
    def held(self) -> int:
        """Users holding an arrival, asleep until it is due."""
        return len(self.holders)

    def stop(self) -> None:
        """The run is stopping: no user takes another start from now on; those
        holding one hand it back and stop."""
        if self.stopped_at is None:
            self.stopped_at = self.now()
            self.early = self.t0 is not None and not self.finished()
        self.stopping.set()
        for holder in list(self.holders):
            gevent.kill(holder, StopUser)  # scheduled: it runs when this one yields

    def close_books(self) -> None:
        """At the stop, once the users are stopped (a worker's or the single
        process's ``test_stop``): sessions still open are cut off, and every
        start of this process's share not taken is dropped if, when the stop
        began, it had waited longer than ``late_tolerance`` (the generator was
        behind), else cancelled by the stop. After this the share's books
        balance."""
        if self.books_closed or self.source is None:
            return
        self.books_closed = True
        self.stop()
        self.recorder.cut_off()
        now = self.stopped_at
        assert now is not None
        tolerance = self.scenario.load.late_tolerance
        rest = list(self.backlog)
        self.backlog.clear()
        if self.ahead is not None:
            rest.append(self.ahead)
            self.ahead = None
        session = self.recorder.session
        for a in (*rest, *self.source):
            session("planned", a.t, a.campaign, a.flow)
            session("dropped" if now - a.t > tolerance else "cancelled", a.t, a.campaign,
                    a.flow)
        self.scheduling_done = True

    def _dropped(self, a: Arrival) -> None:
        self.recorder.session("planned", a.t, a.campaign, a.flow)
        self.recorder.session("dropped", a.t, a.campaign, a.flow)

    def figures(self) -> dict[str, Any]:
        """What the shape needs from this process: backlog, busy users, done."""
        backlog = self.due()
        return {"backlog": backlog, "busy": self.busy,
                "done": (self.scheduling_done and backlog == 0 and self.ahead is None
                         and self.busy == 0 and self.held == 0),
                "limited": self.limiter.limited if self.limiter else 0}

    # -- master / local side -----------------------------------------------
    def combined(self) -> dict[str, Any]:
        if isinstance(self.env.runner, MasterRunner):
            gone = {node.id for node in self.env.runner.clients.missing}
            figs = [f for cid, f in self.worker_figures.items() if cid not in gone]
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
        return self.drained()

    def drained(self) -> bool:
        """The plan and its drain time are over: sessions still running are cut off."""
        return self.now() > self.plan.duration_s + max(self.drain_s,
                                                        self.scenario.load.drop_after)

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
            self.stop_cause = Cause.FIND_LIMIT
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
            self.stop_cause = Cause.ABORT
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

    # -- master: each worker's share, what reached us of it ---------------------
    def absorb(self, client_id: str, part: dict[str, Any], final: bool = False) -> None:
        """A worker's report: into the run's figures, and into what we know of
        its share (planned and open sessions per cell), in case it is lost."""
        self.recorder.absorb(part["recorder"])
        self.worker_figures[client_id] = part["figures"]
        cells = self.reported.setdefault(client_id, {})
        for i, campaign, flow, event, n in part["recorder"]["events"]:
            k = 0 if event == "planned" else 1 if event == "started" else (
                2 if event in ("completed", "failed", "cut_off") else -1)
            if k < 0:
                continue
            c = cells.setdefault((int(i), campaign, flow), [0, 0])
            if k == 0:
                c[0] += n
            else:
                c[1] += n if k == 1 else -n
        if final:
            self.final.add(client_id)

    def _shares(self) -> list[dict[tuple[int, str, str], int]]:
        """Planned starts per cell of each worker's share (worker i has every
        count-th start), worked out once, when a worker's figures are missing."""
        if self._share_cells is None:
            count = max(1, self.workers)
            shares: list[dict[tuple[int, str, str], int]] = [
                defaultdict(int) for _ in range(count)]
            index = self.recorder.index
            for a in arrivals(self.plan):
                shares[a.seq % count][(index(a.t), a.campaign or NO_CAMPAIGN, a.flow)] += 1
            self._share_cells = shares
        return self._share_cells

    def unreported(self) -> tuple[list[Event], list[str], dict[str, int], dict[str, int]]:
        """What the master never heard of: for each worker whose final figures
        did not come, its share's starts it never reported (cancelled) and its
        sessions still open (cut off). Returns the events, those workers, and
        the counts by cause."""
        events: list[Event] = []
        lost: list[str] = []
        cancelled: dict[str, int] = defaultdict(int)
        cut: dict[str, int] = defaultdict(int)
        for client_id, index in sorted(self.shares.items(), key=lambda kv: kv[1]):
            if client_id in self.final:
                continue
            cause = (Cause.WORKER_LOST if client_id in self.health.missing_workers
                     else Cause.NOT_REPORTED)
            lost.append(client_id)
            known = self.reported.get(client_id, {})
            share = self._shares()[index]
            for key in sorted(set(share) | set(known)):
                planned, still_open = known.get(key, (0, 0))
                if share.get(key, 0) > planned:
                    n = share[key] - planned
                    events += [(*key, "planned", n), (*key, "cancelled", n)]
                    cancelled[cause] += n
                if still_open > 0:
                    events.append((*key, "cut_off", still_open))
                    cut[cause] += still_open
        return events, lost, dict(cancelled), dict(cut)

    def cause(self) -> Cause:
        """What cancelled the starts and cut off the sessions the processes
        counted at the stop."""
        if self.stop_cause is not None:
            return self.stop_cause
        if self.status is RunStatus.ABORTED:
            return Cause.ABORT
        if self.status is RunStatus.INTERRUPTED:
            return Cause.INTERRUPT
        return Cause.DRAIN_LIMIT if self.drained() else Cause.STOP

    def result(self) -> LoadResult:
        self.health.rate_limited = self.combined()["limited"]
        self.health.max_users = self.scenario.load.max_users
        self.health.plan_capped = list(self.plan.capped)
        extra, lost, cancelled_by, cut_off_by = self.unreported()
        self.health.lost_workers = lost
        result = self.recorder.result(
            extra=extra,
            status=self.status, stop_reason=self.stop_reason, started_at=self.started_wall,
            ended_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            planned_duration_s=self.plan.duration_s, elapsed_s=round(self.now(), 3),
            workers=self.workers, health=self.health)
        tot = result.totals
        cause = self.cause()
        if tot.cancelled > sum(cancelled_by.values()):
            cancelled_by[cause] = tot.cancelled - sum(cancelled_by.values())
        if tot.cut_off > sum(cut_off_by.values()):
            cut_off_by[cause] = tot.cut_off - sum(cut_off_by.values())
        result.cancelled_by = {str(k): v for k, v in cancelled_by.items()}
        result.cut_off_by = {str(k): v for k, v in cut_off_by.items()}
        return result


REPLAY: Replay | None = None


class ReplayShape(LoadTestShape):
    """Size the user pool from the plan; grow it while session starts wait."""

    use_common_options = True

    def __init__(self) -> None:
        super().__init__()
        self.users = 0

    def tick(self) -> tuple[int, float] | None:
        r = REPLAY
        if r is None:
            return None
        if r.finished():
            if r.stop_cause is None and r.drained():
                r.stop_cause = Cause.DRAIN_LIMIT
            r.stop()
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
