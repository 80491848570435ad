"""The shop-profile engine against the real demo storefront (a process on
loopback): every flow of the `demo` preset completes and places real orders,
and each way a profile can fail to fit a shop fails the step with a reason
that names it."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import jmespath
import pytest
import requests

from peakready.demo.server import DemoShop
from peakready.flows import FlowKind
from peakready.shops import profiles
from peakready.shops.answer import Answer
from peakready.shops.capture import compile_capture, json_getter
from peakready.shops.flow import flow_steps
from peakready.shops.profile import Profile
from peakready.shops.session import ShopSession, StepFailed, build, session_values
from peakready.shops.template import MissingValue, Text, Tree
from peakready.shops.transport import RequestsTransport
from tests.support.cli import peakready
from tests.support.scenarios import demo_data, write_scenario
from tests.support.servers import Site, page, redirect


def _session(shop: DemoShop, profile: Profile | None = None, seq: int = 1,
             **values: Any) -> ShopSession:
    start = session_values(seq, "t", None)
    start.update(values)
    return ShopSession.start(profile or profiles.load("demo"), RequestsTransport(timeout=10),
                             shop.url, start, random.Random(seq))


def _orders(shop: DemoShop) -> int:
    return int(requests.get(f"{shop.url}/api/orders/count", timeout=5).json()["orders"])


@pytest.mark.parametrize("kind", list(FlowKind))
def test_every_flow_of_the_demo_preset_completes(shop: DemoShop, kind: FlowKind) -> None:
    before = _orders(shop)
    s = _session(shop, code="MIA20")
    s.land()
    for step in flow_steps(kind, products=2, code=kind is FlowKind.PROMO_CHECKOUT):
        s.step(step)
    places_order = kind in (FlowKind.CHECKOUT, FlowKind.PROMO_CHECKOUT, FlowKind.WALLET)
    assert _orders(shop) == before + (1 if places_order else 0)
    if places_order:
        assert s.values["order_id"]
    if kind is FlowKind.PROMO_CHECKOUT:
        assert s.values["order_codes"] == "MIA20"


def _patched(**steps: Any) -> Profile:
    data = profiles.load("demo").model_dump(by_alias=True, exclude_defaults=False)
    data["steps"].update(steps)
    return Profile.model_validate(data)


def test_a_capture_that_never_matches_names_the_step_and_the_capture(shop: DemoShop) -> None:
    profile = _patched(**{"browse:collection": {
        "request": {"path": "/collections/{collection}"},
        "capture": {"product": {"css": "a.no-such-class", "attr": "href"}}}})
    s = _session(shop, profile)
    s.land()
    with pytest.raises(StepFailed) as exc:
        s.step("browse:collection")
    assert exc.value.step == "browse:collection"
    assert "capture 'product' (css: a.no-such-class @href) found nothing" in exc.value.reason


def test_a_placeholder_with_no_value_says_which(shop: DemoShop) -> None:
    s = _session(shop)
    with pytest.raises(StepFailed, match=r"no value for \{checkout_id\}"):
        s.step("checkout:address")


def test_html_where_json_was_expected(shop: DemoShop) -> None:
    profile = _patched(**{"cart:view": {"request": {"path": "/checkout"},
                                        "expect": {"match": "lines[0].slug"}}})
    with pytest.raises(StepFailed, match="expected a JSON answer, got: <!doctype html>"):
        _session(shop, profile).step("cart:view")


def test_a_refusal_in_the_answer_fails_the_step_with_the_shops_message(shop: DemoShop) -> None:
    s = _session(shop, code="NOPE-NOT-A-CODE")
    s.land()
    for step in ("browse:collection", "browse:product", "cart:add"):
        s.step(step)
    with pytest.raises(StepFailed, match=r"the shop answered with an error \(json: error\): "):
        s.step("checkout:promo")


def test_an_error_in_a_200_answer_is_a_failure(shop: DemoShop) -> None:
    """A GraphQL-style shop answers 200 with `errors`: the profile says where."""
    profile = _patched(**{"cart:view": {"request": {"path": "/api/cart"},
                                        "expect": {"errors": [{"json": "subtotal_cents"}]}}})
    s = _session(shop, profile)
    s.land()
    for step in ("browse:collection", "browse:product", "cart:add"):
        s.step(step)
    with pytest.raises(StepFailed, match="answered with an error"):
        s.step("cart:view")


def test_redirects_are_followed_on_the_targets_own_origin_only() -> None:
    hits: list[str] = []

    def elsewhere(query: str) -> tuple[int, dict[str, str], str]:
        hits.append(query)
        return page("elsewhere")

    profile = Profile.model_validate({"name": "r", "steps": {
        "cart:view": {"request": {"path": "/here"}},
        "cart:add": {"request": {"path": "/away"}}}})
    with Site({"/x": elsewhere}) as other, \
            Site({"/here": redirect("/ok"), "/ok": page("fine"),
                  "/away": redirect(other.url + "/x")}) as site:
        s = ShopSession.start(profile, RequestsTransport(timeout=5), site.url,
                              session_values(1, "t", None))
        assert s.step("cart:view").url.endswith("/ok")
        with pytest.raises(StepFailed, match="redirected to another host"):
            s.step("cart:add")
    assert hits == []  # the other host never received the request


def test_graphql_queries_are_written_as_they_are() -> None:
    profile = Profile.model_validate({"name": "g", "steps": {"cart:add": {"request": {
        "method": "POST", "path": "/graphql", "graphql": {
            "query": "mutation add($id: ID!) { cartLinesAdd(lines: [{merchandiseId: $id}]) "
                     "{ cart { id } userErrors { message } } }",
            "variables": {"id": "{product}", "qty": "{quantity}"}}}}}})
    req = profile.steps["cart:add"][0].request
    sent = build("cart:add", req, {"product": "gid://1", "quantity": 2}, "http://127.0.0.1:1")
    doc = json.loads(sent.body or b"")
    assert doc["query"] == req.graphql.query  # braces untouched, never doubled
    assert doc["variables"] == {"id": "gid://1", "qty": 2}  # a lone placeholder keeps its type


@pytest.mark.parametrize(("source", "values", "expected"), [
    ("/products/{product}", {"product": "a-b"}, "/products/a-b"),
    ("{a}{b}", {"a": 1, "b": "x"}, "1x"),
    ('{"literal": 1} {x}', {"x": "y"}, '{"literal": 1} y'),
    ("${TOKEN} {x}", {"x": "y"}, "${TOKEN} y"),
    ("{row.sku}", {"row": {"sku": "S1"}}, "S1"),
])
def test_templates(source: str, values: dict[str, Any], expected: str) -> None:
    assert Text.compile(source).render(values) == expected


def test_a_missing_value_is_named() -> None:
    with pytest.raises(MissingValue, match=r"\{row.size\}"):
        Tree.compile({"a": ["{row.size}"]}).render({"row": {"sku": 1}})


@pytest.mark.parametrize(("steps", "message"), [
    ({"cart:ad": {"request": {"path": "/x"}}}, "unknown step 'cart:ad'"),
    ({"landing": {"request": {"path": "/x"}}}, "the landing is `landing:`"),
    ({"cart:add": {"request": {"path": "https://elsewhere.example/x"}}}, "a path on the target"),
    ({"cart:add": {"request": {"path": "/x", "json": {}, "form": {}}}}, "give one body"),
    ({"cart:add": {"request": {"path": "/x"}, "capture": {"a": {"json": "a[", }}}},
     "not a JMESPath expression"),
    ({"cart:add": {"request": {"path": "/x"}, "capture": {"a": {"css": "a", "json": "b"}}}},
     "exactly one of"),
    ({"cart:add": {"request": {"path": "/x", "headers": {"X-Token": "$TOKEN"}}}},
     "secrets are ${ENV_NAME}"),
])
def test_a_profile_that_cannot_work_is_refused_when_read(steps: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")
                       .replace("$", r"\$").replace("{", r"\{").replace("}", r"\}")):
        Profile.model_validate({"name": "p", "steps": steps})


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: (d.pop("shop"), d["target"].update(base_url="http://127.0.0.1:9")),
     "replaying more than landings needs a shop profile"),
    (lambda d: d.update(shop={"preset": "demo", "steps": {"cart:view": None}}),
     "steps.cart:view"),
    (lambda d: d.update(shop={"preset": "nope"}), "unknown preset 'nope'; presets: demo"),
    (lambda d: d.update(shop={"preset": "demo", "steps": {"checkout:address": {
        "request": {"method": "POST", "path": "/api/checkout/{checkout}/address"}}}}),
     "step checkout:address: {checkout} has no value yet"),
    (lambda d: d.update(target={"base_url": "http://127.0.0.1:9"}, shop={"preset": "demo"}),
     "places orders; set target.mutations: true"),
])
def test_validate_says_which_flow_cannot_run_and_why(tmp_path: Path, change: Any,
                                                     expected: str) -> None:
    data = demo_data()
    change(data)
    out = peakready("validate", str(write_scenario(tmp_path / "s.yaml", data)))
    assert out.returncode == 2, out.stdout
    assert expected in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_a_profile_that_does_not_fit_stops_the_run_before_the_load(tmp_path: Path) -> None:
    data = demo_data(shop={"preset": "demo", "steps": {"cart:add": {"request": {
        "method": "POST", "path": "/api/basket/lines", "json": {"sku": "{viewed}"}}}}})
    out_dir = tmp_path / "out"
    out = peakready("run", str(write_scenario(tmp_path / "s.yaml", data)), "--out",
                    str(out_dir))
    assert out.returncode == 2, out.stderr
    assert "does not fit the shop" in out.stderr and "failed at cart:add: HTTP 404" in out.stderr
    assert "peakready shop try" in out.stderr
    assert not (out_dir / "load-result.json").exists()  # no load was sent


def test_shop_try_prints_every_step_of_every_flow(tmp_path: Path) -> None:
    out = peakready("shop", "try", str(write_scenario(tmp_path / "s.yaml", demo_data())))
    assert out.returncode == 0, out.stdout + out.stderr
    for kind in FlowKind:
        assert f"{kind.value}: completed" in out.stdout
    assert "checkout:pay" in out.stdout and "order_id = " in out.stdout
    assert "✗" not in out.stdout


def test_shop_try_shows_the_failing_step_and_what_came_back(tmp_path: Path) -> None:
    data = demo_data(shop={"preset": "demo", "steps": {"cart:view": {
        "request": {"path": "/api/basket"}}}})
    out = peakready("shop", "try", str(write_scenario(tmp_path / "s.yaml", data)),
                    "--flow", "cart")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "✗ cart:view" in out.stdout and "HTTP 404" in out.stdout
    assert "cart: failed at cart:view" in out.stdout


def test_shop_try_refuses_a_bad_profile_with_exit_2(tmp_path: Path) -> None:
    data = demo_data(shop={"preset": "demo", "steps": {"cart:veiw": {
        "request": {"path": "/api/cart"}}}})
    out = peakready("shop", "try", str(write_scenario(tmp_path / "s.yaml", data)))
    assert out.returncode == 2
    assert "unknown step 'cart:veiw'" in out.stderr and "Traceback" not in out.stderr


# -- the generator's shortcuts give the same answers as the general readers --------

DOCS = [{"order_id": 7, "cart": {"total": 12, "lines": [{"slug": "mug"}]}},
        {"order_id": None, "cart": [1, 2]}, [{"slug": "a"}], "text", None, {"cart": {}}]


@pytest.mark.parametrize("expr", ["order_id", "cart.total", "cart.lines[0].slug",
                                  "cart.lines[3].slug", "cart[1]", "missing.deeper"])
def test_plain_json_lookups_answer_as_jmespath(expr: str) -> None:
    fast = json_getter(expr)
    assert fast is not jmespath.compile(expr).search  # the shortcut is taken
    for doc in DOCS:
        assert fast(doc) == jmespath.search(expr, doc), (expr, doc)


def test_other_expressions_go_to_jmespath() -> None:
    doc = {"discounts": [{"code": "A", "ok": True}, {"code": "B", "ok": False}]}
    assert json_getter("discounts[?ok].code")(doc) == ["A"]
    assert json_getter("length(discounts)")(doc) == 2


@pytest.mark.parametrize("html", [
    '<form><input type="hidden" name="product" value="wool-scarf"></form>',
    "<form><INPUT NAME='product' VALUE='a b'><input name=product value=x></form>",
    '<form><input name="product" value="a&amp;b"></form>',
    '<form><select name="product"><option value="1">a</option>'
    '<option value="2" selected>b</option></select></form>',
    '<form><input name="Product" value="no"><input name="product" value="yes"></form>',
    '<!-- <input name="product" value="old"> --><input name="product" value="new">',
    '<input name="product">', '<p>nothing</p>',
    '<input data-name="product" value="z" name="product">',
    '<textarea name="product">t</textarea><input name="product" value="i">',
])
def test_a_form_field_read_without_the_parser_is_what_the_parser_reads(html: str) -> None:
    capture = compile_capture(field="product", pick="all")
    parsed = Answer(200, html)
    parsed.html()  # parsed already: the general reader
    assert capture.apply(Answer(200, html)) == capture.apply(parsed)
