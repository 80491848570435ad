"""SPF record syntax (RFC 7208): terms that parse, terms that do not, and the
macros a pre-flight can expand (only %{d}; the rest depend on the message)."""

from __future__ import annotations

import pytest
from peakready.checks.email._spf_syntax import expand, is_spf, parse


@pytest.mark.parametrize(("text", "spf"), [
    ("v=spf1 -all", True), ("v=spf1", True), ("V=SPF1 -all", True),
    ("v=spf10 -all", False), ("v=spf1-all", False), ("spf2.0/pra -all", False),
])
def test_record_selection(text: str, spf: bool) -> None:
    assert is_spf(text) is spf


@pytest.mark.parametrize("record", [
    "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx ptr -all",
    "v=spf1 a:mail.example.com/24//64 mx/28 ~all",
    "v=spf1 include:_spf.%{d} exists:%{ir}.%{v}._spf.%{d2} ?all",
    "v=spf1 redirect=_spf.example.com exp=explain._spf.%{d}",
    "v=spf1 custom-mod=%{l}%%x -all",  # unknown modifiers are ignored (§6)
    "v=spf1 include:example.com. -all",  # a trailing dot is allowed
])
def test_valid_records(record: str) -> None:
    assert parse(record).errors == []


@pytest.mark.parametrize(("record", "error"), [
    ("v=spf1 ip4:192.0.2.300 -all", "not an IPv4 address"),
    ("v=spf1 ip4:192.0.2.0/33 -all", "/33 is not 0-32"),
    ("v=spf1 ip6:2001:db8::/129 -all", "/129 is not 0-128"),
    ("v=spf1 ip6:192.0.2.1 -all", "not an IPv6 address"),
    ("v=spf1 include -all", "include needs a domain"),
    ("v=spf1 include:1.2.3.4 -all", "top-level domain"),
    ("v=spf1 a:%{x}.example.com -all", "unknown macro letter"),
    ("v=spf1 a:%{c}.example.com -all", "only in exp="),
    ("v=spf1 include:50%.example.com -all", "does not start a macro"),
    ("v=spf1 redirect=a.example redirect=b.example", "more than once"),
    ("v=spf1 ipv4:192.0.2.1 -all", "unknown mechanism"),
    ("v=spf1 all:x", "takes no argument"),
    ("v=spf1 ptr/24 -all", "only a and mx take a prefix length"),
])
def test_syntax_errors(record: str, error: str) -> None:
    errors = parse(record).errors
    assert any(error in e for e in errors), errors


@pytest.mark.parametrize(("spec", "domain", "expanded"), [
    ("", "shop.example", "shop.example"),
    ("_spf.%{d}", "shop.example", "_spf.shop.example"),
    ("%{d2}", "mail.shop.example", "shop.example"),
    ("%{dr}", "mail.shop.example", "example.shop.mail"),
    ("%{d1r}", "mail.shop.example", "mail"),
    ("%{d-}.x", "a-b.example", "a.b.example.x"),
    ("%{i}._spf.%{d}", "shop.example", None),  # the client IP: unknown before sending
    ("%{s}", "shop.example", None),
])
def test_macro_expansion(spec: str, domain: str, expanded: str | None) -> None:
    assert expand(spec, domain) == expanded
