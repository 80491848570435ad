"""The bulk-sender table: each Google / Yahoo / Microsoft requirement and
where the sending domains stand on it.

Built from the catalogue in ``peakready/email/bulk_sender.py`` and the findings that
name requirement ids in ``evidence["bulk_sender"]``. The worst status of
those findings wins (fail > error > warn > pass > skip), whatever the
gate level: the table says where the domains stand with the providers, not
whether it blocks this launch. A requirement no finding names says "not
checked"; one DNS cannot show says "not checkable from DNS", so the table
never implies more than was looked at.
"""

from __future__ import annotations

from dataclasses import dataclass

from peakready.email.bulk_sender import PROVIDERS, REQUIREMENTS
from peakready.findings import Finding, Status

PROVIDER_NAMES = {"google": "Google", "yahoo": "Yahoo", "microsoft": "Microsoft"}
_WORST = (Status.FAIL, Status.ERROR, Status.WARN, Status.PASS, Status.SKIP)
_STATUSES = {s.value for s in Status}
NOT_CHECKED = "not checked"
NOT_CHECKABLE = "not checkable from DNS"


@dataclass(frozen=True)
class BulkRow:
    requirement: str
    title: str
    providers: tuple[str, ...]
    status: str  # a Status value, NOT_CHECKED or NOT_CHECKABLE
    subjects: tuple[str, ...]  # subjects of the findings with the worst status


def requirement_ids(f: Finding) -> list[str]:
    ids = f.evidence.get("bulk_sender")
    if isinstance(ids, str):
        return [ids]
    return [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []


def rows(findings: list[Finding]) -> list[BulkRow]:
    named: dict[str, list[Finding]] = {}
    for f in findings:
        for rid in requirement_ids(f):
            named.setdefault(rid, []).append(f)
    out = []
    for req in REQUIREMENTS:
        fs = named.get(req.id, [])
        if fs:
            worst = min((f.status for f in fs), key=_WORST.index)
            status = worst.value
            subjects = tuple(sorted({f.subject for f in fs if f.status is worst}))
        else:
            status = NOT_CHECKED if req.checkable else NOT_CHECKABLE
            subjects = ()
        out.append(BulkRow(req.id, req.title, req.providers, status, subjects))
    return out


def table(findings: list[Finding]) -> tuple[list[str], list[list[object]]]:
    """requirement | Google | Yahoo | Microsoft | status | domains (worst status)."""
    head = ["requirement", *(PROVIDER_NAMES[p] for p in PROVIDERS), "status", "where"]
    body: list[list[object]] = []
    for r in rows(findings):
        marks = ["required" if p in r.providers else "-" for p in PROVIDERS]
        where = ", ".join(r.subjects[:5]) + (f" (+{len(r.subjects) - 5})"
                                             if len(r.subjects) > 5 else "")
        body.append([r.title, *marks, r.status.upper() if r.status in _STATUSES else r.status,
                     where or "-"])
    return head, body
