"""The command line as a user runs it: ``python -m peakready`` in a process."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any


def peakready(*args: str, timeout: float = 240, **kw: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "peakready", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, **kw)
