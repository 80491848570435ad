"""docs/scenario-reference.md, written from the scenario model itself.

Every section, key, type, default and description comes from the pydantic
models (``Scenario`` and the section models it holds: traffic, links,
email, promo), so the reference cannot drift from what ``validate``
accepts. The walk uses ``model_fields`` rather than
``Scenario.model_json_schema()``: the JSON Schema turns a duration into a
plain number and drops which model a ``$ref`` came from, and both are what a
reader needs (``30s``, "see `load.think_time`").
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import inspect
import json
import re
import sys
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import annotated_types as at
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from peakready.units import parse_duration

_SCALARS = {str: "string", int: "integer", float: "number", bool: "true/false",
            decimal.Decimal: "decimal number", dt.datetime: "date-time (ISO 8601)",
            dt.date: "date (YYYY-MM-DD)", typing.Any: "any value"}
_PLAIN = re.compile(r"[A-Za-z0-9_./()?$^-][^#:,\[\]{}]*")
_CODE = re.compile(r"``(.+?)``", re.S)
_BOUNDS = ((at.Gt, "gt", ">"), (at.Ge, "ge", "≥"), (at.Lt, "lt", "<"), (at.Le, "le", "≤"))


@dataclass
class Section:
    path: str  # `load.think_time`, `flows[]`, `slos.steps.NAME`
    model: type[BaseModel]
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)
    keys_note: str = ""  # what the NAME of a mapping may be
    intro: str = ""


def anchor(path: str) -> str:
    """GitHub's heading slug: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^a-z0-9 _-]", "", path.lower()).replace(" ", "-")


def _is_duration(metadata: list[Any]) -> bool:
    return any(getattr(m, "func", None) is parse_duration for m in metadata)


def _seconds(value: float) -> str:
    """Seconds as the scenario would write them: 90 -> 90s, 1800 -> 30m."""
    for unit, size in (("h", 3600), ("m", 60)):
        if value >= size and value % size == 0:
            return f"{value / size:g}{unit}"
    return f"{value:g}s"


class Walker:
    """Depth-first over the models; a model met again links to its first section."""

    def __init__(self, key_notes: dict[str, str]) -> None:
        self.sections: list[Section] = []
        self.seen: dict[type[BaseModel], Section] = {}
        self.modules: set[str] = set()
        self.refs: dict[type[BaseModel], list[str]] = {}  # every place a model is used
        self.key_notes = key_notes

    def walk(self, model: type[BaseModel], path: str) -> None:
        section = Section(path, model, keys_note=self.key_notes.get(path, ""),
                          intro=_intro(model, model.__module__ not in self.modules))
        self.modules.add(model.__module__)
        self.seen[model] = section
        self.sections.append(section)
        children: list[tuple[type[BaseModel], str]] = []
        for field_name, info in model.model_fields.items():
            name = info.alias or field_name  # what a file writes (`json`, not `json_`)
            child = f"{path}.{name}" if path else name
            kind = self.type_text(info.annotation, list(info.metadata), child, children)
            desc = info.description or _summary(info.annotation)
            section.rows.append((name, kind + _bounds(info.metadata), _default(info),
                                 " ".join(desc.split())))
        for sub, sub_path in children:
            if sub not in self.seen:
                self.walk(sub, sub_path)

    def type_text(self, ann: Any, metadata: list[Any], path: str,
                  children: list[tuple[type[BaseModel], str]]) -> str:
        origin, args = typing.get_origin(ann), typing.get_args(ann)
        if origin is Annotated:
            return self.type_text(args[0], [*metadata, *ann.__metadata__], path, children)
        if _is_duration(metadata):
            return "duration (`90`, `30s`, `10m`, `1h30m`)"
        if origin in (typing.Union, types.UnionType):
            parts = [self.type_text(a, metadata, path, children)
                     for a in args if a is not type(None)]
            return " or ".join(dict.fromkeys(parts))
        if origin is Literal:
            return "one of " + ", ".join(f"`{a}`" for a in args)
        if origin is list or (origin is tuple and args[-1:] == (Ellipsis,)):
            return "list of " + self.type_text(args[0], [], f"{path}[]", children)
        if origin is tuple:
            return "[" + ", ".join(self.type_text(a, [], path, children) for a in args) + "]"
        if origin is dict:
            return ("mapping of NAME → "
                    + self.type_text(args[1], [], f"{path}.NAME", children))
        if inspect.isclass(ann) and issubclass(ann, enum.Enum):
            return "one of " + ", ".join(f"`{m.value}`" for m in ann)
        if inspect.isclass(ann) and issubclass(ann, BaseModel):
            self.refs.setdefault(ann, []).append(path)
            known = self.seen.get(ann)
            target = known.path if known else next((p for m, p in children if m is ann), None)
            if target is None:
                children.append((ann, path))
                target = path
            return f"mapping, see [{target}](#{anchor(target)})"
        return _SCALARS.get(ann, getattr(ann, "__name__", str(ann)))


def _summary(ann: Any) -> str:
    """A key without a description of its own: the first line of its model's docstring."""
    for a in (ann, *typing.get_args(ann)):
        if inspect.isclass(a) and issubclass(a, BaseModel) and a.__doc__:
            return _CODE.sub(r"`\1`", inspect.cleandoc(a.__doc__).split("\n\n")[0])
    return ""


def _bounds(metadata: list[Any]) -> str:
    out = [f"{sign} {getattr(m, attr)}" for m in metadata for cls, attr, sign in _BOUNDS
           if isinstance(m, cls)]
    out += [f"length ≥ {m.min_length}" for m in metadata if isinstance(m, at.MinLen)]
    out += [f"length ≤ {m.max_length}" for m in metadata if isinstance(m, at.MaxLen)]
    return f", {', '.join(out)}" if out else ""


def _literal(value: Any, duration: bool = False) -> str:
    if isinstance(value, BaseModel):
        return _literal(value.model_dump(exclude_none=True))
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, int | float) and duration:
        return _seconds(float(value))
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):  # quoted as YAML would need it
        plain = _PLAIN.fullmatch(value) and yaml.safe_load(value) == value
        return value if plain else f"'{value}'" if "'" not in value else json.dumps(value)
    return str(value)


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    value = info.default_factory() if info.default_factory else info.default  # type: ignore[call-arg]
    if isinstance(value, BaseModel) and value == type(value)():
        return "(its own defaults)"
    return f"`{_literal(value, _is_duration(list(info.metadata)))}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _intro(model: type[BaseModel], first_of_module: bool) -> str:
    """The model's docstring; for the first model of a section module without
    one, the module's docstring (``traffic:``, ``links:``... are documented there)."""
    doc = model.__doc__
    if not doc and first_of_module:
        doc = sys.modules[model.__module__].__doc__
    if not doc:
        return ""
    text = inspect.cleandoc(doc)
    text = re.sub(r"```yaml\n.*?```\n?", "", text, flags=re.S)  # examples live in scenarios/
    return _CODE.sub(r"`\1`", text).strip()


def render(walker: Walker) -> Iterator[str]:
    for s in walker.sections:
        also = [p for p in walker.refs.get(s.model, []) if p != s.path]
        yield f"## {s.path or 'Top level'}"
        yield ""
        if s.intro:
            yield from (s.intro, "")
        if s.keys_note:
            yield from (s.keys_note, "")
        if also:
            yield from ("The same keys also at: " + ", ".join(f"`{p}`" for p in also) + ".", "")
        yield "| key | type | default | description |"
        yield "|---|---|---|---|"
        for name, kind, default, desc in s.rows:
            yield f"| `{name}` | {_cell(kind)} | {_cell(default)} | {_cell(desc)} |"
        yield ""
