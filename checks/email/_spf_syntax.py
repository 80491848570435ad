"""SPF record syntax (RFC 7208 §4.5, §4.6, §5, §6, §7): terms, domain-specs and
macros, parsed into values the SPF check walks.

Written by hand because no maintained Python library parses SPF without
also evaluating it against a client IP (pyspf needs one, and its parser is
not a public API); the check needs the record's structure, not a verdict
for one connection. The grammar is small and every rule cites its section.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

QUALIFIERS = "+-~?"
MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
LOOKUP_TERMS = ("include", "a", "mx", "ptr", "exists", "redirect")  # RFC 7208 §4.6.4
_MODIFIER = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*)=(.*)$")  # §4.6.1 name "=" macro-string
_MACRO = re.compile(r"%\{([A-Za-z])(\d*)(r?)([.\-+,/_=]*)\}|%%|%_|%-", re.I)  # §7.1
_CIDR = re.compile(r"^(?P<spec>.*?)(?P<v4>/\d+)?(?P<v6>//\d+)?$")
_TOPLABEL = re.compile(r"^(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*"
                       r"[A-Za-z0-9])$")  # §7.1 toplabel: not all-numeric
_EXP_ONLY = "crt"  # §7.2: these macro letters are allowed only in "exp" text
_LETTERS = "slodipvh" + _EXP_ONLY


def is_spf(text: str) -> bool:
    """§4.5: exactly "v=spf1", then a space or the end of the record."""
    return text[:6].lower() == "v=spf1" and (len(text) == 6 or text[6] == " ")


@dataclass(frozen=True)
class Term:
    text: str
    name: str  # a mechanism name, or a modifier's name
    modifier: bool = False
    qualifier: str = "+"
    spec: str = ""  # domain-spec, network or modifier value, without the CIDR lengths
    cidr: str = ""


@dataclass
class Record:
    terms: list[Term] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def mechanisms(self) -> list[Term]:
        return [t for t in self.terms if not t.modifier]

    def modifier(self, name: str) -> Term | None:
        return next((t for t in self.terms if t.modifier and t.name == name), None)

    def all_term(self) -> Term | None:
        return next((t for t in self.mechanisms() if t.name == "all"), None)


def macro_errors(text: str, exp: bool = False) -> list[str]:
    """§7.1 macro-string: every "%" starts a valid macro-expand."""
    errors = []
    rest = _MACRO.sub("", text)
    if "%" in rest:
        errors.append("a '%' that does not start a macro (write %% for a literal %)")
    for m in _MACRO.finditer(text):
        letter = (m.group(1) or "").lower()
        if m.group(1) and letter not in _LETTERS:
            errors.append(f"unknown macro letter %{{{m.group(1)}}}")
        elif letter and letter in _EXP_ONLY and not exp:
            errors.append(f"%{{{m.group(1)}}} is allowed only in exp= text (§7.2)")
    if any(not 0x21 <= ord(c) <= 0x7E for c in rest):
        errors.append("characters outside printable ASCII")
    return errors


def domain_spec_errors(spec: str) -> list[str]:
    """§7.1 domain-spec = macro-string domain-end; domain-end is "." toplabel
    (not all-numeric, so an IP address is not a domain) or a macro-expand."""
    if not spec:
        return ["an empty domain"]
    errors = macro_errors(spec)
    if errors or any(m.end() == len(spec) for m in _MACRO.finditer(spec)):
        return errors
    labels = spec.removesuffix(".").split(".")
    if len(labels) < 2 or not _TOPLABEL.match(labels[-1]):
        return [f"{spec!r} does not end in a top-level domain label"]
    if any(not label or len(label) > 63 for label in labels if "%" not in label):
        return [f"{spec!r} has an empty or over-long label"]
    return []


def _cidr_errors(v4: str | None, v6: str | None) -> list[str]:
    errors = []
    for text, top in ((v4, 32), (v6, 128)):
        if text:
            digits = text.lstrip("/")
            if (digits.startswith("0") and digits != "0") or int(digits) > top:
                errors.append(f"prefix length /{digits} is not 0-{top} (§5.6)")
    return errors


def parse_term(text: str) -> tuple[Term | None, list[str]]:
    mod = _MODIFIER.match(text)
    if mod and text[0] not in QUALIFIERS:
        name, value = mod.group(1).lower(), mod.group(2)
        # §6: unknown modifiers are ignored, but must still be macro-strings
        errs = domain_spec_errors(value) if name in ("redirect", "exp") else macro_errors(value)
        return Term(text, name, modifier=True, spec=value), errs
    qualifier = text[0] if text[0] in QUALIFIERS else "+"
    body = text[1:] if text[0] in QUALIFIERS else text
    name, sep, value = re.match(r"^([A-Za-z0-9]*)(:?)(.*)$", body).groups()  # type: ignore[union-attr]
    name = name.lower()
    if name not in MECHANISMS:
        return None, [f"unknown mechanism {text!r} (§5)"]
    if name == "all":
        return Term(text, name, qualifier=qualifier), ([] if not (sep or value) else
                                                      [f"{text!r}: all takes no argument"])
    if name in ("ip4", "ip6"):
        return Term(text, name, qualifier=qualifier, spec=value), _ip_errors(name, value)
    m = _CIDR.match(value)
    assert m is not None
    spec, v4, v6 = m.group("spec"), m.group("v4"), m.group("v6")
    if not sep and spec:
        return None, [f"unknown mechanism {text!r} (§5)"]
    errors: list[str] = []
    if name in ("include", "exists") and not sep:
        errors.append(f"{text!r}: {name} needs a domain (§5.2, §5.7)")
    if sep:
        errors += domain_spec_errors(spec)
    if v4 or v6:
        if name not in ("a", "mx"):
            errors.append(f"{text!r}: only a and mx take a prefix length")
        errors += _cidr_errors(v4, v6)
    cidr = (v4 or "") + (v6 or "")
    return Term(text, name, qualifier=qualifier, spec=spec, cidr=cidr), errors


def _ip_errors(name: str, value: str) -> list[str]:
    addr, _, length = value.partition("/")
    try:
        if name == "ip4":
            ipaddress.IPv4Address(addr)
        else:
            ipaddress.IPv6Address(addr)
    except ValueError:
        return [f"{name}:{value}: {addr!r} is not an IPv{name[-1]} address (§5.6)"]
    if length:
        if not length.isdigit():
            return [f"{name}:{value}: bad prefix length"]
        return _cidr_errors(f"/{length}", None) if name == "ip4" else _cidr_errors(
            None, f"//{length}")
    return []


def parse(record: str) -> Record:
    """A record already selected by ``is_spf``."""
    out = Record()
    seen_mods: set[str] = set()
    for text in record.split()[1:]:
        term, errors = parse_term(text)
        out.errors += [e if text in e else f"{text!r}: {e}" for e in errors]
        if term is None:
            continue
        if term.modifier and term.name in ("redirect", "exp"):
            if term.name in seen_mods:  # §6: at most once each
                out.errors.append(f"{term.name}= appears more than once (§6)")
            seen_mods.add(term.name)
        out.terms.append(term)
    return out


def expand(spec: str, domain: str) -> str | None:
    """Expand a domain-spec for ``domain`` (§7.3); None when it depends on the
    message (sender, client IP, HELO): only %{d} is known before mail is sent."""
    if not spec:
        return domain

    def one(m: re.Match[str]) -> str:
        token = m.group(0)
        if token in ("%%", "%_", "%-"):
            return {"%%": "%", "%_": " ", "%-": "%20"}[token]
        if m.group(1).lower() != "d":
            raise LookupError
        parts = re.split("[" + re.escape(m.group(4) or ".") + "]", domain)
        if m.group(3):
            parts.reverse()
        if m.group(2):
            parts = parts[-int(m.group(2)):] if int(m.group(2)) else parts
        return ".".join(parts)

    try:
        out = _MACRO.sub(one, spec).rstrip(".")
    except LookupError:
        return None
    while len(out) > 253 and "." in out:  # §7.3: truncate from the left
        out = out.split(".", 1)[1]
    return out
