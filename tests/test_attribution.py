"""Attribution integrity: orders placed on demo-shop processes through
campaign landings, compared with the shop's attribution log; and end to end
after a `peakready run` replay, with and without a shop that drops records."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import requests
from peakready.checks.attribution import orders as attribution
from peakready.checks.check import CheckContext

from peakready.demo.server import DemoShop
from peakready.findings import Finding, Status
from peakready.load.results import LoadResult, PlacedOrder
from peakready.scenario.model import Scenario
from tests.support.cli import peakready
from tests.support.scenarios import demo_data, write_scenario

MIA = "/collections/winter-warmth?utm_source=instagram&utm_medium=social&utm_campaign=bf-mia"
NOAH = "/collections/candles?utm_source=tiktok&utm_medium=social&utm_campaign=bf-noah"


def place(shop_url: str, landing: str, code: str | None = None) -> str:
    """One shopper: lands on a campaign link, adds an item, maybe a code, pays."""
    s = requests.Session()
    assert s.get(shop_url + landing, timeout=5).ok
    s.post(f"{shop_url}/api/cart/items", json={"product": "fig-leaf-candle", "quantity": 2},
           timeout=5).raise_for_status()
    if code:
        s.post(f"{shop_url}/api/cart/promo", json={"code": code}, timeout=5).raise_for_status()
    paid = s.post(f"{shop_url}/api/wallet/pay", json={"wallet_token": "tok_a"}, timeout=5)
    paid.raise_for_status()
    return str(paid.json()["order_id"])


def check(url: str, orders: list[PlacedOrder], **data: Any) -> list[Finding]:
    scenario = Scenario.model_validate(demo_data(**data))
    with requests.Session() as http:
        ctx = CheckContext(scenario=scenario, http=http, base_url=url,
                           load=LoadResult(orders=orders))
        return list(attribution.run(ctx))


def order(oid: str, campaign: str | None, code: str | None = None) -> PlacedOrder:
    return PlacedOrder(order_id=oid, campaign=campaign, flow="promo-checkout", promo_code=code)


def test_orders_attributed_to_their_campaign_pass(shop: DemoShop) -> None:
    orders = [order(place(shop.url, MIA, "MIA20"), "bf-mia", "MIA20"),
              order(place(shop.url, NOAH), "bf-noah"),
              order(place(shop.url, "/"), None)]  # direct: not a campaign order
    (f,) = check(shop.url, orders)
    assert (f.status, f.code) == (Status.PASS, "attribution-ok"), f.summary
    assert f.evidence["campaign_orders"] == 2
    assert f.evidence["missing"] == f.evidence["misattributed"] == 0


@pytest.mark.parametrize(("landing", "code", "placed_code", "problem"), [
    (NOAH, None, None, {"utm_source", "utm_campaign"}),  # credited to another campaign
    ("/collections/winter-warmth", None, None, {"utm_source", "utm_medium", "utm_campaign"}),
    (MIA, None, "MIA20", "codes"),  # the order carried a code the source did not record
])
def test_misattributed_orders_are_counted(shop: DemoShop, landing: str, code: str | None,
                                          placed_code: str | None, problem: Any) -> None:
    good = order(place(shop.url, MIA, "MIA20"), "bf-mia", "MIA20")
    bad = order(place(shop.url, landing, code), "bf-mia", placed_code)
    (f,) = check(shop.url, [good, bad], promo={"attribution": {"max_missing_rate": 0.25}})
    assert (f.status, f.code) == (Status.FAIL, "attribution-lost"), f.summary
    assert "0 missing and 1 misattributed of 2" in f.summary
    (sample,) = f.evidence["misattributed_sample"]
    assert sample["order_id"] == bad.order_id
    if problem == "codes":
        assert sample["codes_not_recorded"] == ["MIA20"]
    else:
        assert set(sample["utm"]) == problem
    # within a looser threshold, the same numbers pass
    (ok,) = check(shop.url, [good, bad], promo={"attribution": {"max_missing_rate": 0.5}})
    assert ok.status is Status.PASS and ok.evidence["misattributed"] == 1


def test_orders_dropped_from_the_log_are_missing() -> None:
    with DemoShop(attribution_drop_every=2) as shop:
        orders = [order(place(shop.url, MIA), "bf-mia") for _ in range(4)]
        (f,) = check(shop.url, orders)
    assert (f.status, f.code) == (Status.FAIL, "attribution-lost"), f.summary
    assert f.evidence["missing"] == 2 and f.evidence["misattributed"] == 0
    assert sorted(f.evidence["missing_sample"]) == sorted(
        o.order_id for o in orders if int(o.order_id) % 2 == 0)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("url", "orders", "data", "status", "code"), [
    ("", [], {}, Status.SKIP, "no-campaign-orders"),
    ("", [order("1", None)], {}, Status.SKIP, "no-campaign-orders"),
    ("", [order("1", "bf-mia")], {"target": {"base_url": "http://127.0.0.1:9"}, "promo": None,
                                  "shop": None},
     Status.SKIP, "no-attribution-source"),
    (None, [order("1", "bf-mia")], {}, Status.ERROR, "attribution-not-evaluated"),
])
def test_nothing_to_compare_or_no_source(shop: DemoShop, url: str | None,
                                         orders: list[PlacedOrder], data: dict[str, Any],
                                         status: Status, code: str) -> None:
    base = shop.url if url == "" else f"http://127.0.0.1:{_closed_port()}"
    (f,) = check(base, orders, **data)
    assert (f.status, f.code) == (status, code), f.summary


def _run(tmp_path: Path, **demo_options: int) -> tuple[int, dict[str, Any]]:
    data = demo_data()
    data["load"].update(duration="8s")
    if demo_options:
        data["target"]["demo_options"] = demo_options
    out = tmp_path / "out"
    res = peakready("run", str(write_scenario(tmp_path / "s.yaml", data)), "--out", str(out))
    report = json.loads((out / "report.json").read_text())
    (f,) = [f for f in report["findings"] if f["check"] == "attribution.orders"]
    return res.returncode, {"verdict": report["verdict"], **f}


def test_replay_orders_are_attributed(tmp_path: Path) -> None:
    code, f = _run(tmp_path)
    assert (code, f["verdict"], f["status"]) == (0, "GO", "pass"), f
    assert f["evidence"]["campaign_orders"] > 0 and f["evidence"]["missing"] == 0


def test_replay_against_a_shop_that_drops_attribution_is_no_go(tmp_path: Path) -> None:
    code, f = _run(tmp_path, attribution_drop_every=2)
    assert (code, f["verdict"], f["status"], f["level"]) == (1, "NO-GO", "fail", "error"), f
    assert f["evidence"]["missing"] > 0 and f["evidence"]["misattributed"] == 0
    assert f["code"] == "attribution-lost"
