"""The mailbox providers' bulk-sender requirements that DNS can show.

Google and Yahoo (February 2024) and Microsoft Outlook.com (May 2025) require
bulk senders (about 5,000+ messages a day) to authenticate their mail. Email
findings name the requirements they affect in ``evidence["bulk_sender"]``
(a list of the ids below); the report's bulk-sender table is built from this
catalogue and those findings. Requirements that DNS cannot show (one-click
unsubscribe, spam-complaint rate) are listed so the table says "not checked"
instead of implying they were.

Sources: Google "Email sender guidelines" (support.google.com/a/answer/81126),
Yahoo "Sender Best Practices" (senders.yahooinc.com/best-practices), Microsoft
"Strengthening Email Ecosystem: Outlook's New Requirements for High-Volume
Senders" (techcommunity.microsoft.com, April 2025).
"""

from __future__ import annotations

from dataclasses import dataclass

PROVIDERS = ("google", "yahoo", "microsoft")


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    providers: tuple[str, ...]
    checkable: bool = True  # from DNS; False: listed, never evaluated here


REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement("spf", "SPF record published for the sending domain", PROVIDERS),
    Requirement("dkim", "DKIM signing with a published key", PROVIDERS),
    Requirement("dkim-key-1024", "DKIM key of at least 1024 bits", ("google",)),
    Requirement("dmarc", "DMARC record published (p=none at least)", PROVIDERS),
    Requirement("alignment", "From: domain aligned with SPF or DKIM (DMARC pass)", PROVIDERS),
    Requirement("unsubscribe", "One-click unsubscribe (RFC 8058) in marketing mail",
                ("google", "yahoo"), checkable=False),
    Requirement("spam-rate", "Spam complaint rate below 0.3%", ("google", "yahoo"),
                checkable=False),
)

BY_ID = {r.id: r for r in REQUIREMENTS}
