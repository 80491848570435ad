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
    from peakready.loadrun import Master
    from peakready.run import RunOptions, execute

    if args.no_replay and not args.find_limit:
        raise BadInput("--no-replay only makes sense with --find-limit")
    if args.master and args.workers > 1:
        raise BadInput("--master and --workers exclude each other: with --master the "
                       "workers are `peakready worker` processes, on this or other machines")
    master = (Master(expect_workers=args.expect_workers, bind_host=args.master_bind_host,
                     bind_port=args.master_bind_port) if args.master else None)
    return execute(RunOptions(scenario_path=args.scenario, outdir=args.out,
                              workers=args.workers, strict=args.strict,
                              baseline=args.baseline, find_limit=args.find_limit,
                              replay=not args.no_replay, master=master, target=args.target))


def cmd_worker(args: argparse.Namespace) -> int:
    """Become a Locust worker for a `peakready run --master` (exec: signals go straight
    to Locust, which stops its users and reports to the master)."""
    import os

    from peakready.loadrun import worker_command
    from peakready.scenario import load_scenario

    load_scenario(args.scenario)  # bad input fails here, with its place, exit 2
    cmd = worker_command(args.scenario, args.master_host, args.master_port)
    os.execv(cmd[0], cmd)
    return ExitCode.INTERNAL_ERROR  # not reached


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
    from rich.console import Console

    from peakready.plan import build_plan
    from peakready.scenario import load_scenario
    from peakready.traffic.summary import plan_chart, print_plan

    plan = build_plan(load_scenario(args.scenario), str(args.scenario))
    if args.json:
        print(plan.model_dump_json(indent=1))
    else:
        print_plan(plan, Console(highlight=False))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "plan.json").write_text(plan.model_dump_json(indent=1), encoding="utf-8")
        plan_chart(plan, str(args.out / "plan.svg"))
        print(f"written: {args.out / 'plan.json'}, {args.out / 'plan.svg'}", file=sys.stderr)
    return ExitCode.GO


def cmd_history(args: argparse.Namespace) -> int:
    import json

    from rich.console import Console

    from peakready.traffic import load_history
    from peakready.traffic.summary import print_history
    from peakready.units import parse_duration

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


def cmd_report(args: argparse.Namespace) -> int:
    import reports
    from reports.gate import Verdict

    report = reports.load_report(args.result)
    if args.baseline:
        report = reports.with_baseline(report, args.baseline)
    report.strict = args.strict
    report.exit_code = int(Verdict(report.verdict).exit_code(args.strict))
    outdir = args.out or args.result.parent
    for path in reports.write_all(report, outdir).values():
        print(path)
    return report.exit_code


def cmd_email(args: argparse.Namespace) -> int:
    from peakready.email_cmd import email_command

    return email_command(args)


def cmd_docs(args: argparse.Namespace) -> int:
    from peakready import docgen

    if args.check:
        stale = docgen.stale(args.out)
        for name in stale:
            print(f"{args.out / name}: stale; regenerate with `peakready docs --out "
                  f"{args.out}`", file=sys.stderr)
        return ExitCode.NO_GO if stale else ExitCode.GO
    for path in docgen.write(args.out):
        print(path)
    return ExitCode.GO


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
    r.add_argument("--target", metavar="URL",
                   help="send the load here instead of the scenario's target.base_url "
                        "(still refused unless loopback or in target.allowed_hosts)")
    r.add_argument("--master", action="store_true",
                   help="run as a Locust master for `peakready worker` processes")
    r.add_argument("--expect-workers", type=int, default=1, metavar="N",
                   help="with --master: start once N workers are connected (default 1)")
    r.add_argument("--master-bind-host", default="*", metavar="H",
                   help="with --master: interface to listen on (default all)")
    r.add_argument("--master-bind-port", type=int, default=5557, metavar="PORT",
                   help="with --master: port to listen on (default 5557)")
    r.add_argument("--find-limit", action="store_true",
                   help="after the replay, step the rate up from the forecast peak until an "
                        "SLO breaks; report the limit and the headroom")
    r.add_argument("--no-replay", action="store_true",
                   help="with --find-limit: find the limit instead of replaying")
    r.add_argument("--baseline", type=Path, metavar="REPORT_JSON",
                   help="an earlier report.json: the report adds deltas against it")
    r.set_defaults(func=cmd_run)

    w = sub.add_parser("worker", help="a Locust worker for `peakready run --master`")
    w.add_argument("scenario", type=Path, help="the same scenario file as the master's")
    w.add_argument("--master-host", required=True, metavar="H")
    w.add_argument("--master-port", type=int, default=5557, metavar="PORT")
    w.set_defaults(func=cmd_worker)

    v = sub.add_parser("validate", help="check scenario files; every problem at once")
    v.add_argument("files", nargs="+", type=Path)
    v.set_defaults(func=cmd_validate)

    pl = sub.add_parser("plan", help="show (and save) the arrival plan of a scenario")
    pl.add_argument("scenario", type=Path)
    pl.add_argument("--out", type=Path, help="folder for plan.json and plan.svg")
    pl.add_argument("--json", action="store_true", help="print the plan as JSON")
    pl.set_defaults(func=cmd_plan)

    from peakready.traffic import FORMATS

    h = sub.add_parser("history", help="session starts per interval from a traffic history")
    h.add_argument("file", type=Path, help="access log (.gz ok), CDN log, GA4/Shopify export")
    h.add_argument("--format", default="auto", choices=FORMATS)
    h.add_argument("--interval", default="1m", help="bucket size (default 1m)")
    h.add_argument("--timezone", help="zone of timestamps that carry none (GA4 exports)")
    h.add_argument("--column", action="append", default=[], metavar="FIELD=NAME",
                   help="column mapping for jsonl/csvlog/shopify/curve, e.g. ip=ClientIP")
    h.add_argument("--json", action="store_true", help="machine-readable output")
    h.set_defaults(func=cmd_history)

    rep = sub.add_parser("report", help="re-render a saved report.json")
    rep.add_argument("result", type=Path)
    rep.add_argument("--out", type=Path, help="folder for the files (default: beside it)")
    rep.add_argument("--strict", action="store_true")
    rep.add_argument("--baseline", type=Path, metavar="REPORT_JSON",
                     help="an earlier report.json: add deltas against it")
    rep.set_defaults(func=cmd_report)

    e = sub.add_parser("email", help="check SPF, DKIM and DMARC of sending domains now")
    e.add_argument("domains", nargs="+", metavar="DOMAIN")
    e.add_argument("--selector", action="append", metavar="S",
                   help="DKIM selector (repeatable; default: probe common ESP selectors)")
    e.add_argument("--nameserver", metavar="HOST[:PORT]",
                   help="ask this server instead of the system resolver")
    e.add_argument("--zone-file", action="append", type=Path, metavar="FILE",
                   help="planned zone file, answered before live DNS (repeatable)")
    e.add_argument("--timeout", type=float, default=5.0, help="seconds per DNS lookup")
    e.add_argument("--json", action="store_true", help="print the findings as JSON")
    e.add_argument("--strict", action="store_true", help="GO WITH WARNINGS exits 1")
    e.set_defaults(func=cmd_email)

    doc = sub.add_parser("docs", help="write the scenario reference and the check "
                         "catalogue from the code")
    doc.add_argument("--out", type=Path, default=Path("docs"), help="folder (default: docs)")
    doc.add_argument("--check", action="store_true",
                     help="write nothing; exit 1 if a file in --out is missing or stale")
    doc.set_defaults(func=cmd_docs)

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
