"""Pre-aggregated session counts: GA4 exports, Shopify session exports (via a
column mapping) and plain curves (``timestamp,sessions[,campaign]``).

Rows coarser than the history interval (GA4 ``dateHour``, a daily curve) are
spread evenly over the intervals they cover, by integer parts that add up:
the total is kept, the shape inside a row cannot be known.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO

from peakready.traffic.logs import parse_timestamp
from peakready.traffic.model import History

GA4_TIME = {"dateHourMinute": "%Y%m%d%H%M", "dateHour": "%Y%m%d%H", "date": "%Y%m%d"}
GA4_NO_CAMPAIGN = {"", "(not set)", "(direct)", "(organic)", "(referral)", "(none)"}
SHOPIFY_DEFAULTS = {"timestamp": "Hour", "sessions": "Sessions", "campaign": "UTM campaign",
                    "source": "UTM source", "medium": "UTM medium"}


@dataclass(frozen=True)
class Row:
    line: int
    at: dt.datetime
    sessions: int
    campaign: str | None
    source: str | None
    medium: str | None


def _reader(fh: IO[str]) -> Iterator[tuple[int, list[str]]]:
    for n, row in enumerate(csv.reader(fh), 1):
        if row and not row[0].lstrip().startswith("#"):
            yield n, [c.strip() for c in row]


def _sessions(text: str) -> int:
    value = float(text.replace(",", ""))
    if value < 0 or value != int(value):
        raise ValueError(f"sessions must be a whole number >= 0, got {text!r}")
    return int(value)


def _opt(row: list[str], header: dict[str, int], column: str) -> str | None:
    i = header.get(column, -1)
    v = row[i] if 0 <= i < len(row) else ""
    return None if v in GA4_NO_CAMPAIGN else v


def read_rows(fh: IO[str], cols: Mapping[str, str], tz: dt.tzinfo | None, hist: History,
              ga4: bool = False) -> list[Row]:
    rows: list[Row] = []
    header: dict[str, int] | None = None
    time_col, time_fmt = cols.get("timestamp", ""), None
    for n, row in _reader(fh):
        if header is None:
            header = {name: i for i, name in enumerate(row)}
            if ga4:
                time_col = next((c for c in GA4_TIME if c in header), "")
                time_fmt = GA4_TIME.get(time_col)
            missing = [c for c in (time_col, cols["sessions"]) if c not in header]
            if missing or not time_col:
                raise ValueError(f"line {n}: header lacks column(s) "
                                 f"{', '.join(missing) or 'dateHourMinute/dateHour'}; "
                                 f"found: {', '.join(row)}")
            continue
        hist.lines += 1
        try:
            raw = row[header[time_col]]
            if time_fmt:
                at = dt.datetime.strptime(raw, time_fmt).replace(tzinfo=tz or dt.UTC)
            else:
                at = parse_timestamp(raw, tz)

            campaign, source, medium = (_opt(row, header, cols.get(k, ""))
                                        for k in ("campaign", "source", "medium"))
            rows.append(Row(n, at, _sessions(row[header[cols["sessions"]]]), campaign,
                            source, medium))
        except (ValueError, IndexError) as exc:
            hist.bad(n, f"{type(exc).__name__}: {exc}"[:200])
    return rows


def add_rows(hist: History, rows: list[Row]) -> None:
    """Add rows, spreading each over the history intervals its granularity covers."""
    stamps = sorted({r.at for r in rows})
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(stamps)]
    step = min((g for g in gaps if g > 0), default=hist.interval_s)
    parts = max(1, int(step // hist.interval_s))
    for r in rows:
        for j in range(parts):
            n = (r.sessions * (j + 1)) // parts - (r.sessions * j) // parts
            if n:
                at = r.at + dt.timedelta(seconds=j * hist.interval_s)
                hist.add(at, r.campaign, None, n, source=r.source, medium=r.medium)
