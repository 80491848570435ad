"""Edge cases of the report's pure parts, as YAML case files
(tests/cases/report.*.yaml) turned into parametrized tests: the
bulk-sender table, JUnit outcomes, baseline finding changes and delta text."""

from __future__ import annotations

from typing import Any

import pytest
from peakready.reports import baseline, bulk, junit
from peakready.reports.model import Report, ScenarioInfo

from peakready.findings import Finding, Level, Status
from peakready.verdict import Verdict
from tests.support.cases import cases


def finding(spec: dict[str, Any], check: str = "email.x") -> Finding:
    evidence = {"bulk_sender": spec["bulk_sender"]} if "bulk_sender" in spec else {}
    return Finding(check=spec.get("check", check), subject=spec.get("subject", "s"),
                   status=Status(spec.get("status", "pass")), code=spec.get("code", "c"),
                   summary="-", evidence=evidence, level=Level(spec.get("level", "error")))


def report(findings: list[dict[str, Any]]) -> Report:
    return Report(scenario=ScenarioInfo(name="cases"), verdict=Verdict.GO, exit_code=0,
                  findings=[finding(f, check="c") for f in findings])


@pytest.mark.parametrize("case", cases("report.bulk_sender"))
def test_bulk_sender(case: dict[str, Any]) -> None:
    rows = {r.requirement: r for r in bulk.rows([finding(f) for f in case["findings"]])}
    assert {rid: rows[rid].status for rid in case["expect"]} == case["expect"]
    for rid, subjects in case.get("where", {}).items():
        assert list(rows[rid].subjects) == subjects


@pytest.mark.parametrize("case", cases("report.junit"))
def test_junit_outcome(case: dict[str, Any]) -> None:
    assert junit.outcome([finding(f) for f in case["findings"]]) == case["expect"]


@pytest.mark.parametrize("case", cases("report.baseline"))
def test_baseline_changes(case: dict[str, Any]) -> None:
    comp = baseline.compare(report(case["after"]), report(case["before"]))
    got: dict[str, Any] = {}
    for c in comp.findings:
        got.setdefault(c.change, []).append(f"{c.subject}/{c.code}")
    expect = dict(case["expect"])
    still = expect.pop("still_open", None)
    assert got == expect
    if still is not None:
        assert comp.still_open == still


@pytest.mark.parametrize("case", cases("report.deltas"))
def test_delta_text(case: dict[str, Any]) -> None:
    assert baseline.change(case["before"], case["after"], case["unit"]) == case["expect"]
