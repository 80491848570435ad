"""Campaign links: UTM tagging, landing pages, TLS certificates."""

from __future__ import annotations

from peakready.checks.check import Check
from peakready.checks.links import landing, tls, utm

ALL: tuple[Check, ...] = (utm.CHECK, landing.CHECK, tls.CHECK)
