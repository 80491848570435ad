"""Shopper sessions against the storefront, replayed as an open workload.

Each session a ``ShopSession`` user takes from the replay's hand-out lands on
its campaign's link (with its UTMs), browses a collection and products, and
then, by its flow: leaves, abandons a cart, checks out natively with or
without the campaign's promo code, or pays with the wallet. Request names
are flow steps (``cart:add``), never raw URLs.

Each request is recorded for the replay (``peakready.load.recorder``) right here,
as well as reported to Locust's own statistics: a page view is sent, timed
and reported here (``page``), a checked step with Locust's own figure once
Locust has judged it. Recording here rather than in a process-wide request
listener saves a listener call per request and records only this class's
requests.

Runs under peakready, or on its own with Locust's web UI:

    locust -f locustfiles/storefront.py --scenario scenarios/demo.yaml \\
        --host http://127.0.0.1:8000
"""

from __future__ import annotations

import random
import time
from http.cookiejar import CookieJar
from typing import Any

import gevent
import requests
from locust import constant, events, task
from locust.contrib.fasthttp import FAILURE_EXCEPTIONS, FastHttpUser
from locust.env import Environment
from peakready.locustfiles import fastsend, hooks, replay
from peakready.locustfiles.replay import ReplayShape

from peakready import flows as F
from peakready.flows import FlowKind
from peakready.plan.arrivals import Arrival

__all__ = ["ReplayShape", "ShopSession"]

LANDING, LANDING_SCHEDULED = F.LANDING, F.LANDING_SCHEDULED
CATALOG: dict[str, list[str]] = {}  # collection -> product slugs, fetched once per process


class StepFailed(Exception):
    pass


class QuietCookieJar(CookieJar):
    """The stdlib cookie jar, minus its locking and policy work when there is
    nothing to do: no cookie to send, no Set-Cookie to read. Most requests of
    a cookie-less storefront cost ~30 µs less (bench/generator.py)."""

    def add_cookie_header(self, request: Any) -> None:
        if self._cookies:  # type: ignore[attr-defined]
            super().add_cookie_header(request)

    def extract_cookies(self, response: Any, request: Any) -> None:
        info = response.info()
        if info.get_all("Set-Cookie") or info.get_all("Set-Cookie2"):
            super().extract_cookies(response, request)


@events.test_start.add_listener
def _load_catalog(environment: Environment, **_: Any) -> None:
    if CATALOG or hooks.host_problem(environment):
        return
    try:
        resp = requests.get(f"{environment.host}/api/products", timeout=10)
        resp.raise_for_status()
        for p in resp.json()["products"]:
            CATALOG.setdefault(p["collection"], []).append(p["slug"])
    except (requests.RequestException, ValueError, KeyError) as exc:
        replay.log.error("could not read the catalog from %s/api/products: %s",
                         environment.host, exc)


class ShopSession(FastHttpUser):
    wait_time = constant(0)

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        jar = QuietCookieJar()
        self.client.cookiejar = jar
        self.client.client.cookiejar = jar
        self.campaign: str | None = None  # the current session's
        # what FastHttpSession.request would send with every GET
        self.page_headers = {"Accept-Encoding": "gzip, deflate, br"}
        if self.client.auth_header:
            self.page_headers["Authorization"] = self.client.auth_header
        r = replay.REPLAY
        if r is not None:
            self.network_timeout = r.scenario.load.request_timeout
            self.connection_timeout = min(10.0, r.scenario.load.request_timeout)

    @task
    def sessions(self) -> None:
        """Serve session starts back to back for as long as this user lives
        (Locust stops a user by killing its greenlet).

        Looping here rather than returning to Locust after each session saves
        its task-scheduling overhead per session (see bench/generator.py).
        """
        r = replay.REPLAY
        if r is None or r.t0 is None:
            gevent.sleep(0.2)
            return
        take, ended = r.take, r.recorder.ended
        while True:
            a, counts = take()
            self.campaign = a.campaign
            r.busy += 1
            try:
                self.run_flow(r, a)
            except StepFailed:
                ended(counts, False)
            else:
                ended(counts, True)
            finally:
                r.busy -= 1

    # -- one session -------------------------------------------------------------
    def run_flow(self, r: replay.Replay, a: Arrival) -> None:
        kind = r.plan.flow_kinds[a.flow]
        jar = self.client.cookiejar
        if jar._cookies:  # type: ignore[attr-defined]  # a new shopper: no cookies
            jar.clear()
        landing = r.plan.campaign_landing.get(a.campaign or "", "/")
        self.page(r, LANDING, landing)
        r.recorder.timing(a.t, LANDING_SCHEDULED, (time.monotonic() - r.t0 - a.t) * 1000)
        if kind is FlowKind.BOUNCE:
            return
        rng = random.Random(r.plan.seed * 1_000_003 + a.seq)  # the same session every run
        think = r.scenario.load.think_time

        def pause() -> None:
            gevent.sleep(rng.uniform(think.min, think.max))

        collection = rng.choice(sorted(CATALOG)) if CATALOG else "winter-warmth"
        pause()
        self.page(r, F.COLLECTION, f"/collections/{collection}")
        products = CATALOG.get(collection) or ["chunky-knit-throw"]
        viewed = [rng.choice(products) for _ in range(r.plan.flow_products.get(a.flow, 1))]
        for slug in viewed:
            pause()
            self.page(r, F.PRODUCT, f"/products/{slug}")
        if kind is FlowKind.BROWSE:
            return
        pause()
        self.step(F.CART_ADD, "POST", "/api/cart/items",
                  json={"product": viewed[0], "quantity": rng.randint(1, 2)})
        pause()
        self.step(F.CART_VIEW, "GET", "/api/cart")
        if kind is FlowKind.CART:
            return
        pause()
        recorder = r.recorder
        recorder.session("order_attempts", a.t, a.campaign, a.flow)
        if kind is FlowKind.WALLET:
            paid = self.step(F.WALLET_PAY, "POST", "/api/wallet/pay",
                             json={"wallet_token": f"tok_{a.seq}"})
            recorder.session("orders", a.t, a.campaign, a.flow)
            recorder.order(r.now(), str(paid["order_id"]), a.campaign, a.flow,
                           paid.get("promo_codes") or None)
            return
        started = self.step(F.CHECKOUT_START, "POST", "/api/checkout")
        cid = started["checkout_id"]
        code = r.plan.campaign_promo.get(a.campaign or "")
        if kind is FlowKind.PROMO_CHECKOUT and code:
            pause()
            self.step(F.CHECKOUT_PROMO, "POST", "/api/cart/promo", json={"code": code},
                      fatal=False)
        pause()
        self.step(F.CHECKOUT_ADDRESS, "POST", f"/api/checkout/{cid}/address", json={
            "email": f"shopper{a.seq}@example.test",
            "address": {"name": "Sam Shopper", "street": "1 Load Lane", "city": "Testville",
                        "postcode": "10115", "country": "DE"}})
        pause()
        self.step(F.CHECKOUT_SHIPPING, "POST", f"/api/checkout/{cid}/shipping",
                  json={"method": "standard"})
        pause()
        paid = self.step(F.CHECKOUT_PAY, "POST", f"/api/checkout/{cid}/pay",
                         json={"card_number": "4242 4242 4242 4242"})
        recorder.session("orders", a.t, a.campaign, a.flow)
        recorder.order(r.now(), str(paid["order_id"]), a.campaign, a.flow,
                       paid.get("promo_codes") or None)

    def page(self, r: replay.Replay, name: str, path: str) -> None:
        """A page view, reported to Locust as a custom client reports a request.

        Page views are most of a replay's requests and need none of the
        options of ``FastHttpSession.request``; they go through Locust's own
        safe-mode send with prebuilt headers (``fastsend``, the one private
        Locust call, isolated there), and this method fires Locust's request
        event itself: ~4 % less generator CPU per request. Locust's statistics see them as usual;
        errors and 4xx/5xx are failures, as Locust itself marks them."""
        if r.limiter is not None:
            r.limiter.acquire()
        session = self.client
        url = path if "://" in path else session.base_url + path
        wall = time.time()
        began = time.perf_counter()
        resp = fastsend.send(session, "GET", url, self.page_headers)
        try:
            length = len(resp.content) if resp.content else 0
        except FAILURE_EXCEPTIONS as exc:  # the body broke off
            resp.error, length = exc, 0
        ms = (time.perf_counter() - began) * 1000
        error = getattr(resp, "error", None)
        session.request_event.fire(request_type="GET", name=name, response_time=ms,
                                   response_length=length, exception=error, context={},
                                   response=resp, start_time=wall, url=url)
        r.recorder.request(time.monotonic() - r.t0, name, ms, error is not None, self.campaign,
                           None if error is None else describe(error))
        if not resp.status_code or resp.status_code >= 400:
            raise StepFailed(name)

    def step(self, name: str, method: str, path: str, json: Any = None,
             fatal: bool = True) -> Any:
        """One request of the flow; a failure ends the session unless not fatal."""
        r = replay.REPLAY
        assert r is not None
        if r.limiter is not None:
            r.limiter.acquire()
        checked = self.client.request(method, path, name=name, json=json, catch_response=True)
        try:
            return self._check(checked, name, fatal)
        finally:  # Locust has judged and reported it by now: record the same
            meta = checked.request_meta
            error = meta.get("exception")
            r.recorder.request(r.now(), name, meta.get("response_time") or 0.0,
                               error is not None, self.campaign,
                               None if error is None else describe(error))

    @staticmethod
    def _check(checked: Any, name: str, fatal: bool) -> Any:
        with checked as resp:
            if not resp.status_code:
                resp.failure(f"{type(resp.error).__name__}: {resp.error}")
                if fatal:
                    raise StepFailed(name)
                return None
            if not 200 <= resp.status_code < 300:
                resp.failure(f"HTTP {resp.status_code}: {(resp.text or '')[:200]}".strip())
                if fatal:
                    raise StepFailed(name)
                return None
            if name in (F.CHECKOUT_START, F.CHECKOUT_PAY, F.WALLET_PAY):
                try:
                    data = resp.json()
                except ValueError:
                    resp.failure("response is not JSON")
                    raise StepFailed(name) from None
                key = "checkout_id" if name == F.CHECKOUT_START else "order_id"
                if key not in data:
                    resp.failure(f"response has no {key}")
                    raise StepFailed(name)
                return data
            return None


def describe(error: Any) -> str:
    """A failure's first line, as the report lists it."""
    text = str(error) or type(error).__name__
    return text.splitlines()[0][:300]
