"""Cases for tests/test_handout.py, each run in a process of its own.

Importing Locust monkey-patches the standard library (gevent), which must
not happen inside the test runner's process; so each case runs as
``python -c "from tests.support.handout_cases import CASE; CASE()"``, with Locust
imported first.
"""

from __future__ import annotations

import time

import gevent
import locust  # noqa: F401  # before anything imports ssl: gevent patches it
from locust.env import Environment
from peakready.locustfiles.replay import Replay, TokenBucket

from peakready.load.recorder import Recorder
from peakready.plan.build import build_plan
from peakready.scenario.model import Scenario
from tests.support.scenarios import demo_data


def _replay(**load: object) -> Replay:
    data = demo_data()
    data["load"].update(load)
    scenario = Scenario.model_validate(data)
    plan = build_plan(scenario)
    plan.arrivals = "even"
    return Replay(Environment(), scenario, plan, Recorder(plan.interval_s))


def test_users_start_sessions_at_their_planned_times() -> None:
    r = _replay(arrival_rate=20, duration="1s", interval="1s")
    r.start(0, 1, time.monotonic())
    starts: list[tuple[float, float]] = []

    def user() -> None:
        while True:
            a, counts = r.take()
            starts.append((a.t, r.now()))
            r.recorder.ended(counts, True)

    users = [gevent.spawn(user) for _ in range(3)]
    gevent.sleep(1.3)
    gevent.killall(users)
    assert len(starts) == 20
    assert max(abs(now - t) for t, now in starts) < 0.05  # each on time
    tot = r.recorder.totals()
    assert (tot["planned"], tot["started"], tot["late"], tot["completed"]) == (20, 20, 0, 20)
    assert r.figures()["done"]


def test_starts_wait_in_the_backlog_and_are_late_when_no_user_is_free() -> None:
    r = _replay(arrival_rate=20, duration="1s", interval="1s", late_tolerance=0.2)
    r.start(0, 1, time.monotonic())
    gevent.sleep(0.6)  # nobody takes anything: ~12 starts fall due
    backlog = r.figures()["backlog"]
    assert 10 <= backlog <= 13
    late = 0
    for _ in range(backlog):
        a, _counts = r.take()
        late += r.now() - a.t > 0.2
    assert late >= backlog - 5  # the oldest ones waited past the tolerance
    assert r.recorder.totals()["late"] == late


def test_a_user_stopped_while_holding_a_start_hands_it_back() -> None:
    r = _replay(arrival_rate=2, duration="2s", interval="1s")
    r.start(0, 1, time.monotonic())
    first = gevent.spawn(r.take)  # the first start is due at ~0.25 s: it waits
    gevent.sleep(0.05)
    assert r.held == 1
    first.kill()
    assert r.held == 0 and len(r.backlog) == 1
    a, _ = r.take()  # the next free user gets it, on time
    assert a.seq == 0 and r.now() < a.t + 0.05
    assert r.recorder.totals()["planned"] == 1


def test_a_stop_cancels_what_was_not_due_and_drops_what_waited_too_long() -> None:
    r = _replay(arrival_rate=10, duration="2s", interval="1s", late_tolerance=0.5)
    r.start(0, 1, time.monotonic())
    gevent.sleep(1.0)  # the run stops half-way; nobody served anything
    r.stop()
    gevent.sleep(0.5)  # the users take a while to stop: starts due meanwhile are the stop's
    r.close_books()
    tot = r.recorder.totals()
    assert tot["planned"] == 20  # the whole plan, every start accounted for
    assert tot["started"] == 0
    assert tot["planned"] == tot["dropped"] + tot["cancelled"]
    assert 4 <= tot["dropped"] <= 6  # due more than 0.5 s before the stop: the generator's
    assert 14 <= tot["cancelled"] <= 16  # due later, or not yet: the stop's


def test_a_stopping_user_hands_back_its_start_and_stops() -> None:
    from locust.exception import StopUser

    r = _replay(arrival_rate=2, duration="2s", interval="1s")
    r.start(0, 1, time.monotonic())
    holder = gevent.spawn(r.take)  # holds the first start, due at ~0.25 s
    gevent.sleep(0.05)
    r.stop()
    gevent.sleep(0.01)
    assert isinstance(holder.exception, StopUser) and r.held == 0
    r.close_books()
    tot = r.recorder.totals()
    assert (tot["planned"], tot["cancelled"], tot["started"]) == (4, 4, 0)


def test_starts_older_than_drop_after_are_dropped_not_started() -> None:
    r = _replay(arrival_rate=10, duration="1s", interval="1s", drop_after=0.3)
    r.start(0, 1, time.monotonic())
    gevent.sleep(0.62)
    a, _ = r.take()  # the ones due before 0.32 s are skipped as dropped
    assert r.now() - a.t <= 0.3
    tot = r.recorder.totals()
    assert tot["dropped"] >= 2 and tot["started"] == 1
    assert tot["planned"] == tot["dropped"] + tot["started"]


def test_the_rate_cap_allows_a_burst_then_the_rate() -> None:
    for rate in (50.0, 400.0):
        _burst_then_rate(rate)


def _burst_then_rate(rate: float) -> None:
    bucket = TokenBucket(rate)
    began = time.monotonic()
    sent = 0
    while time.monotonic() - began < 1.0:
        bucket.acquire()
        sent += 1
    elapsed = time.monotonic() - began
    assert sent <= bucket.burst + rate * elapsed + 1  # never above the cap
    assert sent >= bucket.burst + rate * (elapsed - 0.1)  # and not needlessly below it
    assert bucket.limited > 0


def test_the_rate_cap_does_not_save_up_beyond_its_burst() -> None:
    bucket = TokenBucket(100.0)
    gevent.sleep(0.5)  # idle: the bucket fills up to its burst, no further
    began = time.monotonic()
    sent = 0
    while time.monotonic() - began < 0.2:
        bucket.acquire()
        sent += 1
    assert sent <= bucket.burst + 100 * (time.monotonic() - began) + 1
