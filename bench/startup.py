"""Bench: how long a command takes to start, as a user feels it.

Times whole processes (interpreter start, imports, the work, exit), ROUNDS
runs each, and prints the minimum and median wall time beside the goal of
issue 12: `peakready --help` <= 0.3 s, `peakready email` for one domain on
loopback <= 0.4 s. The email command asks a real NSD on 127.0.0.1 (started
here, serving the demo's zone file), so its figure includes the DNS work.
Then `python -X importtime` says where the email command's import time goes.

    .venv/bin/python bench/startup.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the bench borrows the tests' NSD helper (tests/support)

from tests.support.nsd import NsdServer

BIN = Path(sys.executable).parent
ZONE = ROOT / "scenarios" / "demo-email.zone"


def timed(cmd: list[str], rounds: int) -> tuple[float, float, int]:
    walls, code = [], 0
    for _ in range(rounds):
        began = time.perf_counter()
        code = subprocess.run(cmd, capture_output=True, cwd=tempfile.gettempdir()).returncode
        walls.append(time.perf_counter() - began)
    return min(walls), statistics.median(walls), code


def import_breakdown(module: str, top: int = 8) -> list[tuple[int, str]]:
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                         capture_output=True, text=True).stderr
    rows = []
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            depth = (len(name) - len(name.lstrip())) // 2
            if depth <= 1:
                rows.append((int(parts[1]), name.strip()))
    return sorted(rows, reverse=True)[:top]


Row = tuple[str, list[str], float | None]  # name, command, goal in seconds


def rows(peakready: str, nameserver: str) -> list[Row]:
    email = [peakready, "email", "hearth-home.example", "--nameserver", nameserver]
    return [("peakready --version", [peakready, "--version"], None),
            ("peakready --help", [peakready, "--help"], 0.3),
            ("peakready email (1 domain, its DKIM selector)", [*email, "--selector", "hh2025"],
             0.4),
            ("peakready email (1 domain, common selectors probed)", email, 0.4)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        zone = Path(tmp) / "hearth-home.example.zone"  # NSD serves a file as its stem
        zone.write_text(ZONE.read_text())
        (Path(tmp) / "nsd").mkdir()
        with NsdServer([zone], Path(tmp) / "nsd") as ns:
            print(f"{'command':<52} {'min s':>7} {'median s':>9} {'goal s':>7}  exit")
            for name, cmd, goal in rows(str(BIN / "peakready"), ns.address):
                lo, med, code = timed(cmd, args.rounds)
                print(f"{name:<52} {lo:7.3f} {med:9.3f} {goal or '':>7}  {code}")
    print("\nimport time of peakready.commands.email (cumulative, top entries, ms):")
    for us, name in import_breakdown("peakready.commands.email"):
        print(f"  {us / 1000:7.1f}  {name}")


if __name__ == "__main__":
    main()
