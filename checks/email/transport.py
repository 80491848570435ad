"""MTA-STS and TLS-RPT (informational): transport security for mail sent *to*
the shop's domains (RFC 8461, RFC 8460).

What it checks: when ``_mta-sts.<domain>`` is published, it is exactly one
``v=STSv1`` record with an ``id=`` of 1–32 letters and digits (RFC 8461
§3.1), and the policy host ``mta-sts.<domain>`` resolves; when
``_smtp._tls.<domain>`` is published, it is exactly one ``v=TLSRPTv1`` record
with a ``rua=`` of mailto: or https: addresses (RFC 8460 §3). Absent records
are reported as skipped: both are optional.

Why it matters: neither is a bulk-sender requirement, but a malformed record
is worse than none — senders ignore it silently, and the shop believes its
inbound mail (orders, returns, customer replies) is protected when it is not.

How to fix: publish ``v=STSv1; id=<date or serial>`` together with the
policy file at ``https://mta-sts.<domain>/.well-known/mta-sts.txt``, change
``id`` whenever the policy changes, and ``v=TLSRPTv1;
rua=mailto:tls-reports@<domain>`` to receive failure reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from peakready.checks.check import Check, CheckContext, Need
from peakready.checks.email._common import dns_error, finding, for_each_domain, parse_tags

from peakready.email.config import EmailDomain
from peakready.email.dns import DnsContext, Outcome
from peakready.findings import Finding, Level, Status

_STS_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")  # RFC 8461 §3.1 sts-id
_RUA = re.compile(r"^(mailto:[^@\s]+@[^@\s]+|https://\S+)$")  # RFC 8460 §3 tlsrpt-uri


def _one(texts: list[str], prefix: str) -> tuple[list[str], list[str]]:
    """Records starting with ``prefix`` (the others are discarded by senders)."""
    ours = [t for t in texts if t.startswith(prefix)]
    return ours, [t for t in texts if not t.startswith(prefix)]


def _mta_sts(dns: DnsContext, domain: str) -> Iterator[Finding]:
    name = f"_mta-sts.{domain}"
    ans = dns.lookup(name, "TXT")
    if ans.outcome is Outcome.ERROR:
        yield dns_error(CHECK, domain, "mta-sts-dns-error", ans, ())
        return
    records, _ = _one(ans.texts(), "v=STSv1")
    if not records:
        yield finding(CHECK, domain, Status.SKIP, "mta-sts-absent",
                      f"no MTA-STS record at {name} (optional)", ())
        return
    problems = []
    if len(records) > 1:  # RFC 8461 §3.1: senders then assume no policy
        problems.append(f"{len(records)} v=STSv1 records")
    tags, errors = parse_tags(records[0])
    problems += errors
    sts_id = dict(tags).get("id")
    if sts_id is None or not _STS_ID.match(sts_id):
        problems.append(f"id={sts_id}: 1 to 32 letters and digits required")
    host = dns.lookup_many([(f"mta-sts.{domain}", "A"), (f"mta-sts.{domain}", "AAAA")])
    if all(h.void for h in host):
        problems.append(f"the policy host mta-sts.{domain} has no address")
    ev: dict[str, Any] = {"record": records[0], "records": records}
    if problems:
        yield finding(CHECK, domain, Status.WARN, "mta-sts-invalid",
                      "MTA-STS record present but unusable: " + "; ".join(problems), (),
                      {**ev, "problems": problems},
                      "Publish exactly one `v=STSv1; id=<serial>` record and serve the "
                      "policy at https://mta-sts.<domain>/.well-known/mta-sts.txt.")
    else:
        yield finding(CHECK, domain, Status.PASS, "mta-sts-ok",
                      f"MTA-STS record present (id={sts_id})", (), ev)


def _tls_rpt(dns: DnsContext, domain: str) -> Iterator[Finding]:
    name = f"_smtp._tls.{domain}"
    ans = dns.lookup(name, "TXT")
    if ans.outcome is Outcome.ERROR:
        yield dns_error(CHECK, domain, "tls-rpt-dns-error", ans, ())
        return
    records, _ = _one(ans.texts(), "v=TLSRPTv1")
    if not records:
        yield finding(CHECK, domain, Status.SKIP, "tls-rpt-absent",
                      f"no TLS-RPT record at {name} (optional)", ())
        return
    problems = [f"{len(records)} v=TLSRPTv1 records"] if len(records) > 1 else []
    tags, errors = parse_tags(records[0])
    problems += errors
    rua = [u.strip() for u in dict(tags).get("rua", "").split(",") if u.strip()]
    if not rua:
        problems.append("rua= is missing")
    problems += [f"rua {u!r} is not a mailto: or https: address" for u in rua
                 if not _RUA.match(u)]
    ev = {"record": records[0], "records": records}
    if problems:
        yield finding(CHECK, domain, Status.WARN, "tls-rpt-invalid",
                      "TLS-RPT record present but unusable: " + "; ".join(problems), (),
                      {**ev, "problems": problems},
                      "Publish exactly one `v=TLSRPTv1; rua=mailto:tls-reports@<domain>`.")
    else:
        yield finding(CHECK, domain, Status.PASS, "tls-rpt-ok",
                      f"TLS-RPT reports go to {', '.join(rua)}", (), ev)


def analyze(dns: DnsContext, d: EmailDomain) -> Iterator[Finding]:
    dns.prefetch([(f"_mta-sts.{d.name}", "TXT"), (f"_smtp._tls.{d.name}", "TXT")])
    yield from _mta_sts(dns, d.name)
    yield from _tls_rpt(dns, d.name)


def run(ctx: CheckContext) -> Iterator[Finding]:
    yield from for_each_domain(ctx, CHECK, analyze, ())


# Informational: at level warn by default, so a broken record warns and never blocks.
CHECK = Check(id="email.transport", title="MTA-STS and TLS-RPT (informational)", run=run,
              doc=__doc__ or "", needs=(Need.EMAIL,), default_level=Level.WARN)
