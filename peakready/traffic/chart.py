"""Terminal charts of a session curve: a block sparkline per series.

Hand-written (a dozen lines) rather than a plotting dependency: a sparkline
is all a terminal summary needs; the report draws real charts.
"""

from __future__ import annotations

from collections.abc import Sequence

BLOCKS = " ▁▂▃▄▅▆▇█"


def buckets(values: Sequence[float], width: int) -> list[float]:
    """Downsample to ``width`` columns, keeping each column's maximum (spikes survive)."""
    if len(values) <= width:
        return list(values)
    out = []
    for c in range(width):
        lo, hi = c * len(values) // width, (c + 1) * len(values) // width
        out.append(max(values[lo:max(hi, lo + 1)]))
    return out


def sparkline(values: Sequence[float], width: int = 72, top: float | None = None) -> str:
    cols = buckets(values, width)
    top = top if top is not None else max(cols, default=0)
    if not top:
        return BLOCKS[0] * len(cols)
    return "".join(BLOCKS[min(8, round(v / top * 8))] for v in cols)
