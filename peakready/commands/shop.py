"""`peakready shop try SCENARIO [--flow KIND]`: one session of each flow (or
the one named) against the target, slowly and in order, every step printed —
the request line, the status and time, what it captured, the judgement and,
for a failure, the first lines of what came back. How a profile for a new
shop is built: edit the `shop:` section, try, repeat; then `peakready run`.

Exit 0 when every flow completes, 1 when one fails, 2 for a bad profile.
Orders are placed only where `target.mutations` allows (validate says so).
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from typing import Any
from urllib.parse import urlsplit

import requests
from rich.console import Console
from rich.text import Text

from peakready.checks.registry import IDS
from peakready.demo.server import DemoShop
from peakready.errors import BadInput, ExitCode
from peakready.flows import FlowKind
from peakready.run.trial import trial_session
from peakready.scenario.load import load_scenario
from peakready.shops.answer import Answer
from peakready.shops.session import Sent, StepFailed


def _short(value: Any, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shop_try(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario, check_ids=IDS)
    profile = scenario.shop_profile()
    if profile is None:
        raise BadInput(f"{args.scenario}: no shop profile to try: add `shop: {{preset: NAME}}` "
                       "(or `profile: FILE`)")
    kinds = [FlowKind(args.flow)] if args.flow else list(dict.fromkeys(
        f.kind for f in scenario.flows))
    missing = {k: profile.supports(k) for k in kinds if profile.supports(k)}
    if missing:
        raise BadInput(f"{args.scenario}: the profile {profile.name!r} cannot run "
                       + "; ".join(f"{k.value} (no {', '.join(m)})" for k, m in missing.items()))
    console = Console(highlight=False)
    failed = 0
    with ExitStack() as stack:
        base_url = scenario.target.base_url
        if scenario.target.is_demo:
            base_url = stack.enter_context(DemoShop()).url
        console.print(Text(f"shop profile {profile.name} against {base_url}", style="bold"))
        for kind in kinds:
            console.print(Text(f"\n{kind.value}", style="bold"))

            def report(step: str, sent: Sent, answer: Answer, failure: str | None) -> None:
                mark = ("✗", "red") if failure else ("✓", "green")
                status = answer.status or "no answer"
                parts = urlsplit(sent.url)
                where = parts.path + (f"?{parts.query}" if parts.query else "")
                line = Text.assemble((mark[0], mark[1]), f" {step:<18} {sent.method} ",
                                     _short(where, 60), f"  {status}",
                                     f"  {answer.elapsed_ms:.0f} ms")
                console.print(line)
                if failure:
                    console.print(Text(f"    {failure}", style="red"))

            def kept(step: str, values: dict[str, Any]) -> None:
                for name, value in values.items():
                    console.print(Text(f"    {name} = {_short(value)}", style="dim"))

            with requests.Session() as http:
                try:
                    trial_session(profile, scenario, kind, base_url, http,
                                  report=report, kept=kept)
                except StepFailed as exc:
                    failed += 1
                    if exc.answer is not None and exc.answer.text:
                        console.print(Text("    " + "\n    ".join(
                            exc.answer.text.strip().splitlines()[:8]), style="dim"))
                    console.print(Text(f"  {kind.value}: failed at {exc.step}", style="red"))
                    continue
            console.print(Text(f"  {kind.value}: completed", style="green"))
    return ExitCode.NO_GO if failed else ExitCode.GO
