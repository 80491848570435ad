#!/usr/bin/env python3
"""Replay fidelity: does the load follow the plan, minute by minute?

Replays a spiky plan (a 10-second-resolution curve with influencer spikes)
against the demo shop, below saturation, with 1 and then 2 Locust workers,
and prints the per-minute mean absolute percentage error between planned
session starts and sessions that actually began in that minute (goal: ≤ 2 %),
with late/dropped starts and the landing p95.

    .venv/bin/python bench/replay_fidelity.py [--minutes 10] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def curve(minutes: int) -> list[tuple[dt.datetime, int]]:
    """Sessions per 10 s: a base that rises, and three decaying spikes."""
    t0 = dt.datetime(2025, 11, 28, 19, 0, tzinfo=dt.UTC)
    spikes = [(0.15, 240), (0.45, 300), (0.75, 180)]  # (fraction of the run, peak per min)
    out = []
    for k in range(minutes * 6):
        m = k / 6
        per_min = 60 + 30 * m / minutes
        for frac, peak in spikes:
            at = frac * minutes
            if m >= at:
                per_min += peak * 2 ** (-(m - at) / 0.75)
        out.append((t0 + dt.timedelta(seconds=10 * k), round(per_min / 6)))
    return out


def scenario(tmp: Path, minutes: int) -> Path:
    hist = tmp / "curve.csv"
    hist.write_text("timestamp,sessions\n" + "".join(
        f"{t.isoformat()},{n}\n" for t, n in curve(minutes)))
    data = yaml.safe_load((ROOT / "scenarios" / "demo.yaml").read_text())
    data.pop("email", None)
    data["traffic"] = {"history": str(hist), "format": "curve", "interval": "10s"}
    data["load"] = {"think_time": {"min": 0.3, "max": 1.2}, "max_users": 1000,
                    "max_request_rate": 2000, "seed": 3}
    data["checks"] = {}
    path = tmp / "fidelity.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def run(path: Path, out: Path, workers: int) -> dict:
    cmd = [sys.executable, "-m", "peakready", "run", str(path), "--out", str(out),
           "--workers", str(workers)]
    subprocess.run(cmd, check=False, capture_output=True, text=True)
    return json.loads((out / "report.json").read_text())


def mape(series: list[dict], per_minute: int) -> tuple[float, list[tuple[int, int]]]:
    minutes: dict[int, list[int]] = {}
    for k, iv in enumerate(series):
        m = k // per_minute
        planned, began = minutes.setdefault(m, [0, 0])
        minutes[m] = [planned + iv["planned"], began + iv["began"]]
    pairs = [(p, b) for p, b in minutes.values() if p > 0]
    return sum(abs(p - b) / p for p, b in pairs) / len(pairs) * 100, pairs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="peakready-fidelity-") as tmp:
        path = scenario(Path(tmp), args.minutes)
        print(f"plan: {args.minutes} min, 10 s steps, "
              f"peak {max(n for _, n in curve(args.minutes)) * 6}/min\n")
        print(f"{'workers':>7} {'planned':>8} {'began':>7} {'late':>5} {'dropped':>7} "
              f"{'MAPE/min':>9} {'worst min':>10} {'landing p95':>12} {'verdict':>10}")
        for w in args.workers:
            rep = run(path, Path(tmp) / f"out{w}", w)
            load = rep["load"]
            per_minute = max(1, round(60 / load["interval_s"]))
            err, pairs = mape(load["series"], per_minute)
            worst = max(abs(p - b) / p for p, b in pairs) * 100
            t = load["totals"]
            p95 = load["steps"].get("landing", {}).get("p95_ms")
            print(f"{w:>7} {t['planned']:>8} {sum(iv['began'] for iv in load['series']):>7} "
                  f"{t['late']:>5} {t['dropped']:>7} {err:>8.2f}% {worst:>9.2f}% "
                  f"{p95 if p95 is None else f'{p95:.1f} ms':>12} {rep['verdict']:>10}")
            if math.isnan(err):
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
