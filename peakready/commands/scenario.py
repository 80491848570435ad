"""`peakready validate`, `plan` and `history`: a scenario and its traffic,
before any load."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console

from peakready.checks.registry import IDS
from peakready.errors import BadInput, ExitCode
from peakready.load.safety import refuse_unless_allowed
from peakready.plan.build import build_plan
from peakready.plan.show import plan_chart, print_plan
from peakready.scenario.load import load_scenario
from peakready.traffic import load_history
from peakready.traffic.summary import print_history
from peakready.units import parse_duration


def validate(args: argparse.Namespace) -> int:
    problems = []
    for path in args.files:
        try:
            scenario = load_scenario(path, check_ids=IDS)
            if not scenario.target.is_demo:
                refuse_unless_allowed(scenario.target.base_url,
                                      scenario.target.allowed_hosts, str(path))
            build_plan(scenario)
        except BadInput as exc:
            problems.append(exc.render())
            continue
        print(f"{path}: ok ({len(scenario.flows)} flows, {len(scenario.campaigns)} campaigns)")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return ExitCode.BAD_INPUT
    return ExitCode.GO


def plan(args: argparse.Namespace) -> int:
    built = build_plan(load_scenario(args.scenario, check_ids=IDS))
    if args.json:
        print(built.model_dump_json(indent=1))
    else:
        print_plan(built, Console(highlight=False))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "plan.json").write_text(built.model_dump_json(indent=1), encoding="utf-8")
        plan_chart(built, str(args.out / "plan.svg"))
        print(f"written: {args.out / 'plan.json'}, {args.out / 'plan.svg'}", file=sys.stderr)
    return ExitCode.GO


def history(args: argparse.Namespace) -> int:
    columns = dict(c.split("=", 1) for c in args.column)
    try:
        interval = int(parse_duration(args.interval))
    except ValueError as exc:
        raise BadInput(f"--interval: {exc}") from None
    hist = load_history(args.file, args.format, interval_s=interval, columns=columns,
                        timezone=args.timezone)
    if args.json:
        print(json.dumps(hist.to_json(), indent=1))
    else:
        print_history(hist, Console(highlight=False))
    return ExitCode.GO
