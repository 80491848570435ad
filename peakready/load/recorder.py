"""Recorder: counts and latency histograms of one replay, per interval, step,
campaign and flow; mergeable across workers exactly.

A worker records, and every few seconds ``drain()``s what it has into a
plain dict that Locust ships to the master (``report_to_master``); the
master ``absorb()``s those dicts. Histograms travel HDR-encoded, so the
master's percentiles are those of all samples, not an average of averages.
Written by hand rather than with Locust's own stats because those keep
response times in two-significant-digit buckets and per name, not per
interval × step × campaign.

Cost per request matters: it is paid inside the load generator, and every
microsecond spent here is one the generator cannot spend sending requests
(``bench/generator.py``). So the hot path only appends: a request's latency
goes onto the list of its (interval, step), and its count is that list's
length; a session's events are increments of one small list per (interval,
campaign, flow). Latencies are converted, clamped and folded into the HDR
histograms in batches with numpy (``peakready.load.hdr``) at least once a
second, and running totals are summed when asked for, not kept per event.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import numpy as np
from hdrh.histogram import HdrHistogram

from peakready.flows import LANDING
from peakready.load.hdr import latency_ms, record_many
from peakready.load.results import (
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
# planned/started/late/dropped count in the interval a session was *scheduled* for
# (so planned = started + dropped); began counts it when it actually started.
ARRIVAL_FIELDS = ("planned", "started", "late", "dropped", "began")
EVENTS = (*SESSION_FIELDS, "began")  # the layout of a cell: one count per event
SLOT = {e: k for k, e in enumerate(EVENTS)}
PLANNED, STARTED, LATE, BEGAN = SLOT["planned"], SLOT["started"], SLOT["late"], SLOT["began"]
COMPLETED, FAILED = SLOT["completed"], SLOT["failed"]
CAMPAIGN = "\x00campaign:"  # histogram key prefix of a campaign's landing latency
MAX_ERROR_KINDS = 50
MAX_ORDERS = 200_000  # placed orders listed for attribution checks
FLUSH_AT = 20_000  # pending latencies folded into histograms beyond this


def new_hist() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


def latency_of(h: HdrHistogram) -> Latency:
    n = h.get_total_count()
    return Latency(count=n, **latency_ms(h)) if n else Latency()


def _us(ms: list[float]) -> np.ndarray:
    """Milliseconds to whole microseconds within the histograms' range."""
    us = (np.asarray(ms, dtype=np.float64) * 1000).astype(np.int64)
    return np.clip(us, LOWEST_US, HIGHEST_US)


def _is_timing(step: str) -> bool:
    """A latency that is not a request of its own (``landing@scheduled``)."""
    return step.endswith("@scheduled")


class Recorder:
    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._reset()

    def _reset(self) -> None:
        # (i, campaign, flow) -> a count per EVENTS
        self.cells: dict[tuple[int, str, str], list[int]] = {}
        # (i, step) -> [requests, failures], of the latencies already folded in
        self.req: dict[tuple[int, str], list[int]] = {}
        self.per_interval: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        self.pending: dict[tuple[int, str], list[float]] = {}  # latencies in ms
        # landing latency per (interval, campaign); kept in step_hists under
        # CAMPAIGN + name, so it is compacted and shipped like a step's
        self.pending_landing: dict[tuple[int, str], list[float]] = {}
        self.n_pending = 0
        self.step_hists: dict[tuple[int, str], HdrHistogram] = {}
        self.step_blobs: dict[tuple[int, str], bytes] = {}
        self.run_hists: dict[str, HdrHistogram] = {}
        self.landing: dict[str, HdrHistogram] = {}
        self.interval_users: dict[int, int] = {}
        self.errors: Counter[tuple[str, str]] = Counter()
        self.orders: list[list[Any]] = []  # [order_id, campaign, flow, code, t]
        self.orders_truncated = False

    def index(self, t: float) -> int:
        return max(0, int(t // self.interval_s))

    # -- recording (one process) ----------------------------------------------
    def _cell(self, i: int, campaign: str, flow: str) -> list[int]:
        cell = self.cells.get((i, campaign, flow))
        if cell is None:
            cell = self.cells[(i, campaign, flow)] = [0] * len(EVENTS)
        return cell

    def session(self, event: str, t: float, campaign: str | None, flow: str, n: int = 1) -> None:
        """Count a session event (planned, dropped, completed, ...)."""
        self._cell(int(t // self.interval_s) if t > 0 else 0, campaign or NO_CAMPAIGN,
                   flow)[SLOT[event]] += n

    def started(self, t: float, now: float, campaign: str | None, flow: str,
                late: bool) -> list[int]:
        """A session started: counted at its scheduled time (planned, started,
        late) and at the time it actually began (one call on the hot path).
        Returns the session's counts, for ``ended``."""
        key = campaign or NO_CAMPAIGN
        iv = self.interval_s
        i = int(t // iv) if t > 0 else 0
        cell = self._cell(i, key, flow)
        cell[PLANNED] += 1
        cell[STARTED] += 1
        if late:
            cell[LATE] += 1
        j = int(now // iv) if now > 0 else 0
        (cell if j == i else self._cell(j, key, flow))[BEGAN] += 1
        return cell

    @staticmethod
    def ended(cell: list[int], ok: bool) -> None:
        """A session that ``started`` returned ``cell`` for completed or failed."""
        cell[COMPLETED if ok else FAILED] += 1

    def request(self, t: float, step: str, ms: float, failed: bool,
                campaign: str | None = None, error: str | None = None) -> None:
        i = int(t // self.interval_s) if t > 0 else 0
        values = self.pending.get((i, step))
        if values is None:
            values = self.pending[(i, step)] = []
        values.append(ms)
        if step == LANDING:
            key = (i, campaign or NO_CAMPAIGN)
            values = self.pending_landing.get(key)
            if values is None:
                values = self.pending_landing[key] = []
            values.append(ms)
        if failed:
            self._failed(i, step, error)
        self.n_pending += 1
        if self.n_pending > FLUSH_AT:
            self.flush()

    def _failed(self, i: int, step: str, error: str | None) -> None:
        counts = self.req.get((i, step))
        if counts is None:
            counts = self.req[(i, step)] = [0, 0]
        counts[1] += 1
        self.per_interval[i][1] += 1
        if error is not None and (len(self.errors) < MAX_ERROR_KINDS
                                  or (step, error[:300]) in self.errors):
            self.errors[(step, error[:300])] += 1

    def timing(self, t: float, step: str, ms: float) -> None:
        """A latency that is not a request (e.g. landing timed from its schedule)."""
        i = int(t // self.interval_s) if t > 0 else 0
        values = self.pending.get((i, step))
        if values is None:
            values = self.pending[(i, step)] = []
        values.append(ms)
        self.n_pending += 1

    def order(self, t: float, order_id: str, campaign: str | None, flow: str,
              promo_code: str | None) -> None:
        if len(self.orders) < MAX_ORDERS:
            self.orders.append([order_id, campaign, flow, promo_code, round(t, 3)])
        else:
            self.orders_truncated = True

    def users(self, t: float, n: int) -> None:
        i = self.index(t)
        self.interval_users[i] = max(n, self.interval_users.get(i, 0))

    # -- histograms --------------------------------------------------------------
    def flush(self) -> None:
        """Count pending latencies and fold them into the histograms (vectorized)."""
        for (i, step), values in self.pending.items():
            counts = self.req.get((i, step))
            if counts is None:
                counts = self.req[(i, step)] = [0, 0]
            counts[0] += len(values)
            if not _is_timing(step):
                self.per_interval[i][0] += len(values)
            record_many(self._step_hist(i, step), _us(values),
                        self._hist(self.run_hists, step))
        for (i, campaign), values in self.pending_landing.items():
            record_many(self._step_hist(i, CAMPAIGN + campaign), _us(values),
                        self._hist(self.landing, campaign))
        self.pending.clear()
        self.pending_landing.clear()
        self.n_pending = 0

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
        self.flush()
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
        delta = {
            "events": [[*k, EVENTS[e], n] for k, cell in self.cells.items()
                       for e, n in enumerate(cell) if n],
            "req": [[i, s, c[0], c[1]] for (i, s), c in self.req.items()],
            "users": self.interval_users,
            "step_hists": [[i, s, blob.decode()] for (i, s), blob in self.step_blobs.items()],
            "run_hists": {s: h.encode().decode() for s, h in self.run_hists.items()
                          if h.get_total_count()},
            "landing": {k: h.encode().decode() for k, h in self.landing.items()
                        if h.get_total_count()},
            "errors": [[s, m, n] for (s, m), n in self.errors.items()],
            "orders": self.orders,
            "orders_truncated": self.orders_truncated,
        }
        self._reset()
        return delta

    def absorb(self, d: dict[str, Any]) -> None:
        for i, campaign, flow, event, n in d["events"]:
            self._cell(int(i), campaign, flow)[SLOT[event]] += n
        for i, step, r, f in d["req"]:
            counts = self.req.setdefault((int(i), step), [0, 0])
            counts[0] += r
            counts[1] += f
            if not _is_timing(step):
                per = self.per_interval[int(i)]
                per[0] += r
                per[1] += f
        for i, n in d["users"].items():
            self.interval_users[int(i)] = self.interval_users.get(int(i), 0) + n
        for i, s, blob in d["step_hists"]:
            self._step_hist(int(i), s).decode_and_add(blob.encode())
        for s, blob in d["run_hists"].items():
            self._hist(self.run_hists, s).decode_and_add(blob.encode())
        for k, blob in d["landing"].items():
            self._hist(self.landing, k).decode_and_add(blob.encode())
        for s, m, n in d["errors"]:
            if len(self.errors) < MAX_ERROR_KINDS or (s, m) in self.errors:
                self.errors[(s, m)] += n
        for o in d.get("orders", []):
            self.order(o[4], *o[:4])
        self.orders_truncated |= d.get("orders_truncated", False)

    # -- live figures (progress, abort rule) -------------------------------------
    def totals(self) -> Counter[str]:
        """Running totals of every event, requests and failures (once a second)."""
        self.flush()
        out: Counter[str] = Counter()
        if self.cells:
            for e, n in zip(EVENTS, np.sum(list(self.cells.values()), axis=0).tolist(),
                            strict=True):
                out[e] = n
        out["requests"] = sum(r for r, _ in self.per_interval.values())
        out["failures"] = sum(f for _, f in self.per_interval.values())
        return out

    def window(self, first: int, last: int) -> Counter[str]:
        self.flush()
        out: Counter[str] = Counter()
        for i in range(first, last + 1):
            r, f = self.per_interval.get(i, (0, 0))
            out["requests"] += r
            out["failures"] += f
        return out

    def interval(self, i: int) -> Interval:
        """One interval's figures, while the run goes on (the find-limit judge)."""
        self.flush()
        c: Counter[str] = Counter()
        for (j, _, _), cell in self.cells.items():
            if j == i:
                for e in ARRIVAL_FIELDS:
                    c[e] += cell[SLOT[e]]
        steps = {}
        for (j, step), (r, f) in sorted(self.req.items()):
            if j == i:
                steps[step] = StepStats(**latency_of(self._step_hist(i, step)).model_dump(),
                                        requests=r, failures=f)
        r, f = self.per_interval.get(i, (0, 0))
        return Interval(t=i * self.interval_s, steps=steps, requests=r, failures=f,
                        **{e: c[e] for e in ARRIVAL_FIELDS})

    # -- the result -------------------------------------------------------------
    def result(self, **meta: Any) -> LoadResult:
        self.flush()
        by_interval: dict[int, Counter[str]] = defaultdict(Counter)
        by_campaign_at: dict[int, dict[str, Counter[str]]] = defaultdict(
            lambda: defaultdict(Counter))
        campaigns: dict[str, Counter[str]] = defaultdict(Counter)
        flows: dict[str, Counter[str]] = defaultdict(Counter)
        for (i, campaign, flow), cell in self.cells.items():
            for event, n in zip(EVENTS, cell, strict=True):
                if not n:
                    continue
                campaigns[campaign][event] += n
                flows[flow][event] += n
                if event in ARRIVAL_FIELDS:
                    by_interval[i][event] += n
                    by_campaign_at[i][campaign][event] += n
        steps_at: dict[int, list[tuple[str, list[int]]]] = defaultdict(list)
        for (i, step), counts in self.req.items():
            steps_at[i].append((step, counts))
        last = max([*by_interval, *steps_at, *self.per_interval, -1])
        series = []
        for i in range(last + 1):
            c = by_interval.get(i, Counter())
            steps = {}
            for step, (r, f) in sorted(steps_at.get(i, [])):
                lat = latency_of(self._step_hist(i, step))
                steps[step] = StepStats(**lat.model_dump(), requests=r, failures=f)
            r, f = self.per_interval.get(i, (0, 0))
            here: dict[str, dict[str, float | None]] = {}
            for k, v in sorted(by_campaign_at.get(i, {}).items()):
                here[k] = {e: v[e] for e in ("planned", "started", "late", "dropped")}
                key = (i, CAMPAIGN + k)
                if key in self.step_hists or key in self.step_blobs:
                    here[k]["landing_p95_ms"] = latency_of(
                        self._step_hist(*key)).p95_ms
            self.compact(i + 1)
            series.append(Interval(
                t=i * self.interval_s, users=self.interval_users.get(i, 0), steps=steps,
                campaigns=here,
                requests=r, failures=f, **{e: c[e] for e in ARRIVAL_FIELDS}))
        run_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for (_, step), (r, f) in self.req.items():
            run_counts[step][0] += r
            run_counts[step][1] += f
        steps = {}
        for step, (r, f) in sorted(run_counts.items()):
            h = self.run_hists.get(step) or new_hist()
            steps[step] = StepStats(**latency_of(h).model_dump(), requests=r, failures=f,
                                    hist=h.encode().decode())

        def sessions(table: dict[str, Counter[str]], landing: bool) -> dict[str, SessionStats]:
            out = {}
            for k, c in sorted(table.items()):
                s = SessionStats(**{f: c[f] for f in SESSION_FIELDS})
                if landing and k in self.landing:
                    s.landing = latency_of(self.landing[k])
                out[k] = s
            return out

        by_campaign = sessions(campaigns, True)
        totals = SessionStats(**{f: sum(getattr(s, f) for s in by_campaign.values())
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
            interval_s=self.interval_s, series=series, steps=steps, campaigns=by_campaign,
            flows=sessions(flows, False), totals=totals, errors=errors,
            requests=sum(r for r, _ in self.per_interval.values()),
            failures=sum(f for _, f in self.per_interval.values()), **meta)
