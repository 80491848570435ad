"""Promo codes: each code's promise, and usage limits under a checkout race."""

from __future__ import annotations

from peakready.checks.check import Check
from peakready.checks.promo import codes, race

ALL: tuple[Check, ...] = (codes.CHECK, race.CHECK)
