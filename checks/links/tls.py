"""TLS certificates of every https host a campaign touches (live).

What it checks: each https host involved — the campaign links' hosts, every
host their redirects pass through, the landing pages' hosts and the shop
itself (its checkout), plus ``links.tls_urls`` (a checkout or payment page
on another host) — presents a certificate that the HTTP session trusts
and that stays valid until the end of the campaign window
(``links.window.end``; today when none is given) plus ``links.tls_margin_days``.
The expiry date, the days to spare and the issuer are the evidence.

Why it matters: a certificate that expires during Black Friday turns every
influencer's link into a full-page browser warning at the moment the
traffic peaks; automated renewals fail silently more often than expected.

How to fix: renew the certificate (or fix the automated renewal: ACME
client, CDN or load-balancer certificate) so that it is valid well past the
campaign's end, and serve the full chain so that every client trusts it.

The certificate is read with ``ssl`` (``getpeercert(binary_form=True)``)
and parsed with ``cryptography``, because requests does not expose the peer
certificate. Trust comes from the HTTP session (``session.verify``: a CA
bundle, or requests' default), so a test CA or a corporate CA applies here
exactly as for the link checks (a session with ``verify=False`` still gets
the default CAs here: an untrusted certificate is reported, never ignored).
When verification fails, a second
connection that does not verify reads the certificate only to report its
dates; the failure itself is a ``tls-untrusted`` finding.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import os
import socket
import ssl
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID
from peakready.checks.check import Check, CheckContext, Need
from peakready.checks.links import _redirects as redirects
from peakready.checks.links import _urls as urlparts
from peakready.checks.links._set import campaign_links

from peakready.findings import Finding, Status


@dataclass(frozen=True)
class Peer:
    der: bytes
    trusted: bool
    problem: str = ""  # why verification failed


def trust_context(http: requests.Session | None) -> ssl.SSLContext:
    """An SSL context that trusts what the HTTP session trusts."""
    verify = http.verify if http is not None else True
    where = verify if isinstance(verify, str) else (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        or requests.certs.where())
    if os.path.isdir(where):
        return ssl.create_default_context(capath=where)
    return ssl.create_default_context(cafile=where)


def _handshake(context: ssl.SSLContext, host: str, port: int, timeout: float) -> bytes:
    with socket.create_connection((host, port), timeout=timeout) as sock, \
            context.wrap_socket(sock, server_hostname=host) as tls:
        der = tls.getpeercert(binary_form=True)
    if not der:
        raise ssl.SSLError("the server sent no certificate")
    return der


def peer_certificate(host: str, port: int, context: ssl.SSLContext, timeout: float) -> Peer:
    try:
        return Peer(_handshake(context, host, port, timeout), trusted=True)
    except ssl.SSLCertVerificationError as exc:
        problem = exc.verify_message or str(exc)
    inspect = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # local to this one read, never reused
    inspect.check_hostname = False
    inspect.verify_mode = ssl.CERT_NONE
    return Peer(_handshake(inspect, host, port, timeout), trusted=False, problem=problem)


def https_hosts(ctx: CheckContext) -> list[tuple[str, int]]:
    """(host, port) of every https URL involved, in first-seen order."""
    urls: list[str] = [ctx.base_url] if ctx.base_url else []
    links = [e for e in campaign_links(ctx) if urlparts.split(e.url)]
    conv = ctx.the_scenario.links
    timeout = min(ctx.timeout, conv.request_timeout)

    def walk(url: str) -> list[str]:
        if ctx.http is None:
            return [url]
        chain = redirects.follow(ctx.http, url, max_hops=conv.max_hops, timeout=timeout,
                                 read_body=False)
        return [url] + [h.url for h in chain.hops]

    with cf.ThreadPoolExecutor(max_workers=max(1, min(conv.concurrency, len(links)))) as pool:
        for found in pool.map(walk, [e.url for e in links]):
            urls += found
    urls += [e.landing for e in links if e.landing]
    urls += conv.tls_urls
    out: dict[tuple[str, int], None] = {}
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname:
            out[(parts.hostname, parts.port or 443)] = None
    return list(out)


def _deadline(ctx: CheckContext) -> tuple[dt.datetime, str]:
    conv = ctx.the_scenario.links
    end = conv.window.end
    if end is None:
        return ctx.clock() + dt.timedelta(days=conv.tls_margin_days), "today"
    if end.tzinfo is None:  # a wall-clock time in the shop's time zone
        end = end.replace(tzinfo=zoneinfo.ZoneInfo(ctx.the_scenario.target.timezone))
    return end + dt.timedelta(days=conv.tls_margin_days), f"the campaign end ({end.isoformat()})"


def _names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    except x509.ExtensionNotFound:
        return []
    return [str(v) for v in san.value.get_values_for_type(x509.DNSName)] + \
        [str(v) for v in san.value.get_values_for_type(x509.IPAddress)]


def _cn(name: x509.Name) -> str:
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else name.rfc4514_string()


def check_host(ctx: CheckContext, host: str, port: int, context: ssl.SSLContext) -> list[Finding]:
    subject = host if port == 443 else f"{host}:{port}"
    try:
        peer = peer_certificate(host, port, context, min(ctx.timeout, 10.0))
    except (OSError, ssl.SSLError) as exc:
        return [CHECK.finding(subject, Status.ERROR, "tls-unreachable",
                              f"could not be evaluated: {type(exc).__name__}: {exc}"[:400],
                              evidence={"host": host, "port": port},
                              remediation="Check that the host answers TLS on this port, "
                              "then re-run.")]
    cert = x509.load_der_x509_certificate(peer.der)
    now = ctx.clock()
    deadline, end_label = _deadline(ctx)
    margin = ctx.the_scenario.links.tls_margin_days
    after, before = cert.not_valid_after_utc, cert.not_valid_before_utc
    ev: dict[str, Any] = {
        "host": host, "port": port, "not_after": after.isoformat(),
        "not_before": before.isoformat(), "required_until": deadline.isoformat(),
        "days_to_spare": (after - deadline).days, "issuer": _cn(cert.issuer),
        "subject": _cn(cert.subject), "names": _names(cert)[:20], "trusted": peer.trusted}
    renew = "Renew the certificate (or fix its automated renewal) and re-run."
    out = []
    if not peer.trusted:
        out.append(CHECK.finding(subject, Status.FAIL, "tls-untrusted",
                                 f"the certificate is not trusted: {peer.problem}",
                                 evidence=ev, remediation="Serve a certificate for this host "
                                 "from a trusted CA, with the full chain."))
    if after <= now:
        out.append(CHECK.finding(subject, Status.FAIL, "tls-expired",
                                 f"the certificate expired on {after:%Y-%m-%d %H:%M} UTC",
                                 evidence=ev, remediation=renew))
    elif after < deadline:
        out.append(CHECK.finding(
            subject, Status.FAIL, "tls-expires-too-soon",
            f"the certificate expires on {after:%Y-%m-%d %H:%M} UTC, before {end_label} "
            f"plus {margin} days", evidence=ev, remediation=renew))
    if before > now:
        out.append(CHECK.finding(subject, Status.FAIL, "tls-not-yet-valid",
                                 f"the certificate is valid only from {before:%Y-%m-%d %H:%M} "
                                 "UTC", evidence=ev, remediation="Check the server's clock "
                                 "and the certificate's dates."))
    if not out:
        out.append(CHECK.finding(
            subject, Status.PASS, "tls-ok",
            f"trusted, valid until {after:%Y-%m-%d} ({(after - deadline).days} days after "
            f"{end_label} plus {margin} days)", evidence=ev))
    return out


def run(ctx: CheckContext) -> Iterator[Finding]:
    hosts = https_hosts(ctx)
    if not hosts:
        yield CHECK.finding("tls", Status.SKIP, "no-https-hosts",
                            "no campaign link, landing page or shop URL uses https")
        return
    context = trust_context(ctx.http)
    with cf.ThreadPoolExecutor(max_workers=min(8, len(hosts))) as pool:
        for found in pool.map(lambda h: check_host(ctx, h[0], h[1], context), hosts):
            yield from found


CHECK = Check(id="links.tls", title="TLS certificates outlive the campaign",
              run=run, doc=__doc__ or "", needs=(Need.SCENARIO,), timeout=120.0)
