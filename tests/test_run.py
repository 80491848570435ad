"""`peakready run` end to end: real demo-shop process, real Locust process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from peakready.flows import STEPS
from tests.support.cli import peakready
from tests.support.scenarios import demo_data, write_scenario

FILES = ("report.json", "report.md", "report.html", "junit.xml")


def _report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text())


def test_demo_run_exercises_every_flow_and_is_go(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path / "demo.yaml", demo_data())
    out = tmp_path / "out"
    res = peakready("run", str(scenario), "--out", str(out))
    assert res.returncode == 0, res.stderr
    for name in FILES:
        assert (out / name).stat().st_size > 0
    report = _report(out)
    assert report["verdict"] == "GO"
    assert report["partial"] is False
    load = report["load"]
    assert load["status"] == "completed"
    assert load["totals"]["planned"] == 50  # 5/s for 10 s, exact by construction
    assert load["totals"]["started"] == 50
    for flow, stats in load["flows"].items():
        assert stats["started"] > 0, flow
        assert stats["completed"] == stats["started"], flow
    kinds = {f["kind"] for f in demo_data()["flows"]}
    expected_steps = {s for k, steps in STEPS.items() if k.value in kinds for s in steps}
    for step in expected_steps:
        assert load["steps"][step]["requests"] > 0, step
        assert load["steps"][step]["failures"] == 0, step
    assert load["totals"]["orders"] == load["totals"]["order_attempts"] > 0
    assert "[load]" in res.stderr  # live progress was shown
    assert "verdict: GO" in res.stderr
    junit = (out / "junit.xml").read_text()
    assert 'classname="load.slo"' in junit and "<failure" not in junit


def test_unmeetable_slo_is_no_go_exit_1(tmp_path: Path) -> None:
    data = demo_data(slos={"steps": {"*": {"p95_ms": 0.01}}})
    data["load"].update(duration="5s")
    out = tmp_path / "out"
    res = peakready("run", str(write_scenario(tmp_path / "s.yaml", data)), "--out", str(out))
    assert res.returncode == 1, res.stderr
    report = _report(out)
    assert report["verdict"] == "NO-GO"
    breached = [f for f in report["findings"] if f["code"] == "slo-breached"]
    assert breached and all(f["level"] == "error" for f in breached)
    assert "p95" in breached[0]["summary"]
    assert "blocking: load.slo" in res.stderr
    assert "<failure" in (out / "junit.xml").read_text()


def test_slo_breach_at_level_warn_is_go_with_warnings_and_strict_fails(tmp_path: Path) -> None:
    data = demo_data(slos={"steps": {"*": {"p95_ms": 0.01}}},
                     checks={"load.slo": {"level": "warn"}})
    data["load"].update(duration="4s")
    out = tmp_path / "out"
    res = peakready("run", str(write_scenario(tmp_path / "s.yaml", data)), "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert _report(out)["verdict"] == "GO WITH WARNINGS"
    strict = peakready("report", str(out / "report.json"), "--strict")
    assert strict.returncode == 1


def test_malformed_scenario_exit_2_names_field(tmp_path: Path) -> None:
    data = demo_data()
    data["flows"][2]["weight"] = -1
    out = tmp_path / "out"
    res = peakready("run", str(write_scenario(tmp_path / "s.yaml", data)), "--out", str(out))
    assert res.returncode == 2
    assert "flows[2].weight: must be > 0" in res.stderr
    assert not out.exists()


class _Counter(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()

    do_CONNECT = do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


def test_non_allowed_host_is_refused_before_any_request(tmp_path: Path) -> None:
    """Every HTTP client is pointed at a loopback proxy that counts what reaches it."""
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        data = demo_data(target={"base_url": "http://shop.example.com", "allowed_hosts": [],
                                 "mutations": True}, shop={"preset": "demo"})
        out = tmp_path / "out"
        url = f"http://127.0.0.1:{proxy.server_port}"
        env = {**os.environ, "HTTP_PROXY": url, "HTTPS_PROXY": url, "http_proxy": url,
               "https_proxy": url, "NO_PROXY": ""}
        res = subprocess.run(
            [sys.executable, "-m", "peakready", "run",
             str(write_scenario(tmp_path / "s.yaml", data)), "--out", str(out)],
            capture_output=True, text=True, timeout=60, env=env)
        assert res.returncode == 2
        assert "refusing to send load to 'shop.example.com'" in res.stderr
        assert "allowed_hosts" in res.stderr
        assert _Counter.hits == 0
        assert not out.exists()  # nothing started: no shop, no checks, no Locust
    finally:
        proxy.shutdown()


def test_sigint_during_load_writes_partial_report(tmp_path: Path) -> None:
    data = demo_data()
    data["load"].update(duration="120s")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "peakready", "run",
         str(write_scenario(tmp_path / "s.yaml", data)), "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    progress = out / "progress.jsonl"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        lines = progress.read_text().splitlines() if progress.exists() else []
        if lines and json.loads(lines[-1])["started"] >= 10:
            break
        time.sleep(0.2)
    else:
        proc.kill()
        raise AssertionError("the load never started")
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 4, stderr  # INCONCLUSIVE: the run did not complete
    report = _report(out)
    assert report["partial"] is True
    assert report["verdict"] == "INCONCLUSIVE"
    assert report["load"]["status"] == "interrupted"
    assert report["load"]["totals"]["started"] >= 10
    assert report["load"]["elapsed_s"] < 100
    assert any(f["code"] == "run-interrupted" for f in report["findings"])
    assert "Partial run" in (out / "report.html").read_text()


def test_target_override_is_still_checked_against_allowed_hosts(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path / "s.yaml", demo_data())
    res = peakready("run", str(scenario), "--target", "https://staging.shop.example",
                    "--out", str(tmp_path / "out"))
    assert res.returncode == 2
    assert "refusing to send load to 'staging.shop.example'" in res.stderr
    bad = peakready("run", str(scenario), "--target", "ftp://x", "--out", str(tmp_path / "o"))
    assert bad.returncode == 2 and "--target ftp://x" in bad.stderr
    assert not (tmp_path / "out").exists()


def test_target_override_aims_the_load(tmp_path: Path) -> None:
    from peakready.demo.server import DemoShop

    data = demo_data(target={"base_url": "http://127.0.0.1:9", "allowed_hosts": [],
                             "mutations": True}, shop={"preset": "demo"})
    data["load"].update(duration="3s")
    data.pop("email", None)
    scenario = write_scenario(tmp_path / "s.yaml", data)
    with DemoShop() as shop:
        res = peakready("run", str(scenario), "--target", shop.url, "--out",
                        str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    report = _report(tmp_path / "out")
    assert report["scenario"]["target"] == shop.url
    assert report["load"]["requests"] > 0 and report["load"]["failures"] == 0
