"""Planned zone files: the records a team means to publish, answered like an
authoritative server would, so a pre-flight check runs the same code as a live one.

dnspython's ``dns.zone`` parses the file; this module adds what an
authoritative server does on top of the parsed data (RFC 1034 §4.3.2):
NXDOMAIN versus NODATA (empty non-terminals count as existing names), CNAMEs
handed back for the resolver to follow, wildcards (RFC 4592) and zone cuts
(names below a delegation are not ours to answer).

One thing is deliberately more lenient than dnspython: a TXT string longer
than 255 bytes is a hard syntax error there (it cannot exist on the wire), yet
it is exactly the mistake a planned zone file makes when a long SPF record is
pasted as one string. Such strings are split into 255-byte pieces before
parsing and remembered, so the SPF check can fail them by name
(``spf-string-too-long``) instead of the whole file being rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.zone

from peakready.errors import BadInput

_QUOTED = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
_ESCAPE_UNIT = re.compile(r"\\\d{3}|\\.|[^\\]", re.S)
_SUFFIXES = (".zone", ".db", ".txt")
MAX_STRING = 255  # RFC 1035 §3.3: a <character-string> is at most 255 octets


def _units(body: str) -> list[tuple[str, int]]:
    """A quoted string's escape units with their size in octets on the wire."""
    out = []
    for unit in _ESCAPE_UNIT.findall(body):
        out.append((unit, 1 if unit.startswith("\\") else len(unit.encode())))
    return out


def _split_long_strings(text: str) -> tuple[str, list[tuple[int, list[str]]]]:
    """Split quoted strings over 255 octets; return the text and (octets, pieces)."""
    found: list[tuple[int, list[str]]] = []

    def split(m: re.Match[str]) -> str:
        units = _units(m.group(1))
        size = sum(n for _, n in units)
        if size <= MAX_STRING:
            return m.group(0)
        pieces, cur, cur_n = [], "", 0
        for unit, n in units:
            if cur_n + n > MAX_STRING:
                pieces.append(cur)
                cur, cur_n = "", 0
            cur += unit
            cur_n += n
        pieces.append(cur)
        found.append((size, pieces))
        return " ".join(f'"{p}"' for p in pieces)

    return _QUOTED.sub(split, text), found


@dataclass(frozen=True)
class ZoneHit:
    """What the zone says about one (name, type): records, a CNAME to follow,
    NODATA or NXDOMAIN."""

    rdataset: dns.rdataset.Rdataset | None = None
    cname: dns.name.Name | None = None
    nxdomain: bool = False
    overlong: tuple[int, ...] = ()


@dataclass
class PlannedZone:
    path: Path
    zone: dns.zone.Zone
    names: set[dns.name.Name] = field(default_factory=set)  # owners and their ancestors
    cuts: set[dns.name.Name] = field(default_factory=set)  # delegations below the apex
    overlong: dict[dns.name.Name, tuple[int, ...]] = field(default_factory=dict)

    @property
    def origin(self) -> dns.name.Name:
        assert self.zone.origin is not None
        return self.zone.origin

    def covers(self, qname: dns.name.Name) -> bool:
        """True when this zone is authoritative for ``qname``."""
        if not qname.is_subdomain(self.origin):
            return False
        return not any(qname.is_subdomain(cut) for cut in self.cuts)

    def answer(self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> ZoneHit:
        node_name = qname
        if qname not in self.names:
            # RFC 4592 §3.3.1: the closest encloser's wildcard answers for it
            encloser = qname.parent()
            while encloser not in self.names and encloser != self.origin:
                encloser = encloser.parent()
            node_name = dns.name.Name(("*", *encloser.labels))
            if node_name not in self.names:
                return ZoneHit(nxdomain=True)
        node = self.zone.get_node(node_name)
        if node is None:  # an empty non-terminal: the name exists, with no data
            return ZoneHit()
        found = node.get_rdataset(dns.rdataclass.IN, rdtype)
        if found is not None:
            return ZoneHit(rdataset=found, overlong=self.overlong.get(node_name, ()))
        cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
        if cname is not None and rdtype != dns.rdatatype.CNAME:
            return ZoneHit(cname=cname[0].target)  # type: ignore[attr-defined]
        return ZoneHit()


def _origin_from_name(path: Path) -> dns.name.Name | None:
    name = path.name
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    if "." not in name:
        return None
    try:
        return dns.name.from_text(name)
    except dns.exception.DNSException:
        return None


def load_zone(path: str | Path) -> PlannedZone:
    """Parse one planned zone file; BadInput names the file, the line and the fix."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: cannot read the zone file: {exc}") from None
    text, long_strings = _split_long_strings(raw)
    origin = None
    if not re.search(r"^\$ORIGIN\s", raw, re.M | re.I):
        origin = _origin_from_name(path)
        if origin is None:
            raise BadInput(f"{path}: no $ORIGIN in the zone file and none in its name; "
                           "add `$ORIGIN example.com.` at the top or name the file "
                           "example.com.zone")
    try:
        zone = dns.zone.from_text(text, origin=origin, relativize=False, filename=str(path),
                                  check_origin=False)
    except dns.exception.DNSException as exc:
        why = str(exc).removeprefix(f"{path}:")  # dnspython says "<file>:<line>: <why>"
        line, sep, rest = why.partition(": ")
        where = f"{path}:{line}" if sep and line.isdigit() else str(path)
        # dnspython counts the line after a record when the error shows at its end
        raise BadInput(f"{where}: not a valid zone file (at or just before this line): "
                       f"{rest if where != str(path) else why}",
                       ["fix the record at that line (the syntax is RFC 1035 §5 master "
                        "file format, as your DNS provider exports it)"]) from None
    planned = PlannedZone(path=path, zone=zone)
    for name, node in zone.nodes.items():
        n = name
        while n != planned.origin and n.is_subdomain(planned.origin):
            planned.names.add(n)
            n = n.parent()
        if name != planned.origin and node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NS):
            planned.cuts.add(name)
        txt = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.TXT)
        if txt is not None and long_strings:
            sizes = tuple(size for size, pieces in long_strings
                          for rd in txt if _contains(rd.strings, pieces))  # type: ignore[attr-defined]
            if sizes:
                planned.overlong[name] = sizes
    planned.names.add(planned.origin)
    return planned


def _contains(strings: tuple[bytes, ...], pieces: list[str]) -> bool:
    """Whether the split pieces of one long string appear in a parsed TXT rdata."""
    n = len(pieces)
    decoded = [_unescape(p) for p in pieces]
    return any(list(strings[i:i + n]) == decoded for i in range(len(strings) - n + 1))


def _unescape(text: str) -> bytes:
    out = bytearray()
    for unit in _ESCAPE_UNIT.findall(text):
        if unit.startswith("\\") and len(unit) == 4:
            out.append(int(unit[1:]))
        elif unit.startswith("\\"):
            out += unit[1:].encode()
        else:
            out += unit.encode()
    return bytes(out)


def load_zones(paths: list[str] | list[Path]) -> list[PlannedZone]:
    zones = [load_zone(p) for p in paths]
    seen: dict[dns.name.Name, Path] = {}
    for z in zones:
        if z.origin in seen:
            raise BadInput(f"{z.path}: zone {z.origin} is also planned in {seen[z.origin]}; "
                           "give each zone once")
        seen[z.origin] = z.path
    return zones
