"""report.html: one self-contained page for the go/no-go meeting, verdict
first. Jinja2 with autoescape on: everything from outside is escaped."""

from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from reports import fmt
from reports.model import Report

_ENV = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                   lstrip_blocks=True)
_ENV.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2, default=str)


def render(report: Report) -> str:
    load = report.load
    return _ENV.get_template("report.html.j2").render(
        r=report, fmt=fmt, blockers=report.blocking(),
        capacity=fmt.capacity_table(load) if load else None,
        steps=fmt.steps_table(load) if load else None,
        campaigns=fmt.campaigns_table(load) if load and load.campaigns else None)
