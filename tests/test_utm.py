"""Static UTM rules on single links."""

from __future__ import annotations

import pytest

from checks.utm import check_link


@pytest.mark.parametrize(("url", "codes"), [
    ("https://s.example/p?utm_source=ig&utm_medium=social&utm_campaign=bf", ["utm-ok"]),
    ("https://s.example/p?utm_source=ig&utm_medium=social", ["utm-missing"]),
    ("https://s.example/p?utm_source=ig&utm_medium=&utm_campaign=bf", ["utm-missing"]),
    ("https://s.example/p#utm_source=ig&utm_medium=social&utm_campaign=bf",
     ["utm-in-fragment", "utm-missing"]),
    ("https://s.example/p?a=1?utm_source=ig", ["link-malformed"]),
    ("s.example/p?utm_source=ig", ["link-malformed"]),
])
def test_static_rules(url: str, codes: list[str]) -> None:
    assert [f.code for f in check_link("c", url)] == codes
