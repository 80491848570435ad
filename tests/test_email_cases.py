"""The email checks' edge cases: the case files tests/cases/email.*.yaml
(one per check, named by its id) turned into parametrized tests, each run
twice through the same code path (unless its ``modes`` says otherwise) —
live, asking a real NSD on loopback that serves tests/dns/zones, and as a
pre-flight, answering the same zones from their files with live DNS pointed
at a closed port (so any lookup that escapes the files shows as an error).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from peakready.checks.check import CheckContext, Phase
from peakready.checks.registry import BY_ID
from peakready.checks.runner import run_checks

from peakready.email.config import Email, EmailDomain
from peakready.email.dns import DnsContext
from peakready.email.zonefile import load_zones
from peakready.findings import Finding
from tests.support.cases import cases
from tests.support.nsd import NsdServer, free_port

DNS = Path(__file__).resolve().parent / "dns"
ZONES = sorted((DNS / "zones").glob("*.zone"))
PLANNED = ZONES + sorted((DNS / "preflight").glob("*.zone"))
MODES = ("live", "preflight")
CHECKS = ("email.dkim", "email.dmarc", "email.spf", "email.transport")  # tests/cases/<id>.yaml


def _cases() -> Iterator[Any]:
    for check in CHECKS:
        for param in cases(check):
            [case] = param.values
            case = {"check": check, **case}
            for mode in case.get("modes", MODES):
                yield pytest.param(case, mode, id=f"{param.id}:{mode}")


@pytest.fixture(scope="module")
def resolvers(nsd: NsdServer) -> Iterator[dict[str, DnsContext]]:
    live = DnsContext(nameserver=nsd.address, timeout=2.0)
    preflight = DnsContext(load_zones(PLANNED), nameserver=f"127.0.0.1:{free_port()}",
                           timeout=0.5)
    yield {"live": live, "preflight": preflight}
    live.close()
    preflight.close()


def run_case(case: dict[str, Any], dns: DnsContext) -> list[Finding]:
    email = Email(domains=[EmailDomain(name=case["domain"],
                                       selectors=case.get("selectors", []))])
    ctx = CheckContext(email=email, resolver=dns)
    return run_checks([BY_ID[case["check"]]], ctx, Phase.PRE)


@pytest.mark.parametrize(("case", "mode"), list(_cases()))
def test_case(case: dict[str, Any], mode: str, resolvers: dict[str, DnsContext]) -> None:
    findings = run_case(case, resolvers[mode])
    got = {f.code: f.status.value for f in findings}
    assert got == case["findings"], [f.model_dump() for f in findings]
    for f in findings:  # every email finding names its bulk-sender requirements
        assert isinstance(f.evidence.get("bulk_sender"), list), f
        assert f.subject == case["domain"] or f.subject.endswith("._domainkey."
                                                                  + case["domain"]), f
    for code, expected in case.get("evidence", {}).items():
        evidence = next(f.evidence for f in findings if f.code == code)
        for key, value in expected.items():
            assert evidence.get(key) == value, (code, key, evidence)
