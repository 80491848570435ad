"""What `peakready run` prints while it works: live progress of the load
(elapsed, session and request rates, errors) via rich on a terminal, one
plain line every few seconds otherwise (CI logs)."""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.console import Console

console = Console(stderr=True, highlight=False)


def progress_line(p: dict[str, Any]) -> str:
    total = p.get("plan_s") or 0
    errs = p["failures"] / p["requests"] if p["requests"] else 0.0
    return (f"{p['elapsed']:6.0f}s/{total:.0f}s  sessions {p['started']}/{p['planned']}"
            f"  late {p['late']}  dropped {p['dropped']}  {p['rps']:7.1f} req/s"
            f"  requests {p['requests']}  errors {p['failures']} ({errs:.1%})"
            f"  users {p['users']}")


class Progress:
    """Callable fed with progress lines from the Locust side."""

    def __init__(self, every_s: float = 5.0) -> None:
        self.tty = sys.stderr.isatty()
        self.every_s = every_s
        self._last = 0.0
        self._status: Any = None
        self.last = ""

    def __call__(self, p: dict[str, Any]) -> None:
        line = self.last = progress_line(p)
        if self.tty:
            if self._status is None:
                self._status = console.status(line)
                self._status.start()
            self._status.update(line)
        elif time.monotonic() - self._last >= self.every_s:
            self._last = time.monotonic()
            print(f"[load] {line}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
        if self.last:
            print(f"[load] {self.last}", file=sys.stderr, flush=True)
