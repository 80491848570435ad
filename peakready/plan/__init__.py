"""Scenario + history -> Plan: the arrival rate per campaign and flow after
the buffer (model, build, history), the session starts it turns into
(arrivals), the find-limit staircase (limit) and how a plan is shown
(show)."""
