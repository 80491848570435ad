"""Drive Locust as a separate process and collect its LoadResult.

peakready drives Locust, it does not hide it: the load runs as
``python -m locust -f locustfiles/storefront.py --headless ...`` (with
``--processes N`` for N workers), the very command a user can run by hand.
Progress comes back through a JSON-lines file, the result through a JSON
file. Ctrl-C (or SIGTERM) here is forwarded to Locust, which stops the users
and still writes what it measured; if Locust dies without a result, the
result says so.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peakready import locustfiles
from peakready.load.results import LoadResult, RunStatus
from peakready.plan.model import Plan

LOCUSTFILE = Path(locustfiles.__file__).parent / "storefront.py"
STOP_GRACE_S = 60.0

ProgressFn = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Master:
    """Run as a Locust master for workers on other machines (`peakready worker`)."""

    expect_workers: int = 1
    bind_host: str = "*"
    bind_port: int = 5557
    max_wait_s: int = 600


def locust_command(scenario_path: str | Path, plan_path: Path, host: str, results: Path,
                   progress: Path, workers: int = 1, master: Master | None = None
                   ) -> list[str]:
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
           "--host", host, "--scenario", str(scenario_path), "--plan", str(plan_path),
           "--peakready-results", str(results), "--peakready-progress", str(progress),
           "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "5"]
    if master is not None:
        cmd += ["--master", "--expect-workers", str(master.expect_workers),
                "--expect-workers-max-wait", str(master.max_wait_s),
                "--master-bind-host", master.bind_host,
                "--master-bind-port", str(master.bind_port)]
    elif workers > 1:  # on a port of its own: two runs on one machine must not meet
        port = str(free_port())
        cmd += ["--processes", str(workers), "--master-bind-host", "127.0.0.1",
                "--master-bind-port", port, "--master-host", "127.0.0.1", "--master-port", port]
    return cmd


def free_port() -> int:
    """A TCP port free on loopback now (Locust's default, 5557, may be taken
    by another run on the same machine)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def worker_command(scenario_path: str | Path, master_host: str, master_port: int
                   ) -> list[str]:
    """A worker for a remote master: it gets the plan and the target from the master."""
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker",
            "--master-host", master_host, "--master-port", str(master_port),
            "--scenario", str(scenario_path), "--loglevel", "INFO"]


def _tail(path: Path, n: int = 15) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


def run_load(scenario_path: str | Path, plan: Plan, host: str, outdir: Path,
             workers: int = 1, on_progress: ProgressFn | None = None,
             master: Master | None = None) -> LoadResult:
    outdir.mkdir(parents=True, exist_ok=True)
    plan_path, results = outdir / "plan.json", outdir / "load-result.json"
    progress, log_path = outdir / "progress.jsonl", outdir / "locust.log"
    plan_path.write_text(plan.model_dump_json(indent=1), encoding="utf-8")
    for stale in (results, progress):
        stale.unlink(missing_ok=True)
    cmd = locust_command(scenario_path, plan_path, host, results, progress, workers, master)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    interrupted = False
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
        seen = 0
        try:
            while proc.poll() is None:
                time.sleep(0.25)
                seen = _emit_progress(progress, seen, on_progress)
        except KeyboardInterrupt:
            interrupted = True
            _stop(proc)
        _emit_progress(progress, seen, on_progress)
    if results.exists():
        result = LoadResult.model_validate_json(results.read_text(encoding="utf-8"))
        if interrupted and result.status is RunStatus.COMPLETED:
            result.status = RunStatus.INTERRUPTED
        if result.status is RunStatus.INTERRUPTED and not result.stop_reason:
            result.stop_reason = "interrupted (Ctrl-C)"
        return result
    status = RunStatus.INTERRUPTED if interrupted else RunStatus.CRASHED
    return LoadResult(status=status, workers=workers, planned_duration_s=plan.duration_s,
                      stop_reason=f"Locust exited with code {proc.returncode} before writing a "
                                  f"result; last lines of {log_path}:\n{_tail(log_path)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Ask Locust to stop (it writes its result on the way out), then insist.

    SIGINT, not SIGTERM: while a load shape runs, headless Locust handles
    Ctrl-C but has not yet installed its SIGTERM handler."""
    for sig, wait in ((signal.SIGINT, STOP_GRACE_S), (signal.SIGKILL, 10.0)):
        try:  # the master stops its own workers; a kill takes the whole group
            os.kill(proc.pid, sig) if sig == signal.SIGINT else os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue
        except KeyboardInterrupt:  # a second Ctrl-C: stop now
            continue


def _emit_progress(path: Path, seen: int, on_progress: ProgressFn | None) -> int:
    if on_progress is None or not path.exists():
        return seen
    with open(path, encoding="utf-8") as fh:
        lines = fh.readlines()
    complete = [ln for ln in lines[seen:] if ln.endswith("\n")]
    for ln in complete:
        with contextlib.suppress(ValueError):
            on_progress(json.loads(ln))
    return seen + len(complete)
