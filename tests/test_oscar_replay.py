"""A replay against a real shop this project did not write: django-oscar
(installed from PyPI, started on loopback by tests/support/oscar.py), driven
only by the shipped `oscar` shop profile — its HTML catalogue, basket,
voucher form and guest checkout, with CSRF tokens captured from each form and
redirects followed. What the report counts is checked against the shop's own
database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import peakready
from tests.support.oscar import OscarShop
from tests.support.scenarios import demo_data, write_scenario


def _scenario(tmp_path: Path, url: str) -> Path:
    data: dict[str, Any] = demo_data(
        target={"base_url": url, "mutations": True, "timezone": "Europe/London"},
        shop={"preset": "oscar"},
        flows=[{"name": "browse", "kind": "browse", "weight": 1, "products": 2},
               {"name": "cart", "kind": "cart", "weight": 1},
               {"name": "checkout", "kind": "checkout", "weight": 1},
               {"name": "promo-checkout", "kind": "promo_checkout", "weight": 1}],
        campaigns=[{"name": "winter", "link": "/?utm_source=instagram&utm_medium=social"
                    "&utm_campaign=winter", "promo_code": "WELCOME10"}],
        slos={"steps": {"*": {"p95_ms": 5000, "max_error_rate": 0.01}},
              "checkout_success_rate": 0.9},
        # the pre-flight link checks judge the demo's analytics tag; this test is the load's
        checks={"links.landing": {"level": "off"}, "links.tls": {"level": "off"}})
    for key in ("promo", "email", "links"):
        data.pop(key, None)
    data["load"].update(arrival_rate=1.5, duration="12s", interval="6s")
    return write_scenario(tmp_path / "oscar.yaml", data)


@pytest.fixture(scope="module")
def oscar() -> Any:
    with OscarShop() as shop:
        yield shop


def test_replay_places_real_orders_through_the_html_checkout(oscar: OscarShop,
                                                             tmp_path: Path) -> None:
    before = oscar.count_orders()
    with_code_before = oscar.db.orders_with_voucher("WELCOME10")
    out_dir = tmp_path / "out"
    out = peakready("run", str(_scenario(tmp_path, oscar.url)), "--out", str(out_dir),
                    timeout=300)
    report = json.loads((out_dir / "report.json").read_text())
    load = report["load"]
    assert out.returncode == 0, out.stderr[-2000:]
    assert report["verdict"] in ("GO", "GO WITH WARNINGS")
    assert load["failures"] == 0, load.get("errors")
    for step in ("browse:collection", "browse:product", "cart:add", "cart:view",
                 "checkout:start", "checkout:promo", "checkout:address",
                 "checkout:shipping", "checkout:pay"):
        assert load["steps"][step]["requests"] > 0, step
    flows = load["flows"]
    for name, stats in flows.items():
        assert stats["completed"] == stats["started"] > 0, name
    # the report's orders are the shop's: one per completed checkout (trial included)
    placed = oscar.count_orders() - before
    trial = 2  # peakready run's trial: one checkout and one promo checkout
    assert load["totals"]["orders"] + trial == placed
    assert oscar.db.orders_with_voucher("WELCOME10") - with_code_before == \
        flows["promo-checkout"]["completed"] + 1
    assert "trying one session of each flow" in out.stderr


def test_shop_try_walks_oscars_forms(oscar: OscarShop, tmp_path: Path) -> None:
    out = peakready("shop", "try", str(_scenario(tmp_path, oscar.url)), "--flow",
                    "promo_checkout")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "csrf = " in out.stdout and "order_id = 1000" in out.stdout
    assert "POST /basket/vouchers/add/" in out.stdout
