#!/usr/bin/env python3
"""Bench: check 200 campaign links with redirects against the demo shop.

Starts the demo storefront on 127.0.0.1, builds a scenario with N short
links (the demo's /go/mia-bf and /go/noah-bf, each a 301 to a landing
page, with its expected landing declared) and runs the static and the live
link checks the way ``peakready run`` does, then prints the wall time of
each and the codes found. Goal (issue 5): 200 links in under 5 s.

    .venv/bin/python bench/links.py [--links 200] [--concurrency 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import collections
import statistics
import time
from pathlib import Path

import requests
import yaml
from peakready.checks.check import CheckContext, Phase
from peakready.checks.links import landing as links
from peakready.checks.links import utm
from peakready.checks.runner import run_checks

from peakready.demo.server import DemoShop
from peakready.scenario.model import Scenario

ROOT = Path(__file__).resolve().parent.parent

SHORT = {
    "/go/mia-bf": "/collections/winter-warmth?utm_source=instagram&utm_medium=social"
                  "&utm_campaign=bf-mia&utm_content=reel",
    "/go/noah-bf": "/collections/candles?utm_source=tiktok&utm_medium=social"
                   "&utm_campaign=bf-noah",
}


def scenario(n: int, concurrency: int) -> Scenario:
    data = yaml.safe_load((ROOT / "scenarios" / "demo.yaml").read_text())
    data.pop("traffic", None)  # no load is sent here: a constant rate keeps it valid
    data["load"].update({"arrival_rate": 1, "duration": "10s"})
    pairs = list(SHORT.items())
    data["campaigns"] = [
        {"name": f"creator-{i:03d}", "link": pairs[i % 2][0], "landing": pairs[i % 2][1],
         "channel": "Organic Social"} for i in range(n)]
    data["links"] = {"concurrency": concurrency}
    return Scenario.model_validate(data)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--links", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    s = scenario(args.links, args.concurrency)
    live_times, static_times = [], []
    with DemoShop() as shop, requests.Session() as http:
        ctx = CheckContext(scenario=s, http=http, base_url=shop.url)
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            static = run_checks([utm.CHECK], ctx, Phase.PRE)
            static_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            live = run_checks([links.CHECK], ctx, Phase.PRE)
            live_times.append(time.perf_counter() - t0)
    codes = collections.Counter(f.code for f in static + live)
    hops = sum(len(f.evidence.get("hops", [])) for f in live)
    best, median = min(live_times), statistics.median(live_times)
    print(f"links checked           : {args.links} (concurrency {args.concurrency}, "
          f"{hops} requests per round)")
    print(f"static rules (links.utm): median {statistics.median(static_times) * 1000:.0f} ms")
    print(f"live (links.landing)    : median {median:.2f} s, best {best:.2f} s over "
          f"{args.rounds} rounds (goal < 5 s) {'OK' if median < 5 else 'MISSED'}")
    print(f"codes                   : {dict(sorted(codes.items()))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
