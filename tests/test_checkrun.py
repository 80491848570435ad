"""The check runner turns crashes and timeouts into error findings."""

from __future__ import annotations

import time

from peakready.checkrun import run_checks
from peakready.findings import Check, CheckContext, Phase, Status
from peakready.scenario import Scenario
from tests.conftest import demo_data


def _ctx(**checks: dict) -> CheckContext:
    return CheckContext(scenario=Scenario.model_validate(demo_data(checks=checks)))


def _ok(ctx, options):
    yield CHECK_OK.finding("x", Status.PASS, "ok", "fine")


def _boom(ctx, options):
    raise RuntimeError("kaput")


def _slow(ctx, options):
    time.sleep(2)
    return []


CHECK_OK = Check(id="t.ok", title="ok", area="t", run=_ok)
BOOM = Check(id="t.boom", title="boom", area="t", run=_boom)
SLOW = Check(id="t.slow", title="slow", area="t", run=_slow, timeout=0.2)
POST = Check(id="t.post", title="post", area="t", run=_ok, phase=Phase.POST)


def test_crash_timeout_and_phase() -> None:
    started = time.monotonic()
    out = run_checks([CHECK_OK, BOOM, SLOW, POST], _ctx(), Phase.PRE)
    assert time.monotonic() - started < 1.5  # the slow one did not stall the run
    by = {f.check: f for f in out}
    assert set(by) == {"t.ok", "t.boom", "t.slow"}
    assert by["t.ok"].status is Status.PASS
    assert by["t.boom"].status is Status.ERROR and "kaput" in by["t.boom"].summary
    assert by["t.slow"].status is Status.ERROR and by["t.slow"].code == "check-timeout"


def test_off_checks_are_skipped() -> None:
    out = run_checks([CHECK_OK], _ctx(**{"links.utm": {"level": "off"}}), Phase.PRE)
    assert [f.status for f in out] == [Status.PASS]
    from checks import utm

    out = run_checks([utm.CHECK], _ctx(**{"links.utm": {"level": "off"}}), Phase.PRE)
    assert [(f.status, f.code) for f in out] == [(Status.SKIP, "check-off")]
