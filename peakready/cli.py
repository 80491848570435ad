"""The `peakready` command: one small function per subcommand, dispatched
from a table (no if/elif ladder)."""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from peakready import __version__
from peakready.exitcodes import BadInput, ExitCode


def cmd_run(args: argparse.Namespace) -> int:
    from peakready.run import RunOptions, execute

    return execute(RunOptions(scenario_path=args.scenario, outdir=args.out,
                              workers=args.workers, strict=args.strict))


def cmd_validate(args: argparse.Namespace) -> int:
    from peakready.plan import build_plan
    from peakready.safety import refuse_unless_allowed
    from peakready.scenario import load_scenario

    problems = []
    for path in args.files:
        try:
            scenario = load_scenario(path)
            if not scenario.target.is_demo:
                refuse_unless_allowed(scenario.target.base_url,
                                      scenario.target.allowed_hosts, str(path))
            build_plan(scenario, str(path))
        except BadInput as exc:
            problems.append(exc.render())
            continue
        print(f"{path}: ok ({len(scenario.flows)} flows, {len(scenario.campaigns)} campaigns)")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return ExitCode.BAD_INPUT
    return ExitCode.GO


def cmd_plan(args: argparse.Namespace) -> int:
    from peakready.plan import build_plan
    from peakready.scenario import load_scenario

    plan = build_plan(load_scenario(args.scenario), str(args.scenario))
    for k, v in plan.summary().items():
        print(f"{k:>24}: {v}")
    if args.out:
        args.out.write_text(plan.model_dump_json(indent=1), encoding="utf-8")
        print(f"plan written to {args.out}")
    return ExitCode.GO


def cmd_report(args: argparse.Namespace) -> int:
    import reports
    from reports.gate import Verdict

    report = reports.load_report(args.result)
    report.strict = args.strict
    report.exit_code = int(Verdict(report.verdict).exit_code(args.strict))
    outdir = args.out or args.result.parent
    for path in reports.write_all(report, outdir).values():
        print(path)
    return report.exit_code


def cmd_demo_shop(args: argparse.Namespace) -> int:
    from peakready.demo.server import serve
    from peakready.safety import is_loopback

    if not is_loopback(args.host):
        raise BadInput(f"--host {args.host}: the demo shop listens on loopback only")
    serve(args.host, args.port, args.db, unsafe_promo_race=args.unsafe_promo_race,
          attribution_drop_every=args.attribution_drop_every)
    return ExitCode.GO


def build_parser() -> argparse.ArgumentParser:
    from peakready.scenario import DEFAULT_SCENARIO

    p = argparse.ArgumentParser(prog="peakready", description=__doc__)
    p.add_argument("--version", action="version", version=f"peakready {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run a scenario: checks, replay, report, verdict")
    r.add_argument("scenario", nargs="?", type=Path, default=DEFAULT_SCENARIO,
                   help="scenario file (default: the embedded demo)")
    r.add_argument("--out", type=Path, help="report folder (default: out/<scenario name>)")
    r.add_argument("--workers", type=int, default=1, help="Locust worker processes")
    r.add_argument("--strict", action="store_true", help="GO WITH WARNINGS exits 1")
    r.set_defaults(func=cmd_run)

    v = sub.add_parser("validate", help="check scenario files; every problem at once")
    v.add_argument("files", nargs="+", type=Path)
    v.set_defaults(func=cmd_validate)

    pl = sub.add_parser("plan", help="show (and save) the arrival plan of a scenario")
    pl.add_argument("scenario", type=Path)
    pl.add_argument("--out", type=Path, help="write plan.json here")
    pl.set_defaults(func=cmd_plan)

    rep = sub.add_parser("report", help="re-render a saved report.json")
    rep.add_argument("result", type=Path)
    rep.add_argument("--out", type=Path, help="folder for the files (default: beside it)")
    rep.add_argument("--strict", action="store_true")
    rep.set_defaults(func=cmd_report)

    d = sub.add_parser("demo-shop", help="serve the demo storefront on 127.0.0.1")
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    d.add_argument("--db", help="SQLite file (default: a fresh temporary one)")
    d.add_argument("--unsafe-promo-race", action="store_true",
                   help="redeem promo codes check-then-increment, without a lock")
    d.add_argument("--attribution-drop-every", type=int, default=0, metavar="N",
                   help="leave every Nth order out of the attribution log")
    d.set_defaults(func=cmd_demo_shop)
    return p


Command = Callable[[argparse.Namespace], int]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except BadInput as exc:
        print(exc.render(), file=sys.stderr)
        return ExitCode.BAD_INPUT
    except KeyboardInterrupt:
        return ExitCode.INTERNAL_ERROR
    except Exception:
        traceback.print_exc()
        print("peakready: internal error (a bug); the traceback is above.", file=sys.stderr)
        return ExitCode.INTERNAL_ERROR
