"""One shopper's session through a shop profile: build each step's request
from the session's values, send it through a transport (``requests`` for
checks and `shop try`, Locust's client for the load), follow redirects on the
target's own origin only, judge the answer and keep what the step captures.

The transport only sends one request and reports what came back; everything
a profile means is done here, once, for both, so a profile that works in
`peakready shop try` works the same under load.
"""

from __future__ import annotations

import functools
import json
import os
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlencode, urljoin, urlsplit

from peakready.shops.answer import Answer
from peakready.shops.pools import Pools
from peakready.shops.pools import of as pools_of
from peakready.shops.profile import ENV, Capture, Expect, Part, Profile, Request
from peakready.shops.template import MissingValue, Tree

MAX_REDIRECTS = 10
_SHARED = random.Random()


class StepFailed(Exception):
    """A step that did not do what the profile says: the reason names the step
    and shows what came back (truncated; a report escapes it)."""

    def __init__(self, step: str, reason: str, answer: Answer | None = None,
                 message: str | None = None) -> None:
        super().__init__(f"{step}: {reason}")
        self.step, self.reason, self.answer = step, reason, answer
        self.message = message  # the shop's own error or refusal message, when it gave one


@dataclass(slots=True)
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None = None


class Transport(Protocol):
    def send(self, step: str, sent: Sent) -> Answer:
        """Send one request, follow no redirect; status 0 when nothing came back."""
        ...


@functools.lru_cache(maxsize=64)
def _origin(base_url: str) -> str:
    """``scheme://host[:port]`` of the target: a path starting with `/` is on it
    (what ``urljoin`` would give, without its cost on every request)."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def _same_origin(url: str, base_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def env_value(name: str, env: Mapping[str, str]) -> str:
    """A secret for a header, read when used; trailing line breaks (as from
    `$(cat token)`) are dropped, other control characters refused."""
    if name not in env:
        raise MissingValue(f"${{{name}}} (environment variable)")
    value = env[name].rstrip("\r\n")
    if any(ord(c) < 32 and c != "\t" for c in value):
        raise ValueError(f"the environment variable {name} holds a control character")
    return value


def build(step: str, request: Request, values: Mapping[str, Any], base_url: str,
          env: Mapping[str, str] = os.environ) -> Sent:
    t = request.templates
    try:
        where = t["path"].value(values)
        query = {k: v.render(values) for k, v in t["query"].items()}
        headers = {k: ENV.sub(lambda m: env_value(m.group(1), env), v.render(values))
                   for k, v in t["headers"].items()}
        body: bytes | None = None
        if "json" in t:
            tree = t["json"]
            body = t["json_bytes"] if tree.constant else json.dumps(tree.render(values)).encode()
            headers.setdefault("Content-Type", "application/json")
        elif "form" in t:
            body = urlencode(t["form"].render(values), doseq=True).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif request.graphql is not None:
            doc: dict[str, Any] = {"query": request.graphql.query,
                                   "variables": t["variables"].render(values)}
            if request.graphql.operation:
                doc["operationName"] = request.graphql.operation
            body = json.dumps(doc).encode()
            headers.setdefault("Content-Type", "application/json")
    except MissingValue as exc:
        raise StepFailed(step, f"{exc}: capture it in an earlier step, or give it in the "
                               "profile's values") from None
    where = str(where)
    url = _origin(base_url) + where if where.startswith("/") else where
    if not where.startswith("/") and not _same_origin(url, base_url):
        raise StepFailed(step, f"{{{t['path'].whole}}} is {str(where)[:200]!r}, not a path on "
                               f"the target {base_url}")
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query)
    return Sent(request.method, url, headers, body)


def judge(step: str, expect: Expect, answer: Answer) -> None:
    if answer.status == 0:
        raise StepFailed(step, f"no answer: {answer.error or 'connection failed'}", answer)
    for where in expect.errors:
        message = where.compiled.apply(answer)
        if message:
            said = " ".join(str(message).split())[:300]
            raise StepFailed(step, f"the shop answered with an error ({where.compiled.where}): "
                                   f"{said}", answer, said)
    if answer.status not in expect.accepted:
        raise StepFailed(step, f"HTTP {answer.status}, expected {_statuses(expect.status)}: "
                               f"{answer.excerpt()}", answer)
    match = expect.compiled_match
    if match is not None:
        if not answer.is_json():
            raise StepFailed(step, f"expected a JSON answer, got: {answer.excerpt()}", answer)
        if not match.apply(answer):
            raise StepFailed(step, f"`{expect.match}` is not true in the answer: "
                                   f"{answer.excerpt()}", answer)
    contains = expect.compiled_contains
    if contains is not None and not contains.apply(answer):
        raise StepFailed(step, f"the answer does not contain /{expect.contains}/: "
                               f"{answer.excerpt()}", answer)


def _statuses(codes: list[int] | None) -> str:
    if codes is None or codes == list(range(200, 300)):
        return "2xx"
    return ", ".join(map(str, codes))


def capture(step: str, captures: Mapping[str, Capture], answer: Answer,
            rng: random.Random) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for name, spec in captures.items():
        value = spec.compiled.apply(answer, rng)
        if value is None or value == []:
            if spec.optional:
                continue  # an optional capture that finds nothing keeps the value it had
            raise StepFailed(step, f"capture {name!r} ({spec.compiled.where}) found nothing "
                                   f"in: {answer.excerpt()}", answer)
        kept[name] = value
    return kept


@dataclass(slots=True)
class ShopSession:
    """One shopper: their values, their captures, their transport (cookies)."""

    profile: Profile
    transport: Transport
    base_url: str
    values: dict[str, Any] = field(default_factory=dict)
    rng: random.Random = field(default=_SHARED)  # start() gives each session its own
    page_headers: dict[str, str] = field(default_factory=dict)  # sent with the landing
    env: Mapping[str, str] | None = None  # default: os.environ, read when a header needs it
    # called once per request with what became of it (None: it did what the
    # profile says): the load reports it to Locust and the recorder, `shop try` prints it
    report: Callable[[str, Sent, Answer, str | None], None] | None = None

    @classmethod
    def start(cls, profile: Profile, transport: Transport, base_url: str,
              session: Mapping[str, Any], rng: random.Random | None = None,
              pools: Pools | None = None, **kw: Any) -> ShopSession:
        """A session with its own values: the session's, a row of each of the
        profile's data pools (``pools``: default, the profile's, read once),
        then the profile's ``values`` rendered with them (a pool replaces a
        value of its name)."""
        values = dict(session)
        values.setdefault("base_url", base_url.rstrip("/"))
        rng = rng or random.Random()
        if pools is None and profile.pools:
            pools = pools_of(profile)
        rows = pools.draw(rng) if pools is not None else None
        if rows:
            values.update(rows)
        for name, template in profile.value_templates.items():
            if rows and name in rows:
                continue
            try:
                values[name] = template.render(values)
            except MissingValue:
                values[name] = profile.values[name]
        return cls(profile, transport, base_url.rstrip("/"), values, rng, **kw)

    def send(self, step: str, sent: Sent) -> Answer:
        """Send and follow redirects on the target's own origin (a redirect to
        any other host fails the step: load never leaves the allowed target)."""
        for _ in range(MAX_REDIRECTS + 1):
            answer = self.transport.send(step, sent)
            location = answer.headers.get("Location") if 300 <= answer.status < 400 else None
            if not location:
                self.last_sent = sent
                return answer
            target = urljoin(sent.url, location)
            if not _same_origin(target, self.base_url):
                failed = StepFailed(step, f"redirected to another host: {target[:200]}", answer)
                self._report(step, sent, answer, failed.reason)
                raise failed
            self._report(step, sent, answer, None)
            keep = answer.status in (307, 308)
            sent = Sent(sent.method if keep else "GET", target,
                        {k: v for k, v in sent.headers.items()
                         if keep or k.lower() != "content-type"},
                        sent.body if keep else None)
        raise StepFailed(step, f"more than {MAX_REDIRECTS} redirects")

    def _report(self, step: str, sent: Sent, answer: Answer, failure: str | None) -> None:
        if self.report is not None:
            self.report(step, sent, answer, failure)

    def judged(self, step: str, answer: Answer, expect: Expect,
               keep: dict[str, Capture]) -> None:
        """Judge the final answer of a request, keep its captures, report it."""
        try:
            judge(step, expect, answer)
            if keep:
                self.values.update(capture(step, keep, answer, self.rng))
        except StepFailed as exc:
            self._report(step, self.last_sent or Sent("GET", answer.url, {}), answer,
                         exc.reason)
            raise
        self._report(step, self.last_sent or Sent("GET", answer.url, {}), answer, None)

    def run_part(self, step: str, part: Part) -> Answer:
        try:
            sent = build(step, part.request, self.values, self.base_url,
                     os.environ if self.env is None else self.env)
        except StepFailed as exc:  # nothing was sent: still a failure of the step, said once
            self._report(step, Sent(part.request.method, self.base_url + part.request.path, {}),
                         Answer(0, error=exc.reason), exc.reason)
            raise
        answer = self.send(step, sent)
        self.judged(step, answer, part.expect, part.capture)
        return answer

    last_sent: Sent | None = field(default=None, init=False)  # the final request of a hop

    def step(self, name: str) -> Answer:
        """Every request of one step, in order; StepFailed on the first that fails."""
        parts = self.profile.steps.get(name)
        if not parts:
            raise StepFailed(name, f"the profile {self.profile.name!r} has no step {name!r}")
        answer = Answer(0)
        for part in parts:
            answer = self.run_part(name, part)
        return answer

    def land(self, keep: bool = True) -> Answer:
        """Open the campaign's link (``{landing}``), judge it and, unless the
        session ends there (``keep=False``), keep what the profile captures."""
        url = self.values.get("landing_url") or urljoin(
            self.base_url + "/", str(self.values.get("landing") or "/"))
        answer = self.send("landing", Sent("GET", url, self.page_headers))
        landing = self.profile.landing
        self.judged("landing", answer, landing.expect, landing.capture if keep else {})
        return answer


def session_values(seq: int, run: str, campaign: Any | None, quantity: int = 1
                   ) -> dict[str, Any]:
    """The values every session starts with: its unique id, its campaign's link,
    code and UTMs (``campaign`` is a scenario Campaign, or None)."""
    values: dict[str, Any] = {"session": f"{run}-{seq}", "seq": seq, "quantity": quantity,
                              "campaign": "", "code": "", "link": "", "landing": "/"}
    if campaign is not None:
        values.update(campaign=campaign.name, code=campaign.promo_code or "",
                      link=campaign.link, landing=campaign.landing_path())
        query = urlsplit(campaign.landing or campaign.link).query
        for key, value in (kv.split("=", 1) for kv in query.split("&") if "=" in kv):
            if key.startswith("utm_"):
                values[key] = value
    return values


def template_names(profile: Profile) -> set[str]:
    """Every placeholder the profile's requests use (for static checks)."""
    names: set[str] = set()
    for parts in profile.steps.values():
        for part in parts:
            names |= part.request.names()
    for value in profile.values.values():
        names |= Tree.compile(value).names
    return names

