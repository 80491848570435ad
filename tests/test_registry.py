"""The check registry: a check's id is its path, every check module is
registered once, and each carries the documentation users read."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from peakready.checks import registry
from peakready.checks.check import Check

CHECKS = Path(registry.__file__).resolve().parent
FRAMEWORK = {"__init__", "check", "registry", "runner"}  # checks/*.py: not checks
MODULES = sorted(p for p in CHECKS.glob("*/*.py") if not p.name.startswith("_"))


def _module_name(path: Path) -> str:
    return f"peakready.checks.{path.parent.name}.{path.stem}"


def test_only_the_framework_sits_at_the_top_of_checks() -> None:
    assert {p.stem for p in CHECKS.glob("*.py")} == FRAMEWORK


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_id_is_the_path(path: Path) -> None:
    module = importlib.import_module(_module_name(path))
    check = getattr(module, "CHECK", None)
    assert isinstance(check, Check), f"{path}: a public module of checks/ defines CHECK " \
                                     "(helpers start with _)"
    assert check.id == f"{path.parent.name}.{path.stem}"
    assert check.area == path.parent.name
    assert check.run.__module__ == module.__name__
    assert check in registry.ALL, f"{check.id} is not in its area's ALL tuple"
    assert check.doc and check.doc == module.__doc__
    for lead in ("What it checks", "Why it matters", "How to fix"):
        assert lead in check.doc, f"{path}: the docstring says {lead!r}"


def test_every_registered_check_has_its_own_file_once() -> None:
    ids = [c.id for c in registry.ALL]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(f"{p.parent.name}.{p.stem}" for p in MODULES)
    assert frozenset(ids) == registry.IDS and set(registry.BY_ID) == set(ids)


@pytest.mark.parametrize("path", sorted(p for p in CHECKS.glob("*/_*.py")
                                         if p.name != "__init__.py"), ids=lambda p: p.name)
def test_helpers_define_no_check(path: Path) -> None:
    module = importlib.import_module(_module_name(path))
    assert not hasattr(module, "CHECK")
