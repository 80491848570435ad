#!/usr/bin/env python3
"""Soak: does a long replay keep its memory flat? RSS per process per minute.

Runs ``peakready run`` on the demo scenario's shop, flows and campaigns at a
constant ``--rate`` of session starts for ``--minutes`` (default 30): the
demo storefront on 127.0.0.1 (peakready starts it; no other address gets
traffic), the pre-flight checks left out (this measures the replay). Every
``--sample`` seconds it reads the resident memory of each process of the run
(psutil): the peakready parent, the Locust process(es), the demo shop; once
a minute it prints a row. At the end it fits a straight line (least squares)
through each process's samples after ``--warmup`` minutes and prints its
slope in MiB/min beside the goal: flat after warm-up, at most 0.2 MiB/min
(issue 14: the Locust process grew 3.8 MiB/min, more than a gigabyte in a
6-hour soak). A slope is only worth as much as the time it is fitted over:
10 minutes after warm-up is the least that tells 0.2 MiB/min from noise.

The run is bounded: the plan ends after ``--minutes``, peakready then drains
(30 s) and writes its report; the bench waits that long plus two minutes and
then stops the whole process group.

``--trace FILE``: each Locust process also traces its allocations
(tracemalloc, PEAKREADY_TRACEMALLOC, see locustfiles/hooks.py) and rewrites
``FILE.<pid>`` every ``--trace-every`` seconds with the allocation sites
that grew most since its first snapshot, by traceback. Tracing slows the
generator several times over: use it to find a leak, not to measure one.

    .venv/bin/python bench/soak.py [--minutes 30] [--rate 5] [--warmup 3]
        [--workers 1] [--sample 10] [--trace /tmp/soak-trace]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
GOAL = 0.2  # MiB/min after warm-up
MiB = 2**20


def scenario(minutes: float, rate: float, interval: float | None) -> dict:
    """The demo scenario at a constant rate: its shop, flows, campaigns and SLOs."""
    data = yaml.safe_load((ROOT / "scenarios" / "demo.yaml").read_text(encoding="utf-8"))
    for key in ("traffic", "email", "links", "promo"):
        data.pop(key, None)
    data["target"] = {"base_url": "demo", "allowed_hosts": [], "mutations": True}
    data["load"].update(arrival_rate=rate, duration=minutes * 60, max_request_rate=1000)
    if interval:
        data["load"]["interval"] = interval
    data["checks"] = {}
    return data


def role(p: psutil.Process) -> str | None:
    try:
        cmd = " ".join(p.cmdline())
    except psutil.Error:
        return None
    if "demo-shop" in cmd:
        return "shop"
    if "locust" in cmd:
        return "locust-worker" if "--worker" in cmd else "locust"
    return None


def rss(p: psutil.Process) -> float | None:
    try:
        return p.memory_info().rss / MiB
    except psutil.Error:
        return None


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (minutes, MiB)."""
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0, help="how long the plan runs")
    ap.add_argument("--rate", type=float, default=5.0, help="session starts per second")
    ap.add_argument("--warmup", type=float, default=3.0,
                    help="minutes left out of the slope (imports, pools, caches)")
    ap.add_argument("--workers", type=int, default=1, help="Locust worker processes")
    ap.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    ap.add_argument("--interval", type=float, default=None,
                    help="load.interval in seconds (default: chosen from the rate)")
    ap.add_argument("--trace", default="", help="tracemalloc report per Locust process")
    ap.add_argument("--trace-every", type=float, default=60.0)
    ap.add_argument("--out", default="", help="report folder (default: a temporary one)")
    args = ap.parse_args()
    if args.minutes * 60 < 60 or args.rate <= 0:
        ap.error("--minutes must be at least 1 and --rate positive")

    with tempfile.TemporaryDirectory(prefix="peakready-soak-") as tmpdir:
        tmp = Path(tmpdir)
        path = tmp / "soak.yaml"
        path.write_text(yaml.safe_dump(scenario(args.minutes, args.rate, args.interval),
                                       sort_keys=False), encoding="utf-8")
        out = Path(args.out) if args.out else tmp / "out"
        env = dict(os.environ)
        if args.trace:
            env.update(PEAKREADY_TRACEMALLOC=str(Path(args.trace).resolve()),
                       PEAKREADY_TRACEMALLOC_EVERY=str(args.trace_every))
        cmd = [sys.executable, "-m", "peakready", "run", str(path), "--out", str(out),
               "--workers", str(args.workers)]
        with open(tmp / "run.log", "w", encoding="utf-8") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                    start_new_session=True)
            try:
                samples = watch(proc, args)
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        tail = (tmp / "run.log").read_text(encoding="utf-8", errors="replace").splitlines()
        print(f"\npeakready run exited {proc.returncode}; last lines of its output:")
        print("\n".join(f"  {ln}" for ln in tail[-6:]))
    summary(samples, args)
    if args.trace:
        print(f"\ntracemalloc reports (what grew most since warm-up, by traceback): "
              f"{args.trace}.<pid of each Locust process>")
    return 0


def watch(proc: subprocess.Popen[bytes], args: argparse.Namespace
          ) -> dict[str, list[tuple[float, float]]]:
    """Sample every process's RSS until the run ends (or overruns its bound)."""
    parent = psutil.Process(proc.pid)
    t0 = time.monotonic()
    deadline = t0 + args.minutes * 60 + 30 + 120 + 60  # plan + drain + report + start-up
    samples: dict[str, list[tuple[float, float]]] = {}
    known: dict[int, str] = {}
    next_row = 1.0
    print(f"soak: {args.rate:g} sessions/s for {args.minutes:g} min on the demo shop; "
          f"RSS in MiB, a row a minute", flush=True)
    while proc.poll() is None:
        if time.monotonic() > deadline:
            print("soak: the run overran its bound; stopping it", flush=True)
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            break
        minute = (time.monotonic() - t0) / 60
        now = {"peakready": rss(parent)}
        try:
            children = parent.children(recursive=True)
        except psutil.Error:
            children = []
        for c in children:
            if c.pid not in known:
                r = role(c)
                if r is None:
                    continue
                same = sum(1 for v in known.values() if v.startswith(r))
                known[c.pid] = r if not same else f"{r}{same + 1}"
            now[known[c.pid]] = rss(c)
        for name, v in now.items():
            if v is not None:
                samples.setdefault(name, []).append((minute, v))
        if minute >= next_row:
            print(f"{minute:5.1f} min  " + "  ".join(
                f"{name} {v:7.1f}" for name, v in now.items() if v is not None), flush=True)
            next_row += 1.0
        time.sleep(args.sample)
    return samples


def summary(samples: dict[str, list[tuple[float, float]]], args: argparse.Namespace) -> None:
    end = args.minutes  # the load ends there; the drain and the report come after
    print(f"\nslope after warm-up ({args.warmup:g} to {end:g} min), MiB/min "
          f"(goal <= {GOAL}):")
    for name, points in samples.items():
        steady = [(x, y) for x, y in points if args.warmup <= x <= end]
        s = slope(steady)
        if s is None:
            print(f"  {name:14} too few samples after warm-up")
            continue
        first, last = steady[0][1], steady[-1][1]
        verdict = "ok" if s <= GOAL else "GROWS"
        print(f"  {name:14} {s:+7.3f}  ({first:.1f} -> {last:.1f} MiB, peak "
              f"{max(y for _, y in points):.1f})  {verdict}")


if __name__ == "__main__":
    raise SystemExit(main())
