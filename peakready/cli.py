"""The `peakready` command: the argument parser and a table from each
subcommand to the function that runs it.

Only the module of the command that runs is imported (``COMMANDS`` names it;
``importlib`` loads it here, the one place that does), because importing
every command's dependencies — Locust, matplotlib, every check — costs about
a second, which ``peakready --help`` and ``peakready email`` should not pay.
It is not there to dodge an import cycle: nothing below the CLI imports it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from pathlib import Path

from peakready import __version__
from peakready.errors import BadInput, ExitCode
from peakready.flows import FlowKind
from peakready.scenarios import DEMO_SCENARIO
from peakready.traffic import FORMATS

# subcommand -> (module in peakready.commands, function)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("run", "run"),
    "worker": ("run", "worker"),
    "validate": ("scenario", "validate"),
    "plan": ("scenario", "plan"),
    "history": ("scenario", "history"),
    "report": ("report", "report"),
    "email": ("email", "email_command"),
    "docs": ("docs", "docs"),
    "demo-shop": ("demo", "demo_shop"),
    "shop": ("shop", "shop_try"),
}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="peakready", description=__doc__)
    p.add_argument("--version", action="version", version=f"peakready {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("run", help="run a scenario: checks, replay, report, verdict")
    r.add_argument("scenario", nargs="?", type=Path, default=DEMO_SCENARIO,
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
    r.set_defaults(command="run")

    w = sub.add_parser("worker", help="a Locust worker for `peakready run --master`")
    w.add_argument("scenario", type=Path, help="the same scenario file as the master's")
    w.add_argument("--master-host", required=True, metavar="H")
    w.add_argument("--master-port", type=int, default=5557, metavar="PORT")
    w.set_defaults(command="worker")

    v = sub.add_parser("validate", help="check scenario files; every problem at once")
    v.add_argument("files", nargs="+", type=Path)
    v.set_defaults(command="validate")

    pl = sub.add_parser("plan", help="show (and save) the arrival plan of a scenario")
    pl.add_argument("scenario", type=Path)
    pl.add_argument("--out", type=Path, help="folder for plan.json and plan.svg")
    pl.add_argument("--json", action="store_true", help="print the plan as JSON")
    pl.set_defaults(command="plan")

    h = sub.add_parser("history", help="session starts per interval from a traffic history")
    h.add_argument("file", type=Path, help="access log (.gz ok), CDN log, GA4/Shopify export")
    h.add_argument("--format", default="auto", choices=FORMATS)
    h.add_argument("--interval", default="1m", help="bucket size (default 1m)")
    h.add_argument("--timezone", help="zone of timestamps that carry none (GA4 exports)")
    h.add_argument("--column", action="append", default=[], metavar="FIELD=NAME",
                   help="column mapping for jsonl/csvlog/shopify/curve, e.g. ip=ClientIP")
    h.add_argument("--json", action="store_true", help="machine-readable output")
    h.set_defaults(command="history")

    rep = sub.add_parser("report", help="render a run's report again: from its folder, its "
                                        "report.json, or its load-result.json")
    rep.add_argument("result", type=Path, help="a run's folder, report.json or load-result.json")
    rep.add_argument("--out", type=Path, help="folder for the files (default: beside it)")
    rep.add_argument("--strict", action="store_true")
    rep.add_argument("--baseline", type=Path, metavar="REPORT_JSON",
                     help="an earlier report.json: add deltas against it")
    rep.set_defaults(command="report")

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
    e.set_defaults(command="email")

    doc = sub.add_parser("docs", help="write the scenario reference and the check "
                         "catalogue from the code")
    doc.add_argument("--out", type=Path, default=Path("docs"), help="folder (default: docs)")
    doc.add_argument("--check", action="store_true",
                     help="write nothing; exit 1 if a file in --out is missing or stale")
    doc.set_defaults(command="docs")

    shop = sub.add_parser("shop", help="try the scenario's shop profile against its target")
    shop_sub = shop.add_subparsers(dest="shop_command", required=True, metavar="ACTION")
    t = shop_sub.add_parser("try", help="one session of each flow, every step printed "
                            "(exit 0: all complete, 1: one failed, 2: a bad profile)")
    t.add_argument("scenario", type=Path)
    t.add_argument("--flow", choices=[k.value for k in FlowKind],
                   help="only this flow kind (default: every flow of the scenario)")
    t.set_defaults(command="shop")

    d = sub.add_parser("demo-shop", help="serve the demo storefront on 127.0.0.1")
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    d.add_argument("--db", help="SQLite file (default: a fresh temporary one)")
    d.add_argument("--unsafe-promo-race", action="store_true",
                   help="redeem promo codes check-then-increment, without a lock")
    d.add_argument("--attribution-drop-every", type=int, default=0, metavar="N",
                   help="leave every Nth order out of the attribution log")
    d.set_defaults(command="demo-shop")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module, function = COMMANDS[args.command]
    try:
        command = getattr(importlib.import_module(f"peakready.commands.{module}"), function)
        return int(command(args))
    except BadInput as exc:
        print(exc.render(), file=sys.stderr)
        return ExitCode.BAD_INPUT
    except KeyboardInterrupt:  # `run` handles its own once traffic may have gone out
        sent = (" before any traffic: nothing was sent and no report was written"
                if args.command in ("run", "worker") else "")
        print(f"peakready {args.command}: interrupted (Ctrl-C){sent}", file=sys.stderr)
        return ExitCode.INCONCLUSIVE
    except Exception:
        traceback.print_exc()
        print("peakready: internal error (a bug); the traceback is above.", file=sys.stderr)
        return ExitCode.INTERNAL_ERROR
