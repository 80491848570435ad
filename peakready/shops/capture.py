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


def _json(expr: str) -> Reader:
    compiled = jmespath.compile(expr)

    def read(a: Answer) -> list[Any]:
        try:
            doc = a.json()
        except ValueError:
            return []
        value = compiled.search(doc)
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


def _field(name: str, form: str | None) -> Reader:
    """A form field's value as a browser would submit it: an input's value, a
    selected option (or the first), a textarea's text."""
    def read(a: Answer) -> list[Any]:
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
