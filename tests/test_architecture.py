"""The import contract: dependencies point one way, and nothing dodges it.

The tree reads as the pipeline (docs/design.md): core types and the verdict
at the bottom; the stages' own packages (traffic, email, links, shops, load,
the demo shop) above them; the scenario that composes their sections; the
plan; the checks, the reports and the Locust side; one run from scenario to
report; the commands on top. A module may import only from its own package
or from a lower layer, modules never form a cycle, and no module imports
peakready code inside a function (the CLI loads a command's module through
``importlib``, from its table). Read from the source with ``ast``, with the
package mapping pyproject.toml installs, so it needs nothing installed.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOP = "peakready"

# Lowest first. A unit is a module directly in peakready/ or a subpackage.
LAYERS: list[set[str]] = [
    {"__init__", "errors", "scenarios"},
    {"units", "flows", "findings"},
    {"verdict"},
    {"traffic", "email", "links", "shops", "load", "demo"},
    {"scenario"},
    {"plan"},
    {"checks", "reports", "locustfiles"},
    {"run", "docs"},
    {"commands"},
    {"cli"},
    {"__main__"},
]
LAYER = {unit: i for i, layer in enumerate(LAYERS) for unit in layer}


def _package_dirs() -> dict[str, Path]:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    return {pkg: ROOT / path for pkg, path in setuptools["package-dir"].items()}


def modules() -> dict[str, Path]:
    """Every module of the installed namespace, by dotted name."""
    out: dict[str, Path] = {}
    dirs = _package_dirs()
    for pkg, folder in dirs.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            if any(p == "__pycache__" for p in parts):
                continue
            # a folder mapped elsewhere (peakready.checks) is not also peakready/checks
            name = ".".join([pkg, *parts])
            out[name] = path
    return out


MODULES = modules()


def _resolve(importer: str, node: ast.ImportFrom | ast.Import) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    base = node.module or ""
    if node.level:
        pkg = importer.split(".")
        is_pkg = MODULES[importer].name == "__init__.py"
        pkg = pkg if is_pkg else pkg[:-1]
        pkg = pkg[: len(pkg) - (node.level - 1)]
        base = ".".join([*pkg, base] if base else pkg)
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        yield sub if sub in MODULES else base


def imports(name: str) -> list[tuple[str, int, bool]]:
    """(imported module, line, inside a function) for every import in ``name``."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found: list[tuple[str, int, bool]] = []

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                for target in _resolve(name, child):
                    found.append((target, child.lineno, in_function))
            walk(child, in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda))

    walk(tree, False)
    return found


def ours(target: str) -> str | None:
    """The module of this tree that ``target`` names (its longest known prefix)."""
    parts = target.split(".")
    for i in range(len(parts), 0, -1):
        head = ".".join(parts[:i])
        if head in MODULES:
            return head
    return None


def unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


EDGES = {m: [(ours(t), line, fn) for t, line, fn in imports(m)] for m in MODULES}


def test_every_unit_has_a_layer() -> None:
    units = {unit(m) for m in MODULES}
    assert units - set(LAYER) == set(), "add the new package to LAYERS (and docs/design.md)"


def test_nothing_is_installed_outside_the_namespace() -> None:
    stray = [(m, t, line) for m in MODULES for t, line, _ in imports(m)
             if t.split(".")[0] in {"checks", "reports", "locustfiles", "scenarios", "tests"}]
    assert stray == [], "import these as peakready.<name>: the repository folders are " \
                        "installed inside the peakready namespace"


def test_dependencies_point_down() -> None:
    upward = []
    for m, edges in EDGES.items():
        for target, line, _ in edges:
            if target is None or unit(target) == unit(m):
                continue
            if LAYER[unit(target)] >= LAYER[unit(m)]:
                upward.append(f"{MODULES[m].relative_to(ROOT)}:{line}: {m} imports {target}")
    assert upward == []


def test_checks_and_reports_do_not_know_each_other() -> None:
    across = [(m, t) for m, edges in EDGES.items() for t, _, _ in edges if t
              and {unit(m), unit(t)} in ({"checks", "reports"}, {"checks", "locustfiles"},
                                         {"reports", "locustfiles"})]
    assert across == []


def test_no_import_inside_a_function() -> None:
    late = [f"{MODULES[m].relative_to(ROOT)}:{line}: {t}" for m, edges in EDGES.items()
            for t, line, fn in edges if fn and t is not None]
    assert late == [], "import at the top of the module; a cycle is fixed by moving code"


def test_no_module_cycle() -> None:
    graph = {m: {t for t, _, _ in EDGES[m] if t and t != m} for m in MODULES}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in graph:
        if v not in index:
            visit(v)
    assert cycles == []


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\n"
                          "print('\\n'.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True, cwd=ROOT / "tests")
    return set(out.stdout.split())


@pytest.mark.parametrize(("code", "never"), [
    # `peakready report` renders from report.json alone, without a single check
    ("import peakready.commands.report", ("peakready.checks", "locust", "peakready.scenario")),
    # `peakready email` loads the email checks and nothing else of the run
    ("import peakready.commands.email", ("peakready.checks.promo", "peakready.checks.links",
                                         "peakready.checks.load", "peakready.scenario",
                                         "peakready.reports", "locust", "matplotlib")),
    # the parser (`peakready --help`) loads no command
    ("import peakready.cli; peakready.cli.build_parser()",
     ("peakready.commands", "peakready.checks", "pydantic", "locust", "matplotlib")),
])
def test_a_command_imports_what_it_uses(code: str, never: tuple[str, ...]) -> None:
    loaded = _loaded_after(code)
    assert [m for m in loaded if m.startswith(never)] == []
