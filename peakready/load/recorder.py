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

Memory must stay flat over a soak of hours (``bench/soak.py``). The
histogram of each (interval, step) is sparse (``hdr.Buckets``: the non-zero
buckets only, and packed once its interval is over), never a whole
``HdrHistogram`` (160 kB, and a reference cycle that only the garbage
collector's full passes free: the 3.8 MiB/min of issue 14). The whole run's
histograms are the sum of the intervals', worked out when the result is
written; workers ship their intervals' buckets, and the master adds them up
exactly as one process would.

The books balance: every planned session start is started, dropped or
cancelled (by the stop, counted by ``Replay.close_books``), and every started
one ends completed, failed or cut off. A started session holds its cell (the
list ``started`` returns) until ``ended``; the cell counts the sessions it has
open, so ``drain`` zeroes shipped counts in place and keeps every cell a
session still holds: an outcome recorded after a drain is shipped with the
next one, never onto a cell the report already reset. At a stop,
``cut_off`` turns the sessions still open into cut-off ones, with the order
attempts and the requests they had in flight: a checkout the stop cut short
is not a failed one. Which session a request or an order attempt belongs to
is known by who sends it (``whose``: the running greenlet under Locust).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import numpy as np
from hdrh.histogram import HdrHistogram

from peakready.flows import LANDING
from peakready.load.hdr import Buckets, bucket_counts, figures
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
# planned = started + dropped + cancelled; started = completed + failed + cut_off.
# order_attempts counts the attempts the shop answered (ordered or refused); one
# a stop cut short is order_attempts_cut_off instead.
SESSION_FIELDS = ("planned", "started", "late", "dropped", "cancelled", "completed", "failed",
                  "cut_off", "order_attempts", "orders", "order_attempts_cut_off")
# A session counts in the interval it was *scheduled* for (so each interval's
# books balance too); began counts it in the interval it actually started.
INTERVAL_FIELDS = ("planned", "started", "late", "dropped", "cancelled", "completed", "failed",
                   "cut_off", "began")
CAMPAIGN_FIELDS = ("planned", "started", "late", "dropped", "cancelled")  # per interval
EVENTS = (*SESSION_FIELDS, "began")  # the layout of a cell: one count per event...
NE = len(EVENTS)
OPEN = NE  # ...then the sessions started in it and not ended yet (never shipped)
SLOT = {e: k for k, e in enumerate(EVENTS)}
PLANNED, STARTED, LATE, BEGAN = SLOT["planned"], SLOT["started"], SLOT["late"], SLOT["began"]
COMPLETED, FAILED, CUT_OFF = SLOT["completed"], SLOT["failed"], SLOT["cut_off"]
ATTEMPTS, ATTEMPTS_CUT = SLOT["order_attempts"], SLOT["order_attempts_cut_off"]
CAMPAIGN = "\x00campaign:"  # histogram key prefix of a campaign's landing latency
MAX_ERROR_KINDS = 50
MAX_ORDERS = 200_000  # placed orders listed for attribution checks (~150 bytes each)
FLUSH_AT = 20_000  # pending latencies folded into histograms beyond this


def new_hist() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


LAYOUT = new_hist()  # the index/value arithmetic of every histogram here


def latency_of(b: Buckets | None) -> Latency:
    if b is None:
        return Latency()
    idx, n = b.counts()
    total = int(n.sum())
    return Latency(count=total, **figures(LAYOUT, idx, n)) if total else Latency()


def merged(parts: Iterable[Buckets]) -> Buckets:
    """The sum of several sparse histograms (one pass)."""
    parts = list(parts)
    if len(parts) == 1:
        return parts[0]
    out = Buckets()
    if parts:
        idx, n = (np.concatenate(a) for a in zip(*(p.counts() for p in parts), strict=True))
        every, where = np.unique(idx, return_inverse=True)
        total = np.zeros(every.size, dtype=np.int64)
        np.add.at(total, where, n)
        out.add(every.astype(np.int32), total)
    return out


def _us(ms: list[float]) -> np.ndarray:
    """Milliseconds to whole microseconds within the histograms' range."""
    us = (np.asarray(ms, dtype=np.float64) * 1000).astype(np.int64)
    return np.clip(us, LOWEST_US, HIGHEST_US)


def _is_timing(step: str) -> bool:
    """A latency that is not a request of its own (``landing@scheduled``)."""
    return step.endswith("@scheduled")


def _nobody() -> None:
    return None


Event = tuple[int, str, str, str, int]  # (interval, campaign, flow, event, n), as shipped


class Recorder:
    def __init__(self, interval_s: float, whose: Callable[[], Hashable] = _nobody) -> None:
        self.interval_s = interval_s
        self.whose = whose  # who is sending: the session a request belongs to
        # (i, campaign, flow) -> a count per EVENTS, then OPEN; kept across drains
        self.cells: dict[tuple[int, str, str], list[int]] = {}
        self.attempting: dict[Hashable, list[int]] = {}  # sender -> cell of its open attempt
        self.sending: set[Hashable] = set()  # senders with a request out
        self._reset()

    def _reset(self) -> None:
        # (i, step) -> [requests, failures], of the latencies already folded in
        self.req: dict[tuple[int, str], list[int]] = {}
        self.per_interval: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        self.pending: dict[tuple[int, str], list[float]] = {}  # latencies in ms
        # landing latency per (interval, campaign); kept in step_hists under
        # CAMPAIGN + name, so it is compacted and shipped like a step's
        self.pending_landing: dict[tuple[int, str], list[float]] = {}
        self.n_pending = 0
        # (i, step) -> its latencies; a campaign's landing under CAMPAIGN + name
        self.buckets: dict[tuple[int, str], Buckets] = {}
        self.loose: set[tuple[int, str]] = set()  # buckets not packed yet
        self.interval_users: dict[int, int] = {}
        self.errors: Counter[tuple[str, str]] = Counter()
        self.orders: list[tuple[Any, ...]] = []  # (order_id, campaign, flow, code, t)
        self.orders_truncated = False
        self.requests_cut_off = 0  # sent, and no answer before the stop

    def index(self, t: float) -> int:
        return max(0, int(t // self.interval_s))

    # -- recording (one process) ----------------------------------------------
    def _cell(self, i: int, campaign: str, flow: str) -> list[int]:
        cell = self.cells.get((i, campaign, flow))
        if cell is None:
            cell = self.cells[(i, campaign, flow)] = [0] * (NE + 1)
        return cell

    def session(self, event: str, t: float, campaign: str | None, flow: str, n: int = 1) -> None:
        """Count a session event (planned, dropped, order_attempts, orders, ...).
        An order attempt stays open, for its sender, until its order is counted
        or its session ends."""
        cell = self._cell(int(t // self.interval_s) if t > 0 else 0, campaign or NO_CAMPAIGN,
                          flow)
        cell[SLOT[event]] += n
        if event == "order_attempts":
            self.attempting[self.whose()] = cell
        elif event == "orders":
            self.attempting.pop(self.whose(), None)

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
        cell[OPEN] += 1
        if late:
            cell[LATE] += 1
        j = int(now // iv) if now > 0 else 0
        (cell if j == i else self._cell(j, key, flow))[BEGAN] += 1
        return cell

    def ended(self, cell: list[int], ok: bool) -> None:
        """A session that ``started`` returned ``cell`` for completed or failed
        (an order attempt still open, say an optional step's, was answered)."""
        cell[COMPLETED if ok else FAILED] += 1
        cell[OPEN] -= 1
        if self.attempting or self.sending:
            who = self.whose()
            self.attempting.pop(who, None)
            self.sending.discard(who)

    def sent(self) -> None:
        """The sender is about to send a request (its answer is ``request``)."""
        self.sending.add(self.whose())

    def cut_off(self) -> int:
        """At a stop, once the users are stopped: every session still open is
        cut off, with its open order attempt and its request in flight.
        Returns how many sessions were cut off."""
        n = 0
        for cell in self.cells.values():
            if cell[OPEN]:
                n += cell[OPEN]
                cell[CUT_OFF] += cell[OPEN]
                cell[OPEN] = 0
        for cell in self.attempting.values():
            cell[ATTEMPTS] -= 1
            cell[ATTEMPTS_CUT] += 1
        self.requests_cut_off += len(self.sending)
        self.attempting.clear()
        self.sending.clear()
        return n

    def request(self, t: float, step: str, ms: float, failed: bool,
                campaign: str | None = None, error: str | None = None) -> None:
        if self.sending:
            self.sending.discard(self.whose())
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
            self.orders.append((order_id, campaign, flow, promo_code, round(t, 3)))
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
            self._buckets(i, step).add(*bucket_counts(LAYOUT, _us(values)))
        for (i, campaign), values in self.pending_landing.items():
            self._buckets(i, CAMPAIGN + campaign).add(*bucket_counts(LAYOUT, _us(values)))
        self.pending.clear()
        self.pending_landing.clear()
        self.n_pending = 0

    def _buckets(self, i: int, step: str) -> Buckets:
        key = (i, step)
        b = self.buckets.get(key)
        if b is None:
            b = self.buckets[key] = Buckets()
        self.loose.add(key)
        return b

    def compact(self, before: int) -> None:
        """Pack the histograms of intervals before ``before`` (a few hundred
        bytes each); one that gets more counts is unpacked again."""
        self.flush()
        for key in [k for k in self.loose if k[0] < before]:
            self.buckets[key].pack()
            self.loose.discard(key)

    # -- shipping between processes --------------------------------------------
    def drain(self) -> dict[str, Any]:
        """Everything recorded since the last drain, as plain data; then reset.
        Cells are zeroed in place, and kept while a session holds them."""
        self.flush()
        events = []
        for k, cell in list(self.cells.items()):
            for e in range(NE):
                if cell[e]:
                    events.append([*k, EVENTS[e], cell[e]])
                    cell[e] = 0
            if not cell[OPEN]:
                del self.cells[k]
        delta = {
            "events": events,
            "req": [[i, s, c[0], c[1]] for (i, s), c in self.req.items()],
            "users": self.interval_users,
            # each (interval, step)'s latencies: the run's are their sum
            "step_hists": [[i, s, b.wire()] for (i, s), b in self.buckets.items()],
            "errors": [[s, m, n] for (s, m), n in self.errors.items()],
            "orders": self.orders,
            "orders_truncated": self.orders_truncated,
            "requests_cut_off": self.requests_cut_off,
        }
        self._reset()
        return delta

    def absorb(self, d: dict[str, Any]) -> None:
        self.add_events(d["events"])
        self.requests_cut_off += d.get("requests_cut_off", 0)
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
        for i, s, wire in d["step_hists"]:
            self._buckets(int(i), s).merge(Buckets.from_wire(wire))
        for s, m, n in d["errors"]:
            if len(self.errors) < MAX_ERROR_KINDS or (s, m) in self.errors:
                self.errors[(s, m)] += n
        for o in d.get("orders", []):
            self.order(o[4], *o[:4])
        self.orders_truncated |= d.get("orders_truncated", False)

    def add_events(self, events: Iterable[Event] | Iterable[list[Any]]) -> None:
        for i, campaign, flow, event, n in events:
            self._cell(int(i), campaign, flow)[SLOT[event]] += n

    # -- live figures (progress, abort rule) -------------------------------------
    def totals(self) -> Counter[str]:
        """Running totals of every event, requests and failures (once a second)."""
        self.flush()
        out: Counter[str] = Counter()
        if self.cells:
            sums = np.sum(list(self.cells.values()), axis=0).tolist()
            for e, n in zip(EVENTS, sums[:NE], strict=True):
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
                for e in INTERVAL_FIELDS:
                    c[e] += cell[SLOT[e]]
        steps = {}
        for (j, step), (r, f) in sorted(self.req.items()):
            if j == i:
                steps[step] = StepStats(**latency_of(self.buckets.get((i, step))).model_dump(),
                                        requests=r, failures=f)
        r, f = self.per_interval.get(i, (0, 0))
        return Interval(t=i * self.interval_s, steps=steps, requests=r, failures=f,
                        **{e: c[e] for e in INTERVAL_FIELDS})

    # -- the result -------------------------------------------------------------
    def result(self, extra: Iterable[Event] = (), **meta: Any) -> LoadResult:
        """The whole run's figures; ``extra`` events are counted on top without
        being kept (what a lost worker never reported, worked out at the end)."""
        self.flush()
        cells = self.cells
        extra = list(extra)
        if extra:
            cells = {k: list(v) for k, v in cells.items()}
            for i, campaign, flow, event, n in extra:
                key = (int(i), campaign, flow)
                cells.setdefault(key, [0] * (NE + 1))[SLOT[event]] += n
        by_interval: dict[int, Counter[str]] = defaultdict(Counter)
        by_campaign_at: dict[int, dict[str, Counter[str]]] = defaultdict(
            lambda: defaultdict(Counter))
        campaigns: dict[str, Counter[str]] = defaultdict(Counter)
        flows: dict[str, Counter[str]] = defaultdict(Counter)
        for (i, campaign, flow), cell in cells.items():
            for event, n in zip(EVENTS, cell[:NE], strict=True):
                if not n:
                    continue
                campaigns[campaign][event] += n
                flows[flow][event] += n
                if event in INTERVAL_FIELDS:
                    by_interval[i][event] += n
                if event in CAMPAIGN_FIELDS:
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
                lat = latency_of(self.buckets.get((i, step)))
                steps[step] = StepStats(**lat.model_dump(), requests=r, failures=f)
            r, f = self.per_interval.get(i, (0, 0))
            here: dict[str, dict[str, float | None]] = {}
            for k, v in sorted(by_campaign_at.get(i, {}).items()):
                here[k] = {e: v[e] for e in CAMPAIGN_FIELDS}
                b = self.buckets.get((i, CAMPAIGN + k))
                if b is not None:
                    here[k]["landing_p95_ms"] = latency_of(b).p95_ms
            series.append(Interval(
                t=i * self.interval_s, users=self.interval_users.get(i, 0), steps=steps,
                campaigns=here,
                requests=r, failures=f, **{e: c[e] for e in INTERVAL_FIELDS}))
        run_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for (_, step), (r, f) in self.req.items():
            run_counts[step][0] += r
            run_counts[step][1] += f
        # the whole run's histograms: the sum of the intervals'
        by_step: dict[str, list[Buckets]] = defaultdict(list)
        for (_, step), b in self.buckets.items():
            by_step[step].append(b)
        run_hists = {step: merged(parts) for step, parts in by_step.items()}
        steps = {}
        for step, (r, f) in sorted(run_counts.items()):
            b = run_hists.get(step) or Buckets()
            steps[step] = StepStats(**latency_of(b).model_dump(), requests=r, failures=f,
                                    hist=b.into(new_hist()).encode().decode())
        landing_of = {step[len(CAMPAIGN):]: b for step, b in run_hists.items()
                      if step.startswith(CAMPAIGN)}

        def sessions(table: dict[str, Counter[str]], landing: bool) -> dict[str, SessionStats]:
            out = {}
            for k, c in sorted(table.items()):
                s = SessionStats(**{f: c[f] for f in SESSION_FIELDS})
                if landing and k in landing_of:
                    s.landing = latency_of(landing_of[k])
                out[k] = s
            return out

        by_campaign = sessions(campaigns, True)
        totals = SessionStats(**{f: sum(getattr(s, f) for s in by_campaign.values())
                                 for f in SESSION_FIELDS})
        totals.landing = latency_of(merged(landing_of.values()))
        errors = [ErrorSample(step=s, message=m, count=n)
                  for (s, m), n in self.errors.most_common()]
        orders = [PlacedOrder(order_id=str(o[0]), campaign=o[1], flow=o[2], promo_code=o[3],
                              at_s=o[4]) for o in self.orders]
        return LoadResult(
            orders=orders, orders_truncated=self.orders_truncated,
            interval_s=self.interval_s, series=series, steps=steps, campaigns=by_campaign,
            flows=sessions(flows, False), totals=totals, errors=errors,
            requests=sum(r for r, _ in self.per_interval.values()),
            failures=sum(f for _, f in self.per_interval.values()),
            requests_cut_off=self.requests_cut_off, **meta)
