"""The generated docs (docs/scenario-reference.md, docs/checks.md): committed
copies are current, complete against an independent source (the model's JSON
Schema, the check registry), and their links resolve."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from peakready.checks.registry import ALL

from peakready.cli import build_parser, main
from peakready.docs import generate as docgen
from peakready.docs.schema import anchor
from peakready.errors import ExitCode
from peakready.scenario.model import Scenario

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_committed_docs_are_current(tmp_path: Path) -> None:
    docgen.write(tmp_path)
    for name in docgen.generate():
        committed = DOCS / name
        assert committed.is_file(), f"docs/{name} is missing: run `peakready docs`"
        assert committed.read_text(encoding="utf-8") == (tmp_path / name).read_text(
            encoding="utf-8"), f"docs/{name} is stale: run `peakready docs` and commit it"


def test_docs_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", "--out", str(tmp_path)]) == 0
    assert main(["docs", "--check", "--out", str(tmp_path)]) == 0
    page = tmp_path / "checks.md"
    page.write_text(page.read_text(encoding="utf-8").replace("How to fix", "How to"),
                    encoding="utf-8")
    assert main(["docs", "--check", "--out", str(tmp_path)]) == 1
    assert "checks.md: stale" in capsys.readouterr().err
    (tmp_path / "scenario-reference.md").unlink()
    assert main(["docs", "--check", "--out", str(tmp_path)]) == 1


def _sections(markdown: str) -> dict[str, list[str]]:
    """`## path` heading -> the keys in its table."""
    out: dict[str, list[str]] = {}
    current = None
    for line in markdown.splitlines():
        if line.startswith("## "):
            current = line[3:]
            out[current] = []
        elif current and (m := re.match(r"\| `([^`]+)` \|", line)):
            out[current].append(m.group(1))
    return out


def _schema_at(schema: dict[str, Any], path: str) -> dict[str, Any]:
    """The JSON Schema object for a reference path such as promo.codes.NAME.window."""
    defs = schema["$defs"]

    def deref(node: dict[str, Any]) -> dict[str, Any]:
        for option in node.get("anyOf", []):
            if "$ref" in option:
                node = option
        return defs[node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else node

    node = schema
    for part in path.split(".") if path != "Top level" else []:
        if part == "NAME":
            node = deref(node["additionalProperties"])
            continue
        node = deref(node["properties"][part.removesuffix("[]")])
        if part.endswith("[]"):
            node = deref(node["items"])
    return node


def test_reference_lists_every_key_the_schema_has() -> None:
    """Independent of the walk that wrote it: every section's keys are the
    properties of the same place in Scenario.model_json_schema()."""
    schema = Scenario.model_json_schema()
    sections = _sections(docgen.scenario_reference())
    assert len(sections) >= 25  # every section of every part of the scenario
    for path, keys in sections.items():
        expected = list(_schema_at(schema, path)["properties"])
        assert keys == expected, f"section {path}"
    top_models = [k for k, v in schema["properties"].items()
                  if "$ref" in str(v) and k not in ("slos", "checks")]
    for key in top_models:  # target, load, flows, ..., traffic, promo, email, links
        assert any(p.split(".")[0].removesuffix("[]") == key for p in sections), key


@pytest.mark.parametrize(("section", "key", "text"), [
    ("load", "late_tolerance", "duration (`90`, `30s`, `10m`, `1h30m`), > 0 | `1s`"),
    ("traffic", "format", "`ga4`"),
    ("links", "analytics_tag", r"\bG-[A-Z0-9]{4,}\b\|\bGTM"),  # a pipe escaped in a table
    ("slos", "steps", "`{'*': {p95_ms: 1000"),
    ("promo", "cart_value", "> 0 | `80`"),
    ("email", "domains", "**required**"),
    ("target", "base_url", "**required**"),
])
def test_reference_rows(section: str, key: str, text: str) -> None:
    md = docgen.scenario_reference()
    body = md.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    row = next(line for line in body.splitlines() if line.startswith(f"| `{key}` |"))
    assert text in row


def test_catalogue_has_every_check_with_its_docstring() -> None:
    md = docgen.check_catalogue()
    for c in ALL:
        assert f"\n## {c.id}\n" in md
        assert f"| [{c.id}](#{anchor(c.id)}) | {c.title} |" in md
        fix = " ".join(c.doc.split("How to fix:", 1)[1].split()[:6]).replace("`", "")
        plain = " ".join(md.split()).replace("`", "").replace("&lt;", "<")
        assert "**How to fix**: " + fix in plain, c.id
    assert "``" not in md.replace("```", "")  # reST literals became Markdown code


@pytest.mark.parametrize("name", ["scenario-reference.md", "checks.md"])
def test_every_link_inside_a_page_resolves(name: str) -> None:
    md = docgen.generate()[name]
    anchors = {anchor(line.lstrip("#").strip()) for line in md.splitlines()
               if line.startswith("#")}
    links = re.findall(r"\]\(#([^)]+)\)", md)
    assert links
    assert sorted(set(links) - anchors) == []


def test_readme_links_resolve_and_name_every_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#]+)\)", readme)
    assert {"docs/scenario-reference.md", "docs/checks.md"} <= set(targets)
    assert [t for t in targets if not (ROOT / t).exists()] == []
    parser = build_parser()
    [sub] = [a for a in parser._actions if a.choices and "run" in a.choices]
    missing = [name for name in sub.choices if f"peakready {name}" not in readme]
    assert missing == []
    for code in ExitCode:
        assert f"| {int(code)} |" in readme
