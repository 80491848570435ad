"""Shopper sessions against the storefront, replayed as an open workload.

Each session a ``ShopSession`` user takes from the arrival scheduler lands on
its campaign's link (with its UTMs), browses a collection and products, and
then, by its flow: leaves, abandons a cart, checks out natively with or
without the campaign's promo code, or pays with the wallet. Request names
are flow steps (``cart:add``), never raw URLs.

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
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment

from locustfiles import hooks, replay  # hooks: registers the Locust event listeners
from locustfiles.replay import ReplayShape, Ticket
from peakready import flows as F
from peakready.flows import FlowKind

__all__ = ["ReplayShape", "ShopSession"]

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
        self._ctx: dict[str, Any] = {}
        r = replay.REPLAY
        if r is not None:
            self.network_timeout = r.scenario.load.request_timeout
            self.connection_timeout = min(10.0, r.scenario.load.request_timeout)

    def context(self) -> dict[str, Any]:
        return self._ctx

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
        while True:
            ticket = r.take()
            a = ticket.arrival
            self._ctx = {"campaign": a.campaign, "flow": a.flow}
            r.busy += 1
            try:
                self.run_flow(r, ticket)
            except StepFailed:
                r.recorder.session("failed", a.t, a.campaign, a.flow)
            else:
                r.recorder.session("completed", a.t, a.campaign, a.flow)
            finally:
                r.busy -= 1

    # -- one session -------------------------------------------------------------
    def run_flow(self, r: replay.Replay, ticket: Ticket) -> None:
        a = ticket.arrival
        kind = r.plan.flow_kinds[a.flow]
        jar = self.client.cookiejar
        if jar._cookies:  # type: ignore[attr-defined]  # a new shopper: no cookies
            jar.clear()
        landing = r.plan.campaign_landing.get(a.campaign or "", "/")
        self.page(F.LANDING, landing)
        r.recorder.timing(a.t, F.LANDING_SCHEDULED, (time.monotonic() - ticket.due) * 1000)
        if kind is FlowKind.BOUNCE:
            return
        rng = random.Random(r.plan.seed * 1_000_003 + a.seq)  # the same session every run
        think = r.scenario.load.think_time

        def pause() -> None:
            gevent.sleep(rng.uniform(think.min, think.max))

        collection = rng.choice(sorted(CATALOG)) if CATALOG else "winter-warmth"
        pause()
        self.page(F.COLLECTION, f"/collections/{collection}")
        products = CATALOG.get(collection) or ["chunky-knit-throw"]
        viewed = [rng.choice(products) for _ in range(r.plan.flow_products.get(a.flow, 1))]
        for slug in viewed:
            pause()
            self.page(F.PRODUCT, f"/products/{slug}")
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

    def page(self, name: str, path: str) -> None:
        """A page view: Locust itself marks errors and 4xx/5xx as failures."""
        r = replay.REPLAY
        if r is not None and r.limiter is not None:
            r.limiter.acquire()
        resp = self.client.request("GET", path, name=name)
        if not resp.status_code or resp.status_code >= 400:
            raise StepFailed(name)

    def step(self, name: str, method: str, path: str, json: Any = None,
             fatal: bool = True) -> Any:
        """One request of the flow; a failure ends the session unless not fatal."""
        r = replay.REPLAY
        if r is not None and r.limiter is not None:
            r.limiter.acquire()
        with self.client.request(method, path, name=name, json=json,
                                 catch_response=True) as resp:
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
