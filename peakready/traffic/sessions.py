"""Sessions from request logs: who started one, when, through which campaign,
and how deep they went.

A client is its IP and user agent; a client idle for ``idle_s`` (default 30
minutes, GA4's session timeout) starts a new session. A session's campaign
is the ``utm_campaign`` (with source and medium) of its landing request; its
flow is the deepest step it reached: bounce < browse < cart < checkout <
wallet. Obvious bots are excluded and counted. Written here because the
request-log sessionizers that exist (GoAccess, AWStats) are programs with
their own report formats, not libraries.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

FLOW_ORDER = ("bounce", "browse", "cart", "checkout", "wallet")
CART_DEPTH = FLOW_ORDER.index("cart")

DEFAULT_PATHS: dict[str, list[str]] = {
    "wallet": [r"/api/wallet", r"wallet", r"apple-?pay", r"google-?pay", r"shop-?pay",
               r"paypal"],
    "checkout": [r"/checkouts?(/|$|\?)", r"/api/checkout"],
    "cart": [r"/cart", r"/basket", r"/bag(/|$)"],
    "browse": [r"/products?/", r"/collections?/", r"/categor(y|ies)/", r"/shop/", r"/search"],
}

# Self-declared crawlers, link-preview fetchers, monitors and HTTP libraries.
DEFAULT_BOTS = (r"bot\b|bot/|crawler|spider|slurp|crawl|facebookexternalhit|embedly|preview|"
                r"curl/|wget/|python-requests|python-urllib|go-http-client|okhttp|java/|"
                r"headless|phantomjs|lighthouse|pingdom|uptime|monitor|statuscake|"
                r"semrush|ahrefs|mj12|petalbot|bytespider|gptbot|ccbot")

ASSET = re.compile(r"\.(css|js|mjs|map|png|jpe?g|gif|webp|avif|svg|ico|woff2?|ttf|eot|"
                   r"mp4|webm|json|xml|txt)$", re.IGNORECASE)


@dataclass(frozen=True)
class Hit:
    """One request from a log, already parsed."""

    at: dt.datetime  # timezone-aware
    client: str  # ip + user agent
    user_agent: str
    method: str
    target: str  # path?query
    status: int


@dataclass
class Session:
    start: dt.datetime
    last: dt.datetime
    landing: str
    campaign: str | None
    source: str | None
    medium: str | None
    depth: int = 0


@dataclass
class Classifier:
    paths: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_PATHS))
    bots: str = DEFAULT_BOTS
    extra_bots: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._flows = [(FLOW_ORDER.index(f), re.compile("|".join(self.paths[f]), re.I))
                       for f in ("wallet", "checkout", "cart", "browse") if self.paths.get(f)]
        self._bot = re.compile("|".join([self.bots, *self.extra_bots]), re.IGNORECASE)
        self._bot_cache: dict[str, bool] = {}

    def is_bot(self, user_agent: str) -> bool:
        known = self._bot_cache.get(user_agent)
        if known is None:  # user agents repeat: the regex runs once per distinct one
            known = not user_agent or user_agent == "-" or bool(self._bot.search(user_agent))
            if len(self._bot_cache) < 100_000:
                self._bot_cache[user_agent] = known
        return known

    def depth(self, target: str) -> int:
        for depth, rx in self._flows:
            if rx.search(target):
                return depth
        return 0


def is_page(hit: Hit) -> bool:
    """A request a person lands on: a successful or redirected GET of a non-asset."""
    path = hit.target.split("?", 1)[0]
    return hit.method == "GET" and 200 <= hit.status < 400 and not ASSET.search(path)


def utm_of(target: str) -> tuple[str | None, str | None, str | None]:
    q = dict(parse_qsl(urlsplit(target).query))
    return (q.get("utm_campaign") or None, q.get("utm_source") or None,
            q.get("utm_medium") or None)


@dataclass
class Sessionizer:
    """Streams hits (roughly in time order) and emits finished sessions."""

    classifier: Classifier
    idle_s: float = 1800.0
    active: dict[str, Session] = field(default_factory=dict)
    bot_hits: int = 0
    bot_clients: set[str] = field(default_factory=set)
    _last_sweep: dt.datetime | None = None

    def feed(self, hits: Iterable[Hit]) -> Iterable[Session]:
        idle = dt.timedelta(seconds=self.idle_s)
        for hit in hits:
            if self.classifier.is_bot(hit.user_agent):
                self.bot_hits += 1
                self.bot_clients.add(hit.client)
                continue
            s = self.active.get(hit.client)
            if s is not None and hit.at - s.last > idle:
                yield self.active.pop(hit.client)
                s = None
            if s is None:
                if not is_page(hit):
                    continue  # an asset or API call cannot start a session
                campaign, source, medium = utm_of(hit.target)
                s = self.active[hit.client] = Session(hit.at, hit.at, hit.target, campaign,
                                                      source, medium)
                # landing on a collection is still a bounce until a second page;
                # landing straight on the cart or checkout counts
                landing_depth = self.classifier.depth(hit.target)
                s.depth = landing_depth if landing_depth >= CART_DEPTH else 0
            else:
                s.last = max(s.last, hit.at)
                if not ASSET.search(hit.target.split("?", 1)[0]):
                    s.depth = max(s.depth, self.classifier.depth(hit.target))
            if self._last_sweep is None or hit.at - self._last_sweep > idle:
                yield from self._sweep(hit.at - idle)
                self._last_sweep = hit.at

    def _sweep(self, before: dt.datetime) -> Iterable[Session]:
        """Sessions idle since before ``before`` are over: emit them, free memory."""
        done = [c for c, s in self.active.items() if s.last < before]
        for c in done:
            yield self.active.pop(c)

    def flush(self) -> Iterable[Session]:
        yield from self.active.values()
        self.active = {}
