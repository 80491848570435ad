"""The scenario's ``email:`` section: the domains that send the shop's mail,
their DKIM selectors, planned zone files and where to ask DNS.

```yaml
email:
  domains:
    - hearth-home.example                  # DKIM: common ESP selectors are probed
    - {name: news.hearth-home.example, selectors: [hh2025, s1]}
  zone_files: [demo-email.zone]            # answered before live DNS (pre-flight)
  nameserver: 127.0.0.1:5353               # optional HOST[:PORT]; default: the system resolver
  timeout: 5s                              # per DNS lookup
```

Zone files are relative to the scenario file; a name not found there is
looked up in peakready's own ``scenarios/`` folder, so a copy of the demo
scenario keeps finding the demo's zone file.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator

from peakready.errors import BadInput
from peakready.units import Duration, Strict

# RFC 1035 §2.3.1 preferred name syntax, plus "_" (used by SPF/DKIM owner names)
_LABEL = r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+\.?$")
_SELECTOR = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")


def domain_name(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 253 or not _DOMAIN.match(value):
        raise ValueError(f"{value!r} is not a domain name such as shop.example.com")
    return value.rstrip(".")


def split_nameserver(spec: str) -> tuple[str, int]:
    """``HOST[:PORT]``, ``IP[:PORT]`` or ``[IPv6]:PORT`` (or a bare IPv6 address)
    -> (host, port). A host name is resolved when the nameserver is used
    (``resolve_nameserver``), not here: validation never touches the network."""
    host, port = spec.strip(), "53"
    if host.startswith("["):
        host, _, rest = host[1:].partition("]")
        port = rest.removeprefix(":") or port
    elif host.count(":") == 1:
        host, _, port = host.partition(":")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost" and not _DOMAIN.match(host.lower()):
            raise ValueError(f"{spec!r}: give the nameserver as HOST[:PORT] or IP[:PORT], "
                             "such as ns1.example.net, 127.0.0.1:5353 or [::1]:53") from None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{spec!r}: the port must be a number from 1 to 65535")
    return host, int(port)


def resolve_nameserver(host: str) -> str:
    """The IP address to send DNS questions to (a host name asks the system)."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, 53, type=socket.SOCK_DGRAM)
    except OSError as exc:
        raise BadInput(f"nameserver {host!r}: cannot resolve it ({exc}); give its IP "
                       "address instead") from None
    return str(infos[0][4][0])


def _entry(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


class EmailDomain(Strict):
    name: str = Field(description="A domain the shop sends mail from (the From: domain).")
    selectors: list[str] = Field(
        default_factory=list, description="DKIM selectors to check (the s= of your "
        "DKIM-Signature). Empty: the selectors common ESPs use are probed.")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return domain_name(v)

    @field_validator("selectors")
    @classmethod
    def _selectors(cls, v: list[str]) -> list[str]:
        for s in v:
            if not _SELECTOR.match(s):
                raise ValueError(f"{s!r} is not a DKIM selector (letters, digits, - and _, "
                                 "dot-separated)")
        return v


class Email(Strict):
    domains: list[Annotated[EmailDomain, BeforeValidator(_entry)]] = Field(
        min_length=1, description="Sending domains: a name, or {name, selectors}.")
    zone_files: list[str] = Field(
        default_factory=list, description="Planned zone files, answered before live DNS "
        "(pre-flight). Relative to the scenario file.")
    nameserver: str | None = Field(
        None, description="HOST[:PORT] of a nameserver to ask instead of the system resolver.")
    # at most 20 s: a domain's deadline is twice this, within the check's 60 s
    timeout: Duration = Field(5.0, gt=0, le=20, description="Per DNS lookup.")

    @field_validator("nameserver")
    @classmethod
    def _nameserver(cls, v: str | None) -> str | None:
        if v is not None:
            split_nameserver(v)
        return v

    @field_validator("domains")
    @classmethod
    def _unique(cls, v: list[EmailDomain]) -> list[EmailDomain]:
        seen: set[str] = set()
        for d in v:
            if d.name in seen:
                raise ValueError(f"duplicate domain {d.name!r}")
            seen.add(d.name)
        return v
