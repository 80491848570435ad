"""Small shared pieces of the scenario model: durations and strict models."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

_NUM = r"(\d+(?:\.\d+)?)"
_DURATION = re.compile(rf"^\s*(?:{_NUM}h)?\s*(?:{_NUM}m)?\s*(?:{_NUM}s)?\s*$")


def parse_duration(value: Any) -> float:
    """``90``, ``"90s"``, ``"10m"``, ``"1h30m"`` → seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 90s, 10m or 1h30m")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        if re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", value):
            return float(value)
        m = _DURATION.match(value)
        if m and any(m.groups()):
            h, mi, s = (float(g) if g else 0.0 for g in m.groups())
            return h * 3600 + mi * 60 + s
    raise ValueError(f"expected a duration such as 90s, 10m or 1h30m, got {value!r}")


Duration = Annotated[float, BeforeValidator(parse_duration)]


class Strict(BaseModel):
    """Scenario sections reject unknown keys: a typo never silently disables a rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def regex_expr(value: str) -> str:
    """``value``, when it compiles as a regular expression (scenario fields and
    shop profiles validate theirs with this, so the message is one)."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression {value!r}: {exc}") from None
    return value
