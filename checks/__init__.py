"""The check registry: an explicit tuple, from which the scenario's
``checks:`` keys are validated, so the two can never drift."""

from __future__ import annotations

from checks import (
    attribution,
    email_dkim,
    email_dmarc,
    email_policy,
    email_spf,
    generator,
    headroom,
    links,
    promo,
    promo_race,
    slo,
    tls,
    utm,
)
from peakready.findings import Check

ALL: tuple[Check, ...] = (
    email_spf.CHECK,
    email_dkim.CHECK,
    email_dmarc.CHECK,
    email_policy.CHECK,
    utm.CHECK,
    links.CHECK,
    tls.CHECK,
    slo.CHECK,
    generator.CHECK,
    headroom.CHECK,
    promo.CHECK,
    promo_race.CHECK,
    attribution.CHECK,
)

BY_ID: dict[str, Check] = {c.id: c for c in ALL}
