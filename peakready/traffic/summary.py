"""Terminal summaries of a History and of a Plan (`peakready history`, `plan`)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from peakready.plan import Plan
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


def print_plan(plan: Plan, console: Console, width: int = 72) -> None:
    s = plan.summary()
    console.print(f"[bold]plan[/] for {escape(plan.scenario)}: {escape(plan.source)}")
    for key, value in s.items():
        if value is not None:
            console.print(f"  {key:>26}: {value}", markup=False)
    curve = [st.total_per_s * 60 for st in plan.steps]
    console.print(f"sessions/min over {plan.duration_s:.0f}s "
                  f"(peak {max(curve, default=0):.1f}):")
    console.print(f"  {sparkline(curve, width)}", markup=False)
    if plan.capped:
        first, last = plan.capped[0], plan.capped[-1]
        console.print(f"[yellow]the cap bites in {len(plan.capped)} step(s)[/], from "
                      f"{first['t']:.0f}s to {last['t']:.0f}s: up to "
                      f"{max(c['planned_per_min'] for c in plan.capped):.1f}/min planned, "
                      f"{first['capped_per_min']:.1f}/min sent")


def plan_chart(plan: Plan, path: str) -> None:
    """Planned session starts per minute over replay time, stacked by campaign (SVG/PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    campaigns = sorted({r.campaign or "(none)" for st in plan.steps for r in st.rates})
    xs = [st.t / 60 for st in plan.steps]
    ys = [[sum(r.per_s for r in st.rates if (r.campaign or "(none)") == c) * 60
           for st in plan.steps] for c in campaigns]
    fig, ax = plt.subplots(figsize=(9, 3.2), dpi=100)
    ax.stackplot(xs, ys, labels=campaigns, step="post", alpha=0.85)
    if plan.capped:
        ax.axhline(plan.capped[0]["capped_per_min"], color="black", ls="--", lw=1,
                   label="cap")
    ax.set_xlabel("replay time (min)")
    ax.set_ylabel("sessions / min")
    ax.set_title(f"{plan.scenario}: planned arrivals ({plan.source})", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", ncols=min(4, len(campaigns) + 1))
    ax.margins(x=0)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
