"""DMARC: what receivers do with mail that fails SPF and DKIM alignment, and
where they send reports (RFC 7489, and its successor RFC 9989).

What it checks: each sending domain is covered by exactly one valid
``v=DMARC1`` record, at ``_dmarc.<domain>`` or found by the RFC 9989 DNS
Tree Walk above it (missing everywhere fails); its tags parse; the policy
that applies to this domain is reported (``p=`` for the domain itself,
``sp=`` when it inherits from a parent); ``p=none`` warns (it meets the
bulk-sender rules but protects nothing); ``sp=``/``np=`` weaker than ``p=``,
``pct`` below 100 (RFC 7489; RFC 9989 drops ``pct`` and adds ``t=y``),
``t=y`` and no ``rua=`` warn; a ``rua``/``ruf`` address in another
organization's domain needs that domain's ``<domain>._report._dmarc``
authorization record (RFC 7489 §7.1), or receivers drop the reports.

Why it matters: Google, Yahoo and Microsoft require a DMARC record from
bulk senders. Without reports nobody sees spoofing or a broken ESP setup
before the campaign; with ``p=none`` spoofed "Black Friday deals" reach the
inbox with the shop's name on them.

How to fix: publish ``v=DMARC1; p=none; rua=mailto:dmarc@<domain>`` first,
read the reports for a few weeks, then move to ``p=quarantine`` and
``p=reject``; authorize external report addresses at the receiving side.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from peakready.checks.check import Check, CheckContext, Need
from peakready.checks.email._common import dns_error, finding, for_each_domain
from peakready.checks.email._dmarc_record import (
    POLICIES,
    Level,
    discover,
    organizational_domain,
    parse_record,
)

from peakready.email.config import EmailDomain
from peakready.email.dns import DnsContext, Outcome
from peakready.findings import Finding, Status

BULK = ("dmarc",)

FIX = {
    "dmarc-missing": "Publish a TXT record at _dmarc.<domain>: `v=DMARC1; p=none; "
                     "rua=mailto:dmarc@<domain>`, then tighten the policy.",
    "dmarc-multiple": "Keep one v=DMARC1 record: with several, receivers apply none "
                      "(RFC 7489 §6.6.3).",
    "dmarc-syntax": "Fix the tags named in the evidence (RFC 7489 §6.3); an invalid record "
                    "is ignored.",
    "dmarc-policy-none": "Move to p=quarantine, then p=reject, once the aggregate reports "
                         "show all your senders pass.",
    "dmarc-sp-weaker": "Set sp= to the same policy as p= (or remove sp=), unless a "
                       "subdomain really still needs the weaker one.",
    "dmarc-np-weaker": "Set np= (non-existent subdomains) at least as strict as p=: nobody "
                       "legitimately sends from a name that does not exist.",
    "dmarc-pct-partial": "Remove pct= (or set 100): RFC 9989 drops pct, and receivers that "
                         "follow it apply the policy to all mail.",
    "dmarc-testing": "Remove t=y once the policy is meant: receivers apply the next weaker "
                     "policy in testing mode (RFC 9989).",
    "dmarc-no-rua": "Add rua=mailto:<address> to receive aggregate reports.",
    "dmarc-rua-unauthorized": "Ask the report domain to publish TXT \"v=DMARC1\" at "
                              "<your domain>._report._dmarc.<report domain> (RFC 7489 §7.1), "
                              "or use an address in your own domain.",
}
WARN_ONLY = {"dmarc-policy-none", "dmarc-sp-weaker", "dmarc-np-weaker", "dmarc-pct-partial",
             "dmarc-testing", "dmarc-no-rua", "dmarc-rua-unauthorized"}


def _weaker(a: str | None, b: str | None) -> bool:
    return a in POLICIES and b in POLICIES and POLICIES.index(a) < POLICIES.index(b)


def _external(dns: DnsContext, record_domain: str, uri: str) -> dict[str, Any] | None:
    """RFC 7489 §7.1: a report address outside the policy domain's organization
    needs ``<record domain>._report._dmarc.<address domain>``; returns the
    problem, or None when fine or not decidable."""
    host = uri.split(":", 1)[1].split("!")[0].rsplit("@", 1)[-1].rstrip(".").lower()
    if host == record_domain or host.endswith("." + record_domain):
        return None  # inside the policy domain: same organization, no lookup needed
    ours, err1 = organizational_domain(dns, record_domain)
    theirs, err2 = organizational_domain(dns, host)
    if err1 or err2 or ours == theirs:
        return None
    name = f"{record_domain}._report._dmarc.{host}"
    ans = dns.lookup(name, "TXT")
    if ans.outcome is Outcome.ERROR:
        return None
    if any(t.startswith("v=DMARC1") for t in ans.texts()):
        return None
    return {"uri": uri, "report_domain": host, "authorization_record": name,
            "found": ans.texts()}


def analyze(dns: DnsContext, d: EmailDomain) -> Iterator[Finding]:
    levels = discover(dns, d.name)
    last: Level = levels[-1]
    asked = [f"_dmarc.{lv.domain}" for lv in levels]

    def out(status: Status, code: str, summary: str, bulk: tuple[str, ...] = BULK,
            **ev: Any) -> Finding:
        return finding(CHECK, d.name, status, code, summary,
                       () if code in WARN_ONLY else bulk, {"asked": asked, **ev},
                       FIX.get(code, ""))

    if levels[0].ignored and not levels[0].records:
        yield out(Status.FAIL, "dmarc-syntax",
                  f"the TXT record at _dmarc.{d.name} does not start with v=DMARC1, so "
                  "receivers ignore it", records=levels[0].ignored)
    if last.answer.outcome is Outcome.ERROR:
        yield dns_error(CHECK, d.name, "dmarc-dns-error", last.answer, BULK)
        return
    if not last.records:
        yield out(Status.FAIL, "dmarc-missing",
                  f"no DMARC record for {d.name} nor for any parent domain")
        return
    if len(last.records) > 1:
        yield out(Status.FAIL, "dmarc-multiple",
                  f"{len(last.records)} DMARC records at _dmarc.{last.domain}: receivers "
                  "apply none", records=last.records)
        return
    rec = parse_record(last.domain, last.records[0])
    base = {"record": rec.text, "record_domain": rec.domain}
    if rec.errors:
        yield out(Status.FAIL, "dmarc-syntax", f"the DMARC record at _dmarc.{rec.domain} "
                  "does not parse: " + "; ".join(rec.errors[:3]), errors=rec.errors, **base)
        return
    own = rec.domain == d.name
    tag = "p" if own or "sp" not in rec.tags else "sp"
    policy = rec.policy(tag) or "none"
    inherited = "" if own else f" (inherited: {tag}= of the record at _dmarc.{rec.domain})"
    org = None  # RFC 9989: below a psd=y record, the name one label down is the org domain
    if rec.policy("psd") == "y" and not own:
        org = ".".join(d.name.split(".")[-(rec.domain.count(".") + 2):])
    yield out(Status.PASS, "dmarc-policy", f"DMARC policy {policy} applies to {d.name}"
              f"{inherited}", effective_policy=policy, policy_tag=tag,
              psd=rec.policy("psd"), np=rec.policy("np"), org_domain=org, **base)
    if policy == "none":
        yield out(Status.WARN, "dmarc-policy-none", "policy none: it meets the bulk-sender "
                  "rules, but spoofed mail is still delivered", **base)
    if _weaker(rec.policy("sp"), rec.policy("p")):
        yield out(Status.WARN, "dmarc-sp-weaker", f"sp={rec.policy('sp')} is weaker than "
                  f"p={rec.policy('p')}: subdomains are less protected", **base)
    if _weaker(rec.policy("np"), rec.policy("sp") or rec.policy("p")):
        yield out(Status.WARN, "dmarc-np-weaker", f"np={rec.policy('np')} is weaker than the "
                  "policy for existing subdomains", **base)
    pct = rec.tags.get("pct")
    if pct is not None and int(pct) < 100:
        yield out(Status.WARN, "dmarc-pct-partial", f"pct={pct}: the policy applies to only "
                  f"{pct}% of failing mail (RFC 7489; ignored under RFC 9989)", **base)
    if rec.policy("t") == "y":
        yield out(Status.WARN, "dmarc-testing", "t=y: the policy is in testing mode", **base)
    if "rua" not in rec.tags or not any(t == "rua" for t, _ in rec.report_uris):
        yield out(Status.WARN, "dmarc-no-rua", "no rua=: nobody receives aggregate reports",
                  **base)
    for tag_name, uri in rec.report_uris:
        problem = _external(dns, rec.domain, uri)
        if problem:
            yield out(Status.WARN, "dmarc-rua-unauthorized",
                      f"{tag_name}={uri}: {problem['report_domain']} has not authorized "
                      f"reports for {rec.domain}, so receivers will not send them",
                      tag=tag_name, **problem, **base)


def run(ctx: CheckContext) -> Iterator[Finding]:
    yield from for_each_domain(ctx, CHECK, analyze, BULK)


CHECK = Check(id="email.dmarc", title="DMARC policy of the sending domains",
              run=run, doc=__doc__ or "", needs=(Need.EMAIL,))
