"""Bench: peakready's email checks beside checkdmarc, same zones, same server.

Starts a real NSD on 127.0.0.1 serving tests/dns/zones, then checks every
domain of the SPF, DMARC and DKIM case files (tests/cases/email.*.yaml) with
  - peakready: email.spf + email.dmarc + email.dkim (no selectors given, so
    the common ESP selectors are probed: 18 more lookups per domain), all
    domains at once through one DnsContext;
  - checkdmarc: check_spf + check_dmarc per domain (its check_domains also
    opens SMTP connections to MX hosts, which a bench must not do), through a
    dnspython Resolver pointed at the same NSD.
Each side runs ROUNDS times from a cold cache; the median wall time is
printed, then every (domain, SPF|DMARC) where the two verdicts differ.

On loopback a query costs only CPU (~0.7 ms of dnspython per question), so
the first figure compares work. Real resolvers are tens of milliseconds
away: the second run puts a UDP relay that delays each query and each answer
by LATENCY_MS in front of NSD (on 127.0.0.1 too), where checking domains and
lookups concurrently is what counts. The relay speaks UDP only: every answer
these domains need fits in one UDP reply (peakready asks with EDNS0).

checkdmarc is a dev-only dependency (the `bench` extra), not installed by `make`:

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python bench/email_vs_checkdmarc.py
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the bench borrows the tests' NSD helper (tests/support)

from peakready.checks.check import CheckContext, Phase
from peakready.checks.email import dkim as email_dkim
from peakready.checks.email import dmarc as email_dmarc
from peakready.checks.email import spf as email_spf
from peakready.checks.runner import run_checks

from peakready.email.config import Email, EmailDomain
from peakready.email.dns import DnsContext
from peakready.findings import Finding
from tests.support.nsd import NsdServer

ROUNDS = 5
LATENCY_MS = 20  # each way: a 40 ms round trip, a typical resolver a few hops away
TIMEOUT = 2.0
FAMILY = {"email.spf": "SPF", "email.dmarc": "DMARC", "email.dkim": "DKIM"}
RANK = {"pass": 0, "skip": 0, "warn": 1, "fail": 2, "error": 2}


def domains() -> list[str]:
    out: list[str] = []
    for name in ("spf", "dmarc", "dkim"):
        cases = yaml.safe_load((ROOT / "tests" / "cases" / f"email.{name}.yaml").read_text())
        for case in cases.values():
            # the cases of a dead or unserved zone (all findings "error") are not compared
            errors_only = set(case.get("findings", {}).values()) == {"error"}
            if "live" in case.get("modes", ["live"]) and not errors_only:
                out.append(case["domain"])
    return sorted(set(out))


class _Relay(asyncio.DatagramProtocol):
    """Forwards each UDP query to NSD and each answer back, both after a delay."""

    def __init__(self, upstream: tuple[str, int], delay: float) -> None:
        self.upstream, self.delay = upstream, delay
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        asyncio.get_running_loop().create_task(self._forward(data, addr))

    async def _forward(self, data: bytes, client: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(self.delay)
        answer: asyncio.Future[bytes] = loop.create_future()

        class Once(asyncio.DatagramProtocol):
            def datagram_received(self, reply: bytes, addr: tuple[str, int]) -> None:
                if not answer.done():
                    answer.set_result(reply)

        transport, _ = await loop.create_datagram_endpoint(Once, remote_addr=self.upstream)
        try:
            transport.sendto(data)
            reply = await asyncio.wait_for(answer, TIMEOUT)
        except TimeoutError:
            return
        finally:
            transport.close()
        await asyncio.sleep(self.delay)
        if self.transport is not None:
            self.transport.sendto(reply, client)


@contextlib.contextmanager
def relay(port: int, delay: float) -> Iterator[int]:
    """A delaying relay to 127.0.0.1:port on a free loopback port, in a thread."""
    loop = asyncio.new_event_loop()
    ready: list[int] = []

    async def start() -> None:
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Relay(("127.0.0.1", port), delay), local_addr=("127.0.0.1", 0))
        ready.append(transport.get_extra_info("sockname")[1])

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=5)
    try:
        yield ready[0]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)


def ours(names: list[str], address: str) -> tuple[float, list[Finding], int]:
    email = Email(domains=[EmailDomain(name=n) for n in names], timeout=TIMEOUT)
    started = time.perf_counter()
    with DnsContext(nameserver=address, timeout=TIMEOUT) as dns:
        ctx = CheckContext(email=email, resolver=dns,
                           timeout=30)
        findings = run_checks([email_spf.CHECK, email_dmarc.CHECK, email_dkim.CHECK], ctx,
                              Phase.PRE)
        questions = dns.questions
    return time.perf_counter() - started, findings, questions


def theirs(names: list[str], port: int) -> tuple[float, dict[str, dict[str, Any]]]:
    import dns.resolver
    from checkdmarc.dmarc import check_dmarc
    from checkdmarc.spf import check_spf
    from checkdmarc.utils import DNS_CACHE

    DNS_CACHE.clear()
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    started = time.perf_counter()
    results = {n: {"SPF": check_spf(n, resolver=resolver, timeout=TIMEOUT),
                   "DMARC": check_dmarc(n, resolver=resolver, timeout=TIMEOUT)} for n in names}
    return time.perf_counter() - started, results


def our_verdicts(findings: list[Finding], names: list[str]) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for f in findings:
        owner = max((n for n in names if f.subject == n or f.subject.endswith("." + n)),
                    key=len)
        key = (owner, FAMILY[f.check])
        status = "fail" if f.status.value == "error" else f.status.value
        if RANK[status] >= RANK.get(out.get(key, "pass"), 0):
            out[key] = status
    return out


def their_verdict(result: dict[str, Any]) -> str:
    if result.get("error") or not result.get("valid"):
        return "fail"
    return "warn" if result.get("warnings") else "pass"


def compare(names: list[str], port: int, rounds: int, label: str) -> tuple[Any, ...]:
    theirs(names[:2], port)  # warm-up: imports, the PSL
    ours(names[:2], f"127.0.0.1:{port}")
    our_times, their_times = [], []
    for _ in range(rounds):
        t, findings, questions = ours(names, f"127.0.0.1:{port}")
        our_times.append(t)
        t, results = theirs(names, port)
        their_times.append(t)
    mine, other = statistics.median(our_times), statistics.median(their_times)
    print(f"{label}: {len(names)} domains, median of {rounds} cold-cache rounds")
    print(f"  peakready  SPF+DMARC+DKIM: {mine * 1000:8.1f} ms  "
          f"({questions} DNS questions, {len(findings)} findings)")
    print(f"  checkdmarc SPF+DMARC     : {other * 1000:8.1f} ms")
    print(f"  peakready is {other / mine:.1f}x as fast")
    return findings, results


def differences(names: list[str], findings: list[Finding],
                results: dict[str, dict[str, Any]]) -> list[str]:
    verdicts = our_verdicts(findings, names)
    diffs = []
    for name in names:
        for family in ("SPF", "DMARC"):
            a, b = verdicts.get((name, family), "-"), their_verdict(results[name][family])
            if a != b:
                r = results[name][family]
                why = r.get("error") or "; ".join(r.get("warnings", [])) or "valid, no warnings"
                codes = sorted({f.code for f in findings if FAMILY[f.check] == family and (
                    f.subject == name) and f.status.value != "pass"})
                diffs.append(f"  {name:28} {family:5} peakready  {a:5} {','.join(codes) or '-'}"
                             f"\n  {'':28} {'':5} checkdmarc {b:5} {why[:110]}")
    return diffs


def main() -> int:
    try:
        import checkdmarc  # noqa: F401
    except ImportError:
        print("checkdmarc is not installed: .venv/bin/pip install -e '.[bench]'",
              file=sys.stderr)
        return 2
    names = domains()
    zones = sorted((ROOT / "tests" / "dns" / "zones").glob("*.zone"))
    with tempfile.TemporaryDirectory() as tmp, NsdServer(zones, Path(tmp)) as nsd:
        findings, results = compare(names, nsd.port, ROUNDS, "NSD on loopback")
        with relay(nsd.port, LATENCY_MS / 1000) as port:
            print()
            compare(names, port, 3, f"NSD behind a {2 * LATENCY_MS} ms round trip")
    diffs = differences(names, findings, results)
    print(f"\nverdicts that differ ({len(diffs)} of {2 * len(names)}):")
    print("\n".join(diffs) if diffs else "  none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
