"""The scenario's promo: section, target.mutations and target.demo_options:
every problem names its place, and windows are read in the shop's zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
import yaml

from peakready.errors import BadInput
from peakready.scenario.load import parse_scenario
from peakready.shops.config import Window
from peakready.shops.presets import DEMO
from tests.support.scenarios import demo_data

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(BadInput) as exc:
        parse_scenario(yaml.safe_dump(data, sort_keys=False), "s.yaml")
    return exc.value.problems


def _declarative(**changes: Any) -> dict[str, Any]:
    config = DEMO.model_dump(mode="json", exclude_none=True)
    config.update(changes)
    return {"adapter": "declarative", "declarative": config}


@pytest.mark.parametrize(("promo", "expected"), [
    ({"codes": {"MIA20": {"kind": "percent", "value": 20, "percent": 1}}},
     "promo.codes.MIA20.percent: unknown key"),
    ({"codes": {"MIA20": {"kind": "bogo", "value": 20}}}, "promo.codes.MIA20.kind"),
    ({"codes": {"MIA20": {"kind": "percent", "value": 120}}}, "must be <= 100"),
    ({"codes": {"MIA20": {"kind": "fixed", "value": 0}}}, "promo.codes.MIA20.value: must be > 0"),
    ({"codes": {" MIA20": {"kind": "fixed", "value": 5}}}, "without surrounding spaces"),
    ({"codes": {"MIA20": {"kind": "fixed", "value": 5, "min_spend": -1}}},
     "promo.codes.MIA20.min_spend: must be >= 0"),
    ({"codes": {"MIA20": {"kind": "percent", "value": 5,
                          "window": {"start": "2025-11-28", "end": "2025-11-27"}}}},
     "end must be after start"),
    ({"codes": {"MIA20": {"kind": "percent", "value": 5,
                          "window": {"start": "Black Friday", "end": "2025-11-27"}}}},
     "promo.codes.MIA20.window.start: expected a date"),
    ({"stacking": [{"codes": ["A"], "stacks": False}]}, "promo.stacking[0].codes"),
    ({"stacking": [{"codes": ["A", "B"]}]}, "promo.stacking[0].stacks: required"),
    ({"race": {"code": "DOORBUSTER", "limit": 10, "concurrency": 10}},
     "concurrency must be greater than limit"),
    ({"race": {"code": "DOORBUSTER", "concurrency": 1000}},
     "promo.race.concurrency: must be <= 100"),
    ({"attribution": {"max_missing_rate": 2}},
     "promo.attribution.max_missing_rate: must be <= 1"),
    ({"adapter": "magento"}, "promo.adapter"),
    ({"adapter": "declarative"}, "needs a `declarative:` block"),
    ({"adapter": "demo", "declarative": DEMO.model_dump(mode="json", exclude_none=True)},
     "only read with adapter: declarative"),
    ({"carts": 3}, "promo.carts: unknown key"),
    (_declarative(cart={"path": "https://evil.example/cart"}),
     "promo.declarative.cart.path: must be a path on the target"),
    (_declarative(apply_code={"method": "POST", "path": "/c", "body": {"c": "{coupon}"}}),
     "apply_code: unknown placeholder {coupon}; available: code"),
    (_declarative(checkout=[{"method": "POST", "path": "/pay/{checkout}"}]),
     "checkout[0]: unknown placeholder {checkout}"),
    (_declarative(cart_fields={"subtotal": "a", "total": "b", "codes": "c["}),
     "not a JMESPath expression"),
    (_declarative(attribution={"path": "/a", "items": "orders", "fields": {"order_id": "id"}}),
     "attribution.fields: missing utm_source"),
    (_declarative(products={"path": "/p", "items": "p", "fields": {"id": "id", "price": "p",
                                                                  "colour": "c"}}),
     "unknown field 'colour'"),
    (_declarative(order=None), "checkout needs `order:`"),
    (_declarative(cart={"path": "/cart", "headers": {"Authorization": "Bearer $TOKEN"}}),
     "write secrets as ${ENV_NAME}"),
])
def test_promo_section_problems_name_their_place(promo: dict[str, Any], expected: str) -> None:
    data = demo_data(promo=promo)
    if promo.get("declarative", {}).get("order", 1) is None:
        data["promo"]["declarative"].pop("order")
    problems = _problems(data)
    assert any(expected in p for p in problems), problems
    assert all(p.startswith("s.yaml:") for p in problems), problems


@pytest.mark.parametrize(("target", "expected"), [
    ({"mutations": "sometimes"}, "target.mutations"),
    ({"demo_options": {"attribution_drop_every": -1}},
     "target.demo_options.attribution_drop_every: must be >= 0"),
    ({"demo_options": {"drop": 1}}, "target.demo_options.drop: unknown key"),
    ({"base_url": "http://127.0.0.1:8000", "demo_options": {"unsafe_promo_race": True}},
     "demo_options applies only to base_url: demo"),
])
def test_target_problems(target: dict[str, Any], expected: str) -> None:
    problems = _problems(demo_data(target=target))
    assert any(expected in p for p in problems), problems


def test_demo_scenario_promo_section() -> None:
    s = parse_scenario(yaml.safe_dump(demo_data()), "demo.yaml")
    assert s.target.mutations is True and s.promo is not None
    assert set(s.promo.codes) == {"MIA20", "NOAH15", "WELCOME10", "LENA10"}
    assert s.promo.race is not None and s.promo.race.code == "DOORBUSTER"


@pytest.mark.parametrize(("start", "end", "utc_start", "utc_end"), [
    # dates: from 00:00 of the first day through 24:00 of the last, in the shop's zone
    (dt.date(2025, 11, 28), dt.date(2025, 12, 1), "2025-11-27T23:00", "2025-12-01T23:00"),
    ("2025-07-01", "2025-07-01", "2025-06-30T22:00", "2025-07-01T22:00"),  # summer time
    ("2025-11-28 18:00", "2025-11-28T21:30", "2025-11-28T17:00", "2025-11-28T20:30"),
    ("2025-11-28T18:00+00:00", "2025-11-29", "2025-11-28T18:00", "2025-11-29T23:00"),
])
def test_window_is_read_in_the_shops_zone(start: Any, end: Any, utc_start: str,
                                         utc_end: str) -> None:
    a, b = Window(start=start, end=end).bounds(BERLIN)
    assert a.astimezone(dt.UTC).isoformat(timespec="minutes") == utc_start + "+00:00"
    assert b.astimezone(dt.UTC).isoformat(timespec="minutes") == utc_end + "+00:00"
