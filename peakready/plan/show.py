"""A Plan for people: its terminal summary and its chart (`peakready plan`)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from peakready.plan.model import Plan
from peakready.traffic.chart import sparkline


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
