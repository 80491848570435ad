"""The run's output folder and an early Ctrl-C (issue 14, "Timeouts and the run's
output"): a report folder that cannot be written is refused before any traffic;
a disk that fills up during the run still gives the verdict, report.json
somewhere and load-result.json, which `peakready report` renders later; an
interrupt before any traffic says so and exits like any interrupted run.

Read-only and full folders are real file systems: a tmpfs mounted for the test
(read-only, a few KiB, or a fixed number of files), which needs root; without
it those cases are skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.cli import peakready
from tests.support.paths import ROOT
from tests.support.scenarios import demo_data, write_scenario


class _Target:
    """A loopback shop that answers every request with a small page and counts them."""

    def __init__(self) -> None:
        self.hits = 0
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                target.hits += 1
                body = b"<html><body>ok</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_HEAD = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> _Target:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _scenario(tmp_path: Path, url: str, **load: object) -> Path:
    """Bounce sessions (no trial session) against ``url``; the link checks off, so
    the only requests before the load would be... none, and after it the load's."""
    data = demo_data(target={"base_url": url, "allowed_hosts": [], "mutations": True},
                     shop={"preset": "demo"})
    data["load"].update({"duration": "2s", "arrival_rate": 2, **load})
    for section in ("email", "promo"):
        data.pop(section, None)
    data["flows"] = [{"name": "bounce", "kind": "bounce", "weight": 1}]
    data["checks"] = {c: {"level": "off"} for c in ("links.utm", "links.tls")}
    return write_scenario(tmp_path / "s.yaml", data)


@contextmanager
def _tmpfs(path: Path, options: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None:
        pytest.skip("no mount command to make a small or read-only file system")
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {res.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _fill(folder: Path) -> None:
    """Write into ``folder`` until its file system is full."""
    with open(folder / "filler", "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 1024)
        except OSError:
            pass


def _assert_refused(res: subprocess.CompletedProcess[str], out: Path, why: str,
                    target: _Target) -> None:
    assert res.returncode == 2, res.stderr
    assert f"the report folder {out} cannot be written: {why}" in res.stderr
    assert "nothing was sent" in res.stderr
    assert "Traceback" not in res.stderr
    assert target.hits == 0  # no trial, no pre-flight check, no load
    assert not (out / "report.json").exists() and not (out / "load-result.json").exists()


def test_out_under_a_file_is_refused_before_any_traffic(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    out = tmp_path / "a-file" / "out"
    with _Target() as target:
        res = peakready("run", str(_scenario(tmp_path, target.url)), "--out", str(out))
    _assert_refused(res, out, "Not a directory", target)


def test_read_only_out_is_refused_before_any_traffic(tmp_path: Path) -> None:
    with _Target() as target, _tmpfs(tmp_path / "ro", "ro,size=64k") as out:
        res = peakready("run", str(_scenario(tmp_path, target.url)), "--out", str(out))
        _assert_refused(res, out, "Read-only file system", target)


def test_full_out_is_refused_before_any_traffic(tmp_path: Path) -> None:
    with _Target() as target, _tmpfs(tmp_path / "full", "size=16k") as out:
        _fill(out)
        res = peakready("run", str(_scenario(tmp_path, target.url)), "--out", str(out))
        _assert_refused(res, out, "No space left on device", target)


def test_a_disk_full_at_the_end_keeps_the_verdict_and_the_load_result(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Room for exactly the files a run writes before its report (run.json,
    plan.json, progress.jsonl, locust.log, load-result.json, and the folder):
    the first report file finds the file system full (ENOSPC)."""
    spare = tmp_path / "tmp"  # where the report goes when the folder is full
    spare.mkdir()
    monkeypatch.setenv("TMPDIR", str(spare))
    with _Target() as target, _tmpfs(tmp_path / "out", "size=4m,nr_inodes=6") as out:
        res = peakready("run", str(_scenario(tmp_path, target.url)), "--out", str(out))
        assert target.hits > 0
        verdict = re.search(r"^verdict: (GO WITH WARNINGS|GO|NO-GO|INCONCLUSIVE)", res.stderr,
                            re.MULTILINE)
        assert verdict, res.stderr
        assert f"could not write the report to {out}: No space left on device" in res.stderr
        assert "Traceback" not in res.stderr
        saved = Path(re.search(r"^saved: (\S+)", res.stderr, re.MULTILINE)[1])  # type: ignore[index]
        assert saved.parent.parent == spare and saved.name == "report.json"
        report = json.loads(saved.read_text())
        assert report["verdict"] == verdict[1]
        assert res.returncode == report["exit_code"] != 3
        assert f"kept:  {out / 'load-result.json'}" in res.stderr
        assert sorted(p.name for p in out.iterdir()) == [
            "load-result.json", "locust.log", "plan.json", "progress.jsonl", "run.json"]

        # later, somewhere with room: the report from the load result (folder or file)
        for given, where in ((out, tmp_path / "again"),
                             (out / "load-result.json", tmp_path / "again2")):
            again = peakready("report", str(given), "--out", str(where))
            assert again.returncode == report["exit_code"], again.stderr
            rebuilt = json.loads((where / "report.json").read_text())
            assert rebuilt["verdict"] == report["verdict"]
            assert rebuilt["load"] == report["load"]
            assert rebuilt["scenario"] == report["scenario"]
            assert {f["check"] for f in rebuilt["findings"]} >= {"load.slo", "load.generator"}
            assert any("rebuilt later from load-result.json" in n for n in rebuilt["notes"])
            assert (where / "report.html").stat().st_size > 0


def test_report_of_a_load_result_without_its_run_json_says_what_is_missing(
        tmp_path: Path) -> None:
    (tmp_path / "load-result.json").write_text(json.dumps({"status": "completed"}))
    res = peakready("report", str(tmp_path))
    assert res.returncode == 2
    assert "no readable run.json beside it" in res.stderr and "Traceback" not in res.stderr


# -- Ctrl-C before any traffic ------------------------------------------------------------

# Points in the first second or two of `peakready run`, told by `python -X importtime`
# (each import's line is printed on stderr when it completes): while the run command's
# modules are still being imported (the checks are, peakready.run.execute is not yet),
# and once they are (peakready.run.execute is the last: then the scenario and its
# traffic history are read and the plan built, about a second for the demo history).
EARLY = {
    "importing the run command": "peakready.checks.registry",
    "reading the scenario and building the plan": "peakready.run.execute",
}


@pytest.mark.parametrize("point", list(EARLY))
def test_ctrl_c_before_any_traffic_says_so_and_exits_as_interrupted(
        tmp_path: Path, point: str) -> None:
    with _Target() as target:
        data = demo_data(target={"base_url": target.url, "allowed_hosts": [],
                                 "mutations": True}, shop={"preset": "demo"})
        # the demo's own traffic history: reading it and planning take a while
        data["traffic"] = {"history": str(ROOT / "scenarios" / "demo-history.log.gz"),
                           "window": {"busiest": "30m"}, "speedup": 20}
        data["load"].pop("arrival_rate", None)
        data["load"].pop("duration", None)
        scenario = write_scenario(tmp_path / "s.yaml", data)
        out = tmp_path / "out"
        proc = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "peakready", "run", str(scenario),
             "--out", str(out)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        watchdog = threading.Timer(120, proc.kill)
        watchdog.start()
        try:
            marker = re.compile(rf"\|\s*{re.escape(EARLY[point])}$")
            assert proc.stderr is not None
            for line in proc.stderr:
                if marker.search(line.rstrip()):
                    proc.send_signal(signal.SIGINT)
                    break
            else:
                raise AssertionError(f"never saw {EARLY[point]} imported")
            stderr = proc.stderr.read()
            proc.wait(60)
        finally:
            watchdog.cancel()
            proc.kill()
        assert proc.returncode == 4, stderr  # as an interrupted run (README, exit codes)
        assert ("peakready run: interrupted (Ctrl-C) before any traffic: nothing was sent "
                "and no report was written") in stderr
        assert "Traceback" not in stderr
        assert target.hits == 0
        assert not (out / "report.json").exists()
