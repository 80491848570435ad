"""The shipped scenarios, the demo's zone file and the sample histories.

Installed as package data inside ``peakready.scenarios``; code reads them
through ``importlib.resources``, so a wheel install works the same as an
editable checkout.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def shipped(name: str) -> Path:
    """The path of a file shipped with peakready (wheels are installed unzipped)."""
    return Path(str(files(__name__).joinpath(name)))


DEMO_SCENARIO = shipped("demo.yaml")
