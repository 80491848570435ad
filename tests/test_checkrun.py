"""The check runner: the one place that turns crashes and timeouts into error
findings, and that skips a check (turned off, lacking a need, nothing to check)."""

from __future__ import annotations

import time

import pytest
from peakready.checks.check import Check, CheckContext, Need, Phase
from peakready.checks.links import utm
from peakready.checks.runner import run_checks

from peakready.email.config import Email
from peakready.findings import Level, Status
from peakready.scenario.model import Scenario
from tests.support.scenarios import demo_data


def _ctx(**checks: dict) -> CheckContext:
    return CheckContext(scenario=Scenario.model_validate(demo_data(checks=checks)))


def _ok(ctx: CheckContext):
    yield CHECK_OK.finding("x", Status.PASS, "ok", "fine")


def _boom(ctx: CheckContext):
    raise RuntimeError("kaput")


def _slow(ctx: CheckContext):
    time.sleep(2)
    return []


CHECK_OK = Check(id="t.ok", title="ok", run=_ok)
BOOM = Check(id="t.boom", title="boom", run=_boom)
SLOW = Check(id="t.slow", title="slow", run=_slow, timeout=0.2)
POST = Check(id="t.post", title="post", run=_ok, phase=Phase.POST)


def test_crash_timeout_and_phase() -> None:
    started = time.monotonic()
    out = run_checks([CHECK_OK, BOOM, SLOW, POST], _ctx(), Phase.PRE)
    assert time.monotonic() - started < 1.5  # the slow one did not stall the run
    by = {f.check: f for f in out}
    assert set(by) == {"t.ok", "t.boom", "t.slow"}
    assert by["t.ok"].status is Status.PASS
    assert by["t.boom"].status is Status.ERROR and "kaput" in by["t.boom"].summary
    assert by["t.slow"].status is Status.ERROR and by["t.slow"].code == "check-timeout"


def test_off_checks_are_skipped_by_the_policy_levels() -> None:
    ctx = _ctx(**{"links.utm": {"level": "off"}})
    levels = ctx.the_scenario.levels([CHECK_OK, utm.CHECK])
    assert levels == {"t.ok": Level.ERROR, "links.utm": Level.OFF}
    out = run_checks([CHECK_OK, utm.CHECK], ctx, Phase.PRE, levels)
    assert [(f.check, f.status, f.code) for f in out] == [
        ("links.utm", Status.SKIP, "check-off"), ("t.ok", Status.PASS, "ok")]


@pytest.mark.parametrize(("needs", "ctx", "missing"), [
    ((Need.EMAIL,), CheckContext(), "sending domains"),
    ((Need.SCENARIO,), CheckContext(email=Email(domains=["shop.test"])), "a scenario"),
    ((Need.PROMO,), CheckContext(scenario=Scenario.model_validate(demo_data(promo=None))),
     "promo"),
    ((Need.LOAD_RESULT,), CheckContext(scenario=Scenario.model_validate(demo_data())), "load"),
    ((Need.HTTP,), CheckContext(), "HTTP session"),
])
def test_a_check_lacking_a_need_is_skipped_and_says_which(
        needs: tuple[Need, ...], ctx: CheckContext, missing: str) -> None:
    calls = []
    check = Check(id="t.needy", title="needy", run=lambda c: calls.append(c) or [],
                  needs=needs)
    [f] = run_checks([check], ctx, Phase.PRE)
    assert (f.status, f.code) == (Status.SKIP, "nothing-to-check")
    assert missing in f.summary and not calls


def test_email_context_without_a_scenario() -> None:
    ctx = CheckContext(email=Email(domains=["shop.test"]))
    assert ctx.missing((Need.EMAIL,)) == [] and ctx.missing((Need.SCENARIO,)) == [
        Need.SCENARIO]
    with pytest.raises(RuntimeError, match=r"Need\.SCENARIO"):
        _ = ctx.the_scenario


def test_applies_hook_says_why_there_is_nothing_to_check() -> None:
    check = Check(id="t.app", title="app", run=_ok, applies=lambda c: "no links here")
    [f] = run_checks([check], _ctx(), Phase.PRE)
    assert (f.status, f.code, f.summary) == (Status.SKIP, "nothing-to-check", "no links here")

    broken = Check(id="t.app2", title="app2", run=_ok, applies=lambda c: 1 / 0)
    [f] = run_checks([broken], _ctx(), Phase.PRE)
    assert (f.status, f.code) == (Status.ERROR, "check-crashed")


def test_a_misspelt_need_fails_at_import() -> None:
    with pytest.raises(AttributeError):
        _ = Need.EMIAL  # type: ignore[attr-defined]
