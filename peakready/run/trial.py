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
    ``report`` sees every request, ``kept`` what each step captured."""
    campaign = scenario.campaigns[0] if scenario.campaigns else None
    values = session_values(seq, "trial", campaign)
    shopper = ShopSession.start(profile, RequestsTransport(http, scenario.load.request_timeout),
                                base_url, values, random.Random(seq), report=report)

    def run(step: str, action: Callable[[], object]) -> None:
        before = dict(shopper.values)
        try:
            action()
        finally:
            if kept is not None:
                kept(step, {k: v for k, v in shopper.values.items()
                            if k not in before or before[k] != v})

    run("landing", lambda: shopper.land(keep=kind is not FlowKind.BOUNCE))
    for step in flow_steps(kind, products, code=bool(values["code"])):
        try:
            run(step, lambda step=step: shopper.step(step))
        except StepFailed:
            if step not in OPTIONAL:
                raise
    return shopper


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
