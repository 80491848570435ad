"""The one private Locust call (locustfiles/fastsend.py) still behaves as the
replay relies on: a Locust release that renames it or changes what it returns
fails here, against a real server on loopback. Run in a child process: Locust
monkey-patches the standard library when imported."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

from peakready.demo.server import DemoShop

CHILD = r"""
import json, sys
from locust.env import Environment
from locust.contrib.fasthttp import FastHttpSession
from peakready.locustfiles import fastsend

base, closed = sys.argv[1], sys.argv[2]
env = Environment()
session = FastHttpSession(base, env.events.request, user=None)
out = {}
for name, url in (("page", base + "/"), ("missing", base + "/no-such-page"),
                  ("refused", closed + "/")):
    resp = fastsend.send(session, "GET", url, {"User-Agent": "peakready-test"})
    out[name] = {"status": resp.status_code, "error": type(resp.error).__name__
                 if getattr(resp, "error", None) else None,
                 "length": len(resp.content or b"")}
print(json.dumps(out))
"""


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once it is closed


def test_safe_mode_send_answers_errors_in_the_response(shop: DemoShop) -> None:
    closed = f"http://127.0.0.1:{_closed_port()}"
    out = subprocess.run([sys.executable, "-c", CHILD, shop.url, closed],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.splitlines()[-1])
    assert got["page"]["status"] == 200 and got["page"]["error"] is None
    assert got["page"]["length"] > 100
    assert got["missing"]["status"] == 404 and got["missing"]["error"] is not None
    assert got["refused"]["status"] == 0 and got["refused"]["error"] is not None
