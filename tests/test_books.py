"""The books balance: what the report counts is what the shop served.

Every planned session start is started, dropped or cancelled (by a named
cause), every started session ends completed, failed or cut off, in the
totals, per campaign, per flow and per interval, in one process or many; and
the requests the report counts (answered, or cut off in flight) are the
requests the target's own log shows. One demo shop for the module, wrapped in
a log of every request it receives from the load generator (Locust's client;
the trial and the pre-flight checks send with their own User-Agent), which
can also hold answers back: a campaign's landing (``utm_campaign=hang``) or a
payment, until the test releases them, and fail a campaign's landing
(``utm_campaign=boom``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from peakready.checks.check import CheckContext
from peakready.checks.load import generator
from waitress import create_server

from peakready.demo import db
from peakready.demo.shop import create_app
from peakready.load.recorder import Recorder
from peakready.load.results import LoadResult, RunStatus, SessionStats
from peakready.scenario.model import Scenario
from tests.support.paths import ROOT
from tests.support.scenarios import demo_data, write_scenario

LOAD_AGENT = "python/gevent-http-client"  # Locust's FastHttpUser; not the trial's, not checks'


# -- the shop, in a process of its own -------------------------------------------
def serve(log_path: str, db_path: str) -> None:
    """The demo shop with a log of the load's requests (one line as each
    arrives, before it is answered) and held or failed answers on demand."""
    db.create(db_path)
    app = create_app(db_path)
    lock = threading.Lock()
    release = threading.Event()
    holds = {"pay": False}
    log = open(log_path, "a", buffering=1)  # noqa: SIM115

    def logged(environ: dict[str, Any], start_response: Any) -> Any:
        path, query = environ["PATH_INFO"], environ.get("QUERY_STRING", "")
        if path.startswith("/__"):  # the test's controls
            if path == "/__release":
                release.set()
            elif path == "/__hold":
                release.clear()
                holds["pay"] = "pay" in query
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        if not environ.get("HTTP_USER_AGENT", "").startswith(LOAD_AGENT):
            return app(environ, start_response)
        with lock:
            log.write(f"{time.time():.3f}\t{environ['REQUEST_METHOD']}\t{path}\n")
        if "utm_campaign=boom" in query:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"boom"]
        if "utm_campaign=hang" in query or (holds["pay"] and path.endswith("/pay")):
            release.wait(90)
        if not path.endswith("/pay"):
            return app(environ, start_response)

        def paid(status: str, headers: Any, *exc: Any) -> Any:
            if status.startswith("2"):  # an order placed
                with lock:
                    log.write(f"{time.time():.3f}\tORDER\t{path}\n")
            return start_response(status, headers, *exc)

        return app(environ, paid)

    server = create_server(logged, host="127.0.0.1", port=0, threads=64,
                           connection_limit=2000, channel_timeout=120)
    print(f"http://127.0.0.1:{server.effective_port}", flush=True)  # type: ignore[union-attr]
    server.run()


@dataclass
class Shop:
    url: str
    log: Path

    def _lines(self, since: int) -> list[tuple[float, str, str]]:
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return [(float(t), m, p) for t, m, p in (ln.split("\t") for ln in lines[since:])]

    def mark(self) -> int:
        return len(self._lines(0))

    def served(self, since: int) -> list[tuple[float, str, str]]:
        """The load's requests the shop received since ``mark``."""
        return [line for line in self._lines(since) if line[1] != "ORDER"]

    def orders(self, since: int) -> int:
        """The orders the shop placed for the load since ``mark``."""
        return sum(1 for line in self._lines(since) if line[1] == "ORDER")

    def hold(self, pay: bool = False) -> None:
        requests.get(f"{self.url}/__hold", params={"pay": 1} if pay else {}, timeout=5)

    def release(self) -> None:
        requests.get(f"{self.url}/__release", timeout=5)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    where = tmp_path_factory.mktemp("books-shop")
    log, db = where / "requests.log", where / "shop.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-c", f"from tests.test_books import serve; serve({str(log)!r}, "
                               f"{str(db)!r})"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    try:
        assert url.startswith("http://"), url
        yield Shop(url, log)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# -- scenarios and runs ----------------------------------------------------------
def _scenario(tmp_path: Path, shop: Shop, flows: list[dict] | None = None,
              campaigns: list[dict] | None = None, **load: Any) -> Path:
    data = demo_data(target={"base_url": shop.url, "allowed_hosts": [], "mutations": True})
    for section in ("email", "promo"):
        data.pop(section, None)
    data["checks"] = {c: {"level": "off"} for c in (
        "links.utm", "links.landing", "links.tls", "load.headroom", "attribution.orders")}
    data["load"].update({"think_time": {"min": 0.05, "max": 0.1}, **load})
    if flows is not None:
        data["flows"] = flows
    if campaigns is not None:
        data["campaigns"] = campaigns
    return write_scenario(tmp_path / "s.yaml", data)


def _run(scenario: Path, out: Path, *args: str, env: dict[str, str] | None = None
         ) -> tuple[subprocess.CompletedProcess[str], dict]:
    res = subprocess.run([sys.executable, "-m", "peakready", "run", str(scenario), "--out",
                          str(out), *args], capture_output=True, text=True, timeout=240,
                         env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
    return res, json.loads((out / "report.json").read_text())


def _books(load: dict, planned: int) -> None:
    """planned = started + dropped + cancelled and started = completed + failed
    + cut_off, everywhere; the causes add up; planned is the whole plan."""
    tables = [("totals", load["totals"]), *load["campaigns"].items(), *load["flows"].items(),
              *((f"interval {iv['t']:g}s", iv) for iv in load["series"])]
    for name, s in tables:
        assert s["planned"] == s["started"] + s["dropped"] + s["cancelled"], (name, s)
        assert s["started"] == s["completed"] + s["failed"] + s["cut_off"], (name, s)
    tot = load["totals"]
    assert tot["planned"] == planned, tot
    assert sum(iv["planned"] for iv in load["series"]) == planned
    assert sum(load["cancelled_by"].values()) == tot["cancelled"], load["cancelled_by"]
    assert sum(load["cut_off_by"].values()) == tot["cut_off"], load["cut_off_by"]


def _codes(report: dict) -> set[str]:
    return {f["code"] for f in report["findings"]}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the cases ---------------------------------------------------------------------
def test_one_process(shop: Shop, tmp_path: Path) -> None:
    before = shop.mark()
    res, report = _run(_scenario(tmp_path, shop, duration="4s", arrival_rate=5), tmp_path / "o")
    assert res.returncode == 0, res.stderr
    load = report["load"]
    _books(load, 20)
    tot = load["totals"]
    assert tot["completed"] == tot["started"] == 20
    assert len(shop.served(before)) == load["requests"]
    assert shop.orders(before) == tot["orders"] == tot["order_attempts"]


def test_two_processes(shop: Shop, tmp_path: Path) -> None:
    """A session that spans a worker's report to the master still counts
    (it used to end on a cell the report had already reset: 40 of 50)."""
    before = shop.mark()
    res, report = _run(_scenario(tmp_path, shop, duration="5s", arrival_rate=6,
                                 think_time={"min": 0.3, "max": 0.8}),
                       tmp_path / "o", "--workers", "2")
    assert res.returncode == 0, res.stderr
    load = report["load"]
    assert load["workers"] == 2
    _books(load, 30)
    tot = load["totals"]
    assert tot["completed"] == tot["started"] == 30
    assert len(shop.served(before)) == load["requests"]
    assert shop.orders(before) == tot["orders"] == tot["order_attempts"]


def _master(tmp_path: Path, scenario: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "peakready", "run", str(scenario), "--master",
         "--expect-workers", "2", "--master-bind-host", "127.0.0.1",
         "--master-bind-port", str(port), "--out", str(tmp_path / "o")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _worker(scenario: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "peakready", "worker", str(scenario), "--master-host",
         "127.0.0.1", "--master-port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)


def _progress(out: Path) -> dict:
    path = out / "progress.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return json.loads(lines[-1]) if lines else {}


def test_master_and_workers(shop: Shop, tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, shop, duration="5s", arrival_rate=6,
                         think_time={"min": 0.3, "max": 0.8})
    port, before = _port(), shop.mark()
    master = _master(tmp_path, scenario, port)
    workers = [_worker(scenario, port) for _ in range(2)]
    try:
        _, err = master.communicate(timeout=180)
        for w in workers:
            w.wait(timeout=60)
    finally:
        for p in (master, *workers):
            if p.poll() is None:
                p.kill()
    assert master.returncode == 0, err
    load = json.loads((tmp_path / "o" / "report.json").read_text())["load"]
    _books(load, 30)
    tot = load["totals"]
    assert tot["completed"] == tot["started"] == 30
    assert len(shop.served(before)) == load["requests"]
    assert shop.orders(before) == tot["orders"] == tot["order_attempts"]


def test_a_killed_worker(shop: Shop, tmp_path: Path) -> None:
    """A worker killed mid-run: its unreported share is cancelled ("worker
    lost"), not missing from the plan; the run says it is partial; only what
    it sent since its last report is uncounted."""
    scenario = _scenario(tmp_path, shop, duration="7s", arrival_rate=6,
                         think_time={"min": 0.3, "max": 0.8})
    port, before = _port(), shop.mark()
    master = _master(tmp_path, scenario, port)
    workers = [_worker(scenario, port) for _ in range(2)]
    try:
        deadline = time.monotonic() + 120
        while _progress(tmp_path / "o").get("elapsed", 0) < 2.5:
            assert time.monotonic() < deadline and master.poll() is None, "no load"
            time.sleep(0.1)
        killed_at = time.time()
        os.kill(workers[0].pid, signal.SIGKILL)  # `peakready worker` execs Locust
        _, err = master.communicate(timeout=180)
    finally:
        for p in (master, *workers):
            if p.poll() is None:
                p.kill()
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    load = report["load"]
    _books(load, 42)
    assert load["cancelled_by"].get("worker lost", 0) > 0, load["cancelled_by"]
    assert len(load["health"]["lost_workers"]) == 1
    assert report["partial"] is True and master.returncode == 4, err
    assert "worker-missing" in _codes(report)
    served = shop.served(before)
    unreported = sum(1 for t, _, _ in served if killed_at - 4.0 <= t <= killed_at + 0.5)
    assert 0 <= len(served) - load["requests"] <= unreported
    assert load["elapsed_s"] < 7 + 15  # the survivor's share done: no wait for the dead one


def test_an_abort(shop: Shop, tmp_path: Path) -> None:
    """An abort cancels the starts not yet due (not the generator's fault) and
    cuts off the sessions waiting on the shop, with their requests in flight."""
    campaigns = [{"name": name, "link": f"/collections/candles?utm_source=x&utm_medium=social"
                                        f"&utm_campaign={name}", "weight": 1}
                 for name in ("boom", "hang")]
    scenario = _scenario(tmp_path, shop, flows=[{"name": "bounce", "kind": "bounce",
                                                 "weight": 1}],
                         campaigns=campaigns, duration="20s", arrival_rate=8,
                         abort_window="2s", abort_error_rate=0.5)
    before = shop.mark()
    shop.hold()
    try:
        res, report = _run(scenario, tmp_path / "o")
    finally:
        shop.release()
    load = report["load"]
    assert load["status"] == "aborted", res.stderr
    _books(load, 160)
    tot = load["totals"]
    assert tot["cancelled"] > 60 and set(load["cancelled_by"]) == {"abort"}
    assert tot["cut_off"] > 0 and set(load["cut_off_by"]) == {"abort"}
    assert load["requests_cut_off"] == tot["cut_off"]  # each was waiting for its landing
    assert len(shop.served(before)) == load["requests"] + load["requests_cut_off"]
    assert "arrivals-behind-plan" not in _codes(report)


def test_an_interrupt(shop: Shop, tmp_path: Path) -> None:
    """Ctrl-C: the starts not yet due are cancelled by the interrupt, not
    blamed on the generator; nothing the shop served goes uncounted."""
    scenario = _scenario(tmp_path, shop, duration="30s", arrival_rate=5,
                         think_time={"min": 0.3, "max": 0.8})
    before, out = shop.mark(), tmp_path / "o"
    proc = subprocess.Popen([sys.executable, "-m", "peakready", "run", str(scenario), "--out",
                             str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 120
        while _progress(out).get("started", 0) < 10:
            assert time.monotonic() < deadline and proc.poll() is None, "no load"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 4, err
    report = json.loads((out / "report.json").read_text())
    load = report["load"]
    assert load["status"] == "interrupted"
    _books(load, 150)
    assert load["totals"]["cancelled"] > 100 and set(load["cancelled_by"]) == {"interrupt"}
    assert set(load["cut_off_by"]) <= {"interrupt"}
    assert len(shop.served(before)) == load["requests"] + load["requests_cut_off"]
    assert "arrivals-behind-plan" not in _codes(report)
    assert "run-interrupted" in _codes(report)


def test_a_drain_cut_off(shop: Shop, tmp_path: Path) -> None:
    """Sessions still paying at the drain limit are cut off, not failed
    checkouts; their payments in flight are counted as cut off."""
    scenario = _scenario(tmp_path, shop, flows=[{"name": "checkout", "kind": "checkout",
                                                 "weight": 1}],
                         duration="2s", arrival_rate=4, drop_after="2s",
                         request_timeout="60s")
    before = shop.mark()
    shop.hold(pay=True)
    try:
        res, report = _run(scenario, tmp_path / "o", env={"PEAKREADY_DRAIN": "2"})
    finally:
        shop.release()
    load = report["load"]
    assert load["status"] == "completed", res.stderr
    _books(load, 8)
    tot = load["totals"]
    assert tot["cut_off"] == 8 and load["cut_off_by"] == {"drain limit": 8}
    assert tot["failed"] == 0 and tot["order_attempts"] == 0
    assert tot["order_attempts_cut_off"] == 8
    assert "checkout-success-low" not in _codes(report)
    assert "sessions-cut-off" in _codes(report)  # how they ended is unknown: INCONCLUSIVE
    assert report["verdict"] == "INCONCLUSIVE" and res.returncode == 4
    served = shop.served(before)
    assert sum(1 for _, _, p in served if p.endswith("/pay")) == 8
    assert len(served) == load["requests"] + load["requests_cut_off"]
    assert load["requests_cut_off"] == 8


# -- the same rules, without a run ----------------------------------------------
def test_an_outcome_after_a_report_still_counts() -> None:
    """A worker's session that ends after the report that shipped its start:
    the ending travels with the next report (it used to be lost)."""
    master, worker = Recorder(10.0), Recorder(10.0)
    cells = [worker.started(1.0, 1.0, "mia", "browse", False) for _ in range(3)]
    master.absorb(worker.drain())  # the report goes while the sessions run
    worker.ended(cells[0], True)
    worker.ended(cells[1], False)
    master.absorb(worker.drain())
    worker.ended(cells[2], True)
    master.absorb(worker.drain())
    tot = master.result().totals
    assert (tot.started, tot.completed, tot.failed) == (3, 2, 1)
    assert not worker.cells  # nothing held: nothing kept


def test_a_cut_off_checkout_is_not_a_failed_one() -> None:
    who = ["a"]
    rec = Recorder(10.0, whose=lambda: who[0])
    a = rec.started(1.0, 1.0, "mia", "checkout", False)
    rec.session("order_attempts", 1.0, "mia", "checkout")  # a's payment goes out
    rec.sent()
    who[0] = "b"
    b = rec.started(2.0, 2.0, "mia", "checkout", False)
    rec.session("order_attempts", 2.0, "mia", "checkout")
    rec.sent()
    rec.request(2.5, "checkout:pay", 30.0, True, "mia", "HTTP 402")  # b's is refused
    rec.ended(b, False)
    assert rec.cut_off() == 1  # the stop: a is still paying
    tot = rec.result().totals
    assert (tot.started, tot.failed, tot.cut_off) == (2, 1, 1)
    assert (tot.order_attempts, tot.orders, tot.order_attempts_cut_off) == (1, 0, 1)
    assert rec.result().requests_cut_off == 1
    assert a[-1] == 0  # nothing open any more


def test_the_generator_is_not_blamed_for_what_a_stop_cancelled() -> None:
    def codes(**kw: Any) -> dict[str, Any]:
        ctx = CheckContext(scenario=Scenario.model_validate(demo_data()),
                           load=LoadResult(requests=400, **kw))
        return {f.code: f for f in generator.run(ctx)}

    aborted = codes(status=RunStatus.ABORTED, cancelled_by={"abort": 60},
                    totals=SessionStats(planned=100, started=39, dropped=1, cancelled=60))
    assert "arrivals-behind-plan" not in aborted
    assert "60 cancelled (60 by abort)" in aborted["arrivals-on-plan"].summary
    behind = codes(status=RunStatus.ABORTED, cancelled_by={"abort": 60},
                   totals=SessionStats(planned=100, started=34, dropped=6, cancelled=60))
    assert behind["arrivals-behind-plan"].evidence["late_or_dropped"] == 0.15  # 6 of 40 due
    cut = codes(cut_off_by={"drain limit": 8}, requests_cut_off=8,
                totals=SessionStats(planned=100, started=100, completed=92, cut_off=8))
    assert cut["sessions-cut-off"].status.value == "fail"
    assert "8 of 100 sessions (8.0%)" in cut["sessions-cut-off"].summary
