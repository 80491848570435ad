"""HDR histograms, recorded in batches and kept sparse.

hdrhistogram's ``record_value`` computes each value's bucket in Python
(~8 µs a call); inside a load generator that is paid per request. This
computes the same counts-array indices for a whole batch with numpy and adds
the counts, leaving the histogram exactly as ``record_value`` would (the test
compares encodings). It reads hdrh's documented layout fields
(``sub_bucket_mask``, ``unit_magnitude``, ``sub_bucket_half_count[_magnitude]``),
stable across hdrhistogram 0.x.

An ``HdrHistogram`` holds its layout's whole counts array (160 kB at three
digits from 1 µs to 300 s) and is a reference cycle (histogram <-> encoder),
freed only by the garbage collector's full passes. A recorder that made one
per interval and step grew by megabytes a minute in a soak (issue 14). So
histograms that are many and small (one per interval and step) are kept as
``Buckets``: the non-zero counts only, by counts-array index, which is all an
HDR histogram is. Their figures are computed from the same indices with the
same rules (``figures``), so they equal hdrh's to the microsecond, and they
merge exactly. One ``HdrHistogram`` of the layout does the index/value
arithmetic.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
from hdrh.histogram import HdrHistogram


def indices(h: HdrHistogram, values: np.ndarray) -> np.ndarray:
    """The counts-array index of each value (HdrHistogram._counts_index_for, vectorized)."""
    # bit length of (v | sub_bucket_mask): frexp's exponent, exact below 2**53
    _, pow2ceiling = np.frexp((values | h.sub_bucket_mask).astype(np.float64))
    bucket = pow2ceiling.astype(np.int64) - (h.unit_magnitude
                                             + h.sub_bucket_half_count_magnitude + 1)
    sub_bucket = values >> (bucket + h.unit_magnitude)
    return ((bucket + 1) << h.sub_bucket_half_count_magnitude) + (
        sub_bucket - h.sub_bucket_half_count)


def bucket_counts(h: HdrHistogram, values: Sequence[int] | np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(indices, counts) of ``values`` (integers within the layout's range):
    each distinct counts-array index once, ascending."""
    v = np.asarray(values, dtype=np.int64)
    idx, n = np.unique(indices(h, v), return_counts=True)
    return idx.astype(np.int32), n.astype(np.int64)


def add_counts(h: HdrHistogram, idx: np.ndarray, n: np.ndarray,
               lo: int | None = None, hi: int | None = None) -> None:
    """Add counts by index into ``h``; ``lo``/``hi``, the smallest and largest
    value recorded, default to their buckets' (what hdrh's decode sets: the
    same figures and the same encoding)."""
    if not idx.size:
        return
    if lo is None:
        lo = h.get_value_from_index(int(idx[0]))
    if hi is None:
        hi = h.get_highest_equivalent_value(h.get_value_from_index(int(idx[-1])))
    counts = h.counts
    for i, c in zip(idx.tolist(), n.tolist(), strict=True):
        counts[i] += c
    h.total_count += int(n.sum())
    h.min_value = min(h.min_value, lo)
    h.max_value = max(h.max_value, hi)


def record_many(h: HdrHistogram, values: Sequence[int] | np.ndarray,
                *also: HdrHistogram) -> None:
    """Record ``values`` (integers within the histogram's range) into ``h`` and
    into every histogram in ``also`` (which must have the same layout)."""
    v = np.asarray(values, dtype=np.int64)
    if not v.size:
        return
    idx, n = bucket_counts(h, v)
    lo, hi = int(v.min()), int(v.max())
    for target in (h, *also):
        add_counts(target, idx, n, lo, hi)


_NO_IDX = np.zeros(0, dtype=np.int32)
_NO_N = np.zeros(0, dtype=np.int64)


class Buckets:
    """A sparse HDR histogram: the non-zero counts by counts-array index,
    ascending. Kept either as two arrays or, once ``packed``, as one
    compressed bytes object (a few hundred bytes); ``add`` unpacks it."""

    __slots__ = ("_idx", "_n", "_packed")

    def __init__(self, idx: np.ndarray = _NO_IDX, n: np.ndarray = _NO_N) -> None:
        self._idx, self._n = idx, n
        self._packed: bytes | None = None

    def _arrays(self, unpack: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(indices, counts); reading a packed one leaves it packed."""
        if self._packed is None:
            return self._idx, self._n
        raw = np.frombuffer(zlib.decompress(self._packed), dtype="<i8")
        k = raw.size // 2
        idx, n = raw[:k].astype(np.int32), raw[k:].copy()
        if unpack:
            self._idx, self._n, self._packed = idx, n, None
        return idx, n

    def counts(self) -> tuple[np.ndarray, np.ndarray]:
        """(indices, counts), ascending by index."""
        return self._arrays()

    def add(self, idx: np.ndarray, n: np.ndarray) -> None:
        """Add counts by index (ascending, each index once)."""
        mine, counts = self._arrays(unpack=True)
        if not mine.size:
            self._idx, self._n = idx, n
            return
        every, where = np.unique(np.concatenate((mine, idx)), return_inverse=True)
        total = np.zeros(every.size, dtype=np.int64)
        np.add.at(total, where, np.concatenate((counts, n)))
        self._idx, self._n = every.astype(np.int32), total

    def merge(self, other: Buckets) -> None:
        self.add(*other._arrays())

    def pack(self) -> None:
        """Keep the counts compressed until they are next read or added to."""
        if self._packed is None and self._idx.size:
            raw = np.concatenate((self._idx.astype("<i8"), self._n.astype("<i8")))
            self._packed = zlib.compress(raw.tobytes(), 1)
            self._idx, self._n = _NO_IDX, _NO_N

    @property
    def total(self) -> int:
        return int(self._arrays()[1].sum())

    def wire(self) -> list[list[int]]:
        """As plain data (a worker's report): [indices, counts]."""
        idx, n = self._arrays()
        return [idx.tolist(), n.tolist()]

    @classmethod
    def from_wire(cls, data: Sequence[Sequence[int]]) -> Buckets:
        idx, n = data
        return cls(np.asarray(idx, dtype=np.int32), np.asarray(n, dtype=np.int64))

    def into(self, h: HdrHistogram) -> HdrHistogram:
        """Add these counts into the (dense) histogram ``h``; return it."""
        add_counts(h, *self._arrays())
        return h


def latency_ms(h: HdrHistogram) -> dict[str, float]:
    """p50/p95/p99/max/mean in milliseconds of a dense histogram (``figures``)."""
    counts = np.ctypeslib.as_array(h.counts)[: h.counts_len]
    nz = np.nonzero(counts)[0]
    return figures(h, nz, counts[nz])


def figures(layout: HdrHistogram, idx: np.ndarray, n: np.ndarray) -> dict[str, float]:
    """p50/p95/p99/max/mean in milliseconds from the non-zero counts ``n`` at
    the counts-array indices ``idx`` (ascending) of ``layout``'s histograms.

    hdrhistogram's ``get_value_at_percentile`` walks the counts array in Python
    for every percentile (~17,000 steps at 3 digits); this is the same answer
    (same target count, same highest-equivalent value) from one numpy pass
    over the non-zero buckets. The max is the highest-equivalent value of the
    highest bucket, as hdrh's ``get_max_value``.
    """
    total = int(n.sum())
    cum = np.cumsum(n)
    out = {}
    for p in (50, 95, 99):
        target = max(int(p * total / 100 + 0.5), 1)  # hdrh's get_target_count_at_percentile
        k = int(np.searchsorted(cum, target))
        out[f"p{p}_ms"] = layout.get_highest_equivalent_value(
            layout.get_value_from_index(int(idx[k]))) / 1000
    mean = 0
    for i, c in zip(idx.tolist(), n.tolist(), strict=True):
        # hdrh's mean: each bucket at its median-equivalent value
        value = layout.get_value_from_index(i)
        lo, hi = (layout.get_lowest_equivalent_value(value),
                  layout.get_highest_equivalent_value(value))
        mean += (lo + ((hi - lo + 1) >> 1)) * c
    mean /= total
    out["max_ms"] = layout.get_highest_equivalent_value(
        layout.get_value_from_index(int(idx[-1]))) / 1000
    out["mean_ms"] = round(mean / 1000, 3)
    return out
