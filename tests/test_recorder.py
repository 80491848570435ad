"""Recorder: figures merged across workers equal the figures of one process."""

from __future__ import annotations

import random

from peakready.load.recorder import Recorder


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


def test_batched_recording_equals_record_value() -> None:
    from peakready.load.hdr import record_many
    from peakready.load.recorder import HIGHEST_US, new_hist

    rng = random.Random(5)
    values = [1, 2, 2047, 2048, 2049, 4095, 4096, 65_535, 1_000_000, HIGHEST_US]
    values += [int(rng.lognormvariate(9, 2)) % HIGHEST_US + 1 for _ in range(50_000)]
    one, batch, also = new_hist(), new_hist(), new_hist()
    for v in values:
        one.record_value(v)
    record_many(batch, values[:20_000], also)
    record_many(batch, values[20_000:], also)
    assert batch.encode() == also.encode()
    assert batch.get_total_count() == one.get_total_count()
    assert (batch.get_min_value(), batch.get_max_value()) == (one.get_min_value(),
                                                              one.get_max_value())
    for p in (50, 90, 99, 99.9, 100):
        assert batch.get_value_at_percentile(p) == one.get_value_at_percentile(p)
    assert list(batch.counts) == list(one.counts)


def test_latency_figures_equal_hdrh_own() -> None:
    from peakready.load.hdr import latency_ms
    from peakready.load.recorder import new_hist

    rng = random.Random(9)
    for n in (1, 7, 1000, 30_000):
        h = new_hist()
        for _ in range(n):
            h.record_value(int(rng.lognormvariate(8, 1.5)) + 1)
        got = latency_ms(h)
        for p in (50, 95, 99):
            assert got[f"p{p}_ms"] == h.get_value_at_percentile(p) / 1000
        assert got["max_ms"] == h.get_max_value() / 1000
        assert abs(got["mean_ms"] - h.get_mean_value() / 1000) < 0.001


def test_landing_latency_per_interval_and_campaign() -> None:
    whole, master, worker = Recorder(10.0), Recorder(10.0), Recorder(10.0)
    for rec in (whole, worker):
        for k in range(100):
            rec.session("planned", 1.0, "mia", "bounce")
            rec.request(1.0 + k / 100, "landing", 10.0 + k, False, "mia")
            rec.request(12.0, "landing", 500.0, False, "noah")
            rec.session("planned", 12.0, "noah", "bounce")
    master.absorb(worker.drain())
    for rec in (whole, master):
        series = rec.result().series
        assert abs(series[0].campaigns["mia"]["landing_p95_ms"] - 104) < 0.1  # 95th of 10..109
        assert "landing_p95_ms" not in series[0].campaigns.get("noah", {})
        assert abs(series[1].campaigns["noah"]["landing_p95_ms"] - 500) < 0.5
        assert set(series[0].steps) == {"landing"}  # campaign latencies are not steps
