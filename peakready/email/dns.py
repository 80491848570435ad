"""The DNS resolver a CheckContext carries: planned zone files first, then
live DNS (the system resolver, or one ``--nameserver HOST[:PORT]``).

Checks need more than dnspython's ``Resolver.resolve`` gives them directly:
they must tell "no such record" (NXDOMAIN, NODATA — a finding) from "could
not ask" (timeout, SERVFAIL, REFUSED — an ``error`` finding), follow CNAMEs
from a planned zone into live DNS and back, and share one cache between
checks that run concurrently. dnspython still does the wire protocol, the
retries and the zone parsing; this module only routes and remembers.

The cache is single-flight: two checks asking the same question at the same
time send one query. Entries are single hops (one name, one type), and CNAME
chains are walked outside the cache, so a CNAME loop across threads can never
deadlock two waiters on each other.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import dns.exception
import dns.message
import dns.name
import dns.rdata
import dns.rdatatype
import dns.resolver

from peakready.email.config import resolve_nameserver, split_nameserver
from peakready.email.zonefile import PlannedZone, load_zones

MAX_CNAME_HOPS = 8


class Outcome(StrEnum):
    OK = "ok"
    NXDOMAIN = "nxdomain"  # the name does not exist
    NODATA = "nodata"  # the name exists, without records of this type
    ERROR = "error"  # could not ask: timeout, SERVFAIL, REFUSED, no nameserver


@dataclass(frozen=True)
class Answer:
    name: str  # as asked, without the trailing dot
    rdtype: str
    outcome: Outcome
    records: tuple[dns.rdata.Rdata, ...] = ()
    chain: tuple[str, ...] = ()  # CNAME targets followed, in order
    source: str = ""  # "zone <file>" or "dns <server>"
    error: str = ""  # what went wrong, for an ERROR
    error_kind: str = ""  # timeout | servfail | refused | other
    overlong: tuple[int, ...] = ()  # planned TXT strings over 255 octets (their sizes)

    @property
    def void(self) -> bool:
        """RFC 7208 §4.6.4: a lookup that found nothing (NXDOMAIN or no records)."""
        return self.outcome in (Outcome.NXDOMAIN, Outcome.NODATA)

    def texts(self) -> list[str]:
        """TXT records, each one's strings joined (RFC 7208 §3.3, RFC 6376 §3.6.2.2)."""
        return [b"".join(r.strings).decode("utf-8", "replace")  # type: ignore[attr-defined]
                for r in self.records if r.rdtype == dns.rdatatype.TXT]


@dataclass(frozen=True)
class _Hop:
    outcome: Outcome
    records: tuple[dns.rdata.Rdata, ...] = ()
    chain: tuple[str, ...] = ()
    follow: dns.name.Name | None = None  # a CNAME whose target this answer did not include
    source: str = ""
    error: str = ""
    error_kind: str = ""
    overlong: tuple[int, ...] = ()


def _text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True)


class DnsContext:
    """Answers (name, type) from planned zones, then live DNS; shared and thread-safe."""

    def __init__(self, zones: Sequence[PlannedZone] = (), nameserver: str | None = None,
                 timeout: float = 5.0, resolver: dns.resolver.Resolver | None = None,
                 workers: int = 16) -> None:
        self.zones = sorted(zones, key=lambda z: len(z.origin.labels), reverse=True)
        if resolver is None:
            if nameserver:
                host, port = split_nameserver(nameserver)
                resolver = dns.resolver.Resolver(configure=False)
                resolver.nameservers = [resolve_nameserver(host)]
                resolver.port = port
            else:
                try:
                    resolver = dns.resolver.Resolver()
                except dns.resolver.NoResolverConfiguration:
                    resolver = dns.resolver.Resolver(configure=False)  # no nameservers: errors
            resolver.timeout = min(2.0, timeout)  # per try; retried until the lifetime
            resolver.lifetime = timeout
            # EDNS0 with the DNS Flag Day 2020 buffer size: long TXT answers (SPF, 2048-bit
            # DKIM keys) fit in one UDP reply instead of a truncation and a TCP retry
            resolver.use_edns(0, 0, 1232)
        self.resolver = resolver
        self.timeout = timeout
        servers = [str(n) for n in resolver.nameservers]
        self.live_source = "dns " + (", ".join(servers) if servers else "(no nameserver)")
        self.stats: Counter[str] = Counter()
        self._cache: dict[tuple[dns.name.Name, int], cf.Future[_Hop]] = {}
        self._lock = threading.Lock()
        self._pool = cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dns")

    @classmethod
    def from_files(cls, zone_files: Iterable[str | Path] = (), nameserver: str | None = None,
                   timeout: float = 5.0) -> DnsContext:
        return cls(load_zones([Path(p) for p in zone_files]), nameserver, timeout)

    @property
    def questions(self) -> int:
        """Distinct (name, type) questions asked so far; each is sent at most once."""
        with self._lock:
            return len(self._cache)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> DnsContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the API the checks use ------------------------------------------------

    def lookup(self, name: str | dns.name.Name, rdtype: str) -> Answer:
        """One question, CNAMEs followed; never raises for DNS trouble."""
        text = name if isinstance(name, str) else _text(name)
        try:
            qname = name if isinstance(name, dns.name.Name) else dns.name.from_text(name)
        except dns.exception.DNSException as exc:
            return Answer(text, rdtype, Outcome.ERROR, error=f"not a valid domain name: {exc}",
                          error_kind="other")
        rtype = dns.rdatatype.from_text(rdtype)
        chain: list[str] = []
        seen = {qname}
        for _ in range(MAX_CNAME_HOPS):
            hop = self._hop(qname, rtype)
            chain += hop.chain
            if hop.follow is None:
                return Answer(text.rstrip("."), rdtype, hop.outcome, hop.records, tuple(chain),
                              hop.source, hop.error, hop.error_kind, hop.overlong)
            if hop.follow in seen:
                break
            seen.add(hop.follow)
            qname = hop.follow
        return Answer(text.rstrip("."), rdtype, Outcome.ERROR, chain=tuple(chain),
                      error="the CNAME chain loops or is longer than "
                            f"{MAX_CNAME_HOPS} hops", error_kind="other")

    def prefetch(self, questions: Iterable[tuple[str, str]]) -> None:
        """Ask these in the background; a later ``lookup`` finds them cached."""
        for name, rdtype in questions:
            try:
                self._pool.submit(self.lookup, name, rdtype)
            except RuntimeError:  # closed: the lookup will simply be asked in the foreground
                return

    def lookup_many(self, questions: Sequence[tuple[str, str]]) -> list[Answer]:
        """Several questions at once, in order."""
        self.prefetch(questions[1:])
        return [self.lookup(n, t) for n, t in questions]

    # -- single hops, cached -----------------------------------------------------

    def _hop(self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> _Hop:
        key = (qname, int(rdtype))
        with self._lock:
            fut = self._cache.get(key)
            owner = fut is None
            if fut is None:
                fut = self._cache[key] = cf.Future()
        if owner:
            try:
                fut.set_result(self._ask(qname, rdtype))
            except BaseException as exc:  # a bug: hand it to the waiters too
                fut.set_exception(exc)
                raise
        return fut.result()

    def _ask(self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> _Hop:
        for z in self.zones:
            if z.covers(qname):
                self.stats["zone"] += 1
                hit = z.answer(qname, rdtype)
                source = f"zone {z.path.name}"
                if hit.rdataset is not None:
                    return _Hop(Outcome.OK, tuple(hit.rdataset), source=source,
                                overlong=hit.overlong)
                if hit.cname is not None:
                    return _Hop(Outcome.NODATA, chain=(_text(hit.cname),), follow=hit.cname,
                                source=source)
                return _Hop(Outcome.NXDOMAIN if hit.nxdomain else Outcome.NODATA,
                            source=source)
        self.stats["live"] += 1
        return self._ask_live(qname, rdtype)

    def _ask_live(self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> _Hop:
        src = self.live_source
        try:
            ans = self.resolver.resolve(qname, rdtype, raise_on_no_answer=False,
                                        lifetime=self.timeout, search=False)
        except dns.resolver.NXDOMAIN as exc:
            response = exc.responses().get(qname)
            chain = _chain(response, qname) if response is not None else ()
            return _Hop(Outcome.NXDOMAIN, chain=chain, source=src)
        except dns.resolver.LifetimeTimeout:
            return _Hop(Outcome.ERROR, source=src, error_kind="timeout",
                        error=f"no answer within {self.timeout:g}s from {src[4:]} (timeout)")
        except dns.resolver.NoNameservers as exc:
            kind, why = _server_failure(exc)
            return _Hop(Outcome.ERROR, source=src, error=why, error_kind=kind)
        except dns.exception.DNSException as exc:
            return _Hop(Outcome.ERROR, source=src, error=f"{type(exc).__name__}: {exc}",
                        error_kind="other")
        chain = _chain(ans.response, qname)
        if ans.rrset is not None:
            return _Hop(Outcome.OK, tuple(ans.rrset), chain=chain, source=src)
        if chain:  # an authoritative server hands back the CNAME only: follow it ourselves
            return _Hop(Outcome.NODATA, chain=chain, follow=dns.name.from_text(chain[-1]),
                        source=src)
        return _Hop(Outcome.NODATA, source=src)


def _chain(response: dns.message.Message, qname: dns.name.Name) -> tuple[str, ...]:
    """The CNAME targets in a response, starting at ``qname`` (RFC 1034 §3.6.2)."""
    out: list[str] = []
    name = qname
    for _ in range(MAX_CNAME_HOPS):
        step = next((rrset for rrset in response.answer if rrset.name == name
                     and rrset.rdtype == dns.rdatatype.CNAME), None)
        if step is None:
            break
        name = step[0].target  # type: ignore[attr-defined]
        out.append(_text(name))
    return tuple(out)


def _server_failure(exc: dns.resolver.NoNameservers) -> tuple[str, str]:
    errors = exc.kwargs.get("errors") or []
    if not errors:
        return "other", "no nameserver to ask (none configured)"
    parts, kinds = [], set()
    for server, _tcp, _port, err, _response in errors:
        text = str(err) or type(err).__name__
        kinds.add("servfail" if text == "SERVFAIL" else "refused" if text == "REFUSED"
                  else "other")
        parts.append(f"{server} answered {text}")
    kind = kinds.pop() if len(kinds) == 1 else "other"
    return kind, "; ".join(dict.fromkeys(parts))


_WRAPPED: weakref.WeakKeyDictionary[dns.resolver.Resolver, DnsContext] = (
    weakref.WeakKeyDictionary())


def of(resolver: object) -> DnsContext | None:
    """The DnsContext in a CheckContext; a bare dnspython Resolver is wrapped once,
    so checks sharing it share one cache too."""
    if isinstance(resolver, DnsContext):
        return resolver
    if isinstance(resolver, dns.resolver.Resolver):
        with _WRAP_LOCK:
            if resolver not in _WRAPPED:
                _WRAPPED[resolver] = DnsContext(resolver=resolver)
            return _WRAPPED[resolver]
    return None


_WRAP_LOCK = threading.Lock()
