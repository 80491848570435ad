"""Captures: what a step keeps from an answer, and where it reads a message.

One capture reads one kind of place — a JMESPath in a JSON body, a regular
expression over the body, a CSS selector (text or an attribute), a named form
field (a CSRF token, a hidden input), a response header, or a cookie — and
gives the first match, a random one, or all of them as a list. Each kind is
compiled once (``compile_capture``), then applied to every answer.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import jmespath

from peakready.shops.answer import Answer

Pick = Literal["first", "random", "last", "all"]
Reader = Callable[[Answer], list[Any]]


@dataclass(frozen=True)
class Compiled:
    """A capture ready to apply: its reader, and how to choose among matches."""

    where: str  # for messages: `json: cart.total`, `field: csrfmiddlewaretoken`
    read: Reader
    pick: Pick = "first"

    def apply(self, answer: Answer, rng: random.Random | None = None) -> Any:
        """The value, or None when nothing matched (a list, maybe empty, for `all`)."""
        found = [v for v in self.read(answer) if v is not None and v != ""]
        if self.pick == "all":
            return found
        if not found:
            return None
        if self.pick == "random":
            return (rng or random).choice(found)
        return found[-1] if self.pick == "last" else found[0]


_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*")
_PART = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def _getter(expr: str) -> Callable[[Any], Any] | None:
    """A plain lookup for the JMESPath expressions most profiles use (`order_id`,
    `cart.total`, `lines[0].slug`): the same answer as JMESPath (a field of a
    non-object, an index of a non-list or out of range: null), without its
    interpreter, which costs several microseconds a request on the generator."""
    if not _SIMPLE.fullmatch(expr):
        return None
    keys: list[str | int] = [m.group(1) if m.group(1) else int(m.group(2))
                             for m in _PART.finditer(expr)]

    def get(doc: Any) -> Any:
        for key in keys:
            if isinstance(key, str):
                if not isinstance(doc, dict):
                    return None
                doc = doc.get(key)
            else:
                if not isinstance(doc, list) or key >= len(doc):
                    return None
                doc = doc[key]
        return doc

    return get


def json_getter(expr: str) -> Callable[[Any], Any]:
    """``expr`` compiled once: a plain lookup when it is one, else JMESPath."""
    return _getter(expr) or jmespath.compile(expr).search


def _json(expr: str) -> Reader:
    search = json_getter(expr)

    def read(a: Answer) -> list[Any]:
        try:
            doc = a.json()
        except ValueError:
            return []
        value = search(doc)
        return value if isinstance(value, list) else [value]

    return read


def _regex(pattern: str) -> Reader:
    rx = re.compile(pattern)

    def read(a: Answer) -> list[Any]:
        return [m.group(1) if rx.groups else m.group(0) for m in rx.finditer(a.text or "")]

    return read


def _css(selector: str, attr: str | None) -> Reader:
    def read(a: Answer) -> list[Any]:
        nodes = a.html().css(selector)
        if attr:
            return [n.attributes.get(attr) for n in nodes]
        return [n.text(strip=True) for n in nodes]

    return read


_ATTR = re.compile(r"""\s([a-zA-Z_:][-a-zA-Z0-9_:.]*)"""
                   r"""(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


def _inputs_only(name: str) -> Callable[[str], list[str] | None]:
    """The values of ``<input name=NAME>`` elements, read with a regular
    expression, when the page names NAME in nothing else (no select, textarea,
    or a name in a script) and has no comment: then the answer is the
    parser's, at a tenth of its cost (a whole product page parsed for one
    hidden field). None: ask the parser."""
    quoted = re.escape(name)
    attr = rf"""(?i:name)\s*=\s*(?:"{quoted}"|'{quoted}'|{quoted}(?=[\s>/]))"""
    named = re.compile(attr)
    tags = re.compile(rf"""(?i:<input)\b[^>]*?\s{attr}[^>]*>""")

    def read(text: str) -> list[str] | None:
        found = tags.findall(text)
        if (len(found) != len(named.findall(text)) or "&" in "".join(found)
                or "<!--" in text):
            return None  # named elsewhere, an entity, a comment: the parser knows
        out = []
        for tag in found:
            value = None
            for m in _ATTR.finditer(tag):
                if m.group(1).lower() == "value":
                    value = next((g for g in m.group(2, 3, 4) if g is not None), "")
                    break
            out.append(value)
        return out

    return read


def _field(name: str, form: str | None) -> Reader:
    """A form field's value as a browser would submit it: an input's value, a
    selected option (or the first), a textarea's text."""
    quick = _inputs_only(name) if form is None else None

    def read(a: Answer) -> list[Any]:
        if quick is not None and a._html is None:
            found = quick(a.text)
            if found is not None:
                return found
        root = a.html()
        scopes = root.css(form) if form else [root]
        out: list[Any] = []
        for scope in scopes:
            for node in scope.css(f'[name="{name}"]'):
                if node.tag == "select":
                    chosen = node.css_first("option[selected]") or node.css_first("option")
                    out.append(chosen.attributes.get("value") if chosen else None)
                elif node.tag == "textarea":
                    out.append(node.text())
                else:
                    out.append(node.attributes.get("value"))
        return out

    return read


def _header(name: str) -> Reader:
    def read(a: Answer) -> list[Any]:
        value = a.headers.get(name)
        return [value] if value is not None else []

    return read


def _cookie(name: str) -> Reader:
    def read(a: Answer) -> list[Any]:
        value = a.cookies.get(name)
        return [value] if value is not None else []

    return read


def compile_capture(*, json: str | None = None, regex: str | None = None,
                    css: str | None = None, attr: str | None = None, field: str | None = None,
                    form: str | None = None, header: str | None = None,
                    cookie: str | None = None, pick: Pick = "first") -> Compiled:
    """Exactly one of json, regex, css, field, header or cookie."""
    if json is not None:
        return Compiled(f"json: {json}", _json(json), pick)
    if regex is not None:
        return Compiled(f"regex: {regex}", _regex(regex), pick)
    if css is not None:
        where = f"css: {css}" + (f" @{attr}" if attr else "")
        return Compiled(where, _css(css, attr), pick)
    if field is not None:
        return Compiled(f"field: {field}", _field(field, form), pick)
    if header is not None:
        return Compiled(f"header: {header}", _header(header), pick)
    if cookie is not None:
        return Compiled(f"cookie: {cookie}", _cookie(cookie), pick)
    raise ValueError("a capture reads one of: json, regex, css, field, header, cookie")
