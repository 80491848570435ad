"""`peakready demo-shop`: the demo storefront, on loopback only."""

from __future__ import annotations

import argparse

from peakready.demo.server import serve
from peakready.errors import BadInput, ExitCode
from peakready.load.safety import is_loopback


def demo_shop(args: argparse.Namespace) -> int:
    if not is_loopback(args.host):
        raise BadInput(f"--host {args.host}: the demo shop listens on loopback only")
    serve(args.host, args.port, args.db, unsafe_promo_race=args.unsafe_promo_race,
          attribution_drop_every=args.attribution_drop_every)
    return ExitCode.GO
