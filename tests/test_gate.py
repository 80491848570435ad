"""The verdict is a pure function of findings and levels."""

from __future__ import annotations

import pytest

from peakready.errors import ExitCode
from peakready.findings import Finding, Level, Status
from peakready.verdict import Verdict, apply_levels, verdict

HEALTH = frozenset({"load.generator"})


def f(check: str, status: str, level: str = "error") -> Finding:
    return Finding(check=check, subject="s", status=Status(status), code="c", summary="x",
                   level=Level(level))


@pytest.mark.parametrize(("findings", "errors_block", "expected"), [
    ([], True, Verdict.GO),
    ([f("a", "pass"), f("b", "skip")], True, Verdict.GO),
    ([f("a", "warn")], True, Verdict.GO_WITH_WARNINGS),
    ([f("a", "fail", "warn")], True, Verdict.GO_WITH_WARNINGS),
    ([f("a", "fail", "off")], True, Verdict.GO),
    ([f("a", "fail")], True, Verdict.NO_GO),
    ([f("a", "error")], True, Verdict.NO_GO),
    ([f("a", "error")], False, Verdict.GO_WITH_WARNINGS),
    ([f("load.generator", "fail")], True, Verdict.INCONCLUSIVE),
    ([f("load.generator", "fail", "warn")], True, Verdict.INCONCLUSIVE),
    ([f("load.generator", "fail"), f("a", "fail")], True, Verdict.NO_GO),
    ([f("load.generator", "fail"), f("a", "warn")], True, Verdict.INCONCLUSIVE),
])
def test_verdict(findings: list[Finding], errors_block: bool, expected: Verdict) -> None:
    assert verdict(findings, HEALTH, errors_block) is expected


@pytest.mark.parametrize(("v", "strict", "code"), [
    (Verdict.GO, False, ExitCode.GO), (Verdict.GO_WITH_WARNINGS, False, ExitCode.GO),
    (Verdict.GO_WITH_WARNINGS, True, ExitCode.NO_GO), (Verdict.NO_GO, False, ExitCode.NO_GO),
    (Verdict.INCONCLUSIVE, False, ExitCode.INCONCLUSIVE)])
def test_exit_codes(v: Verdict, strict: bool, code: ExitCode) -> None:
    assert v.exit_code(strict) is code


def test_apply_levels_defaults_to_error() -> None:
    raw = [Finding(check="a", subject="s", status=Status.FAIL, code="c", summary="x"),
           Finding(check="b", subject="s", status=Status.FAIL, code="c", summary="x")]
    out = apply_levels(raw, {"b": Level.WARN})
    assert [x.level for x in out] == [Level.ERROR, Level.WARN]
    assert raw[0].level is None  # findings are values: the input is untouched
