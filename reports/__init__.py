"""Turn a Report into files: report.json (the source of truth), report.md,
report.html and junit.xml. Every renderer is a plain function of the Report."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from peakready.reports import html, junit, markdown
from peakready.reports.baseline import compare
from peakready.reports.model import REPORT_SCHEMA_VERSION, Report
from pydantic import BaseModel, ValidationError

from peakready.errors import BadInput

RENDERERS: dict[str, Callable[[Report], str]] = {
    "report.json": lambda r: r.model_dump_json(indent=2) + "\n",
    "report.md": markdown.render,
    "report.html": html.render,
    "junit.xml": junit.render,
}


def write_all(report: Report, outdir: str | Path) -> dict[str, Path]:
    """Write every format; each file appears whole or not at all."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, render in RENDERERS.items():
        path = outdir / name
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(render(report), encoding="utf-8")
        os.replace(tmp, path)
        written[name] = path
    return written


M = TypeVar("M", bound=BaseModel)


def read_json(path: Path, model: type[M], what: str, name: str) -> M:
    """A peakready JSON file as its model; BadInput naming the file and the
    first problem (``what``: "the report"; ``name``: "report.json")."""
    try:
        return model.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"{path}: cannot read {what}: {exc.strerror}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadInput(f"{path}: not a peakready {name} ({where}: {first['msg']})") from None


def load_report(path: str | Path) -> Report:
    path = Path(path)
    report = read_json(path, Report, "the report", "report.json")
    if report.schema_version > REPORT_SCHEMA_VERSION:
        raise BadInput(f"{path}: report schema {report.schema_version} is newer than this "
                       f"peakready reads ({REPORT_SCHEMA_VERSION}); upgrade peakready")
    return report


def with_baseline(report: Report, baseline_path: str | Path) -> Report:
    """The report with its deltas against the report.json at ``baseline_path``."""
    then = load_report(baseline_path)
    return report.model_copy(update={"comparison": compare(report, then, str(baseline_path))})
