"""Shopper sessions against the target shop, replayed as an open workload.

Each session a ``Shopper`` user takes from the replay's hand-out lands on its
campaign's link (with its UTMs) and then takes its flow's steps — browse,
cart, native checkout with or without the campaign's promo code, wallet —
through the scenario's shop profile (peakready.shops): no request here knows
one shop's API. Request names are flow steps (``cart:add``), never URLs.

Requests go through Locust's own client (its safe-mode send, ``fastsend``) as
a custom client sends them: timed here, judged by the profile, and reported
once to Locust's statistics (a failed judgement is a failure with its reason)
and to the replay's recorder (``peakready.load.recorder``). Recording here
rather than in a process-wide request listener saves a listener call per
request and records only this class's requests.

Runs under peakready, or on its own with Locust's web UI:

    locust -f locustfiles/storefront.py --scenario scenarios/demo.yaml \\
        --host http://127.0.0.1:8000
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Mapping
from http.cookiejar import CookieJar
from typing import Any

import gevent
from locust import constant, task
from locust.contrib.fasthttp import FAILURE_EXCEPTIONS, FastHttpUser
from locust.env import Environment
from peakready.locustfiles import (
    fastsend,
    hooks,  # noqa: F401  (the run's Locust event wiring)
    replay,
)
from peakready.locustfiles.replay import ReplayShape

from peakready import flows as F
from peakready.flows import FlowKind
from peakready.plan.arrivals import Arrival
from peakready.shops.answer import Answer
from peakready.shops.flow import OPTIONAL, flow_steps
from peakready.shops.profile import MUTATING
from peakready.shops.session import Sent, ShopSession, StepFailed

__all__ = ["ReplayShape", "Shopper"]

LANDING, LANDING_SCHEDULED = F.LANDING, F.LANDING_SCHEDULED


class SessionFailed(Exception):
    """The session ended at a step that failed (already reported)."""


class QuietCookieJar(CookieJar):
    """The stdlib cookie jar, minus its locking and policy work when there is
    nothing to do: no cookie to send, no Set-Cookie to read. Most requests of
    a cookie-less storefront cost ~30 µs less (bench/generator.py).

    With cookies, the Cookie header the stdlib builds (several URL parses and
    a policy walk per request) is kept and sent again while nothing could
    change it: the same jar contents (any cookie set or cleared starts over),
    the same origin, the same second (expiry), and every cookie on path `/`
    (then the request's path does not matter)."""

    def __init__(self) -> None:
        super().__init__()
        self._version = 0
        self._header: tuple[tuple[Any, ...], str | None] | None = None

    def set_cookie(self, cookie: Any) -> None:
        self._version += 1
        super().set_cookie(cookie)

    def clear(self, *args: Any) -> None:
        self._version += 1
        super().clear(*args)

    def add_cookie_header(self, request: Any) -> None:
        if not self._cookies:  # type: ignore[attr-defined]
            return
        where = getattr(request, "url_split", None)
        key = (self._version, int(time.time()),
               (where.scheme, where.host, where.port) if where is not None else None)
        kept = self._header
        if kept is not None and kept[0] == key and where is not None:
            if kept[1] is not None:
                request.add_unredirected_header("Cookie", kept[1])
            return
        had = request.has_header("Cookie")
        super().add_cookie_header(request)
        if where is not None and not had and all(c.path == "/" for c in self):
            self._header = (key, request.get_header("Cookie"))

    def extract_cookies(self, response: Any, request: Any) -> None:
        info = response.info()
        if info.get_all("Set-Cookie") or info.get_all("Set-Cookie2"):
            super().extract_cookies(response, request)


class Shopper(FastHttpUser):
    wait_time = constant(0)

    def __init__(self, environment: Environment) -> None:
        r = replay.REPLAY
        if r is not None:  # before super().__init__: it builds the client with them
            self.network_timeout = r.scenario.load.request_timeout
            self.connection_timeout = min(10.0, r.scenario.load.request_timeout)
        super().__init__(environment)
        jar = QuietCookieJar()
        self.client.cookiejar = jar
        self.client.client.cookiejar = jar
        self.campaign: str | None = None  # the current session's
        # what FastHttpSession.request would send with every GET
        self.page_headers = {"Accept-Encoding": "gzip, deflate, br"}
        if self.client.auth_header:
            self.page_headers["Authorization"] = self.client.auth_header
        fastsend.follow_no_redirects(self.client)
        self._wall = 0.0
        self._resp: Any = None
        self._cookies = _Cookies(self.client)
        self._reads_headers = r is not None and r.profile is not None and r.profile.reads_headers

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
        # a worker builds its users before the master's plan (and scenario) arrive:
        # the pool connects on first use with these, and nothing was sent yet
        timeout = r.scenario.load.request_timeout
        self.client.client.clientpool.client_args.update(
            network_timeout=timeout, connection_timeout=min(10.0, timeout))
        take, ended = r.take, r.recorder.ended
        while True:
            a, counts = take()
            self.campaign = a.campaign
            r.busy += 1
            try:
                self.run_flow(r, a)
            except SessionFailed:
                ended(counts, False)
            else:
                ended(counts, True)
            finally:
                r.busy -= 1

    # -- one session -------------------------------------------------------------
    def run_flow(self, r: replay.Replay, a: Arrival) -> None:
        """One session: the campaign's landing, then each step of its flow through
        the shop profile (peakready.shops), every request reported as it ends."""
        kind = r.plan.flow_kinds[a.flow]
        jar = self.client.cookiejar
        if jar._cookies:  # type: ignore[attr-defined]  # a new shopper: no cookies
            jar.clear()
        values = r.session_start(a, self.client.base_url)
        bounce = kind is FlowKind.BOUNCE
        if bounce:  # lands and leaves: none of the profile's values is needed
            shopper = ShopSession(r.profile, self, self.client.base_url, values,
                                  page_headers=self.page_headers, report=self.report)
        else:
            shopper = ShopSession.start(r.profile, self, self.client.base_url, values,
                                        random.Random(r.plan.seed * 1_000_003 + a.seq),
                                        page_headers=self.page_headers, report=self.report)
        # from the scheduled start to the landing's answer (or its failure): what a
        # shopper waiting in line feels; a session killed meanwhile (a stop) has none
        try:
            shopper.land(keep=not bounce)
        except StepFailed:
            r.recorder.timing(a.t, LANDING_SCHEDULED, (time.monotonic() - r.t0 - a.t) * 1000)
            raise SessionFailed(LANDING) from None
        r.recorder.timing(a.t, LANDING_SCHEDULED, (time.monotonic() - r.t0 - a.t) * 1000)
        if bounce:
            return
        think = r.scenario.load.think_time
        rng = shopper.rng
        recorder = r.recorder
        code = bool(values["code"])
        for step in flow_steps(kind, r.plan.flow_products.get(a.flow, 1), code):
            gevent.sleep(rng.uniform(think.min, think.max))
            if step in MUTATING:
                recorder.session("order_attempts", a.t, a.campaign, a.flow)
            try:
                shopper.step(step)
            except StepFailed:
                if step in OPTIONAL:
                    continue
                raise SessionFailed(step) from None
            if step in MUTATING:
                recorder.session("orders", a.t, a.campaign, a.flow)
                recorder.order(r.now(), str(shopper.values.get("order_id", "")), a.campaign,
                               a.flow, codes_text(shopper.values.get("order_codes")))

    def send(self, step: str, sent: Sent) -> Answer:
        """The transport of the shop profile's requests: Locust's own client,
        through its safe-mode send (``fastsend``), no redirect followed (the
        profile engine follows them on the target's origin only)."""
        r = replay.REPLAY
        if r is not None and r.limiter is not None:
            r.limiter.acquire()
        self._wall = time.time()
        began = time.perf_counter()
        resp = fastsend.send(self.client, sent.method, sent.url, sent.headers, sent.body)
        try:
            body = resp.content or b""
        except FAILURE_EXCEPTIONS as exc:  # the body broke off
            resp.error, body = exc, b""
        ms = (time.perf_counter() - began) * 1000
        error = getattr(resp, "error", None)
        status = resp.status_code or 0
        self._resp = resp
        if status == 0 or (error is not None and status < 300):  # no usable answer
            return Answer(0, url=sent.url, elapsed_ms=ms,
                          error=describe(error) if error is not None else "no answer")
        # headers cost a parse: handed over for a redirect, or when the profile reads one
        headers = resp.headers if 300 <= status < 400 or self._reads_headers else _NONE
        return Answer(status, body, headers, sent.url, self._cookies, elapsed_ms=ms)

    def report(self, step: str, sent: Sent, answer: Answer, failure: str | None) -> None:
        """One request, as Locust's statistics and the replay's recorder see it:
        a custom client's request event (errors and refusals are failures)."""
        r = replay.REPLAY
        assert r is not None
        exception = None if failure is None else StepError(failure)
        self.client.request_event.fire(
            request_type=sent.method, name=step, response_time=answer.elapsed_ms,
            response_length=len(answer.body), exception=exception, context={},
            response=self._resp, start_time=self._wall, url=sent.url)
        r.recorder.request(time.monotonic() - r.t0, step, answer.elapsed_ms,
                           failure is not None, self.campaign,
                           None if failure is None else describe(failure))


_NONE: Mapping[str, str] = {}


class StepError(Exception):
    """A step that did not do what the shop profile says (its reason)."""


class _Cookies(Mapping[str, str]):
    """The shopper's cookies, read only when a capture asks for one."""

    def __init__(self, client: Any) -> None:
        self._jar = client.cookiejar

    def _all(self) -> dict[str, str]:
        return {c.name: c.value for c in self._jar}

    def __getitem__(self, name: str) -> str:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def codes_text(codes: Any) -> str | None:
    """The codes an order carries, as the report shows them (``A,B``)."""
    if isinstance(codes, list):
        codes = ",".join(str(c) for c in codes if c)
    return str(codes) if codes else None


def describe(error: Any) -> str:
    """A failure's first line, as the report lists it."""
    text = str(error) or type(error).__name__
    return text.splitlines()[0][:300]
