"""The load's own findings: service levels, the generator's health, headroom."""

from __future__ import annotations

from peakready.checks.check import Check
from peakready.checks.load import generator, headroom, slo

ALL: tuple[Check, ...] = (slo.CHECK, generator.CHECK, headroom.CHECK)
