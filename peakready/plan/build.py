"""The plan a scenario asks for: its history replayed with the buffer, or its
constant rate, capped at ``load.max_sessions_per_min``."""

from __future__ import annotations

from peakready.plan.history import history_plan
from peakready.plan.model import Plan, apply_cap, constant_plan
from peakready.scenario.model import Scenario


def build_plan(scenario: Scenario) -> Plan:
    """The plan a scenario asks for: its history replayed, or a constant rate."""
    if scenario.traffic is not None:
        return history_plan(scenario)
    plan = constant_plan(scenario)
    cap = scenario.load.max_sessions_per_min
    if cap is not None:
        apply_cap(plan, cap / 60)
    return plan
