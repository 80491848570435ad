"""Session starts from a plan: exact per-step counts, shared among campaigns
and flows by largest remainder, at uniformly random instants inside each step
(a Poisson process conditioned on its count), or evenly spaced. With N
workers, worker i takes every N-th start: the shares add up by construction.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterator
from typing import NamedTuple, TypeVar

from peakready.plan.model import Plan

K = TypeVar("K")


class Arrival(NamedTuple):  # a tuple: cheap to make at thousands per second
    t: float  # scheduled offset from the start, seconds
    seq: int
    campaign: str | None
    flow: str


_new = tuple.__new__


def _phase(seed: int, key: str) -> float:
    h = hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") / 2**64


def _split(n: int, due: dict[K, float]) -> dict[K, int]:
    """Share n arrivals among keys owed ``due`` each (largest remainder), so the
    total is exact and every key stays within one session of its own plan."""
    counts = {k: max(0, math.floor(d)) for k, d in due.items()}
    left = n - sum(counts.values())
    by_remainder = sorted(due, key=lambda k: (due[k] - math.floor(due[k]), str(k)),
                          reverse=True)
    i = 0
    while left > 0 and by_remainder:
        counts[by_remainder[i % len(by_remainder)]] += 1
        left -= 1
        i += 1
    for k in reversed(by_remainder):  # over-issued earlier: take back from the smallest
        while left < 0 and counts[k] > 0:
            counts[k] -= 1
            left += 1
    return counts


def arrivals(plan: Plan, worker_index: int = 0, worker_count: int = 1) -> Iterator[Arrival]:
    """Every session start of the plan, in time order; this worker's share only.

    The total per step is exact (its fractional part carried on); campaigns
    share it, then each campaign's flows share its part, by largest remainder
    against their own cumulative plan: every campaign stays within one session
    of its plan, and every flow of a campaign too.
    """
    rng = random.Random(f"{plan.seed}:arrivals")
    phase = _phase(plan.seed, "total")
    cum = 0.0
    owed: dict[tuple[str | None, str], float] = {}  # planned minus issued, per key
    owed_c: dict[str | None, float] = {}  # ... per campaign
    seq = 0
    for step in plan.steps:
        total = step.total_per_s
        before, cum = cum, cum + total * step.duration
        for r in step.rates:
            key = (r.campaign, r.flow)
            owed[key] = owed.get(key, 0.0) + r.per_s * step.duration
            owed_c[r.campaign] = owed_c.get(r.campaign, 0.0) + r.per_s * step.duration
        n = math.floor(cum + phase) - math.floor(before + phase)
        if n <= 0:
            continue
        counts: dict[tuple[str | None, str], int] = {}
        for campaign, nc in _split(n, owed_c).items():
            owed_c[campaign] -= nc
            counts.update(_split(nc, {k: v for k, v in owed.items() if k[0] == campaign}))
        keys = [k for k, c in sorted(counts.items(), key=lambda kv: (kv[0][0] or "", kv[0][1]))
                for _ in range(c)]
        for k, c in counts.items():
            owed[k] -= c
        if len(counts) > 1:
            rng.shuffle(keys)
        if plan.arrivals == "even":
            first = math.floor(before + phase) + 1 - phase  # cumulative count of the 1st
            times = [step.t + (first + j - before) / total for j in range(n)]
        else:
            times = sorted(step.t + rng.random() * step.duration for _ in range(n))
        # this worker's share: every worker_count-th arrival, made without
        # NamedTuple's keyword handling (thousands a second, on the generator)
        for j in range((worker_index - seq) % worker_count, n, worker_count):
            campaign, flow = keys[j]
            yield _new(Arrival, (times[j], seq + j, campaign, flow))
        seq += n


