"""Shared fixtures: real processes on loopback, never mocks."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from peakready.demo.server import DemoShop
from tests.nsdserver import NsdServer

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "scenarios" / "demo.yaml"


@pytest.fixture(scope="session")
def shop() -> Iterator[DemoShop]:
    """One demo-shop process for the tests that only read or add their own data."""
    with DemoShop() as s:
        yield s


@pytest.fixture(scope="session")
def nsd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NsdServer]:
    """A real NSD on 127.0.0.1 serving tests/dns/zones (and SERVFAIL for
    servfail.test); fails loudly when it cannot start (tests/nsdserver.py)."""
    zones = sorted((ROOT / "tests" / "dns" / "zones").glob("*.zone"))
    with NsdServer(zones, tmp_path_factory.mktemp("nsd"), broken_zones=("servfail.test",)) as ns:
        yield ns


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


def peakready(*args: str, timeout: float = 240, **kw: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "peakready", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, **kw)


def yaml_cases(folder: Path) -> list[Any]:
    """Every case of every ``*.yaml`` in ``folder`` (a mapping of name → case),
    as pytest params with ids ``file::name`` (sqlfluff-style case files)."""
    out = []
    for path in sorted(folder.glob("*.yaml")):
        for name, case in yaml.safe_load(path.read_text()).items():
            out.append(pytest.param(case, id=f"{path.stem}::{name}"))
    return out
