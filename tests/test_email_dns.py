"""The DNS context the email checks share: planned zone files answer exactly
as the real NSD serving the same files does; DNS trouble is an error, never
a verdict; one cache, each question asked once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from peakready.checks.check import CheckContext, Phase
from peakready.checks.email import spf as email_spf
from peakready.checks.runner import run_checks

from peakready.commands.email import EMAIL_CHECKS
from peakready.email.config import Email, EmailDomain
from peakready.email.dns import DnsContext, Outcome
from peakready.email.zonefile import load_zone, load_zones
from peakready.errors import BadInput
from peakready.findings import Status
from tests.support.nsd import NsdServer, free_port

ROOT = Path(__file__).resolve().parent.parent
ZONES = sorted((ROOT / "tests" / "dns" / "zones").glob("*.zone"))
DEMO_ZONE = ROOT / "scenarios" / "demo-email.zone"

# (name, type): what a planned zone file must answer the way NSD does
QUESTIONS = [
    ("ok.spf.test", "TXT"),  # data
    ("multiple.spf.test", "TXT"),  # two records
    ("nowhere.spf.test", "TXT"),  # NXDOMAIN
    ("ten.spf.test", "AAAA"),  # NODATA: the name exists, not this type
    ("_domainkey.shop.dkim.test", "TXT"),  # NODATA: an empty non-terminal
    ("cname.spf.test", "TXT"),  # a CNAME inside the zone
    ("esp._domainkey.shop.dkim.test", "TXT"),  # a CNAME into another zone
    ("dangling._domainkey.shop.dkim.test", "TXT"),  # a CNAME to a missing name
    ("many-mx.spf.test", "MX"),
    ("_dmarc.test", "TXT"),  # the parent zone: NXDOMAIN
]


def _closed() -> str:
    return f"127.0.0.1:{free_port()}"


def _view(dns: DnsContext, name: str, rdtype: str) -> tuple[object, ...]:
    a = dns.lookup(name, rdtype)
    return a.outcome, sorted(r.to_text() for r in a.records), a.chain


@pytest.mark.parametrize(("name", "rdtype"), QUESTIONS)
def test_planned_zone_answers_like_the_server(nsd: NsdServer, name: str, rdtype: str) -> None:
    with DnsContext(nameserver=nsd.address, timeout=2) as live, \
            DnsContext(load_zones(ZONES), nameserver=_closed(), timeout=0.3) as planned:
        got = _view(planned, name, rdtype)
        assert got == _view(live, name, rdtype)
        assert got[0] is not Outcome.ERROR
        assert planned.stats["live"] == 0


def test_zone_cname_to_live_dns(nsd: NsdServer, tmp_path: Path) -> None:
    """A planned record may point into DNS that is already live: followed there."""
    zone = tmp_path / "shop.example.zone"
    zone.write_text("$TTL 300\n@ SOA ns hostmaster 1 2 3 4 5\n@ NS ns\n"
                    "s1._domainkey CNAME s1.dkim.esp.test.\n*.wild TXT \"v=spf1 -all\"\n"
                    "sub NS ns.elsewhere.test.\n")
    with DnsContext([load_zone(zone)], nameserver=nsd.address, timeout=2) as dns:
        key = dns.lookup("s1._domainkey.shop.example", "TXT")
        assert key.outcome is Outcome.OK and key.chain == ("s1.dkim.esp.test",)
        assert key.source.startswith("dns ")  # the key itself came from the server
        wild = dns.lookup("anything.wild.shop.example", "TXT")
        assert wild.texts() == ["v=spf1 -all"] and wild.source == f"zone {zone.name}"
        below_cut = dns.lookup("x.sub.shop.example", "TXT")  # delegated: not ours to answer
        assert below_cut.outcome is Outcome.ERROR and below_cut.error_kind == "refused"


@pytest.mark.parametrize(("name", "kind"), [
    ("x.servfail.test", "servfail"),  # configured in NSD, zone not loadable
    ("shop.unserved.example", "refused"),  # a zone NSD does not serve
])
def test_server_trouble_is_an_error(nsd: NsdServer, name: str, kind: str) -> None:
    with DnsContext(nameserver=nsd.address, timeout=2) as dns:
        a = dns.lookup(name, "TXT")
    assert (a.outcome, a.error_kind) == (Outcome.ERROR, kind)
    assert nsd.address.replace(":", "@") in a.error.replace(":", "@")


def test_timeout_is_an_error_for_every_check() -> None:
    """Nobody listens on the port: every email check says "could not evaluate"."""
    email = Email(domains=[EmailDomain(name="shop.example", selectors=["s1"])])
    with DnsContext(nameserver=_closed(), timeout=0.3) as dns:
        ctx = CheckContext(email=email, resolver=dns)
        findings = run_checks(EMAIL_CHECKS, ctx, Phase.PRE)
    assert {f.check for f in findings} == {c.id for c in EMAIL_CHECKS}
    assert {f.status for f in findings} == {Status.ERROR}
    assert all(f.evidence.get("error_kind") == "timeout" for f in findings)


def test_one_unreachable_domain_does_not_hold_the_others() -> None:
    """The demo domain answers from its zone file; the other one times out."""
    email = Email(domains=[EmailDomain(name="unreachable.example"),
                           EmailDomain(name="hearth-home.example")])
    with DnsContext(load_zones([DEMO_ZONE]), nameserver=_closed(), timeout=0.5) as dns:
        ctx = CheckContext(email=email, resolver=dns)
        findings = run_checks([email_spf.CHECK], ctx, Phase.PRE)
    by = {f.subject: (f.status, f.code) for f in findings}
    assert by == {"unreachable.example": (Status.ERROR, "spf-dns-error"),
                  "hearth-home.example": (Status.PASS, "spf-ok")}


def test_shared_cache_asks_each_question_once(nsd: NsdServer) -> None:
    """Domains checked at once share includes: each question goes out once."""
    names = ["ok.spf.test", "softfail.spf.test", "cname.spf.test", "redirect.spf.test"]
    email = Email(domains=[EmailDomain(name=n) for n in names])
    with DnsContext(nameserver=nsd.address, timeout=2) as dns:
        ctx = CheckContext(email=email, resolver=dns)
        findings = run_checks([email_spf.CHECK], ctx, Phase.PRE)
        assert [f.code for f in findings] == ["spf-ok"] * 4
        assert dns.stats["live"] == dns.questions
        assert dns.questions < sum(f.evidence["lookups"] + 1 for f in findings)


def test_overlong_string_is_kept_and_flagged() -> None:
    zone = load_zone(ROOT / "tests" / "dns" / "preflight" / "long.test.zone")
    with DnsContext([zone], nameserver=_closed(), timeout=0.3) as dns:
        a = dns.lookup("long.test", "TXT")
    assert a.overlong == (274,)
    assert len(a.texts()[0]) == 274 and a.texts()[0].startswith("v=spf1 ")


@pytest.mark.parametrize(("text", "name", "message"), [
    ("$ORIGIN x.example.\n@ SOA ns h 1 2 3 4 5\n@ A 192.0.2.300\n", "x.zone", r"x.zone:[34]: "),
    ("@ SOA ns h 1 2 3 4 5\n", "zone.txt", r"no \$ORIGIN"),
    ("$ORIGIN x.example.\nwww IN BOGUS 1\n", "x.zone", r"x.zone:2: "),
])
def test_bad_zone_file_names_file_and_line(tmp_path: Path, text: str, name: str,
                                           message: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(BadInput) as exc:
        load_zone(path)
    assert str(path) in str(exc.value) and re.search(message, str(exc.value))


def test_zone_named_twice_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="also planned"):
        load_zones([DEMO_ZONE, DEMO_ZONE])


def test_bare_dnspython_resolver_is_wrapped_once(nsd: NsdServer) -> None:
    """A CheckContext may carry a plain Resolver: checks then share one cache on it."""
    import dns.resolver

    from peakready.email.dns import of

    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port = ["127.0.0.1"], nsd.port
    first = of(resolver)
    assert first is not None and first is of(resolver)
    assert first.lookup("ok.spf.test", "TXT").outcome is Outcome.OK
    assert of(None) is None
