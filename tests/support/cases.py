"""The one loader of case files.

Every case file is ``tests/cases/<check-id-or-subject>.yaml`` (``email.spf``,
``links.utm``, ``promo.codes``, ``report.junit``, ...): a mapping of case name
→ case, as in sqlfluff's ``test/fixtures/rules/std_rule_cases/*.yml``. The
test module of that check or subject parametrizes one test with
``cases(name)``; each case is one test, with the id ``<name>::<case name>``.
A name given twice in a file (at any depth) is an error, never a case that
silently replaces another.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.support.paths import TESTS

CASES = TESTS / "cases"


class _UniqueKeys(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def cases(name: str) -> list[Any]:
    """Every case of ``tests/cases/<name>.yaml`` as ``pytest.param(case, id="<name>::<case>")``."""
    path = CASES / f"{name}.yaml"
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeys)
    if not isinstance(doc, dict) or not doc:
        raise ValueError(f"{path}: expected a mapping of case name → case")
    return [pytest.param(case, id=f"{name}::{case_name}") for case_name, case in doc.items()]
