"""Follow a link's redirect chain by hand, one request per hop, recording
each hop's status and time (shared by ``links.landing`` and ``links.tls``).

requests can follow redirects itself, but then it hides the hops' timings,
keeps going past the hop limit only to raise, and gives no place to notice
an https→http downgrade; so every request here is ``allow_redirects=False``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from peakready.shops.visitor import visitor

REDIRECTS = frozenset({301, 302, 303, 307, 308})  # RFC 9110 §15.4
MAX_BODY = 2_000_000  # bytes of a landing page read for the tag and its links


@dataclass(frozen=True)
class Hop:
    url: str
    status: int
    ms: float
    location: str = ""

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"url": self.url, "status": self.status, "ms": round(self.ms, 1)}
        if self.location:
            out["location"] = self.location
        return out


@dataclass
class Chain:
    """What following one link produced."""

    start: str
    hops: list[Hop] = field(default_factory=list)
    body: str = ""  # the final response's text, when it was read
    content_type: str = ""
    error: str = ""  # the request that failed (refused, timeout, TLS): not evaluated
    stopped: str = ""  # "loop" or "too-many": the chain never ended

    @property
    def final(self) -> Hop | None:
        return self.hops[-1] if self.hops else None

    @property
    def redirects(self) -> int:
        return sum(1 for h in self.hops if h.status in REDIRECTS and h.location)

    def hosts(self) -> list[str]:
        seen = dict.fromkeys(urlsplit(h.url).hostname or "" for h in self.hops)
        return [h for h in seen if h]

    def evidence(self) -> list[dict[str, Any]]:
        return [h.evidence() for h in self.hops]


def _read(resp: requests.Response, limit: int) -> bytes:
    data = bytearray()
    for chunk in resp.iter_content(65536):
        data += chunk
        if len(data) >= limit:
            break
    return bytes(data[:limit])


def _text(resp: requests.Response, data: bytes) -> str:
    # resp.text would guess the charset with charset_normalizer when the
    # header names none: slow on large pages, and HTML5 defaults to UTF-8.
    return data.decode(resp.encoding or "utf-8", errors="replace")


def follow(http: requests.Session, url: str, *, max_hops: int, timeout: float,
           read_body: bool = True) -> Chain:
    """GET ``url`` and each Location after it, up to ``max_hops`` redirects, as a
    first-time visitor (see ``visitor``)."""
    http = visitor(http)
    chain = Chain(start=url)
    seen = {url}
    while True:
        started = time.perf_counter()
        try:
            # verify= passed explicitly: otherwise REQUESTS_CA_BUNDLE in the environment
            # overrides the session's own trust (psf/requests#3829, #4726).
            resp = http.get(url, allow_redirects=False, timeout=timeout, stream=True,
                            verify=http.verify)
        except requests.RequestException as exc:
            chain.error = f"{url}: {type(exc).__name__}: {exc}"[:400]
            return chain
        try:
            location = resp.headers.get("Location", "") if resp.status_code in REDIRECTS else ""
            final = not location
            try:
                data = _read(resp, MAX_BODY if (final and read_body) else 65536)
            except requests.RequestException as exc:
                chain.error = f"{url}: {type(exc).__name__} while reading: {exc}"[:400]
                return chain
            chain.hops.append(Hop(url, resp.status_code, (time.perf_counter() - started) * 1000,
                                  location))
            if final:
                chain.body = _text(resp, data) if read_body else ""
                chain.content_type = resp.headers.get("Content-Type", "")
                return chain
        finally:
            resp.close()
        url = urljoin(url, location)
        if url in seen:
            chain.stopped = "loop"
            return chain
        if chain.redirects > max_hops:
            chain.stopped = "too-many"
            return chain
        seen.add(url)
