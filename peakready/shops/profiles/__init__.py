"""The shipped shop profiles (presets), as data files users can read and copy:
``<name>.yaml`` here. ``load(name)`` reads and validates one."""

from __future__ import annotations

from importlib.resources import files

import yaml
from pydantic import ValidationError

from peakready.errors import BadInput
from peakready.shops.profile import Profile


def names() -> list[str]:
    return sorted(p.name.removesuffix(".yaml") for p in files(__name__).iterdir()
                  if p.name.endswith(".yaml"))


def source(name: str) -> str:
    """The preset's YAML text; BadInput naming the presets there are."""
    if name not in names():
        raise BadInput(f"shop.preset: unknown preset {name!r}; presets: {', '.join(names())}")
    return files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def load(name: str) -> Profile:
    text = source(name)
    try:
        return Profile.model_validate(yaml.safe_load(text))
    except ValidationError as exc:  # a shipped preset is ours: a bug, said plainly
        raise RuntimeError(f"the shipped preset {name!r} does not validate: {exc}") from None
