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
from typing import Any

import gevent
import requests
from locust import constant, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.env import Environment

from locustfiles import replay
from locustfiles.replay import ReplayShape, Ticket
from peakready import flows as F
from peakready.flows import FlowKind

__all__ = ["ReplayShape", "ShopSession"]

CATALOG: dict[str, list[str]] = {}  # collection -> product slugs, fetched once per process


class StepFailed(Exception):
    pass


@events.test_start.add_listener
def _load_catalog(environment: Environment, **_: Any) -> None:
    if CATALOG or replay.host_problem(environment):
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
        self._ctx: dict[str, Any] = {}
        r = replay.REPLAY
        if r is not None:
            self.network_timeout = r.scenario.load.request_timeout
            self.connection_timeout = min(10.0, r.scenario.load.request_timeout)

    def context(self) -> dict[str, Any]:
        return self._ctx

    @task
    def session(self) -> None:
        r = replay.REPLAY
        if r is None or r.t0 is None:
            gevent.sleep(0.2)
            return
        ticket = r.take()
        if ticket is None:
            return
        a = ticket.arrival
        self._ctx = {"campaign": a.campaign, "flow": a.flow}
        with r.serving():
            try:
                self.run_flow(r, ticket)
            except StepFailed:
                r.recorder.session("failed", a.t, a.campaign, a.flow)
            else:
                r.recorder.session("completed", a.t, a.campaign, a.flow)

    # -- one session -------------------------------------------------------------
    def run_flow(self, r: replay.Replay, ticket: Ticket) -> None:
        a = ticket.arrival
        kind = r.plan.flow_kinds[a.flow]
        rng = random.Random(f"{r.plan.seed}:{a.seq}")
        think = r.scenario.load.think_time
        self.client.cookiejar.clear()  # a new shopper

        def pause() -> None:
            gevent.sleep(rng.uniform(think.min, think.max))

        landing = r.plan.campaign_landing.get(a.campaign or "", "/")
        self.step(F.LANDING, "GET", landing)
        r.recorder.timing(a.t, F.LANDING_SCHEDULED, (time.monotonic() - ticket.due) * 1000)
        if kind is FlowKind.BOUNCE:
            return
        collection = rng.choice(sorted(CATALOG)) if CATALOG else "winter-warmth"
        pause()
        self.step(F.COLLECTION, "GET", f"/collections/{collection}")
        products = CATALOG.get(collection) or ["chunky-knit-throw"]
        viewed = [rng.choice(products) for _ in range(r.plan.flow_products.get(a.flow, 1))]
        for slug in viewed:
            pause()
            self.step(F.PRODUCT, "GET", f"/products/{slug}")
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
