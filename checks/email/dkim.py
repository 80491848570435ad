"""DKIM: the public keys receivers use to verify the shop's signed mail
(RFC 6376, key sizes from RFC 8301, Ed25519 from RFC 8463).

What it checks: for every selector the scenario lists (``email.domains[].
selectors``; when none are listed, the selectors common ESPs use are probed),
``<selector>._domainkey.<domain>`` has exactly one TXT record, following
CNAMEs to the ESP that hosts it; the record parses as a tag list with
``v=DKIM1`` first if present; the key is not revoked (empty ``p=``), of a known
type (``k=rsa`` or ``ed25519``), usable for email (``s=``), not restricted to
SHA-1 (``h=``), and loads as a key: RSA below 1024 bits fails, 1024 warns,
2048 and more passes (the size is read by ``cryptography`` from the DER key
in ``p=``: a SubjectPublicKeyInfo, as most publish, or the bare RSAPublicKey
RFC 6376 §3.6.1 names). ``t=y`` (testing) warns.

Why it matters: Google, Yahoo and Microsoft require bulk mail to be DKIM
signed, and Google rejects keys below 1024 bits. A selector that was never
published, or a CNAME left dangling after an ESP migration, makes every
message from that stream unsigned on the day it matters.

How to fix: publish the record your ESP gives you (usually a CNAME to the
ESP), rotate to a 2048-bit RSA key, remove ``t=y`` once signing works, and
list the selectors in the scenario so this check watches them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key
from peakready.checks.check import Check, CheckContext, Need
from peakready.checks.email._common import dns_error, finding, for_each_domain, parse_tags

from peakready.email.config import EmailDomain
from peakready.email.dns import Answer, DnsContext, Outcome
from peakready.findings import Finding, Status

BULK = ("dkim",)
# Selectors ESPs commonly publish (hints for probing, not proof of who signs).
COMMON_SELECTORS = {
    "google": "Google Workspace", "selector1": "Microsoft 365", "selector2": "Microsoft 365",
    "k1": "Mailchimp, Mailgun", "k2": "Mailchimp", "k3": "Mailchimp", "mandrill": "Mandrill",
    "s1": "SendGrid", "s2": "SendGrid", "kl": "Klaviyo", "kl2": "Klaviyo", "hs1": "HubSpot",
    "hs2": "HubSpot", "mailjet": "Mailjet", "zoho": "Zoho Mail", "mail": "Brevo and others",
    "default": "various", "dkim": "various",
}
# Where an ESP's CNAME targets live (suffix -> ESP): names the ESP in the evidence.
ESP_SUFFIXES = {
    "sendgrid.net": "SendGrid", "mcsv.net": "Mailchimp", "mandrillapp.com": "Mandrill",
    "amazonses.com": "Amazon SES", "onmicrosoft.com": "Microsoft 365",
    "mailgun.org": "Mailgun", "klaviyodns.com": "Klaviyo", "hubspotemail.net": "HubSpot",
    "sendinblue.com": "Brevo", "brevo.com": "Brevo", "mtasv.net": "Postmark",
    "zoho.com": "Zoho Mail", "mailjet.com": "Mailjet", "shopify.com": "Shopify",
}
KNOWN_KEY_TYPES = ("rsa", "ed25519")  # RFC 6376 §3.6.1, RFC 8463 §4

FIX = {
    "dkim-selector-missing": "Publish the selector's record from your ESP's DNS setup page "
                             "(often a CNAME), or fix the selector name in the scenario.",
    "dkim-dangling-cname": "The CNAME points to a name that does not exist (an ESP account "
                           "closed or moved): update it from the ESP's setup page or remove "
                           "the selector and stop signing with it.",
    "dkim-multiple-records": "Keep one TXT record at the selector; verifiers may pick either.",
    "dkim-syntax": "Republish the record exactly as `v=DKIM1; k=rsa; p=<key>` (RFC 6376 "
                   "§3.6.1).",
    "dkim-key-revoked": "The key is revoked (empty p=): sign with a selector that has a key, "
                        "or publish the new key here.",
    "dkim-unknown-key-type": "Use k=rsa (or k=ed25519 alongside an RSA selector).",
    "dkim-not-for-email": "Remove s= or set s=email (or s=*).",
    "dkim-sha1-only": "Remove h=sha1 (RFC 8301 §3.1: rsa-sha1 MUST NOT be used); sign with "
                      "rsa-sha256.",
    "dkim-key-invalid": "p= is not a valid public key: copy it again from the ESP (no "
                        "quotes, line breaks or PEM headers inside).",
    "dkim-key-too-short": "Rotate to a 2048-bit RSA key: keys below 1024 bits are rejected "
                          "(RFC 8301 §3.2).",
    "dkim-key-1024": "Rotate to a 2048-bit RSA key at your next key change (RFC 8301 §3.2: "
                     "SHOULD be at least 2048).",
    "dkim-key-too-long": "Use a 2048-bit key: verifiers need not accept keys over 4096 bits "
                         "(RFC 8301 §3.2).",
    "dkim-testing": "Remove t=y once signing is verified: receivers treat mail signed in "
                    "testing mode like unsigned mail (RFC 6376 §3.6.1).",
    "dkim-no-selector": "List the selectors in the scenario (email.domains[].selectors): the "
                        "s= value in the DKIM-Signature header of a message you sent.",
}


def esp_of(chain: tuple[str, ...]) -> str | None:
    for name in reversed(chain):
        for suffix, esp in ESP_SUFFIXES.items():
            if name == suffix or name.endswith("." + suffix):
                return esp
    return None


def _key(k: str, data: bytes) -> tuple[int | None, str]:
    """(RSA bits or None for Ed25519, problem)."""
    if k == "ed25519":
        if len(data) != 32:
            return None, f"an Ed25519 key is 32 bytes, this one {len(data)} (RFC 8463 §4)"
        ed25519.Ed25519PublicKey.from_public_bytes(data)
        return None, ""
    try:
        key = load_der_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        return None, f"not a DER public key: {exc}"
    if not isinstance(key, rsa.RSAPublicKey):
        return None, f"k=rsa, but p= holds a {type(key).__name__}"
    return key.key_size, ""


def evaluate(subject: str, selector: str, ans: Answer, probed: bool) -> Iterator[Finding]:
    ev: dict[str, Any] = {"selector": selector, "cname_chain": list(ans.chain),
                          "esp": esp_of(ans.chain), "source": ans.source, "probed": probed}

    def out(status: Status, code: str, summary: str, bulk: tuple[str, ...] = BULK,
            **more: Any) -> Finding:
        return finding(CHECK, subject, status, code, summary, bulk, {**ev, **more},
                       FIX.get(code, ""))

    if ans.outcome is Outcome.ERROR:
        yield dns_error(CHECK, subject, "dkim-dns-error", ans, BULK)
        return
    texts = ans.texts()
    if not texts:
        if ans.chain:
            yield out(Status.FAIL, "dkim-dangling-cname",
                      f"the selector is a CNAME to {ans.chain[-1]}, which has no DKIM record")
        else:
            yield out(Status.FAIL, "dkim-selector-missing",
                      f"no DKIM record at {subject} ({ans.outcome.value})")
        return
    if len(texts) > 1:
        yield out(Status.FAIL, "dkim-multiple-records",
                  f"{len(texts)} TXT records at the selector", records=texts)
        return
    ev["record"] = texts[0]
    pairs, errors = parse_tags(texts[0])
    tags = {n: v for n, v in pairs}
    if "v" in tags and (pairs[0][0] != "v" or tags["v"] != "DKIM1"):
        errors.append("v= must be the first tag and equal DKIM1 (RFC 6376 §3.6.1)")
    if "p" not in tags and not errors:
        errors.append("p= (the public key) is required")
    if errors:
        yield out(Status.FAIL, "dkim-syntax", "the DKIM record does not parse: "
                  + "; ".join(errors[:3]), errors=errors)
        return
    k = tags.get("k", "rsa").lower()
    services = [s.strip() for s in tags.get("s", "*").split(":")]
    hashes = [h.strip().lower() for h in tags.get("h", "sha256").split(":")]
    flags = [f.strip().lower() for f in tags.get("t", "").split(":")]
    p = "".join(tags["p"].split())
    if k not in KNOWN_KEY_TYPES:
        yield out(Status.FAIL, "dkim-unknown-key-type", f"unknown key type k={k}")
        return
    if not p:
        yield out(Status.FAIL, "dkim-key-revoked", "the key is revoked (empty p=)")
        return
    if "*" not in services and "email" not in services:
        yield out(Status.FAIL, "dkim-not-for-email",
                  f"s={tags['s']}: the key may not be used for email")
        return
    if "sha256" not in hashes:
        yield out(Status.FAIL, "dkim-sha1-only", f"h={tags['h']}: only SHA-1 is allowed")
        return
    try:
        bits, problem = _key(k, base64.b64decode(p, validate=True))
    except (binascii.Error, ValueError) as exc:
        bits, problem = None, f"p= is not base64: {exc}"
    if problem:
        yield out(Status.FAIL, "dkim-key-invalid", f"p= is not a usable {k} key: {problem}")
        return
    ev.update(key_type=k, bits=bits)
    if "y" in flags:
        yield out(Status.WARN, "dkim-testing", "t=y: the domain says it is testing DKIM")
    if bits is not None and bits < 1024:
        yield out(Status.FAIL, "dkim-key-too-short",
                  f"RSA key of {bits} bits (minimum 1024)", (*BULK, "dkim-key-1024"))
        return
    if bits is not None and bits < 2048:
        yield out(Status.WARN, "dkim-key-1024", f"RSA key of {bits} bits: 2048 recommended",
                  ())
    elif bits is not None and bits > 4096:
        yield out(Status.WARN, "dkim-key-too-long",
                  f"RSA key of {bits} bits: verifiers need only handle up to 4096")
    size = f"{bits}-bit RSA" if bits else "Ed25519"
    how = f" (found by probing, selector used by {COMMON_SELECTORS[selector]})" if probed else ""
    yield out(Status.PASS, "dkim-ok", f"{size} key published{how}",
              (*BULK, "dkim-key-1024") if bits else BULK)


def analyze(dns: DnsContext, d: EmailDomain) -> Iterator[Finding]:
    probed = not d.selectors
    selectors = d.selectors or list(COMMON_SELECTORS)
    if probed:  # RFC 8020: NXDOMAIN for _domainkey means no selector exists below it
        parent = dns.lookup(f"_domainkey.{d.name}", "TXT")
        if parent.outcome is Outcome.NXDOMAIN:
            selectors = []
    names = [f"{s}._domainkey.{d.name}" for s in selectors]
    answers = dns.lookup_many([(n, "TXT") for n in names])
    if not probed:
        for s, name, ans in zip(selectors, names, answers, strict=True):
            yield from evaluate(name, s, ans, probed=False)
        return
    found = [(s, n, a) for s, n, a in zip(selectors, names, answers, strict=True)
             if a.outcome is Outcome.OK and a.texts()]
    for s, name, ans in found:
        yield from evaluate(name, s, ans, probed=True)
    if found:
        return
    failed = next((a for a in answers if a.outcome is Outcome.ERROR), None)
    if failed is not None:
        yield dns_error(CHECK, d.name, "dkim-dns-error", failed, BULK)
        return
    yield finding(CHECK, d.name, Status.WARN, "dkim-no-selector",
                  "no DKIM selector listed for this domain, and none of the common ESP "
                  "selectors has a key", BULK, {"probed": list(COMMON_SELECTORS),
                                               "no_domainkey_subtree": not selectors},
                  FIX["dkim-no-selector"])


def run(ctx: CheckContext) -> Iterator[Finding]:
    yield from for_each_domain(ctx, CHECK, analyze, BULK)


CHECK = Check(id="email.dkim", title="DKIM keys of the sending domains",
              run=run, doc=__doc__ or "", needs=(Need.EMAIL,))
