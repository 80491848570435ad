"""`peakready run --master` with `peakready worker` processes, on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.support.cli import peakready
from tests.support.scenarios import demo_data, write_scenario


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_master_and_two_workers_deliver_the_plan(tmp_path: Path) -> None:
    data = demo_data()
    data["load"].update(duration="8s", arrival_rate=6)
    scenario = write_scenario(tmp_path / "s.yaml", data)
    port, out = _port(), tmp_path / "out"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    master = subprocess.Popen(
        [sys.executable, "-m", "peakready", "run", str(scenario), "--master",
         "--expect-workers", "2", "--master-bind-host", "127.0.0.1",
         "--master-bind-port", str(port), "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    workers = [subprocess.Popen(
        [sys.executable, "-m", "peakready", "worker", str(scenario), "--master-host",
         "127.0.0.1", "--master-port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(2)]
    try:
        _, err = master.communicate(timeout=180)
        for w in workers:
            w.wait(timeout=60)  # the master's quit ends them
    finally:
        for p in (master, *workers):
            if p.poll() is None:
                p.kill()
    assert master.returncode == 0, err
    load = json.loads((out / "report.json").read_text())["load"]
    assert load["workers"] == 2
    assert load["totals"]["planned"] == load["totals"]["started"] == 48  # 6/s x 8 s
    assert sum(iv["began"] for iv in load["series"]) == 48
    assert load["steps"]["landing"]["requests"] == 48


def test_worker_rejects_a_bad_scenario(tmp_path: Path) -> None:
    data = demo_data()
    data["flows"][0]["weight"] = 0
    res = peakready("worker", str(write_scenario(tmp_path / "s.yaml", data)),
                    "--master-host", "127.0.0.1")
    assert res.returncode == 2 and "flows[0].weight" in res.stderr


def test_master_and_processes_exclude_each_other(tmp_path: Path) -> None:
    res = peakready("run", str(write_scenario(tmp_path / "s.yaml", demo_data())),
                    "--master", "--workers", "2")
    assert res.returncode == 2 and "exclude each other" in res.stderr
