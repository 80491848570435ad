"""The golden result (tests/fixtures/golden/report.json, a NO-GO Black Friday
rehearsal written by tests/fixtures/make_golden.py)."""

from __future__ import annotations

from peakready.reports.model import Report

from peakready import reports
from tests.support.paths import TESTS

GOLDEN = TESTS / "fixtures" / "golden"


def golden() -> Report:
    return reports.load_report(GOLDEN / "report.json")
