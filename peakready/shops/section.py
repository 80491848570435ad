"""The scenario's ``shop:`` section: which profile describes the target shop.

``shop: {preset: NAME}`` takes a shipped profile (peakready/shops/profiles),
``shop: {profile: FILE}`` one in a YAML file (relative to the scenario), and
either may be adjusted in place: ``values`` adds or replaces values (a test
card, a region id), ``currency`` sets the shop's currency, ``steps`` replaces
whole steps by name,
``pools`` adds or replaces data pools (rows of a CSV file, each session takes
one: ``card: {file: cards.csv}``, read as ``{card.number}``), and ``landing``
what is kept from the landing page. A pool's file is relative to the scenario
file, whether the pool is given here or in the profile. Without a ``shop:`` section
the embedded demo uses the ``demo`` preset and any other target can replay
landings (``bounce``) only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, model_validator

from peakready.errors import BadInput
from peakready.shops import profiles
from peakready.shops.pools import Table, column_problems, read_table
from peakready.shops.profile import Pool, Profile
from peakready.units import Strict


class ShopSection(Strict):
    preset: str | None = Field(None, description="A shipped profile: "
                               + ", ".join(f"`{n}`" for n in profiles.names()) + ".")
    profile: str | None = Field(None, description="A YAML file holding a profile, relative "
                                "to the scenario (start from a preset's file).")
    values: dict[str, Any] = Field(default_factory=dict, description="Values added to the "
                                   "profile's, or replacing them.")
    steps: dict[str, Any] = Field(default_factory=dict, description="Steps replacing the "
                                  "profile's, by name (`cart:add`).")
    landing: dict[str, Any] | None = Field(None, description="Replaces what the profile "
                                           "keeps from the landing page.")
    currency: str | None = Field(None, min_length=3, max_length=3, description="The shop's "
                                 "currency (`GBP`), replacing the profile's.")
    pools: dict[str, Pool] = Field(default_factory=dict, description="Data pools added to "
                                   "the profile's, or replacing them, by name: rows of a CSV "
                                   "file, one per session (`card: {file: cards.csv}`, read "
                                   "as `{card.number}`).")

    @model_validator(mode="after")
    def _one_source(self) -> ShopSection:
        if (self.preset is None) == (self.profile is None):
            raise ValueError("give one of preset or profile")
        if self.preset is not None and self.preset not in profiles.names():
            raise ValueError(f"unknown preset {self.preset!r}; presets: "
                             f"{', '.join(profiles.names())}")
        return self


def resolve(section: ShopSection, source: str) -> Profile:
    """The profile the section describes, its adjustments applied; BadInput
    naming the place for any problem. ``section.profile`` is an absolute path
    by now (peakready.scenario.load resolved it)."""
    if section.preset is not None:
        where, text = f"shop.preset {section.preset}", profiles.source(section.preset)
    else:
        path = Path(str(section.profile))
        where = f"{path}"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise BadInput(f"{source}: shop.profile: cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise BadInput(f"{source}: shop.profile: {path} is not UTF-8 text") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadInput(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise BadInput(f"{where}: a shop profile is a mapping (name:, steps:, ...)")
    data.setdefault("values", {}).update(section.values)
    data.setdefault("steps", {}).update(section.steps)
    if section.pools:
        data["pools"] = {**(data.get("pools") or {}),
                         **{k: p.model_dump() for k, p in section.pools.items()}}
    if section.landing is not None:
        data["landing"] = section.landing
    if section.currency is not None:
        data["currency"] = section.currency
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        problems = [f"{where}: {'.'.join(str(p) for p in e['loc'])}: "
                    f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
        raise BadInput(f"{source}: the shop profile does not validate", problems) from None


def resolve_pools(section: ShopSection, source: str,
                  find: Callable[[str], Path]) -> ShopSection:
    """The section with the file of every pool of its profile (the profile's
    own and the section's) made absolute with ``find`` (relative to the
    scenario), each file read and every ``{pool.column}`` of the profile
    checked against the file's header; BadInput listing every problem."""
    profile = resolve(section, source)
    if not profile.pools:
        return section
    pools: dict[str, Pool] = {}
    tables: dict[str, Table] = {}
    problems: list[str] = []
    for name, pool in profile.pools.items():
        path = find(pool.file)
        pools[name] = pool.model_copy(update={"file": str(path)})
        try:
            tables[name] = read_table(path)
        except BadInput as exc:
            problems.append(f"pools.{name}: {exc}")
    problems += column_problems(profile, tables)
    if problems:
        n = len(problems)
        raise BadInput(f"{source}: {n} problem{'s' if n > 1 else ''} with the shop profile's "
                       "data pools", problems)
    return section.model_copy(update={"pools": pools})
