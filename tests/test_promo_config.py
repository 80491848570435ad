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
from peakready.shops import profiles
from peakready.shops.config import Window
from tests.support.scenarios import demo_data

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(BadInput) as exc:
        parse_scenario(yaml.safe_dump(data, sort_keys=False), "s.yaml")
    return exc.value.problems


def _demo_profile(**changes: Any) -> dict[str, Any]:
    doc = yaml.safe_load(profiles.source("demo"))
    doc.update(changes)
    return doc


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
    ({"adapter": "shopify"}, "promo.adapter is gone"),
    ({"adapter": "declarative", "declarative": {"products": {}}},
     "Write `shop: {preset: NAME}` at the top level"),
    ({"declarative": {"products": {}}}, "promo.declarative is gone"),
    ({"carts": 3}, "promo.carts: unknown key"),
])
def test_promo_section_problems_name_their_place(promo: dict[str, Any], expected: str) -> None:
    problems = _problems(demo_data(promo=promo))
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


PROMO = {"codes": {"MIA20": {"kind": "percent", "value": 20}}}


@pytest.mark.parametrize(("profile", "expected"), [
    (_demo_profile(catalog={"request": {"path": "/p"}, "items": {"json": "p"},
                            "fields": {"viewed": {"json": "slug"}}}),
     "catalog.fields: give price"),
    (_demo_profile(catalog={"request": {"path": "/p"}, "items": {"json": "p"},
                            "fields": {"price": {"json": "price"}}}),
     "the value(s) `cart:add` needs"),
    (_demo_profile(catalog={"request": {"path": "/p"}, "items": {"css": "li", "attr": "x"},
                            "fields": {"price": {"json": "p"}, "sku": {"json": "s"}}}),
     "without `attr`"),
    (_demo_profile(catalog={"request": {"path": "/p"}, "items": {"header": "X"},
                            "fields": {"price": {"json": "p"}, "sku": {"json": "s"}}}),
     "items: a JMESPath"),
    (_demo_profile(currency=None), "currency: needed to read the catalog's prices in minor units"),
    (_demo_profile(totals={"request": {"path": "/cart"},
                           "capture": {"subtotal": {"json": "s"}}}), "totals: capture total"),
    (_demo_profile(code_info={"request": {"path": "/c"}, "items": {"json": "c"},
                              "fields": {"used": {"json": "u"}}}), "code_info.fields: give code"),
    (_demo_profile(attribution={"request": {"path": "/a", "headers": {"A": "Bearer $T"}},
                                "items": {"json": "o"}, "fields": {"order_id": {"json": "i"}}}),
     "secrets are ${ENV_NAME}"),
    (_demo_profile(totals={"request": {"path": "/cart"}, "capture": {
        "subtotal": {"json": "s"}, "total": {"json": "t["}}}), "not a JMESPath expression"),
])
def test_profile_check_sources_name_their_place(tmp_path: Any, profile: dict[str, Any],
                                                expected: str) -> None:
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    data = demo_data(promo=PROMO)
    data["shop"] = {"profile": "p.yaml"}
    with pytest.raises(BadInput) as exc:
        parse_scenario(yaml.safe_dump(data), "s.yaml", base=tmp_path)
    problems = exc.value.problems
    assert any(expected in p and "p.yaml" in p for p in problems), problems


def test_promo_checks_need_a_profile_that_reads_carts(tmp_path: Any) -> None:
    """validate says what is missing, before anything is sent; a shop without a
    profile, or one for landings only, can still turn the promo checks off."""
    data = demo_data(promo=PROMO, target={"base_url": "http://127.0.0.1:9"})
    data["flows"] = [{"name": "landing", "kind": "bounce", "weight": 1}]
    data.pop("shop")
    problems = _problems(data)
    assert any("promo (promo.codes, promo.race): the promo checks read the shop's carts "
               "through its profile: add `shop: {preset: NAME}`" in p for p in problems), problems
    landings = {"name": "landings", "steps": {}}
    (tmp_path / "landings.yaml").write_text(yaml.safe_dump(landings), encoding="utf-8")
    data["shop"] = {"profile": "landings.yaml"}
    with pytest.raises(BadInput) as exc:
        parse_scenario(yaml.safe_dump(data), "s.yaml", base=tmp_path)
    assert any("has no catalog, totals, steps.cart:add, steps.checkout:promo" in p
               for p in exc.value.problems), exc.value.problems
    data["checks"] = {"promo.codes": {"level": "off"}, "promo.race": {"level": "off"}}
    parse_scenario(yaml.safe_dump(data), "s.yaml", base=tmp_path)
