"""History ingest against logs with a known ground truth (synthesized)."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from pathlib import Path

import pytest

from peakready.errors import BadInput
from peakready.traffic import load_history
from peakready.traffic.logs import read_combined
from peakready.traffic.synth import Source, Truth, access_log, spike
from tests.support.cli import peakready

TZ = dt.timezone(dt.timedelta(hours=1))
START = dt.datetime(2026, 11, 27, 19, 0, tzinfo=TZ)
LINK = "/collections/{}?utm_source={}&utm_medium=social&utm_campaign={}"
MIA = Source("bf-mia", LINK.format("winter-warmth", "instagram", "bf-mia"))
NOAH = Source("bf-noah", LINK.format("candles", "tiktok", "bf-noah"))
DIRECT = Source(None, "/")


@pytest.fixture(scope="module")
def sample() -> tuple[list[str], Truth]:
    s1, s2 = spike(20, 120, 3), spike(40, 80, 2)
    return access_log(START, 60, lambda m: {DIRECT: 12, MIA: 2 + s1(m), NOAH: 1 + s2(m)},
                      seed=11, garbage_every=400)


def _check(hist, truth: Truth, tolerance: float = 0.02) -> None:
    totals = hist.totals()
    offset = int((hist.start_of(0) - START).total_seconds() // 60)
    for minute, n in truth.per_minute.items():
        got = totals[minute - offset]
        assert abs(got - n) <= max(tolerance * n, 0), (minute, got, n)
    assert hist.by_campaign() == truth.campaigns
    assert hist.flow_mix() == truth.flows


def test_combined_log_matches_truth(tmp_path: Path, sample) -> None:
    lines, truth = sample
    path = tmp_path / "access.log"
    path.write_text("\n".join(lines) + "\n")
    hist = load_history(path)
    assert hist.format == "combined"
    _check(hist, truth)
    assert hist.bot_requests == truth.bot_requests > 0
    assert hist.bad_lines == len(truth.garbage)
    assert [n for n, _ in hist.bad_examples] == truth.garbage[:5]
    assert hist.start_of(0).utcoffset() == dt.timedelta(hours=1)  # zone preserved


def test_gzip_is_streamed(tmp_path: Path, sample) -> None:
    lines, truth = sample
    path = tmp_path / "access.log.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    _check(load_history(path), truth)


def _records(lines: list[str]) -> list[dict]:
    out = []
    for _, hit in read_combined(lines):
        if isinstance(hit, str):
            continue
        path, _, query = hit.target.partition("?")
        out.append({"ip": hit.client.split(" ", 1)[0], "ua": hit.user_agent,
                    "at": hit.at, "method": hit.method, "path": path, "query": query,
                    "target": hit.target, "status": hit.status})
    return out


def test_cloudflare_jsonl_preset(tmp_path: Path, sample) -> None:
    lines, truth = sample
    path = tmp_path / "cf.jsonl"
    with path.open("w") as fh:
        for r in _records(lines):
            fh.write(json.dumps({
                "EdgeStartTimestamp": int(r["at"].timestamp() * 1e9), "ClientIP": r["ip"],
                "ClientRequestUserAgent": r["ua"], "ClientRequestMethod": r["method"],
                "ClientRequestURI": r["target"], "EdgeResponseStatus": r["status"]}) + "\n")
        fh.write("{not json\n")
    hist = load_history(path)
    assert hist.format == "cloudflare"
    _check(hist, truth)
    assert hist.bad_lines == 1


def test_cloudfront_tsv_preset(tmp_path: Path, sample) -> None:
    lines, truth = sample
    path = tmp_path / "cloudfront.log"
    fields = ["date", "time", "c-ip", "cs-method", "cs-uri-stem", "sc-status",
              "cs(User-Agent)", "cs-uri-query"]
    with path.open("w") as fh:
        fh.write("#Version: 1.0\n#Fields: " + " ".join(fields) + "\n")
        for r in _records(lines):
            utc = r["at"].astimezone(dt.UTC)
            fh.write("\t".join([utc.strftime("%Y-%m-%d"), utc.strftime("%H:%M:%S"), r["ip"],
                                r["method"], r["path"], str(r["status"]),
                                r["ua"].replace(" ", "%20"), r["query"] or "-"]) + "\n")
    hist = load_history(path)
    assert hist.format == "cloudfront"
    assert hist.start_of(0).utcoffset() == dt.timedelta(0)  # CloudFront logs are UTC
    assert hist.sessions == truth.sessions
    assert hist.by_campaign() == truth.campaigns


def test_csv_request_log_with_column_mapping(tmp_path: Path, sample) -> None:
    lines, truth = sample
    path = tmp_path / "requests.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["when", "client", "agent", "verb", "url", "code"])
        for r in _records(lines):
            w.writerow([r["at"].isoformat(), r["ip"], r["ua"], r["method"], r["target"],
                        r["status"]])
    cols = {"timestamp": "when", "ip": "client", "user_agent": "agent", "method": "verb",
            "url": "url", "status": "code"}
    _check(load_history(path, "csvlog", columns=cols), truth)
    with pytest.raises(BadInput, match="lacks ip"):
        load_history(path, "csvlog", columns={"timestamp": "when", "url": "url",
                                              "user_agent": "agent"})


def test_ga4_export_minutes_and_hours(tmp_path: Path) -> None:
    minute = tmp_path / "ga4.csv"
    minute.write_text(
        "# ----------------------------------------\n# Sessions by campaign\n"
        "dateHourMinute,sessionCampaignName,sessionSource,sessionMedium,sessions\n"
        "202611272000,bf-mia,instagram,social,30\n202611272000,(not set),(direct),(none),12\n"
        "202611272001,bf-mia,instagram,social,45\n202611272002,bf-mia,instagram,social,x\n")
    hist = load_history(minute, timezone="Europe/Berlin")
    assert hist.format == "ga4"
    assert hist.totals() == [42, 45]
    assert hist.by_campaign() == {"bf-mia": 75, None: 12}
    assert hist.bad_lines == 1 and hist.bad_examples[0][0] == 7
    assert hist.start_of(0).isoformat() == "2026-11-27T20:00:00+01:00"
    hourly = tmp_path / "ga4h.csv"
    hourly.write_text("dateHour,sessionCampaignName,sessionSource,sessionMedium,sessions\n"
                      "2026112720,bf-mia,instagram,social,125\n"
                      "2026112721,bf-mia,instagram,social,60\n")
    h = load_history(hourly, timezone="UTC")
    assert h.n_intervals == 120 and h.sessions == 185
    assert max(h.totals()[:60]) - min(h.totals()[:60]) <= 1  # spread evenly in the hour


def test_shopify_export_and_curve(tmp_path: Path) -> None:
    shop = tmp_path / "shopify.csv"
    shop.write_text("Hour,UTM campaign,UTM source,UTM medium,Sessions\n"
                    "2026-11-27T20:00:00-05:00,bf-noah,tiktok,social,\"1,200\"\n"
                    "2026-11-27T21:00:00-05:00,,,,600\n")
    h = load_history(shop, "shopify", interval_s=3600)
    assert h.totals() == [1200, 600] and h.by_campaign() == {"bf-noah": 1200, None: 600}
    curve = tmp_path / "curve.csv"
    curve.write_text("timestamp,sessions,campaign\n2026-11-27T20:00:00Z,10,\n"
                     "2026-11-27T20:01:00Z,50,bf-mia\n2026-11-27T20:02:00Z,20,\n")
    c = load_history(curve)
    assert c.format == "curve" and c.totals() == [10, 50, 20]


@pytest.mark.parametrize(("text", "message"), [
    ("", "cannot tell the history format"),
    ("hello world\nthis is not a log\n", "cannot tell the history format"),
    ('1.2.3.4 - - [bad] "GET / HTTP/1.1" 200 1 "-" "Mozilla"\n', "no session could be read"),
])
def test_unreadable_history_is_bad_input(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "h.log"
    path.write_text(text)
    with pytest.raises(BadInput, match=message):
        load_history(path)


def test_history_command(tmp_path: Path, sample) -> None:
    lines, truth = sample
    path = tmp_path / "access.log"
    path.write_text("\n".join(lines) + "\n")
    out = peakready("history", str(path), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["sessions"] == truth.sessions
    assert data["campaigns"]["bf-mia"] == truth.campaigns["bf-mia"]
    assert data["bad_lines"]["count"] == len(truth.garbage)
    assert data["start"].endswith("+01:00")
    text = peakready("history", str(path))
    assert text.returncode == 0 and "bf-mia" in text.stdout and "bad line" in text.stdout
    empty = tmp_path / "empty.log"
    empty.write_text('1.2.3.4 - - [bad] "GET / HTTP/1.1" 200 1 "-" "x"\n')
    bad = peakready("history", str(empty))
    assert bad.returncode == 2 and "no session could be read" in bad.stderr


def test_returning_client_after_idle_is_a_new_session(tmp_path: Path) -> None:
    ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"
    t = [START + dt.timedelta(minutes=m) for m in (0, 10, 45, 50)]
    lines = [f'10.0.0.1 - - [{x.strftime("%d/%b/%Y:%H:%M:%S %z")}] "GET {p} HTTP/1.1" 200 5 '
             f'"-" "{ua}"' for x, p in zip(t, ["/?utm_campaign=a", "/cart", "/", "/"],
                                            strict=True)]
    path = tmp_path / "r.log"
    path.write_text("\n".join(lines))
    hist = load_history(path)
    assert hist.sessions == 2
    assert hist.by_campaign() == {"a": 1, None: 1}
    assert hist.flow_mix() == {"cart": 1, "bounce": 1}


def test_stdin_like_streams_are_not_needed() -> None:
    # read_combined works on any iterable of lines, so huge files are never loaded whole
    parsed = list(read_combined(io.StringIO('1.2.3.4 - - [27/Nov/2026:20:00:00 +0100] '
                                            '"GET / HTTP/1.1" 200 5 "-" "UA"\n')))
    assert parsed[0][1].at.isoformat() == "2026-11-27T20:00:00+01:00"
