"""Request logs → hits: nginx/Apache combined logs, and JSON-lines or CSV/TSV
logs (Cloudflare, CloudFront, or any) through a column mapping.

Each reader yields ``(line_number, Hit | reason)`` so the caller counts bad
lines with their numbers. The combined-log timestamp is parsed by hand
because ``strptime`` is the slowest part of a naive parser (~10 µs a line).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any
from urllib.parse import unquote

from peakready.traffic.sessions import Hit

Parsed = tuple[int, Hit | str]

COMBINED = re.compile(
    r'^(?P<ip>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<method>[A-Z]+) (?P<target>\S+)'
    r'(?: HTTP/[0-9.]+)?" (?P<status>\d{3}) \S+(?: "[^"]*" "(?P<ua>[^"]*)")?')
MONTHS = {m: i + 1 for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])}

PRESETS: dict[str, dict[str, str]] = {
    "cloudflare": {"timestamp": "EdgeStartTimestamp", "ip": "ClientIP",
                   "user_agent": "ClientRequestUserAgent", "method": "ClientRequestMethod",
                   "url": "ClientRequestURI", "status": "EdgeResponseStatus"},
    "cloudfront": {"date": "date", "time": "time", "ip": "c-ip", "method": "cs-method",
                   "path": "cs-uri-stem", "query": "cs-uri-query", "status": "sc-status",
                   "user_agent": "cs(User-Agent)"},
}
REQUIRED = ("ip", "user_agent")


def clf_time(s: str) -> dt.datetime:
    """``10/Oct/2026:13:55:36 -0700`` → aware datetime."""
    day, mon, rest = s[:2], s[3:6], s[7:]
    year, hh, mm, ss = int(rest[:4]), int(rest[5:7]), int(rest[8:10]), int(rest[11:13])
    off = rest[14:]
    sign = -1 if off[0] == "-" else 1
    tz = dt.timezone(sign * dt.timedelta(hours=int(off[1:3]), minutes=int(off[3:5])))
    return dt.datetime(year, MONTHS[mon], int(day), hh, mm, ss, tzinfo=tz)


def read_combined(lines: Iterable[str]) -> Iterator[Parsed]:
    for n, line in enumerate(lines, 1):
        m = COMBINED.match(line)
        if not m:
            yield n, "not a combined-log line"
            continue
        try:
            at = clf_time(m["time"])
        except (ValueError, KeyError, IndexError):
            yield n, f"bad timestamp {m['time']!r}"
            continue
        ua = m["ua"] or ""
        yield n, Hit(at, f"{m['ip']} {ua}", ua, m["method"], m["target"], int(m["status"]))


def parse_timestamp(value: Any, tz: dt.tzinfo | None) -> dt.datetime:
    """ISO 8601 (``Z`` allowed) or Unix seconds / milliseconds / nanoseconds."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        x = float(value)
        for scale in (1, 1e3, 1e6, 1e9):  # pick the unit that lands in a sane era
            if x / scale < 4e9:
                return dt.datetime.fromtimestamp(x / scale, dt.UTC)
    t = dt.datetime.fromisoformat(str(value).strip().replace(" ", "T", 1))
    if t.tzinfo is None:
        if tz is None:
            raise ValueError(f"{value!r} has no time zone; give traffic.timezone")
        t = t.replace(tzinfo=tz)
    return t


def _hit_from(row: Mapping[str, Any], cols: Mapping[str, str], tz: dt.tzinfo | None) -> Hit:
    def get(key: str, default: str = "") -> str:
        name = cols.get(key)
        v = row.get(name) if name else None
        return default if v in (None, "-") else str(v)

    if "date" in cols and "time" in cols:  # CloudFront: date and time columns, UTC
        at = parse_timestamp(f"{get('date')}T{get('time')}", dt.UTC)
    else:
        at = parse_timestamp(row[cols["timestamp"]], tz)
    if "url" in cols:
        target = get("url", "/")
    else:
        query = get("query")
        target = get("path", "/") + (f"?{query}" if query else "")
    ua = unquote(get("user_agent"))  # CloudFront URL-encodes it
    return Hit(at, f"{get('ip')} {ua}", ua, get("method", "GET").upper(), target,
               int(float(get("status", "200"))))


def mapping_for(fmt: str, columns: Mapping[str, str]) -> dict[str, str]:
    cols = {**PRESETS.get(fmt, {}), **columns}
    missing = [k for k in REQUIRED if k not in cols]
    if "timestamp" not in cols and not ("date" in cols and "time" in cols):
        missing.append("timestamp")
    if "url" not in cols and "path" not in cols:
        missing.append("url (or path)")
    if missing:
        raise ValueError(f"the column mapping lacks {', '.join(missing)}; give them under "
                         "traffic.columns (e.g. ip: ClientIP)")
    return cols


def read_jsonl(fh: IO[str], cols: Mapping[str, str], tz: dt.tzinfo | None) -> Iterator[Parsed]:
    for n, line in enumerate(fh, 1):
        if not line.strip():
            continue
        try:
            yield n, _hit_from(json.loads(line), cols, tz)
        except (ValueError, KeyError, TypeError) as exc:
            yield n, f"{type(exc).__name__}: {exc}"[:200]


def read_table_log(fh: IO[str], cols: Mapping[str, str], tz: dt.tzinfo | None,
                   delimiter: str = ",") -> Iterator[Parsed]:
    """CSV/TSV request logs; a CloudFront ``#Fields:`` line names the columns."""
    header: list[str] | None = None
    rows = csv.reader(fh, delimiter=delimiter)
    for n, row in enumerate(rows, 1):
        if not row or (row[0].startswith("#") and not row[0].startswith("#Fields")):
            continue
        if row[0].startswith("#Fields:"):
            header = " ".join(row).split()[1:]
            continue
        if header is None:
            header = row
            continue
        try:
            yield n, _hit_from(dict(zip(header, row, strict=False)), cols, tz)
        except (ValueError, KeyError, TypeError) as exc:
            yield n, f"{type(exc).__name__}: {exc}"[:200]
