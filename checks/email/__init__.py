"""Email authentication of the sending domains: SPF, DKIM, DMARC and transport
policy. ``ALL`` lets ``peakready email`` load this area alone."""

from __future__ import annotations

from peakready.checks.check import Check
from peakready.checks.email import dkim, dmarc, spf, transport

ALL: tuple[Check, ...] = (spf.CHECK, dkim.CHECK, dmarc.CHECK, transport.CHECK)
