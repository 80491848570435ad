"""promo.codes against the demo storefront process: every case in
tests/cases/promo.codes.yaml is one test (sqlfluff's rule-case pattern); the
rounding and negative-total rules on their own; and the guarantee that no
check places an order on a target that does not allow mutations."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
import requests
from peakready.checks.check import CheckContext, Phase
from peakready.checks.promo import _rules as promo_rules
from peakready.checks.promo import codes as promo
from peakready.checks.registry import ALL
from peakready.checks.runner import run_checks

from peakready.demo.server import DemoShop
from peakready.findings import Status
from peakready.scenario.model import Scenario
from peakready.shops import MutationRefused, Totals, profiles
from peakready.shops.adapter import make_shop
from peakready.shops.config import CodeExpectation
from tests.support.cases import cases
from tests.support.scenarios import demo_data

TZ = zoneinfo.ZoneInfo("Europe/Berlin")
_REL = re.compile(r"^(now|today)(?:([+-])(?:(\d+)d)?(?:(\d+)h)?)?$")


def _when(value: Any, now: dt.datetime) -> Any:
    """``today+3d`` / ``now-1d`` / ``now+29d12h`` → a local date or time of the shop."""
    m = _REL.match(value) if isinstance(value, str) else None
    if not m:
        return value
    base, sign, days, hours = m.groups()
    delta = dt.timedelta(days=int(days or 0), hours=int(hours or 0))
    t = (now + delta if sign != "-" else now - delta).astimezone(TZ)
    return str(t.date()) if base == "today" else t.replace(tzinfo=None).isoformat(
        sep=" ", timespec="minutes")


def scenario_for(case: dict[str, Any]) -> Scenario:
    now = dt.datetime.now(dt.UTC)
    codes = {}
    for code, exp in case.get("codes", {}).items():
        if "window" in exp:
            exp = {**exp, "window": {k: _when(v, now) for k, v in exp["window"].items()}}
        codes[code] = exp
    section = {"codes": codes, "stacking": case.get("stacking", []),
               "rejected": case.get("rejected", [])}
    data = demo_data(promo=section, campaigns=case.get("campaigns", []))
    data["shop"] = {"preset": case.get("preset", "demo")}
    data["target"]["mutations"] = case.get("mutations", False)
    return Scenario.model_validate(data)


@pytest.mark.parametrize("case", cases("promo.codes"))
def test_case(shop: DemoShop, case: dict[str, Any]) -> None:
    scenario = scenario_for(case)
    with requests.Session() as http:
        ctx = CheckContext(scenario=scenario, http=http, base_url=shop.url)
        findings = list(promo.run(ctx))
    got: dict[str, list[str]] = {}
    for f in findings:
        if f.subject != "unknown code" or "unknown code" in case["expect"]:
            got.setdefault(f.subject, []).append(f.code)
    assert got == case["expect"], [f"{f.subject}: {f.code}: {f.summary}" for f in findings]
    for subject, text in case.get("summaries", {}).items():
        summaries = [f.summary for f in findings if f.subject == subject]
        assert any(text in s for s in summaries), summaries
    for f in findings:  # every failure says how to fix it
        assert f.status is not Status.FAIL or f.remediation


def test_case_files_exist() -> None:
    assert len(cases("promo.codes")) >= 25


def _totals(subtotal: str, discount: str, total: str, currency: str = "EUR") -> Totals:
    return Totals(currency, Decimal(subtotal), Decimal(discount), Decimal(total), ("X",))


@pytest.mark.parametrize(("kind", "value", "totals", "code", "problem"), [
    ("percent", 20, _totals("80.99", "16.20", "64.79"), "promo-discount-ok", None),
    ("percent", 10, _totals("12.25", "1.23", "11.02"), "promo-discount-ok", None),  # half-up
    ("percent", 10, _totals("12.25", "1.22", "11.03"), "promo-discount-ok", None),  # half-even
    ("percent", 10, _totals("12.25", "1.21", "11.04"), "promo-discount-wrong", "instead of"),
    ("percent", 20, _totals("80.99", "16.198", "64.792"), "promo-discount-wrong",
     "not rounded to the EUR minor unit"),
    ("percent", 20, _totals("80.99", "16.00", "64.99"), "promo-discount-wrong", "instead of"),
    ("percent", 15, _totals("1999", "300", "1699", "JPY"), "promo-discount-ok", None),
    ("percent", 15, _totals("1999", "299.85", "1699.15", "JPY"), "promo-discount-wrong",
     "not rounded to the JPY minor unit (1)"),
    ("percent", 10, _totals("12.345", "1.235", "11.110", "KWD"), "promo-discount-ok", None),
    ("fixed", 30, _totals("24.99", "30.00", "-5.01"), "promo-discount-wrong",
     "must never go below zero"),
    ("fixed", 30, _totals("24.99", "24.99", "0.00"), "promo-discount-ok", None),
])
def test_discount_rounding_and_negative_totals(kind: str, value: int, totals: Totals, code: str,
                                               problem: str | None) -> None:
    probe = promo_rules.Probe(promo.CHECK, None, [], totals.currency, TZ,  # type: ignore[arg-type]
                              dt.datetime.now(dt.UTC))
    exp = CodeExpectation(kind=kind, value=Decimal(value))  # type: ignore[arg-type]
    f = promo_rules.discount_finding(probe, "X", exp, totals, {})
    assert f.code == code, f.summary
    if problem:
        assert problem in f.summary


@pytest.mark.parametrize(("code", "insensitive", "expected"), [
    ("MIA20", True, ["mia20", "mIa20", "  MIA20 "]),
    ("CozyHome", True, ["cozyhome", "COZYHOME", "cOzYhOmE", "  CozyHome "]),
    ("CozyHome", False, ["  CozyHome "]),
    ("2024", True, ["  2024 "]),
])
def test_variants(code: str, insensitive: bool, expected: list[str]) -> None:
    assert [v for _, v in promo_rules.variants(code, insensitive)] == expected


def _orders(url: str) -> int:
    return requests.get(f"{url}/api/orders/count", timeout=5).json()["orders"]


def _used(url: str, code: str) -> int:
    promos = requests.get(f"{url}/api/promos", timeout=5).json()["promos"]
    return next(p["used"] for p in promos if p["code"] == code)


def test_no_check_places_an_order_without_mutations() -> None:
    """Every pre-flight check, with a promo section that would place orders."""
    data = demo_data(promo={"codes": {"MIA20": {"kind": "percent", "value": 20}},
                            "rejected": ["SUMMER15"],
                            "race": {"code": "DOORBUSTER", "concurrency": 8}})
    assert data["target"].pop("mutations") is True  # the demo scenario allows them
    scenario = Scenario.model_validate(data)
    assert scenario.target.mutations is False  # the default
    with DemoShop() as shop, requests.Session() as http:
        ctx = CheckContext(scenario=scenario, http=http, base_url=shop.url)
        findings = run_checks(ALL, ctx, Phase.PRE)
        adapter = make_shop(profiles.load("demo"), http, shop.url,
                            mutations=scenario.target.mutations)
        with pytest.raises(MutationRefused, match=r"target\.mutations"):
            adapter.checkout(adapter.new_cart())
        assert _orders(shop.url) == 0
        assert _used(shop.url, "DOORBUSTER") == 0
    codes = {(f.check, f.subject): f.code for f in findings}
    assert codes[("promo.race", "DOORBUSTER")] == "mutations-not-allowed"
    assert "checkout not tried" in next(f.summary for f in findings if f.subject == "SUMMER15")
