"""DMARC records and where they are found: tag validation (RFC 7489 §6.3,
RFC 9989 "DMARC Policy Record" tags psd=, np=, t=) and the DNS Tree Walk of
RFC 9989 that finds a domain's policy record and its Organizational Domain
without the Public Suffix List.

Parsed by hand: the record is a tag=value list (checks.email_common.parse_tags)
with a dozen enumerated values; no maintained library validates it without
pulling in a PSL download and a resolver of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from peakready.checks.email._common import parse_tags

from peakready.email.dns import Answer, DnsContext, Outcome

POLICIES = ("none", "quarantine", "reject")  # weakest first
_VERSION = re.compile(r"^v\s*=\s*DMARC1\s*(;|$)")  # RFC 7489 §6.4: v=DMARC1 first, exactly
_URI = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):([^!]+)(?:!\d+[kmgtKMGT]?)?$")  # §6.4 dmarc-uri
_MAILBOX = re.compile(r"^[^@\s]+@([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+)\.?$")
_ENUMS = {"p": POLICIES, "sp": POLICIES, "np": POLICIES, "adkim": ("r", "s"),
          "aspf": ("r", "s"), "psd": ("y", "n", "u"), "t": ("y", "n")}
MAX_WALK_LABELS = 8  # RFC 9989, DNS Tree Walk: long names jump to their last 7 labels


def is_dmarc(text: str) -> bool:
    return bool(_VERSION.match(text))


@dataclass
class DmarcRecord:
    domain: str  # the domain it was published for (without _dmarc.)
    text: str
    tags: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    report_uris: list[tuple[str, str]] = field(default_factory=list)  # (tag, uri)

    def policy(self, tag: str) -> str | None:
        value = self.tags.get(tag)
        return value.lower() if value else None


def parse_record(domain: str, text: str) -> DmarcRecord:
    pairs, errors = parse_tags(text)
    rec = DmarcRecord(domain, text, {n.lower(): v for n, v in pairs}, errors)
    for tag, allowed in _ENUMS.items():
        value = rec.tags.get(tag)
        if value is not None and value.lower() not in allowed:
            rec.errors.append(f"{tag}={value}: must be one of {', '.join(allowed)}")
    if "p" not in rec.tags:  # RFC 7489 §6.3: REQUIRED
        rec.errors.append("p= is missing (RFC 7489 §6.3 requires it; receivers fall back "
                          "to p=none at best)")
    pct = rec.tags.get("pct")
    if pct is not None and not (pct.isdigit() and int(pct) <= 100):
        rec.errors.append(f"pct={pct}: must be an integer from 0 to 100")
    ri = rec.tags.get("ri")
    if ri is not None and not ri.isdigit():
        rec.errors.append(f"ri={ri}: must be a number of seconds")
    fo = rec.tags.get("fo")
    if fo is not None and any(x.strip() not in ("0", "1", "d", "s") for x in fo.split(":")):
        rec.errors.append(f"fo={fo}: options are 0, 1, d and s, separated by ':'")
    for tag in ("rua", "ruf"):
        for uri in filter(None, (u.strip() for u in rec.tags.get(tag, "").split(","))):
            m = _URI.match(uri)
            if not m or (m.group(1).lower() == "mailto" and not _MAILBOX.match(m.group(2))):
                rec.errors.append(f"{tag}: {uri!r} is not a mailto: URI with an address")
            else:
                rec.report_uris.append((tag, uri))
    return rec


def walk_targets(domain: str) -> list[str]:
    """RFC 9989 DNS Tree Walk: the domain, then (over 7 labels) its last 7
    labels, then one label fewer each step, down to the top-level domain."""
    labels = domain.split(".")
    out = [domain]
    rest = labels[-(MAX_WALK_LABELS - 1):] if len(labels) >= MAX_WALK_LABELS else labels[1:]
    while rest:
        out.append(".".join(rest))
        rest = rest[1:]
    return out


@dataclass
class Level:
    """What ``_dmarc.<domain>`` holds."""

    domain: str
    answer: Answer
    records: list[str]  # TXT strings starting with v=DMARC1
    ignored: list[str]  # other TXT strings there (receivers discard them)


def fetch(dns: DnsContext, domain: str) -> Level:
    ans = dns.lookup(f"_dmarc.{domain}", "TXT")
    texts = ans.texts()
    return Level(domain, ans, [t for t in texts if is_dmarc(t)],
                 [t for t in texts if not is_dmarc(t)])


def discover(dns: DnsContext, domain: str) -> list[Level]:
    """Policy discovery: walk up until the first level that holds a DMARC
    record (or DNS trouble); returns the levels asked, the last one decisive."""
    levels = []
    for target in walk_targets(domain):  # one by one: most walks stop at the first
        level = fetch(dns, target)
        levels.append(level)
        if level.answer.outcome is Outcome.ERROR or level.records:
            break
    return levels


def organizational_domain(dns: DnsContext, domain: str) -> tuple[str | None, Answer | None]:
    """RFC 9989, Organizational Domain: walk up; psd=n marks it, psd=y marks
    the label below; otherwise the shortest name with a record, else the
    domain itself. Returns (org domain, the failed answer on DNS trouble)."""
    targets = walk_targets(domain)
    dns.prefetch((f"_dmarc.{t}", "TXT") for t in targets)
    shortest = None
    for i, target in enumerate(targets):
        level = fetch(dns, target)
        if level.answer.outcome is Outcome.ERROR:
            return None, level.answer
        if len(level.records) != 1:
            continue
        psd = parse_record(target, level.records[0]).policy("psd")
        if psd == "n":
            return target, None
        if psd == "y":  # the name one label below the PSD's, on the way to ``domain``
            below = domain.split(".")[-(target.count(".") + 2):]
            return (".".join(below) if i else target), None
        shortest = target
    return shortest or domain, None
