"""Sending a profile's requests with ``requests`` (the checks, `shop try`):
one request, no redirect followed (peakready.shops.session follows those on
the target's own origin), every failure to get an answer as status 0."""

from __future__ import annotations

import requests

from peakready.shops.answer import Answer
from peakready.shops.session import Sent


class RequestsTransport:
    """A shopper's HTTP client: its own cookie jar, the run's timeout."""

    def __init__(self, http: requests.Session | None = None, timeout: float = 10.0) -> None:
        self.http = http or requests.Session()
        self.timeout = timeout

    def send(self, step: str, sent: Sent) -> Answer:
        try:
            r = self.http.request(sent.method, sent.url, headers=sent.headers, data=sent.body,
                                  timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            return Answer(0, url=sent.url, error=f"{type(exc).__name__}: {exc}"[:300])
        return Answer(r.status_code, r.text, r.headers, r.url,
                      requests.utils.dict_from_cookiejar(self.http.cookies),
                      elapsed_ms=r.elapsed.total_seconds() * 1000)
