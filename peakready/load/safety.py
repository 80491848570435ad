"""Safety rails: where load may go, and how fast.

A load test is a weapon pointed at a shop (docs/design.md, "Safety"). Load goes
to loopback, or to a host the scenario lists in ``target.allowed_hosts``;
nothing is resolved to decide this, because a name that resolves to
loopback today may not tomorrow.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from peakready.errors import BadInput

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_allowed(host: str, allowed_hosts: list[str]) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    return is_loopback(host) or host in {h.lower().rstrip(".") for h in allowed_hosts}


def refuse_unless_allowed(base_url: str, allowed_hosts: list[str], source: str) -> None:
    """Raise BadInput before any request is sent to a host that is not allowed."""
    host = urlsplit(base_url).hostname or ""
    if not host_allowed(host, allowed_hosts):
        raise BadInput(
            f"{source}: target.base_url: refusing to send load to {host!r}: it is not "
            "loopback and not listed in target.allowed_hosts. If you own this host and "
            f"mean to load-test it, add `allowed_hosts: [{host}]` under target:.")
