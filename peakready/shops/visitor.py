"""A first-time visitor's HTTP session over the run's shared one.

Its own empty cookie jar (a follower clicking a post arrives without the
shop's cookies; one link's or cart's cookies must not leak into another's,
nor into the run's session), with the base session's headers, trust,
proxies, redirect limit and connection pools.
"""

from __future__ import annotations

import requests


def visitor(base: requests.Session) -> requests.Session:
    s = requests.Session()
    s.headers = base.headers.copy()  # type: ignore[assignment]
    s.auth, s.proxies, s.verify, s.cert = base.auth, dict(base.proxies), base.verify, base.cert
    s.trust_env, s.max_redirects = base.trust_env, base.max_redirects
    s.adapters = base.adapters  # shared pools: never close a visitor session
    return s
