"""Reading a list from an answer (a profile's ``Listing``): the catalog's
products, a code's validity and usage, the attribution of orders.

Each item is read like a small answer of its own, so the same captures work
inside it: a JSON item is re-serialised (a regex then sees it as text), an
HTML item is the element's own markup.
"""

from __future__ import annotations

import json
from typing import Any

from peakready.shops.answer import Answer
from peakready.shops.profile import Listing


def item_answers(listing: Listing, answer: Answer) -> list[Answer]:
    """Each item as an answer; ValueError when the answer has no such list."""
    spec = listing.items
    if spec.json_ is not None:
        found = spec.compiled.read(answer)
        if len(found) == 1 and isinstance(found[0], list):
            found = found[0]
        if not answer.is_json():
            raise ValueError(f"expected a JSON answer with `{spec.json_}`, got: "
                             f"{answer.excerpt()}")
        items = [it for it in found if it is not None]
        return [Answer(200, json.dumps(it).encode(), url=answer.url) for it in items]
    assert spec.css is not None
    return [Answer(200, node.html or "", url=answer.url) for node in answer.html().css(spec.css)]


def read(listing: Listing, answer: Answer) -> list[dict[str, Any]]:
    """Every item's fields (None for a field an item lacks)."""
    return [{name: spec.compiled.apply(item) for name, spec in listing.fields.items()}
            for item in item_answers(listing, answer)]
