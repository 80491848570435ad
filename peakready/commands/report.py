"""`peakready report`: re-render a saved report.json (no check is imported)."""

from __future__ import annotations

import argparse

from peakready import reports
from peakready.verdict import Verdict


def report(args: argparse.Namespace) -> int:
    rep = reports.load_report(args.result)
    if args.baseline:
        rep = reports.with_baseline(rep, args.baseline)
    rep.strict = args.strict
    rep.exit_code = int(Verdict(rep.verdict).exit_code(args.strict))
    outdir = args.out or args.result.parent
    for path in reports.write_all(rep, outdir).values():
        print(path)
    return rep.exit_code
