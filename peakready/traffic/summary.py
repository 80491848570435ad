"""The terminal summary of a History (`peakready history`)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from peakready.traffic.chart import sparkline
from peakready.traffic.model import History


def print_history(hist: History, console: Console, width: int = 72) -> None:
    data = hist.to_json()
    totals = hist.totals()
    console.print(f"[bold]{escape(hist.source)}[/] ({hist.format}): {data['sessions']} sessions "
                  f"from {hist.lines} lines, {data['start']} → {data['end']}")
    peak = data["peak"]
    if peak:
        console.print(f"peak: {peak['sessions']} sessions in the {hist.interval_s:g}s from "
                      f"{peak['start']} ({peak['per_min']}/min)")
    console.print(f"sessions per {hist.interval_s:g}s, max per column:")
    console.print(f"  {sparkline(totals, width)}", markup=False)
    by_campaign = hist.by_campaign()
    top = max(totals, default=0)
    table = Table("campaign", "sessions", "share", "curve (same scale)", box=None)
    for campaign, n in by_campaign.most_common(8):
        series = [sum(v for (c, _), v in hist.counts.get(i, {}).items() if c == campaign)
                  for i in range(hist.n_intervals)]
        table.add_row(escape(campaign or "(none)"), str(n), f"{n / data['sessions']:.1%}",
                      sparkline(series, 40, top=top))
    console.print(table)
    mix = ", ".join(f"{k} {v / data['sessions']:.0%}" for k, v in data["flows"].items())
    console.print(f"flows: {mix}")
    console.print(f"bots excluded: {hist.bot_requests} requests from {hist.bot_clients} "
                  "clients")
    if hist.bad_lines:
        first = ", ".join(f"line {n} ({escape(r)})" for n, r in hist.bad_examples)
        console.print(f"[yellow]{hist.bad_lines} bad line(s) skipped[/]; first: {first}")
