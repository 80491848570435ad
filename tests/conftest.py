"""Shared fixtures: real processes on loopback, never mocks. Helpers the
tests import live in tests/support/, not here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from peakready.demo.server import DemoShop
from tests.support.nsd import NsdServer
from tests.support.paths import TESTS


@pytest.fixture(scope="session")
def shop() -> Iterator[DemoShop]:
    """One demo-shop process for the tests that only read or add their own data."""
    with DemoShop() as s:
        yield s


@pytest.fixture(scope="session")
def nsd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NsdServer]:
    """A real NSD on 127.0.0.1 serving tests/dns/zones (and SERVFAIL for
    servfail.test); fails loudly when it cannot start (tests/support/nsd.py)."""
    zones = sorted((TESTS / "dns" / "zones").glob("*.zone"))
    with NsdServer(zones, tmp_path_factory.mktemp("nsd"), broken_zones=("servfail.test",)) as ns:
        yield ns
