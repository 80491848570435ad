"""Last season's traffic, from whatever the shop has: access logs, CDN logs,
analytics exports or a plain curve → a History of session starts.

Formats: ``combined`` (nginx/Apache, plain or .gz, streamed), ``jsonl`` and
``csvlog`` request logs through a column mapping (presets ``cloudflare``,
``cloudfront``), ``ga4`` exports, ``shopify`` session exports (column
mapping), and ``curve`` (``timestamp,sessions[,campaign]``). ``auto``
detects from the first lines.
"""

from __future__ import annotations

import gzip
import itertools
import zoneinfo
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO

from peakready.errors import BadInput
from peakready.traffic import aggregates, logs
from peakready.traffic.model import History
from peakready.traffic.sessions import FLOW_ORDER, Classifier, Hit, Sessionizer

FORMATS = ("auto", "combined", "jsonl", "csvlog", "cloudflare", "cloudfront", "ga4",
           "shopify", "curve")


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    return open(path, encoding="utf-8", errors="replace", newline="")


def detect(path: Path) -> str:
    with _open(path) as fh:
        head = [ln for ln in itertools.islice(fh, 50) if ln.strip()]
    first = next((ln for ln in head if not ln.startswith("#")), "")
    if any(ln.startswith("#Fields:") for ln in head):
        return "cloudfront"
    if first.lstrip().startswith("{"):
        return "cloudflare" if "EdgeStartTimestamp" in first else "jsonl"
    if logs.COMBINED.match(first):
        return "combined"
    header = first.lower()
    if "datehourminute" in header or "datehour" in header:
        return "ga4"
    if header.startswith("timestamp,sessions"):
        return "curve"
    if "sessions" in header and "utm" in header:
        return "shopify"
    raise BadInput(f"{path}: cannot tell the history format from its first lines; give "
                   f"traffic.format (or --format): one of {', '.join(FORMATS[1:])}")


def load_history(path: str | Path, fmt: str = "auto", *, interval_s: int = 60,
                 columns: Mapping[str, str] | None = None, timezone: str | None = None,
                 classifier: Classifier | None = None, idle_s: float = 1800.0) -> History:
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: history file not found")
    fmt = detect(path) if fmt == "auto" else fmt
    if fmt not in FORMATS:
        raise BadInput(f"{path}: unknown history format {fmt!r}; one of {', '.join(FORMATS)}")
    tz = zoneinfo.ZoneInfo(timezone) if timezone else None
    hist = History(source=str(path), format=fmt, interval_s=int(interval_s))
    cols = dict(columns or {})
    try:
        with _open(path) as fh:
            if fmt in ("ga4", "shopify", "curve"):
                defaults = (SHOPIFY if fmt == "shopify" else
                            {"timestamp": "timestamp", "sessions": "sessions",
                             "campaign": "campaign"} if fmt == "curve" else GA4)
                rows = aggregates.read_rows(fh, {**defaults, **cols}, tz, hist, fmt == "ga4")
                aggregates.add_rows(hist, rows)
            else:
                if fmt == "combined":
                    parsed: Iterable[logs.Parsed] = logs.read_combined(fh)
                elif fmt in ("jsonl", "cloudflare"):
                    parsed = logs.read_jsonl(fh, logs.mapping_for(fmt, cols), tz)
                else:
                    delim = "\t" if fmt == "cloudfront" else ","
                    parsed = logs.read_table_log(fh, logs.mapping_for(fmt, cols), tz, delim)
                _sessionize(hist, parsed, classifier or Classifier(), idle_s)
    except ValueError as exc:
        raise BadInput(f"{path}: {exc}") from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise BadInput(f"{path}: cannot read: {exc}") from None
    if hist.sessions == 0:
        where = "; ".join(f"line {n}: {r}" for n, r in hist.bad_examples)
        raise BadInput(f"{path}: no session could be read from {hist.lines} line(s) "
                       f"as {fmt}" + (f" (first problems: {where})" if where else ""))
    return hist


GA4 = {"sessions": "sessions", "campaign": "sessionCampaignName", "source": "sessionSource",
       "medium": "sessionMedium"}
SHOPIFY = aggregates.SHOPIFY_DEFAULTS


def _sessionize(hist: History, parsed: Iterable[logs.Parsed], classifier: Classifier,
                idle_s: float) -> None:
    sessionizer = Sessionizer(classifier, idle_s)

    def hits() -> Iterable[Hit]:
        for n, item in parsed:
            hist.lines = n
            if isinstance(item, str):
                hist.bad(n, item)
            else:
                yield item

    for s in itertools.chain(sessionizer.feed(hits()), sessionizer.flush()):
        hist.add(s.start, s.campaign, FLOW_ORDER[s.depth], landing=s.landing,
                 source=s.source, medium=s.medium)
    hist.bot_requests = sessionizer.bot_hits
    hist.bot_clients = len(sessionizer.bot_clients)
