"""SPF: which servers may send mail for each sending domain (RFC 7208).

What it checks: each domain publishes exactly one ``v=spf1`` TXT record
that parses (§4.5, §12); the DNS-lookup terms (include, a, mx, ptr, exists,
redirect) counted across every include and redirect stay within 10 (fail
above 10, warn from 8; §4.6.4) and at most 2 of them find nothing ("void
lookups"); every include and redirect target has an SPF record of its own
and none loops back; the record does not end in ``+all`` (anyone may send),
and ends in ``-all`` or ``~all`` rather than ``?all`` or nothing; ``ptr`` is
not used (§5.5); the record stays under 512 bytes and, in a planned zone
file, no single string exceeds 255 characters (RFC 1035 §3.3).

Why it matters: Google, Yahoo and Microsoft require SPF (or DKIM) to pass
for bulk mail. An SPF record that needs an 11th lookup is a "permerror" at
every receiver — as if it did not exist — and it usually gets there on the
day marketing adds one more ESP's include before a campaign.

How to fix: keep one record per domain; flatten includes you control into
ip4:/ip6: ranges, drop includes of ESPs you no longer use, move a sending
stream to its own subdomain with its own record, and end with ``-all`` or
``~all``. The counts are the worst case: every term evaluated.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from peakready.checks.check import Check, CheckContext, Need
from peakready.checks.email import _spf_syntax as syn
from peakready.checks.email._common import dns_error, finding, for_each_domain

from peakready.email.config import EmailDomain
from peakready.email.dns import Answer, DnsContext, Outcome
from peakready.findings import Finding, Status

LIMIT, WARN_FROM, VOID_LIMIT = 10, 8, 2  # RFC 7208 §4.6.4
MAX_NODES = 40  # records walked per domain: bounds a pathological include tree
BULK = ("spf",)

REMEDY = {
    "spf-missing": "Publish one TXT record at the domain: `v=spf1 include:<your ESP> -all` "
                   "(your ESP's setup page gives the include).",
    "spf-multiple": "Merge them into one v=spf1 record: several records are a permerror "
                    "(RFC 7208 §4.5).",
    "spf-syntax": "Fix the terms named in the evidence; one bad term makes the whole record "
                  "a permerror (RFC 7208 §4.6).",
    "spf-include-missing": "Remove the include, or fix its name: an include of a domain "
                           "without SPF is a permerror (RFC 7208 §5.2).",
    "spf-redirect-missing": "Point redirect= at a domain that publishes SPF (RFC 7208 §6.1).",
    "spf-loop": "Remove the include or redirect that leads back to a record already on the "
                "path.",
    "spf-too-many-lookups": "Bring the DNS-lookup terms to 10 or fewer: flatten includes "
                            "you control into ip4:/ip6:, drop unused ESPs, or send from a "
                            "subdomain with its own record.",
    "spf-lookups-near-limit": "One more include will break SPF; flatten or drop includes "
                              "before adding another ESP.",
    "spf-too-many-void-lookups": "Remove the a/mx/include/exists terms whose names do not "
                                 "exist or have no records (RFC 7208 §4.6.4: at most 2).",
    "spf-plus-all": "End the record with -all (or ~all): +all lets anyone send as you.",
    "spf-neutral-all": "End with -all or ~all: ?all tells receivers nothing about "
                       "unlisted senders.",
    "spf-no-all": "End the record with -all or ~all.",
    "spf-ptr": "Replace ptr with the ip4:/ip6: ranges or a:/include: terms of your senders "
               "(RFC 7208 §5.5: ptr SHOULD NOT be used).",
    "spf-record-too-long": "Shorten the record below 512 bytes (flatten or split into "
                           "includes) so it fits one UDP answer (RFC 7208 §3.4).",
    "spf-string-too-long": "Split the record into quoted strings of at most 255 characters: "
                           "\"v=spf1 ... \" \"... -all\" (RFC 7208 §3.3).",
    "spf-mx-too-many": "The mx term's domain has more than 10 MX hosts; list the sending "
                       "hosts with ip4:/a: instead (RFC 7208 §4.6.4).",
    "spf-ignored-modifier": "Write it as a mechanism (include:domain), not a modifier "
                            "(include=domain), which receivers ignore.",
}
WARNINGS = {"spf-lookups-near-limit", "spf-neutral-all", "spf-no-all", "spf-ptr",
            "spf-record-too-long", "spf-ignored-modifier"}
NOT_BULK = {"spf-neutral-all", "spf-no-all", "spf-ignored-modifier"}  # requirement holds


@dataclass
class Walk:
    dns: DnsContext
    root: str
    lookups: int = 0
    voids: int = 0
    nodes: int = 0
    per_domain: dict[str, int] = field(default_factory=dict)
    problems: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    error: Answer | None = None

    def problem(self, code: str, **where: Any) -> None:
        self.problems.setdefault(code, []).append(where)

    def look(self, name: str, rdtype: str) -> Answer | None:
        ans = self.dns.lookup(name, rdtype)
        if ans.outcome is Outcome.ERROR:
            self.error = self.error or ans
            return None
        return ans


def _visit(w: Walk, domain: str, path: tuple[str, ...], via: str) -> dict[str, Any] | None:
    """Walk one record: count its terms, follow includes and redirect.
    Returns the evidence tree node; stops on DNS trouble (temperror)."""
    w.nodes += 1
    ans = w.look(domain, "TXT")
    if ans is None:
        return None
    records = [t for t in ans.texts() if syn.is_spf(t)]
    if not records:
        if via != "root" and ans.void:
            w.voids += 1
        code = {"root": "spf-missing", "include": "spf-include-missing",
                "redirect": "spf-redirect-missing"}[via]
        w.problem(code, domain=domain, referenced_by=path[-1] if path else None,
                  dns=ans.outcome.value)
        return None
    if len(records) > 1:
        w.problem("spf-multiple", domain=domain, records=records)
        return None
    record = records[0]
    if ans.overlong:
        w.problem("spf-string-too-long", domain=domain, string_octets=list(ans.overlong))
    if len(record.encode()) > 512:
        w.problem("spf-record-too-long", domain=domain, octets=len(record.encode()))
    parsed = syn.parse(record)
    node: dict[str, Any] = {"domain": domain, "record": record}
    if parsed.errors:
        w.problem("spf-syntax", domain=domain, errors=parsed.errors)
        return node
    _prefetch(w, parsed, domain)
    path = (*path, domain)
    children = []
    for term in parsed.terms:
        if term.modifier and term.name in ("include", "a", "mx", "ip4", "ip6", "all", "ptr",
                                           "exists"):
            w.problem("spf-ignored-modifier", domain=domain, term=term.text)
        if term.modifier or term.name not in syn.LOOKUP_TERMS:
            if term.name == "all" and term.qualifier == "+":
                w.problem("spf-plus-all", domain=domain, term=term.text, via=via)
            continue
        _count(w, domain)
        target = syn.expand(term.spec, domain)
        if term.name == "ptr":
            w.problem("spf-ptr", domain=domain, term=term.text)
        elif target is None:
            node.setdefault("sender_dependent", []).append(term.text)  # macros: not resolvable
        elif term.name == "include":
            children.append(_follow(w, target, path, "include"))
        elif term.name in ("a", "mx", "exists"):
            _address_term(w, term, target, domain)
        if w.error or w.nodes > MAX_NODES:
            break
    redirect = parsed.modifier("redirect")
    all_term = parsed.all_term()
    node["all"] = all_term.qualifier + "all" if all_term else None
    if redirect and all_term is None and not w.error:  # §6.1: ignored when "all" is present
        _count(w, domain)
        target = syn.expand(redirect.spec, domain)
        if target is not None:
            child = _follow(w, target, path, "redirect")
            children.append(child)
            node["all"] = (child or {}).get("all")
    if children:
        node["children"] = [c for c in children if c]
    return node


def _follow(w: Walk, target: str, path: tuple[str, ...], via: str) -> dict[str, Any] | None:
    if target in path:
        w.problem("spf-loop", domain=path[-1], target=target, path=[*path, target])
        return None
    if w.nodes > MAX_NODES:
        return None
    child = _visit(w, target, path, via)
    if child is not None:
        child["via"] = via
    return child


def _count(w: Walk, domain: str) -> None:
    w.lookups += 1
    w.per_domain[domain] = w.per_domain.get(domain, 0) + 1


def _address_term(w: Walk, term: syn.Term, target: str, domain: str) -> None:
    if term.name == "mx":
        ans = w.look(target, "MX")
        if ans is not None and len(ans.records) > 10:
            w.problem("spf-mx-too-many", domain=domain, term=term.text, hosts=len(ans.records))
        void = ans is not None and ans.void
    else:  # a: either address family will do; exists: an A record (§5.7)
        answers = [w.look(target, t) for t in (("A", "AAAA") if term.name == "a" else ("A",))]
        void = all(a is not None and a.void for a in answers)
    if void and not w.error:
        w.voids += 1
        w.problem("void", domain=domain, term=term.text)


def _prefetch(w: Walk, parsed: syn.Record, domain: str) -> None:
    """Ask for every name this record references at once (the walk then hits the cache)."""
    wanted: list[tuple[str, str]] = []
    for t in parsed.terms:
        target = syn.expand(t.spec, domain) if t.name in syn.LOOKUP_TERMS else None
        if target is None or t.name == "ptr":
            continue
        types = {"include": ("TXT",), "redirect": ("TXT",), "mx": ("MX",),
                 "a": ("A", "AAAA"), "exists": ("A",)}[t.name]
        wanted += [(target, rdtype) for rdtype in types]
    w.dns.prefetch(wanted)


def _summary(code: str, w: Walk, where: list[dict[str, Any]]) -> str:
    first = where[0]
    dom = first.get("domain")
    return {
        "spf-missing": f"no v=spf1 record at {w.root} ({first.get('dns')})",
        "spf-multiple": f"{len(first.get('records', []))} v=spf1 records at {dom}: a "
                        "permerror",
        "spf-syntax": f"syntax error in the SPF record of {dom}: "
                      + "; ".join(first.get("errors", [])[:3]),
        "spf-include-missing": "include of a domain without SPF: "
                               + ", ".join(str(x["domain"]) for x in where),
        "spf-redirect-missing": f"redirect= to {dom}, which has no SPF record",
        "spf-loop": "include/redirect loop: " + " -> ".join(first.get("path", [])),
        "spf-plus-all": f"{first.get('term')} in the record of {dom}: anyone may send "
                        "as this domain",
        "spf-ptr": "ptr used in " + ", ".join(sorted({str(x['domain']) for x in where})),
        "spf-record-too-long": f"the SPF record of {dom} is {first.get('octets')} bytes "
                               "(over 512)",
        "spf-string-too-long": f"a string of {max(first.get('string_octets', [0]))} "
                               f"characters in the SPF record of {dom} (max 255)",
        "spf-mx-too-many": f"{first.get('term')} in {dom}: {first.get('hosts')} MX hosts "
                           "(max 10)",
        "spf-ignored-modifier": f"{first.get('term')} in {dom} is a modifier receivers "
                                "ignore, not a mechanism",
    }[code]


def analyze(dns: DnsContext, d: EmailDomain) -> Iterator[Finding]:
    w = Walk(dns, d.name)
    tree = _visit(w, d.name, (), "root")
    base = {"record": tree["record"] if tree else None, "lookups": w.lookups,
            "void_lookups": w.voids}
    for code, where in w.problems.items():
        if code == "void":
            continue
        status = Status.WARN if code in WARNINGS else Status.FAIL
        yield finding(CHECK, d.name, status, code, _summary(code, w, where),
                      () if code in NOT_BULK else BULK,
                      evidence={**base, "where": where}, remediation=REMEDY[code])
    counted = {**base, "lookups_by_domain": w.per_domain, "tree": tree}
    if w.lookups > LIMIT:
        yield finding(CHECK, d.name, Status.FAIL, "spf-too-many-lookups",
                      f"{w.lookups} DNS-lookup terms across includes and redirects "
                      f"(limit {LIMIT}): receivers return permerror", BULK, counted,
                      REMEDY["spf-too-many-lookups"])
    elif w.lookups >= WARN_FROM:
        yield finding(CHECK, d.name, Status.WARN, "spf-lookups-near-limit",
                      f"{w.lookups} of {LIMIT} DNS-lookup terms used", BULK, counted,
                      REMEDY["spf-lookups-near-limit"])
    if w.voids > VOID_LIMIT:
        yield finding(CHECK, d.name, Status.FAIL, "spf-too-many-void-lookups",
                      f"{w.voids} lookups find nothing (limit {VOID_LIMIT}): receivers "
                      "return permerror", BULK, {**base, "where": w.problems.get("void")},
                      REMEDY["spf-too-many-void-lookups"])
    if w.error is not None:
        yield dns_error(CHECK, d.name, "spf-dns-error", w.error, BULK)
        return
    failed = (w.lookups > LIMIT or w.voids > VOID_LIMIT
              or any(c not in WARNINGS and c != "void" for c in w.problems))
    if tree is None or "all" not in tree or failed:  # the all matters once the rest holds
        return
    effective = tree["all"]
    if effective is None:
        yield finding(CHECK, d.name, Status.WARN, "spf-no-all",
                      "the record does not end in an all mechanism: unlisted senders get "
                      "neutral", (), base, REMEDY["spf-no-all"])
    elif effective == "?all":
        yield finding(CHECK, d.name, Status.WARN, "spf-neutral-all",
                      "the record ends in ?all: unlisted senders get neutral", (), base,
                      REMEDY["spf-neutral-all"])
    yield finding(CHECK, d.name, Status.PASS, "spf-ok",
                  f"one valid SPF record ending in {effective or 'no all'}; "
                  f"{w.lookups} of {LIMIT} DNS lookups", BULK, counted)


def run(ctx: CheckContext) -> Iterator[Finding]:
    yield from for_each_domain(ctx, CHECK, analyze, BULK)


CHECK = Check(id="email.spf", title="SPF for the sending domains", run=run,
              doc=__doc__ or "", needs=(Need.EMAIL,))
