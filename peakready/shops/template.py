"""Templates of a shop profile: ``{name}`` placeholders in paths, query
values, headers, form fields and the strings of JSON bodies and GraphQL
variables, compiled once per run.

Why not ``str.format``: bodies hold braces of their own (a GraphQL query, a
JSON document written as a string), and a profile must be written as the
shop's API reference shows it, never with doubled braces. So only what a
profile marks as a template is one, a GraphQL ``query`` never is, and a
placeholder is ``{`` + a name + ``}`` where a name is letters, digits, ``_``
and ``.`` (``{product.slug}`` reads a field of a pool row or a captured
object); any other brace is text. A string that is exactly one placeholder
keeps the value's type (``"{quantity}"`` in a JSON body is the number 2).
``${NAME}`` is never a placeholder: it is an environment secret, read when
the profile is bound (peakready.shops.profile), and never shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PLACEHOLDER = re.compile(r"(?<!\$)\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\}")


class MissingValue(KeyError):
    """A placeholder with no value in this session."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"no value for {{{self.name}}}"


def lookup(values: Mapping[str, Any], name: str) -> Any:
    """``a.b`` reads field ``b`` of value ``a`` (a mapping or an object)."""
    head, _, rest = name.partition(".")
    if head not in values:
        raise MissingValue(name)
    value = values[head]
    for part in rest.split(".") if rest else ():
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise MissingValue(name)
    return value


@dataclass(frozen=True)
class Text:
    """A compiled string template: literal parts and placeholder names."""

    parts: tuple[str, ...]  # literal, name, literal, name, ..., literal
    whole: str | None  # the name, when the template is exactly one placeholder

    @classmethod
    def compile(cls, source: str) -> Text:
        pieces = PLACEHOLDER.split(source)
        whole = pieces[1] if len(pieces) == 3 and pieces[0] == pieces[2] == "" else None
        return cls(tuple(pieces), whole)

    @property
    def names(self) -> set[str]:
        return set(self.parts[1::2])

    def render(self, values: Mapping[str, Any]) -> str:
        if len(self.parts) == 1:
            return self.parts[0]
        out = []
        for i, part in enumerate(self.parts):
            out.append(part if i % 2 == 0 else _text(lookup(values, part)))
        return "".join(out)

    def value(self, values: Mapping[str, Any]) -> Any:
        """Like ``render``, but a lone placeholder keeps its value's type."""
        return lookup(values, self.whole) if self.whole else self.render(values)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Tree:
    """A compiled JSON-like value: every string in it is a ``Text``; a part
    without a placeholder is kept as it is (``Const``), so rendering a body
    walks only what changes per session."""

    node: Any

    @classmethod
    def compile(cls, source: Any) -> Tree:
        return cls(_compile(source))

    @property
    def names(self) -> set[str]:
        return _names(self.node)

    @property
    def constant(self) -> bool:
        return isinstance(self.node, Const)

    def render(self, values: Mapping[str, Any]) -> Any:
        return _render(self.node, values)


@dataclass(frozen=True)
class Const:
    """A subtree with no placeholder: rendered as itself (never mutated)."""

    value: Any


def _compile(node: Any) -> Any:
    if isinstance(node, str):
        text = Text.compile(node)
        return Const(node) if len(text.parts) == 1 else text
    if isinstance(node, Mapping):
        items = {k: _compile(v) for k, v in node.items()}
        if all(isinstance(v, Const) for v in items.values()):
            return Const({k: v.value for k, v in items.items()})
        return items
    if isinstance(node, list):
        parts = [_compile(v) for v in node]
        if all(isinstance(v, Const) for v in parts):
            return Const([v.value for v in parts])
        return parts
    return Const(node)


def _names(node: Any) -> set[str]:
    if isinstance(node, Const):
        return set()
    if isinstance(node, Text):
        return node.names
    if isinstance(node, dict):
        return set().union(*(_names(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_names(v) for v in node))
    return set()


def _render(node: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Text):
        return node.value(values)
    if isinstance(node, dict):
        return {k: _render(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_render(v, values) for v in node]
    return node
