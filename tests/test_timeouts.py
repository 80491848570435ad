"""`load.request_timeout` reaches the load's HTTP client (issue 14): against a
target that accepts connections and never answers, every landing fails at the
scenario's 2 s, not at Locust's 60 s default — in one process, and in worker
processes, whose users are built before the master's plan arrives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.scenarios import demo_data, write_scenario
from tests.support.servers import Silent


def test_request_timeout_is_what_a_hanging_target_costs(tmp_path: Path) -> None:
    with Silent() as target:  # listens; the kernel accepts, nobody ever answers
        data = demo_data(target={"base_url": target.url, "allowed_hosts": [],
                                 "mutations": True}, shop={"preset": "demo"})
        data["load"].update(duration="3s", arrival_rate=2, request_timeout="2s")
        for section in ("email", "promo"):
            data.pop(section, None)
        # bounce sessions: no trial session; the link checks would wait on the target too
        data["flows"] = [{"name": "bounce", "kind": "bounce", "weight": 1}]
        data["checks"] = {c: {"level": "off"} for c in ("links.utm", "links.landing",
                                                           "links.tls")}
        scenario = write_scenario(tmp_path / "s.yaml", data)
        runs = {workers: subprocess.Popen(
            [sys.executable, "-m", "peakready", "run", str(scenario), "--workers",
             str(workers), "--out", str(tmp_path / f"out{workers}")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for workers in (1, 2)}
        try:  # side by side: each mostly waits on the silent target
            done = {w: p.communicate(timeout=150) for w, p in runs.items()}
        finally:
            for p in runs.values():
                p.kill()
    for workers, (_, stderr) in done.items():
        report = json.loads((tmp_path / f"out{workers}" / "report.json").read_text())
        load = report["load"]
        landing = load["steps"].get("landing", {})
        # every session's landing ended, as a failure, at the scenario's timeout
        assert landing.get("requests") == load["totals"]["planned"] == 6, (workers, stderr)
        assert landing["failures"] == landing["requests"]
        assert 1900 <= landing["max_ms"] <= 5000, landing
        assert load["errors"] and all("timed out" in e["message"] for e in load["errors"])
