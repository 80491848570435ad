#!/usr/bin/env python3
"""Generator efficiency: requests per CPU-second of the replay user, beside a
bare Locust FastHttpUser, against the same trivial static target on loopback.

The target is a minimal asyncio HTTP/1.1 keep-alive server on core 0; each
Locust process runs alone, pinned to core 1, for the same time. Requests per
CPU-second (user + system time of the Locust process, from its rusage) make
the figures independent of how busy the machine is. The replay runs bounce
sessions (one request each) at 1.2x the bare user's throughput, so its users
are never idle; its per-request cost includes the arrival scheduler, the
late/dropped accounting and the HDR histograms. Goal: ratio >= 1.0.

    .venv/bin/python bench/generator.py [--seconds 20] [--users 50]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--users", type=int, default=50)
    args = ap.parse_args()
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(pinned([sys.executable, "-c", SERVER, str(port)], 0))
    time.sleep(1.0)
    try:
        with tempfile.TemporaryDirectory(prefix="peakready-gen-") as tmp:
            bare = Path(tmp) / "bare.py"
            bare.write_text(BARE)
            stats, cpu_bare = run_measured(pinned(
                [sys.executable, "-m", "locust", "-f", str(bare), "--headless", "--host", host,
                 "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s",
                 "--only-summary", "--json", "--loglevel", "ERROR"], 1))
            n_bare = sum(s["num_requests"] for s in json.loads(stats))
            rate_bare = n_bare / args.seconds

            data = yaml.safe_load((ROOT / "scenarios" / "demo.yaml").read_text())
            for key in ("traffic", "email", "campaigns", "links", "promo"):
                data.pop(key, None)
            data["target"] = {"base_url": host}
            data["flows"] = [{"name": "bounce", "kind": "bounce", "weight": 1}]
            data["load"] = {"arrival_rate": round(rate_bare * 1.2), "duration": args.seconds,
                            "max_users": args.users, "think_time": {"min": 0, "max": 0},
                            "max_request_rate": 1e9, "drop_after": 3600,
                            "max_late_fraction": 1.0, "interval": 60}
            data["checks"] = {}
            scenario = Path(tmp) / "gen.yaml"
            scenario.write_text(yaml.safe_dump(data, sort_keys=False))
            result = Path(tmp) / "result.json"
            locustfile = ROOT / "locustfiles" / "storefront.py"
            _, cpu_replay = run_measured(pinned(
                [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless",
                 "--host", host, "--scenario", str(scenario), "--peakready-results",
                 str(result), "--only-summary", "--loglevel", "ERROR"], 1))
            load = json.loads(result.read_text())
            n_replay = load["requests"]
            elapsed = load["elapsed_s"]
    finally:
        server.terminate()
        server.wait()
    per_core_bare = n_bare / cpu_bare
    per_core_replay = n_replay / cpu_replay
    print(f"{'user':<28}{'requests':>10}{'req/s':>10}{'CPU s':>8}{'req/CPU-s':>11}")
    print(f"{'bare FastHttpUser':<28}{n_bare:>10}{rate_bare:>10.0f}{cpu_bare:>8.1f}"
          f"{per_core_bare:>11.0f}")
    print(f"{'peakready replay (bounce)':<28}{n_replay:>10}{n_replay / elapsed:>10.0f}"
          f"{cpu_replay:>8.1f}{per_core_replay:>11.0f}")
    print(f"\nratio replay / bare: {per_core_replay / per_core_bare:.3f}  (goal >= 1.0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
