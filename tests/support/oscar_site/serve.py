"""``python -m tests.support.oscar_site.serve``: serve the site with waitress
on a free loopback port (or the port given), print ``READY_PREFIX`` + its
URL, run until SIGTERM; the second argument is waitress's thread count.
The database is the file in ``OSCAR_SITE_DB`` (tests/support/oscar.py sets it)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys

READY_PREFIX = "oscar test shop listening on "


def main(argv: list[str]) -> None:
    port = int(argv[0]) if argv else 0
    threads = int(argv[1]) if len(argv) > 1 else 16
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.oscar_site.settings")
    from waitress import create_server

    from tests.support.oscar_site.wsgi import application

    server = create_server(application, host="127.0.0.1", port=port, threads=threads,
                           connection_limit=1000, channel_timeout=60, ident="oscar-test-shop")
    print(f"{READY_PREFIX}http://127.0.0.1:{server.effective_port}", flush=True)  # type: ignore[union-attr]
    signal.signal(signal.SIGTERM, _leave)
    try:
        with contextlib.suppress(KeyboardInterrupt, OSError):
            server.run()
    finally:
        server.close()


def _leave(*_: object) -> None:
    # Raised in the main thread, out of waitress's select loop: closing the
    # listening socket alone leaves the loop running while clients keep
    # connections open (keep-alive), up to channel_timeout.
    raise SystemExit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
