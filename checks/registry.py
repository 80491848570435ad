"""The check registry: an explicit tuple, built from each area's own explicit
tuple (``checks/email/__init__.py`` lists the email checks, and so on), so
``peakready email`` can load one area alone. The scenario's ``checks:`` keys
are validated against ``IDS`` (``peakready.scenario.load``), so the two can
never drift; tests/test_registry.py fails when a check's id and its file
disagree or a check module is listed nowhere.
"""

from __future__ import annotations

from peakready.checks import attribution, email, links, load, promo
from peakready.checks.check import Check

ALL: tuple[Check, ...] = (*email.ALL, *links.ALL, *load.ALL, *promo.ALL, *attribution.ALL)

BY_ID: dict[str, Check] = {c.id: c for c in ALL}
IDS: frozenset[str] = frozenset(BY_ID)
