"""History: last season's session starts per interval, per campaign and flow.

Interval starts keep the source's time zone (a log written at +01:00 is
shown at +01:00). Bad input is counted with the line numbers of the first
few bad lines, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

Key = tuple[str | None, str | None]  # (campaign, flow); None flow = not known (aggregates)
MAX_EXAMPLES = 5


@dataclass
class History:
    source: str
    format: str
    interval_s: int
    counts: dict[int, Counter[Key]] = field(default_factory=lambda: defaultdict(Counter))
    epoch: dt.datetime | None = None  # start of interval 0
    landing: dict[str | None, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    utm: dict[str, Counter[tuple[str | None, str | None]]] = field(
        default_factory=lambda: defaultdict(Counter))
    lines: int = 0
    bad_lines: int = 0
    bad_examples: list[tuple[int, str]] = field(default_factory=list)
    bot_requests: int = 0
    bot_clients: int = 0

    # -- building -------------------------------------------------------------
    def bad(self, line_no: int, reason: str) -> None:
        self.bad_lines += 1
        if len(self.bad_examples) < MAX_EXAMPLES:
            self.bad_examples.append((line_no, reason))

    def add(self, at: dt.datetime, campaign: str | None, flow: str | None, n: int = 1,
            landing: str | None = None, source: str | None = None,
            medium: str | None = None) -> None:
        if self.epoch is None:
            self.epoch = _floor(at, self.interval_s)
        i = int((at - self.epoch).total_seconds() // self.interval_s)
        if i < 0:  # out-of-order start before the epoch: move the epoch back
            shift = -i
            self.counts = defaultdict(Counter, {k + shift: v for k, v in self.counts.items()})
            self.epoch -= dt.timedelta(seconds=shift * self.interval_s)
            i = 0
        self.counts[i][(campaign, flow)] += n
        if landing:
            self.landing[campaign][landing] += n
        if campaign and (source or medium):
            self.utm[campaign][(source, medium)] += n

    # -- reading --------------------------------------------------------------
    @property
    def n_intervals(self) -> int:
        return max(self.counts, default=-1) + 1

    def start_of(self, i: int) -> dt.datetime:
        assert self.epoch is not None
        return self.epoch + dt.timedelta(seconds=i * self.interval_s)

    def totals(self) -> list[int]:
        return [sum(self.counts.get(i, Counter()).values()) for i in range(self.n_intervals)]

    @property
    def sessions(self) -> int:
        return sum(self.totals())

    def by_campaign(self) -> Counter[str | None]:
        out: Counter[str | None] = Counter()
        for c in self.counts.values():
            for (campaign, _), n in c.items():
                out[campaign] += n
        return out

    def flow_mix(self) -> Counter[str | None]:
        out: Counter[str | None] = Counter()
        for c in self.counts.values():
            for (_, flow), n in c.items():
                out[flow] += n
        return out

    def landing_of(self, campaign: str | None) -> str | None:
        seen = self.landing.get(campaign)
        return seen.most_common(1)[0][0] if seen else None

    def to_json(self) -> dict[str, Any]:
        totals = self.totals()
        peak = max(range(len(totals)), key=totals.__getitem__, default=None)
        return {
            "source": self.source, "format": self.format, "interval_s": self.interval_s,
            "start": self.start_of(0).isoformat() if self.epoch else None,
            "end": self.start_of(self.n_intervals).isoformat() if self.epoch else None,
            "sessions": self.sessions,
            "peak": None if peak is None else {
                "start": self.start_of(peak).isoformat(), "sessions": totals[peak],
                "per_min": round(totals[peak] * 60 / self.interval_s, 2)},
            "campaigns": {str(k) if k else "(none)": v
                          for k, v in self.by_campaign().most_common()},
            "flows": {str(k) if k else "(unknown)": v for k, v in self.flow_mix().most_common()},
            "bots": {"requests": self.bot_requests, "clients": self.bot_clients},
            "lines": self.lines,
            "bad_lines": {"count": self.bad_lines,
                          "first": [{"line": n, "reason": r} for n, r in self.bad_examples]},
            "series": [{"start": self.start_of(i).isoformat(), "sessions": totals[i],
                        "campaigns": _campaigns(self.counts.get(i, Counter()))}
                       for i in range(self.n_intervals)],
        }


def _campaigns(c: Counter[Key]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for (campaign, _), n in c.items():
        out[campaign or "(none)"] += n
    return dict(out)


def _floor(t: dt.datetime, interval_s: int) -> dt.datetime:
    """Floor to the interval in the timestamp's own wall clock (keeps its zone)."""
    midnight = t.replace(hour=0, minute=0, second=0, microsecond=0)
    secs = (t - midnight).total_seconds()
    return midnight + dt.timedelta(seconds=secs - secs % interval_s)
