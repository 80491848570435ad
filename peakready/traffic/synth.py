"""Synthetic access logs with a known ground truth.

Used to ship a sample history with the demo, to test ingest (per-minute
session starts, campaigns, flows, bots, garbage lines are all known), and to
benchmark. A session is a distinct client unless ``returning`` reuses one
after a gap longer than the idle timeout.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

BROWSERS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/22B83 Instagram 356.0.0.29.91",
)
BOTS = ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
        "python-requests/2.32.3", "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)")
ASSETS = ("/static/app.css", "/static/app.js", "/static/logo.svg", "/favicon.ico")
COLLECTIONS = ("winter-warmth", "candles", "textiles", "lighting", "tableware")
FLOWS = ("bounce", "browse", "cart", "checkout", "wallet")


@dataclass(frozen=True)
class Source:
    campaign: str | None
    landing: str  # path?query of the landing request


@dataclass
class Truth:
    per_minute: Counter[int] = field(default_factory=Counter)  # minute index -> sessions
    campaigns: Counter[str | None] = field(default_factory=Counter)
    flows: Counter[str] = field(default_factory=Counter)
    bot_requests: int = 0
    garbage: list[int] = field(default_factory=list)  # 1-based line numbers
    sessions: int = 0


def spike(at_min: float, peak: float, half_life_min: float) -> Callable[[float], float]:
    return lambda m: peak * 2 ** (-(m - at_min) / half_life_min) if m >= at_min else 0.0


def _session_hits(rng: random.Random, start: dt.datetime, src: Source, flow: str
                  ) -> list[tuple[dt.datetime, str, str, int]]:
    """(time, method, target, status) of one session, deepest step = flow."""
    t = start
    hits = [(t, "GET", src.landing, 200)]
    for a in rng.sample(ASSETS, 2):
        hits.append((t + dt.timedelta(milliseconds=rng.randint(50, 400)), "GET", a, 200))
    depth = FLOWS.index(flow)

    def later(method: str, target: str, status: int = 200) -> None:
        nonlocal t
        t += dt.timedelta(seconds=rng.uniform(3, 40))
        hits.append((t, method, target, status))

    if depth >= 1:
        later("GET", f"/collections/{rng.choice(COLLECTIONS)}")
        for _ in range(rng.randint(1, 3)):
            later("GET", f"/products/item-{rng.randint(1, 40)}")
    if depth >= 2:
        later("POST", "/api/cart/items")
        later("GET", "/api/cart")
    if depth == 3:
        later("POST", "/api/checkout")
        later("POST", "/api/checkout/c1/address")
        later("POST", "/api/checkout/c1/pay")
    if depth == 4:
        later("POST", "/api/wallet/pay")
    return hits


def access_log(start: dt.datetime, minutes: int, rate: Callable[[float], dict[Source, float]],
               *, seed: int = 1, flow_weights: tuple[float, ...] = (40, 30, 15, 10, 5),
               bots_per_min: float = 3.0, garbage_every: int = 0, returning: float = 0.05
               ) -> tuple[list[str], Truth]:
    """Log lines (time-ordered, combined format) and the truth they encode.

    ``rate(minute)`` gives sessions per minute per Source; counts per minute
    are drawn from Poisson so the curve looks real, and recorded as truth.
    """
    rng = random.Random(seed)
    truth = Truth()
    entries: list[tuple[dt.datetime, str]] = []
    ip_n = 0
    previous: list[tuple[str, str, dt.datetime]] = []  # (ip, ua, last hit) for returning clients

    def fmt(t: dt.datetime, ip: str, method: str, target: str, status: int, ua: str) -> str:
        stamp = t.strftime("%d/%b/%Y:%H:%M:%S %z")
        return (f'{ip} - - [{stamp}] "{method} {target} HTTP/1.1" {status} '
                f'{rng.randint(200, 40000)} "-" "{ua}"')

    for m in range(minutes):
        for src, per_min in rate(m).items():
            n = _poisson(rng, per_min)
            for _ in range(n):
                begin = start + dt.timedelta(minutes=m, seconds=rng.uniform(0, 59.999))
                back = previous[rng.randrange(len(previous))] if previous else None
                if (back and rng.random() < returning
                        and (begin - back[2]).total_seconds() > 1900):
                    ip, ua, _ = back
                    previous.remove(back)
                else:
                    ip_n += 1
                    ip = f"10.{ip_n >> 16 & 255}.{ip_n >> 8 & 255}.{ip_n & 255}"
                    ua = rng.choice(BROWSERS)
                flow = rng.choices(FLOWS, flow_weights)[0]
                hits = _session_hits(rng, begin, src, flow)
                previous.append((ip, ua, max(h[0] for h in hits)))
                if len(previous) > 2000:
                    previous.pop(0)
                for t, method, target, status in hits:
                    entries.append((t, fmt(t, ip, method, target, status, ua)))
                truth.per_minute[m] += 1
                truth.campaigns[src.campaign] += 1
                truth.flows[flow] += 1
                truth.sessions += 1
        for _ in range(_poisson(rng, bots_per_min)):
            t = start + dt.timedelta(minutes=m, seconds=rng.uniform(0, 59.999))
            target = rng.choice(("/", "/robots.txt", f"/products/item-{rng.randint(1, 40)}",
                                 "/collections/candles?utm_source=tiktok&utm_campaign=bf-noah"))
            entries.append((t, fmt(t, f"192.0.2.{rng.randint(1, 254)}", "GET", target, 200,
                                   rng.choice(BOTS))))
            truth.bot_requests += 1
    entries.sort(key=lambda e: e[0])
    lines = [line for _, line in entries]
    if garbage_every:
        junk = ("", "\x00\x01 binary junk", '127.0.0.1 - - [bad date] "GET / HTTP/1.1" 200 1',
                "GET /index.html", '10.0.0.1 - - [27/Nov/2026:20:00:00 +0100] "GET /')
        out = []
        for i, line in enumerate(lines):
            out.append(line)
            if (i + 1) % garbage_every == 0:
                out.append(junk[(i // garbage_every) % len(junk)] or "garbage")
                truth.garbage.append(len(out))
        lines = out
    return lines, truth


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 50:  # normal approximation, plenty for a traffic curve
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    k, p, limit = 0, 1.0, math.exp(-lam)
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
