"""`peakready docs`: the scenario reference and the check catalogue."""

from __future__ import annotations

import argparse
import sys

from peakready.docs import generate
from peakready.errors import ExitCode


def docs(args: argparse.Namespace) -> int:
    if args.check:
        stale = generate.stale(args.out)
        for name in stale:
            print(f"{args.out / name}: stale; regenerate with `peakready docs --out "
                  f"{args.out}`", file=sys.stderr)
        return ExitCode.NO_GO if stale else ExitCode.GO
    for path in generate.write(args.out):
        print(path)
    return ExitCode.GO
