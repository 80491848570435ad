"""The open-model replay: exact arrivals, worker shares, honest starvation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import peakready
from tests.support.scenarios import demo_data, write_scenario
from tests.support.servers import Busy


def _run(tmp_path: Path, data: dict, *args: str) -> tuple[int, dict, str]:
    out = tmp_path / "out"
    res = peakready("run", str(write_scenario(tmp_path / "s.yaml", data)), "--out", str(out),
                    *args)
    return res.returncode, json.loads((out / "report.json").read_text()), res.stderr


def test_two_workers_share_the_plan_exactly(tmp_path: Path) -> None:
    data = demo_data()
    data["load"].update(duration="8s", arrival_rate=6)
    code, report, err = _run(tmp_path, data, "--workers", "2")
    assert code == 0, err
    load = report["load"]
    assert load["workers"] == 2
    assert load["totals"]["planned"] == load["totals"]["started"] == 48
    assert [iv["planned"] for iv in load["series"][:2]] == [30, 18]  # 5 s intervals
    assert sum(c["started"] for c in load["campaigns"].values()) == 48
    assert load["steps"]["landing"]["requests"] == 48
    # per-interval, per-campaign figures add up to the interval's
    for iv in load["series"]:
        assert sum(c["started"] for c in iv["campaigns"].values()) == iv["started"]


def test_starved_generator_is_inconclusive_and_shows_late_and_dropped(tmp_path: Path) -> None:
    data = demo_data()
    data["load"].update(duration="6s", arrival_rate=20, max_users=2, drop_after=2,
                        think_time={"min": 0.5, "max": 1.0})
    code, report, err = _run(tmp_path, data)
    assert code == 4, err
    assert report["verdict"] == "INCONCLUSIVE"
    tot = report["load"]["totals"]
    assert tot["planned"] == 120
    assert tot["late"] + tot["dropped"] > 0.5 * tot["planned"]
    assert tot["started"] + tot["dropped"] == tot["planned"]  # every start accounted for
    behind = next(f for f in report["findings"] if f["code"] == "arrivals-behind-plan")
    assert "max_users" in behind["summary"]
    assert behind["evidence"]["dropped"] == tot["dropped"]
    md = (tmp_path / "out" / "report.md").read_text()
    assert "arrivals-behind-plan" in md and str(tot["dropped"]) in md


@pytest.mark.parametrize("users", [5, 100], ids=["pool-full", "pool-free"])
def test_a_slow_target_is_no_go_only_when_the_generator_kept_up(tmp_path: Path,
                                                                users: int) -> None:
    """A shop serving 5 requests a second, offered 10-15 sessions a second. With
    users to spare, every start is on time and the shop's own latency makes
    it NO-GO. With 5 users, the pool fills: starts are late or dropped, and
    latency measured while the generator fell behind cannot say whose it is
    (a slow shop and a starved generator look the same): INCONCLUSIVE, the
    latency failure set aside, the late and dropped starts shown."""
    busy = Busy()
    try:
        data = demo_data(target={"base_url": busy.url, "allowed_hosts": []})
        for section in ("email", "promo"):  # the demo's own checks, not this target's
            data.pop(section, None)
        data.pop("shop", None)
        data["campaigns"] = []
        data["flows"] = [{"name": "bounce", "kind": "bounce", "weight": 1}]
        # with users to spare, fewer sessions: the shop's queue drains in seconds
        rate, seconds = (15, "6s") if users == 5 else (10, "3s")
        data["load"].update(duration=seconds, arrival_rate=rate, max_users=users, drop_after=3)
        data["slos"] = {"steps": {"*": {"p95_ms": 500}}}
        data["checks"] = {}
        code, report, err = _run(tmp_path, data)
    finally:
        busy.close()
    tot = report["load"]["totals"]
    landing = next(f for f in report["findings"]
                   if f["check"] == "load.slo" and f["subject"] == "landing")
    assert landing["status"] == "fail"
    if users == 100:
        assert code == 1, err  # the shop is too slow: NO-GO
        assert tot["late"] + tot["dropped"] == 0
        assert report["verdict_basis"]["generator_healthy"] is True
        return
    assert code == 4, err
    assert tot["late"] + tot["dropped"] > 0
    late = [iv["late"] + iv["dropped"] for iv in report["load"]["series"]]
    assert sum(late) == tot["late"] + tot["dropped"]  # shown per interval too
    assert any("landing" in str(f) for f in report["verdict_basis"]["set_aside"])


def test_sustained_errors_abort_the_load_early(tmp_path: Path) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    class Failing(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = b"database unavailable"
            self.send_response(503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        data = demo_data(target={"base_url": f"http://127.0.0.1:{server.server_port}"})
        for section in ("email", "promo"):  # the demo's own checks, not this target's
            data.pop(section, None)
        data["campaigns"] = []
        data["checks"] = {}
        data["flows"] = [{"name": "bounce", "kind": "bounce", "weight": 1}]
        data["load"].update(duration="120s", arrival_rate=10, abort_error_rate=0.5,
                            abort_window="4s")
        code, report, err = _run(tmp_path, data)
    finally:
        server.shutdown()
    assert code == 1, err
    load = report["load"]
    assert load["status"] == "aborted"
    assert load["elapsed_s"] < 30
    assert "error rate 100%" in load["stop_reason"] and "4s" in load["stop_reason"]
    assert report["partial"] is True
    aborted = next(f for f in report["findings"] if f["code"] == "load-aborted")
    assert aborted["status"] == "fail"
    assert "503" in (tmp_path / "out" / "report.md").read_text()  # the errors are listed
