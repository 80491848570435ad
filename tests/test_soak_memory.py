"""Soak memory (issue 14): what the recorder keeps per interval stays small,
and nothing it makes per interval waits for the garbage collector.

A Locust process grew 3.8 MiB a minute: every (interval, step) got a whole
HdrHistogram (160 kB of counts, and a reference cycle freed only by a full
collection). These tests simulate hundreds of intervals in a fraction of a
second (``bench/soak.py`` is the real, timed measurement).
"""

from __future__ import annotations

import gc
import random
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hdrh.histogram import HdrHistogram

from peakready.load.recorder import Recorder

STEPS = ["landing", "landing@scheduled", "browse:collection", "browse:product", "cart:add",
         "cart:view", "checkout:start", "checkout:address", "checkout:shipping",
         "checkout:pay", "wallet:pay", "promo:apply"]
CAMPAIGNS = ["bf-mia", "bf-noah", "bf-lena", None]
INTERVAL_S = 10.0


def _interval(rec: Recorder, i: int, rng: random.Random, per_step: int = 25) -> None:
    """One interval's traffic: each step answered ``per_step`` times, sessions
    started and ended, an order or two."""
    t0 = i * INTERVAL_S
    for k in range(per_step):
        t = t0 + k * INTERVAL_S / per_step
        campaign = CAMPAIGNS[k % len(CAMPAIGNS)]
        cell = rec.started(t, t, campaign, "checkout", late=False)
        for step in STEPS:
            ms = rng.lognormvariate(3.5, 0.8)
            if step.endswith("@scheduled"):
                rec.timing(t, step, ms)
            else:
                rec.request(t, step, ms, k == 0, campaign, "HTTP 502" if k == 0 else None)
        rec.ended(cell, ok=k != 0)
        if k % 10 == 0:
            rec.order(t, f"order-{i}-{k}", campaign, "checkout", None)
    rec.users(t0, 30)


@contextmanager
def _counting_histograms() -> Iterator[list[int]]:
    made = [0]
    init = HdrHistogram.__init__

    def counted(self: HdrHistogram, *args: object, **kw: object) -> None:
        made[0] += 1
        init(self, *args, **kw)

    HdrHistogram.__init__ = counted  # type: ignore[method-assign]
    try:
        yield made
    finally:
        HdrHistogram.__init__ = init  # type: ignore[method-assign]


def test_recording_makes_no_histogram_per_interval() -> None:
    """Recording, compacting, draining and absorbing 300 intervals build no
    HdrHistogram at all; the result builds one per step, whatever the length."""
    rng = random.Random(1)
    local, worker, master = Recorder(INTERVAL_S), Recorder(INTERVAL_S), Recorder(INTERVAL_S)
    with _counting_histograms() as made:
        for i in range(300):
            _interval(local, i, rng, per_step=5)
            _interval(worker, i, rng, per_step=5)
            local.compact(i)  # what the supervisor does each second
            master.absorb(worker.drain())  # a worker's report
            master.compact(i)
            local.totals()
            local.window(max(0, i - 3), i)
        assert made[0] == 0
        result = master.result()
    assert made[0] <= len(STEPS) + 1  # the steps' whole-run histograms (encoded in it)
    assert len(result.series) == 300
    assert result.requests == local.result().requests


def test_retained_memory_per_interval_is_small() -> None:
    """With the collector's full passes held off (as they are, for minutes, in a
    long run), what an interval leaves behind is a few kB, not 160 kB a step."""
    rng = random.Random(2)
    rec = Recorder(INTERVAL_S)
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    tracemalloc.start()
    try:
        for i in range(40):  # warm-up: dicts sized, code paths taken
            _interval(rec, i, rng)
            rec.compact(i)
        before = tracemalloc.get_traced_memory()[0]
        n = 200
        for i in range(40, 40 + n):
            _interval(rec, i, rng)
            rec.compact(i)
        per_interval = (tracemalloc.get_traced_memory()[0] - before) / n
    finally:
        tracemalloc.stop()
        if was:
            gc.enable()
    # 12 steps and 4 campaigns' landings a 10 s interval, 300 requests, 2-3
    # orders: ~15 kB kept (a 1 h soak at 10 s intervals: ~5 MiB; at the 1 min
    # intervals of plans of 30 minutes or more, a sixth of that per hour)
    assert per_interval < 24_000, f"{per_interval:.0f} bytes kept per interval"


def test_a_worker_keeps_nothing_it_has_shipped() -> None:
    rng = random.Random(3)
    worker, master = Recorder(INTERVAL_S), Recorder(INTERVAL_S)
    for i in range(100):
        _interval(worker, i, rng, per_step=3)
        master.absorb(worker.drain())
    assert not worker.buckets and not worker.req and not worker.orders
    assert not worker.cells  # no session is open: no cell is held
    assert master.result().totals.completed == 100 * 2


@pytest.mark.parametrize("packed", [False, True])
def test_figures_survive_packing(packed: bool) -> None:
    rng = random.Random(4)
    a, b = Recorder(INTERVAL_S), Recorder(INTERVAL_S)
    for i in range(20):
        seed = rng.random()
        _interval(a, i, random.Random(seed))
        _interval(b, i, random.Random(seed))
        if packed:
            b.compact(i + 1)
    # counts added to an interval already packed (a worker's late report)
    for rec in (a, b):
        rec.request(5.0, "landing", 1234.5, False, "bf-mia")
    ra, rb = a.result(), b.result()
    assert [iv.model_dump() for iv in ra.series] == [iv.model_dump() for iv in rb.series]
    assert ra.steps == rb.steps


TRIM = '''
import argparse, json
from locust.env import Environment
from peakready.locustfiles.hooks import HISTORY_KEEP, STATS_KEEP_S, trim_locust_stats

def run(headless):
    env = Environment(parsed_options=argparse.Namespace(headless=headless, html_file=None))
    env.create_local_runner()
    stats, t0 = env.stats, 1_000_000
    for s in range(6 * 3600):  # six hours of one request a second on two names
        for name in ("landing", "cart:add"):
            stats.log_request("GET", name, 20, 100)
            entry = stats.entries[(name, "GET")]
            entry.num_reqs_per_sec[t0 + s] = entry.num_reqs_per_sec.pop(
                max(entry.num_reqs_per_sec))  # as if logged at t0 + s
            stats.total.num_reqs_per_sec[t0 + s] = 2
        if s % 5 == 0:
            stats.history.append({"time": s})
        if s % 60 == 59:
            trim_locust_stats(env, now=t0 + s)
    entry = stats.entries[("landing", "GET")]
    return {"per_sec": max(len(e.num_reqs_per_sec) for e in (*stats.entries.values(),
                                                             stats.total)),
            "history": len(stats.history), "requests": entry.num_requests,
            "keep": STATS_KEEP_S, "history_keep": HISTORY_KEEP}

print(json.dumps([run(True), run(False)]))
'''


def test_locust_own_statistics_stay_bounded() -> None:
    """Locust's per-second counts and chart points are trimmed each minute (its
    totals are not); the chart points only when nothing draws them."""
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", TRIM], capture_output=True, text=True,
                         timeout=120, check=True)
    headless, with_ui = json.loads(out.stdout.splitlines()[-1])
    assert headless["per_sec"] <= headless["keep"] + 60
    assert headless["history"] <= headless["history_keep"] + 12
    assert headless["requests"] == 6 * 3600  # Locust's totals are untouched
    assert with_ui["per_sec"] <= with_ui["keep"] + 60
    assert with_ui["history"] == 6 * 3600 // 5  # the web UI's charts keep every point
