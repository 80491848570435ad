"""What the email checks share: the sending domains, one finding shape
(with the bulk-sender requirements it affects), DNS trouble as ``error``,
tag=value lists, and checking domains concurrently under a deadline.

Bulk-sender ids (peakready/email/bulk_sender.py): a pass names the requirements it
shows met; a fail, error or warn names the requirements it breaks or puts at
risk, and none when the requirement still holds (``p=none`` meets "DMARC
published", a 1024-bit key meets "at least 1024 bits"), so the report's
bulk-sender table never shows a met requirement as a problem.
"""

from __future__ import annotations

import concurrent.futures as cf
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from peakready.checks.check import Check, CheckContext

from peakready.email.bulk_sender import BY_ID as REQUIREMENTS
from peakready.email.config import EmailDomain
from peakready.email.dns import Answer, DnsContext, of
from peakready.findings import Finding, Status

DomainFn = Callable[[DnsContext, EmailDomain], Iterable[Finding]]
_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # RFC 6376 §3.2 tag-name
_VALCHARS = re.compile(r"^[\x21-\x3a\x3c-\x7e]+(?:[ \t\r\n]+[\x21-\x3a\x3c-\x7e]+)*$")


def finding(check: Check, subject: str, status: Status, code: str, summary: str,
            bulk: Sequence[str], evidence: dict[str, Any] | None = None,
            remediation: str = "") -> Finding:
    unknown = [b for b in bulk if b not in REQUIREMENTS]
    assert not unknown, f"unknown bulk-sender requirement ids {unknown}"
    ev = {**(evidence or {}), "bulk_sender": list(bulk)}
    return check.finding(subject, status, code, summary, evidence=ev, remediation=remediation)


def dns_error(check: Check, subject: str, code: str, answer: Answer,
              bulk: Sequence[str]) -> Finding:
    """DNS trouble is "could not evaluate": never a fail, never a pass."""
    return finding(
        check, subject, Status.ERROR, code,
        f"could not evaluate: the DNS lookup of {answer.name} {answer.rdtype} failed: "
        f"{answer.error}", bulk,
        evidence={"query": f"{answer.name} {answer.rdtype}", "error": answer.error,
                  "error_kind": answer.error_kind, "source": answer.source},
        remediation="Nothing is known yet about this record. Check that the nameserver "
                    "answers (dig @server NAME TXT), then re-run; a SERVFAIL usually means "
                    "a broken zone or DNSSEC, a REFUSED a server that does not serve the zone.")


def parse_tags(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """RFC 6376 §3.2 tag=value list (DMARC uses the same, RFC 7489 §6.4):
    returns the (name, value) pairs in order and the syntax problems."""
    pairs: list[tuple[str, str]] = []
    errors: list[str] = []
    parts = text.split(";")
    if parts and not parts[-1].strip():
        parts.pop()  # a trailing ";" is allowed
    for part in parts:
        if not part.strip():
            errors.append("an empty tag between two ';'")
            continue
        name, eq, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not _TAG.match(name):
            errors.append(f"{part.strip()!r} is not a tag=value pair")
            continue
        if value and not _VALCHARS.match(value):
            errors.append(f"{name}= has characters not allowed in a tag value")
            continue
        if any(n == name for n, _ in pairs):
            errors.append(f"tag {name}= appears more than once (RFC 6376 §3.2)")
            continue
        pairs.append((name, value))
    return pairs, errors


def domains(ctx: CheckContext) -> list[EmailDomain]:
    return list(ctx.email.domains) if ctx.email is not None else []


def for_each_domain(ctx: CheckContext, check: Check, fn: DomainFn,
                    bulk: Sequence[str]) -> Iterator[Finding]:
    """Run ``fn`` for every sending domain at once; one that does not finish
    within the deadline becomes an ``error`` finding and never holds the others."""
    todo = domains(ctx)
    dns = of(ctx.resolver)
    if dns is None:
        for d in todo:
            yield finding(check, d.name, Status.ERROR, "dns-unavailable",
                          "could not evaluate: the run has no DNS resolver", bulk,
                          remediation="Run through `peakready run` or `peakready email`, "
                                      "which set one up.")
        return
    if not todo:
        return
    deadline = max(ctx.timeout, 2 * dns.timeout)
    # One thread per domain (they wait on the network, not the CPU): a domain never
    # queues behind slow ones, so its deadline is its own.
    pool = cf.ThreadPoolExecutor(max_workers=min(64, len(todo)),
                                 thread_name_prefix=check.id)
    try:
        futures = [(d, pool.submit(lambda d=d: list(fn(dns, d)))) for d in todo]
        started = time.monotonic()
        for d, fut in futures:
            try:
                yield from fut.result(timeout=max(0.0, started + deadline - time.monotonic()))
            except cf.TimeoutError:
                yield finding(
                    check, d.name, Status.ERROR, "domain-timeout",
                    f"could not evaluate: the DNS lookups for {d.name} took longer than "
                    f"{deadline:g}s", bulk, evidence={"deadline_s": deadline},
                    remediation="A nameserver answers slowly or not at all; check it "
                                "(dig +trace NAME) and re-run.")
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
