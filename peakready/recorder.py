"""Recorder: counts and latency histograms of one replay, per interval, step,
campaign and flow; mergeable across workers exactly.

A worker records, and every few seconds ``drain()``s what it has into a
plain dict that Locust ships to the master (``report_to_master``); the
master ``absorb()``s those dicts. Histograms travel HDR-encoded, so the
master's percentiles are those of all samples, not an average of averages.
Written by hand rather than with Locust's own stats because those keep
response times in two-significant-digit buckets and per name, not per
interval × step × campaign.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from hdrh.histogram import HdrHistogram

from peakready.flows import LANDING
from peakready.results import (
    ErrorSample,
    Interval,
    Latency,
    LoadResult,
    PlacedOrder,
    SessionStats,
    StepStats,
)

LOWEST_US, HIGHEST_US, DIGITS = 1, 300_000_000, 3
NO_CAMPAIGN = "(none)"
SESSION_FIELDS = ("planned", "started", "late", "dropped", "completed", "failed",
                  "order_attempts", "orders")
INTERVAL_FIELDS = ("planned", "started", "late", "dropped", "requests", "failures")
MAX_ERROR_KINDS = 50
MAX_ORDERS = 200_000  # placed orders listed for attribution checks


def new_hist() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


def latency_of(h: HdrHistogram) -> Latency:
    n = h.get_total_count()
    if not n:
        return Latency()
    ms = 1000.0
    return Latency(count=n, p50_ms=h.get_value_at_percentile(50) / ms,
                   p95_ms=h.get_value_at_percentile(95) / ms,
                   p99_ms=h.get_value_at_percentile(99) / ms,
                   max_ms=h.get_max_value() / ms, mean_ms=round(h.get_mean_value() / ms, 3))


class Recorder:
    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._reset()

    def _reset(self) -> None:
        self.intervals: dict[int, Counter[str]] = defaultdict(Counter)
        self.interval_users: dict[int, int] = {}
        self.step_counts: dict[tuple[int, str], Counter[str]] = defaultdict(Counter)
        self.step_hists: dict[tuple[int, str], HdrHistogram] = {}
        self.step_blobs: dict[tuple[int, str], bytes] = {}
        self.run_hists: dict[str, HdrHistogram] = {}
        self.run_counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.campaigns: dict[str, Counter[str]] = defaultdict(Counter)
        self.flows: dict[str, Counter[str]] = defaultdict(Counter)
        self.landing: dict[str, HdrHistogram] = {}
        self.errors: Counter[tuple[str, str]] = Counter()
        self.orders: list[list[Any]] = []  # [order_id, campaign, flow, code, t]
        self.orders_truncated = False

    def index(self, t: float) -> int:
        return max(0, int(t // self.interval_s))

    # -- recording (one process) ----------------------------------------------
    def session(self, event: str, t: float, campaign: str | None, flow: str, n: int = 1) -> None:
        """Count a session event (planned, started, late, dropped, completed, ...)."""
        key = campaign or NO_CAMPAIGN
        self.campaigns[key][event] += n
        self.flows[flow][event] += n
        if event in INTERVAL_FIELDS:
            self.intervals[self.index(t)][event] += n

    def request(self, t: float, step: str, ms: float, failed: bool,
                campaign: str | None = None, error: str | None = None) -> None:
        i = self.index(t)
        us = min(HIGHEST_US, max(LOWEST_US, int(ms * 1000)))
        self.intervals[i]["requests"] += 1
        counts = self.step_counts[(i, step)]
        counts["requests"] += 1
        self.run_counts[step]["requests"] += 1
        if failed:
            self.intervals[i]["failures"] += 1
            counts["failures"] += 1
            self.run_counts[step]["failures"] += 1
            if error is not None and (len(self.errors) < MAX_ERROR_KINDS
                                      or (step, error) in self.errors):
                self.errors[(step, error[:300])] += 1
        self._step_hist(i, step).record_value(us)
        self._hist(self.run_hists, step).record_value(us)
        if step == LANDING:
            self._hist(self.landing, campaign or NO_CAMPAIGN).record_value(us)

    def timing(self, t: float, step: str, ms: float) -> None:
        """A latency that is not a request (e.g. landing timed from its schedule)."""
        us = min(HIGHEST_US, max(LOWEST_US, int(ms * 1000)))
        i = self.index(t)
        self.step_counts[(i, step)]["requests"] += 1
        self.run_counts[step]["requests"] += 1
        self._step_hist(i, step).record_value(us)
        self._hist(self.run_hists, step).record_value(us)

    def order(self, t: float, order_id: str, campaign: str | None, flow: str,
              promo_code: str | None) -> None:
        if len(self.orders) < MAX_ORDERS:
            self.orders.append([order_id, campaign, flow, promo_code, round(t, 3)])
        else:
            self.orders_truncated = True

    def users(self, t: float, n: int) -> None:
        i = self.index(t)
        self.interval_users[i] = max(n, self.interval_users.get(i, 0))

    def _step_hist(self, i: int, step: str) -> HdrHistogram:
        h = self.step_hists.get((i, step))
        if h is None:
            h = self.step_hists[(i, step)] = new_hist()
            blob = self.step_blobs.pop((i, step), None)
            if blob is not None:
                h.decode_and_add(blob)
        return h

    def compact(self, before: int) -> None:
        """Encode the histograms of intervals before ``before``: a live 3-digit
        histogram is ~140 kB, an encoded one a few hundred bytes."""
        for key in [k for k in self.step_hists if k[0] < before]:
            self.step_blobs[key] = self.step_hists.pop(key).encode()

    @staticmethod
    def _hist(table: dict, key: Any) -> HdrHistogram:
        h = table.get(key)
        if h is None:
            h = table[key] = new_hist()
        return h

    # -- shipping between processes --------------------------------------------
    def drain(self) -> dict[str, Any]:
        """Everything recorded since the last drain, as plain data; then reset."""
        self.compact(2**62)
        enc = {k: blob.decode() for k, blob in self.step_blobs.items()}
        delta = {
            "intervals": {i: dict(c) for i, c in self.intervals.items()},
            "users": self.interval_users,
            "step_counts": [[i, s, dict(c)] for (i, s), c in self.step_counts.items()],
            "step_hists": [[i, s, blob] for (i, s), blob in enc.items()],
            "run_hists": {s: h.encode().decode() for s, h in self.run_hists.items()
                          if h.get_total_count()},
            "run_counts": {s: dict(c) for s, c in self.run_counts.items()},
            "campaigns": {k: dict(c) for k, c in self.campaigns.items()},
            "flows": {k: dict(c) for k, c in self.flows.items()},
            "landing": {k: h.encode().decode() for k, h in self.landing.items()
                        if h.get_total_count()},
            "errors": [[s, m, n] for (s, m), n in self.errors.items()],
            "orders": self.orders,
            "orders_truncated": self.orders_truncated,
        }
        self._reset()
        return delta

    def absorb(self, d: dict[str, Any]) -> None:
        for i, c in d["intervals"].items():
            self.intervals[int(i)].update(c)
        for i, n in d["users"].items():
            self.interval_users[int(i)] = self.interval_users.get(int(i), 0) + n
        for i, s, c in d["step_counts"]:
            self.step_counts[(int(i), s)].update(c)
        for i, s, blob in d["step_hists"]:
            self._step_hist(int(i), s).decode_and_add(blob.encode())
        for s, blob in d["run_hists"].items():
            self._hist(self.run_hists, s).decode_and_add(blob.encode())
        for s, c in d["run_counts"].items():
            self.run_counts[s].update(c)
        for k, c in d["campaigns"].items():
            self.campaigns[k].update(c)
        for k, c in d["flows"].items():
            self.flows[k].update(c)
        for k, blob in d["landing"].items():
            self._hist(self.landing, k).decode_and_add(blob.encode())
        for o in d.get("orders", []):
            self.order(o[4], *o[:4])
        self.orders_truncated |= d.get("orders_truncated", False)
        for s, m, n in d["errors"]:
            if len(self.errors) < MAX_ERROR_KINDS or (s, m) in self.errors:
                self.errors[(s, m)] += n

    # -- live figures (progress, abort rule) -------------------------------------
    def totals(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for c in self.intervals.values():
            out.update(c)
        return out

    def window(self, first: int, last: int) -> Counter[str]:
        out: Counter[str] = Counter()
        for i in range(first, last + 1):
            out.update(self.intervals.get(i, {}))
        return out

    # -- the result -------------------------------------------------------------
    def result(self, **meta: Any) -> LoadResult:
        n_intervals = max([*self.intervals, *(i for i, _ in self.step_counts), -1]) + 1
        by_interval: dict[int, list[tuple[str, Counter[str]]]] = defaultdict(list)
        for (i, step), counts in self.step_counts.items():
            by_interval[i].append((step, counts))
        series = []
        for i in range(n_intervals):
            c = self.intervals.get(i, Counter())
            steps = {}
            for step, counts in sorted(by_interval.get(i, [])):
                lat = latency_of(self._step_hist(i, step))
                steps[step] = StepStats(**lat.model_dump(), requests=counts["requests"],
                                        failures=counts["failures"])
            self.compact(i + 1)
            series.append(Interval(t=i * self.interval_s, users=self.interval_users.get(i, 0),
                                   steps=steps, **{f: c[f] for f in INTERVAL_FIELDS}))
        steps = {}
        for step, counts in sorted(self.run_counts.items()):
            h = self.run_hists.get(step) or new_hist()
            steps[step] = StepStats(**latency_of(h).model_dump(), requests=counts["requests"],
                                    failures=counts["failures"], hist=h.encode().decode())

        def sessions(table: dict[str, Counter[str]], landing: bool) -> dict[str, SessionStats]:
            out = {}
            for k, c in sorted(table.items()):
                s = SessionStats(**{f: c[f] for f in SESSION_FIELDS})
                if landing and k in self.landing:
                    s.landing = latency_of(self.landing[k])
                out[k] = s
            return out

        campaigns = sessions(self.campaigns, True)
        totals = SessionStats(**{f: sum(getattr(s, f) for s in campaigns.values())
                                 for f in SESSION_FIELDS})
        all_landing = new_hist()
        for h in self.landing.values():
            all_landing.add(h)
        totals.landing = latency_of(all_landing)
        errors = [ErrorSample(step=s, message=m, count=n)
                  for (s, m), n in self.errors.most_common()]
        orders = [PlacedOrder(order_id=str(o[0]), campaign=o[1], flow=o[2], promo_code=o[3],
                              at_s=o[4]) for o in self.orders]
        return LoadResult(
            orders=orders, orders_truncated=self.orders_truncated,
            interval_s=self.interval_s, series=series, steps=steps, campaigns=campaigns,
            flows=sessions(self.flows, False), totals=totals, errors=errors,
            requests=sum(c["requests"] for s, c in self.run_counts.items()
                         if not s.endswith("@scheduled")),
            failures=sum(c["failures"] for c in self.run_counts.values()), **meta)
