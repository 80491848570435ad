"""`peakready report`: re-render a saved report.json (no check is imported).

Given a run's folder without a report.json, or its load-result.json (a run
that could not write its report: a full disk), the report is built from the
load result by ``python -m peakready.run.report``, a process of its own: that
needs the scenario and runs the checks after the load again, which a
re-render of report.json never loads (docs/design.md, the import contract).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from peakready import reports
from peakready.verdict import Verdict

LOAD_RESULT = "load-result.json"


def report(args: argparse.Namespace) -> int:
    path = args.result
    if path.is_dir():  # a run's folder: its report.json, else its load result
        path = path / ("report.json" if (path / "report.json").exists() else LOAD_RESULT)
    if path.name == LOAD_RESULT:
        cmd = [sys.executable, "-m", "peakready.run.report", str(path),
               "--out", str(args.out or path.parent)]
        cmd += ["--strict"] if args.strict else []
        cmd += ["--baseline", str(args.baseline)] if args.baseline else []
        return subprocess.run(cmd, check=False).returncode
    rep = reports.load_report(path)
    if args.baseline:
        rep = reports.with_baseline(rep, args.baseline)
    rep.strict = args.strict
    rep.exit_code = int(Verdict(rep.verdict).exit_code(args.strict))
    outdir = args.out or path.parent
    for written in reports.write_all(rep, outdir).values():
        print(written)
    return rep.exit_code
