"""The replay's hand-out of session starts to users, and the request-rate cap.

The real ``Replay`` and ``TokenBucket`` on gevent's clock, with no target:
when starts are released, how waiting ones are counted (late, dropped, handed
back), and that the safety cap holds. The cases are in
``tests/support/handout_cases.py``; each runs in its own process (see there
why).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "support" / "handout_cases.py"  # not imported: it imports Locust
CASES = sorted(node.name for node in ast.parse(SOURCE.read_text()).body
               if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"))


def test_every_case_is_collected() -> None:
    assert len(CASES) >= 7


@pytest.mark.parametrize("case", CASES)
def test_case(case: str) -> None:
    code = f"from tests.support.handout_cases import {case}; {case}()"
    res = subprocess.run([sys.executable, "-c", code],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr[-3000:]
