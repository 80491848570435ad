"""The trial before the load: one session of each flow the scenario replays,
through the shop profile, slowly and in order. A flow that cannot complete
means the profile does not fit the shop — bad input (exit 2), found before
any load, never a NO-GO blamed on the shop and never a silent fallback.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import requests

from peakready.errors import BadInput
from peakready.flows import FlowKind
from peakready.scenario.model import Scenario
from peakready.shops.answer import Answer
from peakready.shops.flow import OPTIONAL, flow_steps
from peakready.shops.pools import masker
from peakready.shops.profile import Profile
from peakready.shops.session import Sent, ShopSession, StepFailed, session_values
from peakready.shops.transport import RequestsTransport

Report = Callable[[str, Sent, Answer, str | None], None]
Kept = Callable[[str, dict[str, Any]], None]


def trial_session(profile: Profile, scenario: Scenario, kind: FlowKind, base_url: str,
                  http: requests.Session, products: int = 1, seq: int = 0,
                  report: Report | None = None, kept: Kept | None = None) -> ShopSession:
    """One session of ``kind`` (its first campaign's link and code);
    StepFailed names the step that did not do what the profile says.
    ``report`` sees every request, ``kept`` what each step captured; neither,
    nor a failure's reason and answer, shows the values of the session's
    secret data pools (test cards: peakready.shops.pools.masker)."""
    campaign = scenario.campaigns[0] if scenario.campaigns else None
    values = session_values(seq, "trial", campaign)
    shopper = ShopSession.start(profile, RequestsTransport(http, scenario.load.request_timeout),
                                base_url, values, random.Random(seq), report=report)
    hide = masker(profile, shopper.values)
    if hide is not None:
        shopper.report, kept = _masking(hide, report, kept)
    try:
        _steps(shopper, kind, products, kept)
    except StepFailed as exc:
        if hide is None:
            raise
        raise StepFailed(exc.step, hide(exc.reason),
                         None if exc.answer is None else _masked_answer(exc.answer, hide),
                         None if exc.message is None else hide(exc.message)) from None
    return shopper


def _masking(hide: Callable[[str], str], report: Report | None,
             kept: Kept | None) -> tuple[Report | None, Kept | None]:
    """``report`` and ``kept``, seeing masked requests, answers and values."""
    def masked_report(step: str, sent: Sent, answer: Answer, failure: str | None) -> None:
        assert report is not None
        report(step, _masked_sent(sent, hide), _masked_answer(answer, hide),
               None if failure is None else hide(failure))

    def masked_kept(step: str, values: dict[str, Any]) -> None:
        assert kept is not None
        kept(step, {k: hide(v) if isinstance(v, str) else v for k, v in values.items()})

    return (None if report is None else masked_report), (None if kept is None else masked_kept)


def _masked_sent(sent: Sent, hide: Callable[[str], str]) -> Sent:
    body = sent.body
    if body is not None:
        body = hide(body.decode("utf-8", "replace")).encode()
    return Sent(sent.method, hide(sent.url), {k: hide(v) for k, v in sent.headers.items()},
                body)


def _masked_answer(answer: Answer, hide: Callable[[str], str]) -> Answer:
    return Answer(answer.status, hide(answer.text), answer.headers, hide(answer.url),
                  answer.cookies, answer.error, answer.elapsed_ms)


def _steps(shopper: ShopSession, kind: FlowKind, products: int, kept: Kept | None) -> None:

    def run(step: str, action: Callable[[], object]) -> None:
        before = dict(shopper.values)
        try:
            action()
        finally:
            if kept is not None:
                kept(step, {k: v for k, v in shopper.values.items()
                            if k not in before or before[k] != v})

    run("landing", lambda: shopper.land(keep=kind is not FlowKind.BOUNCE))
    for step in flow_steps(kind, products, code=bool(shopper.values["code"])):
        try:
            run(step, lambda step=step: shopper.step(step))
        except StepFailed:
            if step not in OPTIONAL:
                raise


def trial(scenario: Scenario, base_url: str) -> int:
    """One session per flow kind of the scenario; BadInput when one fails.
    Returns how many sessions ran."""
    profile = scenario.shop_profile()
    if profile is None:
        return 0
    kinds = list(dict.fromkeys(f.kind for f in scenario.flows if f.kind is not FlowKind.BOUNCE))
    for n, kind in enumerate(kinds):
        with requests.Session() as http:
            try:
                trial_session(profile, scenario, kind, base_url, http, seq=n)
            except StepFailed as exc:
                raise BadInput(
                    f"the shop profile {profile.name!r} does not fit the shop at {base_url}: "
                    f"a trial {kind.value} session failed at {exc.step}: {exc.reason}",
                    ["fix the profile (shop: in the scenario), then try it with "
                     "`peakready shop try SCENARIO --flow " + kind.value + "`"]) from None
    return len(kinds)
