"""Recorder: figures merged across workers equal the figures of one process."""

from __future__ import annotations

import random

from peakready.recorder import Recorder


def _fill(rec: Recorder, samples: list[tuple[float, str, float, bool]]) -> None:
    for t, step, ms, failed in samples:
        rec.request(t, step, ms, failed, "c1", "HTTP 500" if failed else None)
        rec.session("started", t, "c1", "browse")


def test_merged_percentiles_are_exact() -> None:
    rng = random.Random(3)
    samples = [(rng.uniform(0, 120), rng.choice(["landing", "cart:add"]),
                rng.lognormvariate(3, 1), rng.random() < 0.02) for _ in range(20_000)]
    whole = Recorder(10.0)
    _fill(whole, samples)
    master = Recorder(10.0)
    workers = [Recorder(10.0) for _ in range(3)]
    for i, s in enumerate(samples):
        _fill(workers[i % 3], [s])
        if i % 997 == 0:  # ship in chunks, as report_to_master does
            for w in workers:
                master.absorb(w.drain())
    for w in workers:
        master.absorb(w.drain())
    a, b = whole.result(), master.result()
    assert a.requests == b.requests == 20_000
    assert a.failures == b.failures
    for step in ("landing", "cart:add"):
        assert (a.steps[step].p95_ms, a.steps[step].p99_ms, a.steps[step].max_ms) == (
            b.steps[step].p95_ms, b.steps[step].p99_ms, b.steps[step].max_ms)
    assert [iv.model_dump() for iv in a.series] == [iv.model_dump() for iv in b.series]
    assert a.campaigns["c1"].landing.p99_ms == b.campaigns["c1"].landing.p99_ms
    assert a.errors[0].count == b.errors[0].count


def test_percentiles_have_three_significant_digits() -> None:
    rec = Recorder(60.0)
    for ms in range(1, 10_001):  # 1..10000 ms uniformly
        rec.request(1.0, "landing", float(ms), False)
    st = rec.result().steps["landing"]
    assert abs(st.p95_ms - 9500) / 9500 < 0.001
    assert abs(st.p50_ms - 5000) / 5000 < 0.001


def test_compaction_keeps_figures() -> None:
    a, b = Recorder(1.0), Recorder(1.0)
    for i in range(500):
        for rec in (a, b):
            rec.request(i * 0.1, "landing", 5 + i % 17, False)
        b.compact(int(i * 0.1))
    assert [iv.model_dump() for iv in a.result().series] == [
        iv.model_dump() for iv in b.result().series]
