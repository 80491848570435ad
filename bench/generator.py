#!/usr/bin/env python3
"""Generator efficiency: requests per CPU-second of the replay user, beside a
bare Locust FastHttpUser, against the same trivial static target on loopback.

The target is a minimal asyncio HTTP/1.1 keep-alive server on core 0; each
Locust process runs alone, pinned to core 1, for the same time. Requests per
CPU-second (user + system time of the Locust process, from its rusage) make
the figures independent of how busy the machine is. Both users run
saturated, so both figures are the most requests a core can send: the bare
user is a closed loop with no wait, and the replay's bounce sessions (one
request each) arrive at ``--load`` (default 1.1) times the bare user's
throughput, so its users are never idle. Its per-request cost includes the
hand-out of arrivals, the late/dropped accounting and the HDR histograms.
Below saturation (``--load 0.9``) any generator spends more per request on
waking idle users, so that ratio measures something else.

CPU time on a shared virtual machine drifts by a few per cent between runs,
so the rounds alternate the two users and medians are printed. With
``--instructions`` (needs valgrind) the figure is instructions per request
instead, counted by callgrind and the same on every run: each user runs for
a short and a long time, and the difference of the two leaves start-up out.
Instructions are not time (cache misses are not counted), so the CPU-time
ratio stays the goal's figure; the instruction ratio shows which way a change
goes without the noise.

Goal: ratio >= 1.0.

    .venv/bin/python bench/generator.py [--rounds 5] [--seconds 30] [--load 1.1]
    .venv/bin/python bench/generator.py --instructions
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

SERVER = textwrap.dedent('''
    import asyncio, sys
    BODY = b"ok"
    RESP = (b"HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 2\\r\\n"
            b"Connection: keep-alive\\r\\n\\r\\n" + BODY)
    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\\r\\n\\r\\n")
                n = 0
                for line in head.split(b"\\r\\n"):
                    if line[:15].lower() == b"content-length:":
                        n = int(line[15:])
                if n:
                    await reader.readexactly(n)
                writer.write(RESP)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
    async def main():
        srv = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]), backlog=4096)
        async with srv:
            await srv.serve_forever()
    asyncio.run(main())
''')

BARE = textwrap.dedent('''
    from locust import FastHttpUser, constant, task
    class Bare(FastHttpUser):
        wait_time = constant(0)
        @task
        def index(self):
            self.client.get("/")
''')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(cmd: list[str], core: int) -> list[str]:
    return ["taskset", "-c", str(core), *cmd] if shutil.which("taskset") else cmd


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[str, float]:
    """Run to completion; return stdout and the child's CPU seconds (user + system)."""
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env=env)
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
        out.seek(0)
        return out.read(), usage.ru_utime + usage.ru_stime


def bare(host: str, tmp: Path, seconds: int, users: int,
         wrap: list[str] | None = None) -> tuple[int, float]:
    path = tmp / "bare.py"
    path.write_text(BARE)
    stats, cpu = run_measured(pinned([*(wrap or []),
        sys.executable, "-m", "locust", "-f", str(path), "--headless", "--host", host,
        "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
        "--only-summary", "--json", "--loglevel", "ERROR"], 1))
    return sum(s["num_requests"] for s in json.loads(stats)), cpu


def replay(host: str, tmp: Path, seconds: int, users: int, rate: float,
           wrap: list[str] | None = None) -> tuple[int, float]:
    data = yaml.safe_load((ROOT / "scenarios" / "demo.yaml").read_text())
    for key in ("traffic", "email", "campaigns", "links", "promo"):
        data.pop(key, None)
    data["target"] = {"base_url": host}
    data["flows"] = [{"name": "bounce", "kind": "bounce", "weight": 1}]
    data["shop"] = {"preset": "demo"}  # a landing flow driven by a shop profile
    data["load"] = {"arrival_rate": round(rate), "duration": seconds, "max_users": users,
                    "think_time": {"min": 0, "max": 0}, "max_request_rate": 1e9,
                    "drop_after": 3600, "max_late_fraction": 1.0, "interval": 60}
    data["checks"] = {}
    scenario, result = tmp / "gen.yaml", tmp / "result.json"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False))
    _, cpu = run_measured(pinned([*(wrap or []),
        sys.executable, "-m", "locust", "-f", str(ROOT / "locustfiles" / "storefront.py"),
         "--headless", "--host", host, "--scenario", str(scenario), "--peakready-results",
         str(result), "--only-summary", "--loglevel", "ERROR"], 1))
    return json.loads(result.read_text())["requests"], cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--short", type=int, default=5,
                    help="a second, short run of each: the difference between the two "
                         "leaves process start-up out (steady-state figure)")
    ap.add_argument("--rounds", type=int, default=5,
                    help="alternate the two users this many times; medians are printed "
                         "(a shared virtual machine's speed drifts between runs)")
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--load", type=float, default=1.1,
                    help="replay arrival rate as a multiple of the bare throughput")
    ap.add_argument("--instructions", action="store_true",
                    help="count instructions per request with valgrind's callgrind instead")
    args = ap.parse_args()
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(pinned([sys.executable, "-c", SERVER, str(port)], 0))
    time.sleep(1.0)
    if args.instructions:
        try:
            return instructions(host, args.users, args.load)
        finally:
            server.terminate()
            server.wait()
    rows: list[tuple[float, float, float, float]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="peakready-gen-") as tmpdir:
            tmp = Path(tmpdir)
            for r in range(args.rounds):
                b_long = bare(host, tmp, args.seconds, args.users)
                rate = b_long[0] / args.seconds * args.load
                b_short = bare(host, tmp, args.short, args.users)
                r_long = replay(host, tmp, args.seconds, args.users, rate)
                r_short = replay(host, tmp, args.short, args.users, rate)
                row = (b_long[0] / b_long[1], steady(b_long, b_short),
                       r_long[0] / r_long[1], steady(r_long, r_short))
                rows.append(row)
                print(f"round {r + 1}: bare {row[0]:.0f} ({row[1]:.0f} steady) req/CPU-s, "
                      f"replay {row[2]:.0f} ({row[3]:.0f} steady) at {rate:.0f} arrivals/s; "
                      f"ratio {row[2] / row[0]:.3f} ({row[3] / row[1]:.3f} steady)",
                      flush=True)
    finally:
        server.terminate()
        server.wait()
    whole = statistics.median(r[2] / r[0] for r in rows)
    steady_ratio = statistics.median(r[3] / r[1] for r in rows)
    print(f"\nmedian ratio replay / bare over {len(rows)} rounds: {whole:.3f} whole run, "
          f"{steady_ratio:.3f} steady state  (goal >= 1.0)")
    return 0


def instructions(host: str, users: int, load: float) -> int:
    """Instructions per request of each user, from callgrind (deterministic)."""
    if not shutil.which("valgrind"):
        print("--instructions needs valgrind (apt-get install valgrind)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="peakready-gen-") as tmpdir:
        tmp = Path(tmpdir)

        def counted(run, seconds: int, *extra: float) -> tuple[int, int]:
            out = tmp / f"callgrind.{seconds}"
            wrap = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
            n, _ = run(host, tmp, seconds, users, *extra, wrap=wrap)
            total = next(int(line.split()[1]) for line in out.read_text().splitlines()
                         if line.startswith(("summary:", "totals:")))
            return n, total

        short_s, long_s = 20, 60
        b_short, b_long = counted(bare, short_s), counted(bare, long_s)
        # arrivals well above the bare speed under valgrind: the replay stays saturated
        rate = (b_long[0] - b_short[0]) / (long_s - short_s) * max(load, 1.5)
        r_short, r_long = counted(replay, short_s, rate), counted(replay, long_s, rate)
    per_bare = (b_long[1] - b_short[1]) / (b_long[0] - b_short[0])
    per_replay = (r_long[1] - r_short[1]) / (r_long[0] - r_short[0])
    print(f"instructions per request, steady state: bare {per_bare:,.0f}, replay "
          f"{per_replay:,.0f} (at {rate:.0f} arrivals/s under valgrind)")
    print(f"ratio bare / replay: {per_bare / per_replay:.3f}  (>= 1.0: the replay user "
          "executes no more per request)")
    return 0


def steady(long: tuple[int, float], short: tuple[int, float]) -> float:
    """Requests per CPU-second with process start-up and shutdown taken out."""
    return (long[0] - short[0]) / (long[1] - short[1])


if __name__ == "__main__":
    raise SystemExit(main())
