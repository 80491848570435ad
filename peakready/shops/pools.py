"""Data pools: rows of a CSV file (products, addresses, test cards) that a
shop profile's sessions take instead of discovering them on the shop.

```yaml
pools:
  card: {file: cards.csv}                            # {card.number}, {card.cvc}
  address: {file: addresses.csv, pick: sequential}   # round-robin over the sessions
  product: {file: skus.csv, pick: random}
```

Each session takes one row of each pool, a mapping from the header's column
names to the row's text, so a request reads ``{address.city}``; a pool
replaces a profile value of its name (``shop: {preset: demo, pools: {card:
...}}`` replaces the demo's constant ``card``).

A file is read once per process (``read_table`` keeps it until the file
changes): when the scenario is loaded (``peakready.scenario.load`` resolves
the path relative to the scenario file and reports a missing, empty,
non-UTF-8 or malformed file, and a placeholder naming a column the header
lacks, as bad input), and a session's pick is then an index into that list:
``sequential`` takes the next row of a counter shared by every session of
the process (each Locust worker has its own), ``random`` a row drawn with the
session's random generator.

Pools of test cards are test data and may live in a file; what `peakready
shop try` prints masks the values of a pool marked ``secret: true``, or whose
name contains card, token, password or secret unless it says ``secret:
false`` (``masker``).
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import random
import re
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from peakready.errors import BadInput
from peakready.shops.profile import Part, Pool, Profile
from peakready.shops.template import Tree

SECRET_NAME = re.compile(r"card|token|password|secret", re.IGNORECASE)
MASK = "••••"


@dataclass(frozen=True, slots=True)
class Table:
    """A pool file as read: its columns and its rows (one dict per row)."""

    path: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]


_TABLES: dict[str, tuple[tuple[int, int], Table]] = {}


def read_table(path: str | Path, where: str = "") -> Table:
    """The rows of the CSV file at ``path`` (read again only when the file
    changed); BadInput naming the file, the line and the fix. ``where``
    prefixes the messages (the scenario and the pool)."""
    path = str(path)
    prefix = f"{where}: " if where else ""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise BadInput(f"{prefix}{path}: no such file ({exc.strerror}); fix the path, "
                       "relative to the scenario file") from None
    stamp = (st.st_mtime_ns, st.st_size)
    known = _TABLES.get(path)
    if known is not None and known[0] == stamp:
        return known[1]
    table = _parse(path, prefix)
    _TABLES[path] = (stamp, table)
    return table


def _parse(path: str, prefix: str) -> Table:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BadInput(f"{prefix}{path}: cannot read the file: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise BadInput(f"{prefix}{path}:{line}: not UTF-8 text (byte "
                       f"0x{data[exc.start]:02x}); save the file as UTF-8 (CSV UTF-8 in a "
                       "spreadsheet)") from None
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    records = ((reader.line_num, row) for row in reader if row)
    try:
        first = next(records, None)
        if first is None:
            raise BadInput(f"{prefix}{path}: the file is empty; give a header line naming the "
                           "columns (`number,cvc`) and a row per value")
        line, header = first
        columns = tuple(c.strip() for c in header)
        problems = _header_problems(columns)
        if problems:
            raise BadInput(f"{prefix}{path}:{line}: the header line: {'; '.join(problems)}")
        rows = []
        for line, row in records:
            if len(row) != len(columns):
                raise BadInput(f"{prefix}{path}:{line}: {len(row)} field(s), but the header "
                               f"names {len(columns)} ({', '.join(columns)}); fix the row "
                               "(quote a value holding a comma: \"Berlin, DE\")")
            rows.append(dict(zip(columns, row, strict=True)))
    except csv.Error as exc:
        raise BadInput(f"{prefix}{path}:{reader.line_num}: not a CSV file ({exc}); fix "
                       "the line") from None
    if not rows:
        raise BadInput(f"{prefix}{path}: the header line is all there is; add a row per "
                       "value (each session takes one)")
    return Table(path, columns, tuple(rows))


def _header_problems(columns: tuple[str, ...]) -> list[str]:
    problems = []
    if len(columns) == 1 and any(sep in columns[0] for sep in ";\t|"):
        problems.append(f"`{columns[0]}` is one column: peakready reads comma-separated "
                        "files; separate the columns with `,`")
    seen: set[str] = set()
    for i, name in enumerate(columns, 1):
        if not name:
            problems.append(f"column {i} has no name; name it (or drop the empty column)")
        elif name in seen:
            problems.append(f"column {i}: `{name}` names two columns; rename one")
        seen.add(name)
    return problems


# -- the static check: every `{pool.column}` names a column of the pool's file --

def _parts_names(parts: list[Part]) -> set[str]:
    return set().union(*(p.request.names() for p in parts)) if parts else set()


def template_uses(profile: Profile) -> Iterator[tuple[str, set[str]]]:
    """(where, placeholder names) for every template of the profile."""
    for step, parts in profile.steps.items():
        yield f"step {step}", _parts_names(parts)
    for name, value in profile.values.items():
        yield f"values.{name}", Tree.compile(value).names
    yield "new_cart", _parts_names(profile.new_cart)
    yield "totals", _parts_names(profile.totals)
    for name in ("catalog", "code_info", "attribution"):
        listing = getattr(profile, name)
        if listing is not None:
            yield name, listing.request.names()


def column_problems(profile: Profile, tables: Mapping[str, Table]) -> list[str]:
    """A placeholder reading a pool's column its file does not have, or
    reading inside a column (a pool's values are text)."""
    problems = []
    for where, names in template_uses(profile):
        for name in sorted(names):
            pool, _, rest = name.partition(".")
            table = tables.get(pool)
            if table is None or not rest:
                continue
            column, _, deeper = rest.partition(".")
            if column not in table.columns:
                problems.append(f"{where}: {{{name}}}: {table.path}:1 (the header) has no "
                                f"column `{column}`; columns: {', '.join(table.columns)}. "
                                "Fix the placeholder, or add the column to the file")
            elif deeper:
                problems.append(f"{where}: {{{name}}}: a pool's values are text; read "
                                f"`{{{pool}.{column}}}`")
    return problems


def is_secret(name: str, pool: Pool) -> bool:
    return pool.secret if pool.secret is not None else bool(SECRET_NAME.search(name))


# -- the sessions' side ----------------------------------------------------------

class Pools:
    """A profile's pools, their files read: ``draw`` gives a session its rows."""

    def __init__(self, profile: Profile) -> None:
        self._pools: list[tuple[str, tuple[dict[str, str], ...], int,
                                itertools.count[int] | None]] = []
        for name, pool in profile.pools.items():
            rows = read_table(pool.file, f"pools.{name}").rows
            counter = itertools.count() if pool.pick == "sequential" else None
            self._pools.append((name, rows, len(rows), counter))
        self.secret = frozenset(n for n, p in profile.pools.items() if is_secret(n, p))
        self._rng = random.Random()

    def draw(self, rng: random.Random | None = None) -> dict[str, dict[str, str]]:
        """One row of each pool (the rows are shared: read them, never change them)."""
        rand = (rng or self._rng).random
        return {name: rows[next(counter) % n] if counter is not None else rows[int(rand() * n)]
                for name, rows, n, counter in self._pools}


_OF: dict[int, Pools] = {}


def of(profile: Profile) -> Pools | None:
    """The profile's pools, read once for as long as the profile lives (so
    every session of a run shares the sequential counters); None without."""
    if not profile.pools:
        return None
    key = id(profile)
    pools = _OF.get(key)
    if pools is None:
        pools = _OF[key] = Pools(profile)
        weakref.finalize(profile, _OF.pop, key, None)
    return pools


def masker(profile: Profile, values: Mapping[str, Any]) -> Callable[[str], str] | None:
    """A function masking this session's values of its secret pools in a text
    (None when there is nothing to mask). Values under 4 characters (a CVC)
    are left alone: masking them would garble the rest of the text."""
    hidden: dict[str, str] = {}
    for name, pool in profile.pools.items():
        row = values.get(name)
        if is_secret(name, pool) and isinstance(row, Mapping):
            for value in row.values():
                text = str(value)
                if len(text.strip()) < 4:
                    continue
                digits = "".join(c for c in text if c.isdigit())
                # a card number shows its last 4 digits; also as a URL or the shop writes it
                mask = MASK + digits[-4:] if len(digits) >= 12 else MASK
                for form in {text, quote(text), quote_plus(text)}:
                    hidden[form] = mask
                if len(digits) >= 12:
                    hidden[digits] = mask
    if not hidden:
        return None
    pattern = re.compile("|".join(re.escape(v) for v in sorted(hidden, key=len, reverse=True)))
    return lambda text: pattern.sub(lambda m: hidden[m.group(0)], text)
