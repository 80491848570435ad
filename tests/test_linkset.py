"""The link set: scenario campaigns plus a links CSV; bad CSVs are bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from peakready.errors import BadInput
from peakready.links.linkset import entries
from peakready.scenario.load import load_scenario
from tests.support.cli import peakready
from tests.support.scenarios import demo_data, write_scenario

GOOD = ("influencer,url,channel,promo_code,landing\n"
        "Mia Home,https://shop.example/c?utm_source=instagram&utm_medium=social"
        "&utm_campaign=bf,Organic Social,MIA20\n"
        "\n"
        "Lena Living,/go/lena-bf,,,/collections/textiles?utm_source=youtube\n"
        '"Noah, Makes",/c?utm_source=tiktok\n')


def _scenario(tmp_path: Path, csv_text: str | bytes, **links: object) -> Path:
    sub = tmp_path / "links"
    sub.mkdir(exist_ok=True)
    csv = sub / "creators.csv"
    if isinstance(csv_text, bytes):
        csv.write_bytes(csv_text)
    else:
        csv.write_text(csv_text, encoding="utf-8")
    return write_scenario(tmp_path / "s.yaml",
                          demo_data(links={"csv": "links/creators.csv", **links}))


def test_csv_lines_join_the_campaigns(tmp_path: Path) -> None:
    scenario = load_scenario(_scenario(tmp_path, GOOD))
    links = entries(scenario.campaigns, scenario.links, "http://127.0.0.1:8000")
    assert [e.subject for e in links] == [
        "bf-mia", "bf-noah", "bf-lena", "creators.csv:2 Mia Home",
        "creators.csv:4 Lena Living", 'creators.csv:5 Noah, Makes']
    mia, lena, noah = links[3:]
    assert (mia.channel, mia.promo_code, mia.landing) == ("Organic Social", "MIA20", None)
    assert lena.url == "http://127.0.0.1:8000/go/lena-bf"
    assert lena.tagged_url == "http://127.0.0.1:8000/collections/textiles?utm_source=youtube"
    assert (noah.influencer, noah.promo_code) == ("Noah, Makes", None)


@pytest.mark.parametrize(("text", "line", "words"), [
    ("Mia,https://a.example/x\nNoah\n", 2, "expected 2 to 5 columns"),
    ("Mia,https://a.example/x,Organic Social,M,https://b.example,extra\n", 1, "found 6"),
    ("influencer,url\n,https://a.example/x\n", 2, "influencer column is empty"),
    ("Mia, \n", 1, "url column is empty"),
    ("Mia,https://a.example/x,Influencers\n", 1, "unknown channel 'Influencers'"),
    ('Mia,"https://a.example/x\n', 1, "not valid CSV"),
])
def test_bad_csv_names_file_and_line(tmp_path: Path, text: str, line: int,
                                     words: str) -> None:
    with pytest.raises(BadInput) as exc:
        load_scenario(_scenario(tmp_path, text))
    message = str(exc.value)
    assert f"creators.csv:{line}:" in message and words in message


def test_csv_that_is_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"creators\.csv: not UTF-8 text"):
        load_scenario(_scenario(tmp_path, "Müller,https://a.example/x\n".encode("latin-1")))


def test_missing_csv_and_exit_code_2(tmp_path: Path) -> None:
    path = write_scenario(tmp_path / "s.yaml", demo_data(links={"csv": "nope.csv"}))
    res = peakready("validate", str(path), timeout=60)
    assert res.returncode == 2
    assert "nope.csv: cannot read the links CSV" in res.stderr


@pytest.mark.parametrize(("links", "words"), [
    ({"max_hops": 11}, "links.max_hops"),
    ({"campaign_pattern": "bf-[a-z"}, "not a valid regular expression"),
    ({"mediums": ["social", " "]}, "non-empty"),
    ({"tls_margin": 3}, "unknown key"),
    ({"tls_urls": ["http://checkout.example/"]}, "not an https URL"),
    ({"window": {"start": "2025-11-30", "end": "2025-11-28"}}, "end must be after start"),
])
def test_links_section_is_validated(tmp_path: Path, links: dict, words: str) -> None:
    with pytest.raises(BadInput) as exc:
        load_scenario(write_scenario(tmp_path / "s.yaml", demo_data(links=links)))
    assert words in exc.value.render()


def test_window_end_date_means_end_of_day(tmp_path: Path) -> None:
    s = load_scenario(write_scenario(tmp_path / "s.yaml", demo_data(
        links={"window": {"start": "2025-11-28", "end": "2025-11-30"}})))
    assert (s.links.window.end.hour, s.links.window.end.minute) == (23, 59)
    assert s.links.window.start.hour == 0
