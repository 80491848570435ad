"""Attribution: the orders the replay placed carry their campaign."""

from __future__ import annotations

from peakready.checks.attribution import orders
from peakready.checks.check import Check

ALL: tuple[Check, ...] = (orders.CHECK,)
