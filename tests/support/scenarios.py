"""The demo scenario as test data: shortened, with sections overridden."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.support.paths import ROOT

DEMO = ROOT / "scenarios" / "demo.yaml"


def demo_data(**overrides: Any) -> dict[str, Any]:
    """The demo scenario, shortened for tests, with section overrides merged in."""
    data = yaml.safe_load(DEMO.read_text())
    data.pop("traffic", None)  # a constant rate: short and exact
    data["load"].update({"duration": "10s", "arrival_rate": 5, "interval": "5s",
                         "think_time": {"min": 0.05, "max": 0.2}})
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return data


def write_scenario(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path
