"""Data pools (issue 13): rows of a CSV file each session takes one of, read
as ``{card.number}`` -- sent to the real demo storefront (a process on
loopback, its database read afterwards), picked sequentially or at random,
masked in `peakready shop try` when they are test cards, and every broken
file or placeholder refused as bad input naming the file, the line and the
fix."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from peakready.demo.server import DemoShop
from peakready.errors import BadInput
from peakready.flows import FlowKind
from peakready.run.trial import trial_session
from peakready.scenario.load import load_scenario
from peakready.shops import pools
from peakready.shops.profile import Profile
from peakready.shops.session import ShopSession, StepFailed, session_values
from tests.support.cli import peakready
from tests.support.scenarios import demo_data, write_scenario

CARDS = "number,cvc\n4242 4242 4242 4242,123\n4000000000000002,456\n"
ADDRESSES = ("name,street,city,postcode,country\n"
             "Ada Lovelace,1 Engine Row,London,N1 9GU,GB\n"
             '"Grace Hopper","2 Compiler Way, Apt 3",Arlington,22201,US\n'
             "Alan Turing,3 Enigma Lane,Manchester,M13 9PL,GB\n")
ADDRESS_STEP = {"request": {
    "method": "POST", "path": "/api/checkout/{checkout_id}/address",
    "json": {"email": "{email}", "address": {
        "name": "{address.name}", "street": "{address.street}", "city": "{address.city}",
        "postcode": "{address.postcode}", "country": "{address.country}"}}},
    "expect": {"errors": [{"json": "error"}]}}
PAY_STEP = {"request": {
    "method": "POST", "path": "/api/checkout/{checkout_id}/pay",
    "query": {"ref": "{card.number}"},  # a test card in the URL: shop try must mask it
    "json": {"card_number": "{card.number}", "cvc": "{card.cvc}"}},
    "capture": {"order_id": {"json": "order_id"}},
    "expect": {"errors": [{"json": "error"}]}}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoShop, Path]]:
    """A demo shop whose database the tests read (the checkouts keep the
    email and address each session sent)."""
    db = tmp_path_factory.mktemp("pools-shop") / "shop.sqlite3"
    with DemoShop(db_path=str(db)) as s:
        yield s, db


def _addresses(db: Path, since: int = 0) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT rowid, address FROM checkouts WHERE address IS NOT NULL "
                            "AND rowid > ? ORDER BY rowid", (since,)).fetchall()
    return [json.loads(a) for _, a in rows]


def _last_checkout(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM checkouts").fetchone()[0])


def _scenario(tmp_path: Path, base_url: str = "demo", pick: str = "sequential",
              steps: dict[str, Any] | None = None, **pool_files: str) -> Path:
    for name, text in {"cards.csv": CARDS, "addresses.csv": ADDRESSES, **pool_files}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    data = demo_data(
        target={"base_url": base_url},
        flows=[{"name": "checkout", "kind": "checkout", "weight": 1}],
        shop={"preset": "demo",
              "pools": {"card": {"file": "cards.csv"},
                        "address": {"file": "addresses.csv", "pick": pick}},
              "steps": {"checkout:address": ADDRESS_STEP, "checkout:pay": PAY_STEP,
                        **(steps or {})}})
    return write_scenario(tmp_path / "s.yaml", data)


def _sessions(scenario_path: Path, shop: DemoShop, n: int) -> list[dict[str, Any]]:
    """``n`` checkout sessions through one profile (as one Locust worker
    runs them); each one's values, or its failure."""
    scenario = load_scenario(scenario_path)
    profile = scenario.shop_profile()
    assert profile is not None
    out = []
    for seq in range(n):
        with requests.Session() as http:
            try:
                s = trial_session(profile, scenario, FlowKind.CHECKOUT, shop.url, http, seq=seq)
            except StepFailed as exc:  # the declined card's session
                out.append({"failed": f"{exc.step}: {exc.reason}"})
            else:
                out.append(s.values)
    return out


def test_shop_try_sends_the_rows_and_masks_the_card(shop: tuple[DemoShop, Path],
                                                    tmp_path: Path) -> None:
    demo, db = shop
    before = _last_checkout(db)
    out = peakready("shop", "try", str(_scenario(tmp_path, demo.url)), "--flow", "checkout")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "checkout: completed" in out.stdout
    # the shop received the address row (a quoted comma kept) and the pool's email value
    (address,) = _addresses(db, before)
    assert address == {"name": "Ada Lovelace", "street": "1 Engine Row", "city": "London",
                       "postcode": "N1 9GU", "country": "GB"}
    # the card went into the pay step's URL, but shop try shows only its last 4 digits
    assert "4242" in out.stdout and "••••4242" in out.stdout
    assert "4242+4242" not in out.stdout and "4242 4242 4242" not in out.stdout


def test_sequential_pick_goes_round_the_rows(shop: tuple[DemoShop, Path],
                                             tmp_path: Path) -> None:
    demo, db = shop
    before = _last_checkout(db)
    got = _sessions(_scenario(tmp_path, demo.url), demo, 4)
    # cards alternate: the good test card places an order, the declined one fails at pay
    assert "order_id" in got[0] and "order_id" in got[2]
    assert got[1]["failed"] == got[3]["failed"] == (
        "checkout:pay: the shop answered with an error (json: error): the card was declined")
    assert "4000000000000002" not in got[1]["failed"]
    # addresses go round the three rows, then start again
    cities = [a["city"] for a in _addresses(db, before)]
    assert cities == ["London", "Arlington", "Manchester", "London"]
    assert _addresses(db, before)[1]["street"] == "2 Compiler Way, Apt 3"


def test_random_pick_takes_rows_of_the_file(shop: tuple[DemoShop, Path],
                                            tmp_path: Path) -> None:
    demo, db = shop
    before = _last_checkout(db)
    path = _scenario(tmp_path, demo.url, pick="random")
    (tmp_path / "cards.csv").write_text("number,cvc\n4242 4242 4242 4242,123\n")
    _sessions(path, demo, 3)
    cities = {a["city"] for a in _addresses(db, before)}
    assert cities <= {"London", "Arlington", "Manchester"} and len(_addresses(db, before)) == 3
    # the pick: an index drawn with the session's own generator (reproducible per session)
    profile = load_scenario(path).shop_profile()
    assert profile is not None
    drawn = pools.Pools(profile)
    picks = [drawn.draw(random.Random(seq))["address"]["city"] for seq in range(60)]
    assert picks == [drawn.draw(random.Random(seq))["address"]["city"] for seq in range(60)]
    assert set(picks) == {"London", "Arlington", "Manchester"}
    assert picks != ["London", "Arlington", "Manchester"] * 20  # not round-robin


def test_a_pool_in_a_profile_file_is_relative_to_the_scenario(tmp_path: Path) -> None:
    (tmp_path / "shops").mkdir()
    (tmp_path / "cards.csv").write_text(CARDS)
    (tmp_path / "shops" / "mine.yaml").write_text(json.dumps({
        "name": "mine", "pools": {"card": {"file": "cards.csv", "pick": "random"}},
        "steps": {"cart:add": {"request": {"method": "POST", "path": "/cart",
                                           "json": {"card": "{card.number}"}}}}}))
    data = demo_data(flows=[{"name": "bounce", "kind": "bounce", "weight": 1}])
    data.pop("promo")
    data["shop"] = {"profile": "shops/mine.yaml"}
    profile = load_scenario(write_scenario(tmp_path / "s.yaml", data)).shop_profile()
    assert profile is not None
    assert profile.pools["card"].file == str(tmp_path / "cards.csv")
    assert profile.pools["card"].pick == "random"


def test_a_pool_replaces_a_value_and_feeds_the_values(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("first,email\nAda,ada@example.test\n")
    profile = Profile.model_validate({
        "name": "p", "values": {"card": "4242", "greeting": "hi {person.first}"},
        "pools": {"person": {"file": str(tmp_path / "people.csv")},
                  "card": {"file": str(tmp_path / "people.csv")}}})
    s = ShopSession.start(profile, None, "http://127.0.0.1:1",  # type: ignore[arg-type]
                          session_values(1, "t", None), random.Random(1))
    assert s.values["person"] == {"first": "Ada", "email": "ada@example.test"}
    assert s.values["greeting"] == "hi Ada"
    assert s.values["card"] == {"first": "Ada", "email": "ada@example.test"}


# -- bad input: validate names the file, the line and the fix (exit 2) -----------

def _problems(path: Path) -> str:
    with pytest.raises(BadInput) as err:
        load_scenario(path)
    return err.value.render()


def test_validate_refuses_a_missing_pool_file_with_exit_2(tmp_path: Path) -> None:
    path = _scenario(tmp_path)
    (tmp_path / "cards.csv").unlink()
    out = peakready("validate", str(path))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "pools.card: " in out.stderr and "cards.csv: no such file" in out.stderr
    assert "relative to the scenario file" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize(("text", "expected"), [
    ("", "cards.csv: the file is empty; give a header line"),
    ("number,cvc\n", "cards.csv: the header line is all there is; add a row"),
    ("number,cvc\n\n", "cards.csv: the header line is all there is"),
    ("number,number\n1,2\n",
     "cards.csv:1: the header line: column 2: `number` names two columns; rename one"),
    ("number,,cvc\n1,2,3\n", "cards.csv:1: the header line: column 2 has no name"),
    ("number,cvc\n4242 4242 4242 4242,123\n4242,1,2\n",
     "cards.csv:3: 3 field(s), but the header names 2 (number, cvc)"),
    ("number;cvc\n4242;123\n", "peakready reads comma-separated files"),
])
def test_a_broken_pool_file_is_bad_input(tmp_path: Path, text: str, expected: str) -> None:
    path = _scenario(tmp_path)
    (tmp_path / "cards.csv").write_text(text)
    message = _problems(path)
    assert expected in message, message
    assert "pools.card: " in message


def test_a_pool_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = _scenario(tmp_path)
    (tmp_path / "addresses.csv").write_bytes(
        ADDRESSES.encode() + "Zoë Ünal,4 Straße,München,80331,DE\n".encode("latin-1"))
    message = _problems(path)
    assert "addresses.csv:5: not UTF-8 text (byte 0xeb); save the file as UTF-8" in message


def test_a_utf8_bom_and_accents_are_read(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes("\ufeffcity\nMünchen\n".encode())
    table = pools.read_table(tmp_path / "a.csv")
    assert table.columns == ("city",) and table.rows == ({"city": "München"},)


def test_a_placeholder_naming_a_missing_column_is_bad_input(tmp_path: Path) -> None:
    pay = {**PAY_STEP, "request": {**PAY_STEP["request"],
                                   "json": {"card_number": "{card.numbr}"}}}
    message = _problems(_scenario(tmp_path, steps={"checkout:pay": pay}))
    assert "step checkout:pay: {card.numbr}:" in message
    assert "cards.csv:1 (the header) has no column `numbr`; columns: number, cvc" in message
    assert "Fix the placeholder, or add the column" in message


def test_a_placeholder_with_no_pool_is_still_unfed(tmp_path: Path) -> None:
    path = _scenario(tmp_path)
    data = demo_data(flows=[{"name": "checkout", "kind": "checkout", "weight": 1}],
                     shop={"preset": "demo", "steps": {"checkout:address": ADDRESS_STEP}})
    message = _problems(write_scenario(path, data))
    assert "step checkout:address: {address.city} has no value yet" in message


def test_a_pool_named_like_a_capture_is_refused(tmp_path: Path) -> None:
    (tmp_path / "skus.csv").write_text("slug\nwool-throw\n")
    data = demo_data(shop={"preset": "demo", "pools": {"product": {"file": "skus.csv"}}})
    message = _problems(write_scenario(tmp_path / "s.yaml", data))
    assert "pools.product: a step captures `product` too" in message


def test_secret_pools_by_name_or_flag() -> None:
    profile = Profile.model_validate({"name": "p", "pools": {
        "card": {"file": "x.csv"}, "api_token": {"file": "x.csv"},
        "address": {"file": "x.csv"}, "voucher": {"file": "x.csv", "secret": True},
        "gift_card": {"file": "x.csv", "secret": False}}})
    secret = {n for n, p in profile.pools.items() if pools.is_secret(n, p)}
    assert secret == {"card", "api_token", "voucher"}
    hide = pools.masker(profile, {"card": {"number": "4242 4242 4242 4242", "cvc": "123"},
                                  "voucher": {"code": "SECRET-CODE"},
                                  "address": {"city": "London"}})
    assert hide is not None
    assert hide("pay 4242 4242 4242 4242 / 4242424242424242 / 4242+4242+4242+4242") == \
        "pay ••••4242 / ••••4242 / ••••4242"
    assert hide("SECRET-CODE in London") == "•••• in London"
