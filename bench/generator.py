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
arrival scheduler, the late/dropped accounting and the HDR histograms. Below
saturation (``--load 0.9``) any generator spends more per request on waking
idle users, so that ratio is lower (~0.9 here) and measures something else.
Goal: ratio >= 1.0.

    .venv/bin/python bench/generator.py [--rounds 3] [--seconds 30] [--load 1.1]
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


def bare(host: str, tmp: Path, seconds: int, users: int) -> tuple[int, float]:
    path = tmp / "bare.py"
    path.write_text(BARE)
    stats, cpu = run_measured(pinned(
        [sys.executable, "-m", "locust", "-f", str(path), "--headless", "--host", host,
         "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
         "--only-summary", "--json", "--loglevel", "ERROR"], 1))
    return sum(s["num_requests"] for s in json.loads(stats)), cpu


def replay(host: str, tmp: Path, seconds: int, users: int, rate: float) -> tuple[int, float]:
    data = yaml.safe_load((ROOT / "scenarios" / "demo.yaml").read_text())
    for key in ("traffic", "email", "campaigns", "links", "promo"):
        data.pop(key, None)
    data["target"] = {"base_url": host}
    data["flows"] = [{"name": "bounce", "kind": "bounce", "weight": 1}]
    data["load"] = {"arrival_rate": round(rate), "duration": seconds, "max_users": users,
                    "think_time": {"min": 0, "max": 0}, "max_request_rate": 1e9,
                    "drop_after": 3600, "max_late_fraction": 1.0, "interval": 60}
    data["checks"] = {}
    scenario, result = tmp / "gen.yaml", tmp / "result.json"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False))
    _, cpu = run_measured(pinned(
        [sys.executable, "-m", "locust", "-f", str(ROOT / "locustfiles" / "storefront.py"),
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
    args = ap.parse_args()
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(pinned([sys.executable, "-c", SERVER, str(port)], 0))
    time.sleep(1.0)
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


def steady(long: tuple[int, float], short: tuple[int, float]) -> float:
    """Requests per CPU-second with process start-up and shutdown taken out."""
    return (long[0] - short[0]) / (long[1] - short[1])


if __name__ == "__main__":
    raise SystemExit(main())
