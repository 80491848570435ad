"""The one private Locust call (locustfiles/fastsend.py) still behaves as the
replay relies on: a Locust release that renames it or changes what it returns
fails here, against a real server on loopback. Run in a child process: Locust
monkey-patches the standard library when imported."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

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


JAR_CHILD = r"""
import json, sys
from locust.env import Environment
from locust.contrib.fasthttp import FastHttpSession
from peakready.locustfiles import fastsend
from peakready.locustfiles.storefront import QuietCookieJar

base = sys.argv[1]
session = FastHttpSession(base, Environment().events.request, user=None)
jar = QuietCookieJar()
session.cookiejar = session.client.cookiejar = jar
seen = []
for path in sys.argv[2:]:
    if path == "clear":
        jar.clear()
        continue
    resp = fastsend.send(session, "GET", base + path, {})
    seen.append([path, (resp.content or b"").decode()])
print(json.dumps(seen))
"""


class _CookieSite(BaseHTTPRequestHandler):
    """Sets cookies on /set-*, and echoes the Cookie header it was sent."""

    SETS: ClassVar[dict[str, str]] = {
        "/set-a": "a=1; Path=/", "/set-a2": "a=2; Path=/", "/set-b": "b=2; Path=/cart",
        "/del-a": "a=; Max-Age=0; Path=/"}

    def do_GET(self) -> None:
        body = (self.headers.get("Cookie") or "").encode()
        self.send_response(200)
        if self.path in self.SETS:
            self.send_header("Set-Cookie", self.SETS[self.path])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_the_replays_cookie_jar_sends_what_the_stdlib_jar_would() -> None:
    """The Cookie header kept between requests changes whenever the jar does:
    a cookie set, replaced, deleted or scoped to a path, a jar cleared."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CookieSite)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    steps = ["/echo", "/set-a", "/echo", "/echo", "/set-a2", "/echo", "/set-b", "/echo",
             "/cart/echo", "/del-a", "/echo", "/cart/echo", "clear", "/cart/echo"]
    try:
        out = subprocess.run([sys.executable, "-c", JAR_CHILD,
                              f"http://127.0.0.1:{server.server_port}", *steps],
                             capture_output=True, text=True, timeout=60)
    finally:
        server.shutdown()
        server.server_close()
    assert out.returncode == 0, out.stderr
    got = [sent for _, sent in json.loads(out.stdout.splitlines()[-1])]
    assert got == ["", "", "a=1", "a=1", "a=1", "a=2", "a=2", "a=2", "b=2; a=2", "a=2",
                   "", "b=2", ""], got
