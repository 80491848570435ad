"""`peakready run` and `peakready worker`."""

from __future__ import annotations

import argparse
import os

from peakready.checks.registry import IDS
from peakready.errors import BadInput, ExitCode
from peakready.run.execute import RunOptions, execute
from peakready.run.locust import Master, worker_command
from peakready.scenario.load import load_scenario


def run(args: argparse.Namespace) -> int:
    if args.no_replay and not args.find_limit:
        raise BadInput("--no-replay only makes sense with --find-limit")
    if args.master and args.workers > 1:
        raise BadInput("--master and --workers exclude each other: with --master the "
                       "workers are `peakready worker` processes, on this or other machines")
    master = (Master(expect_workers=args.expect_workers, bind_host=args.master_bind_host,
                     bind_port=args.master_bind_port) if args.master else None)
    scenario = load_scenario(args.scenario, check_ids=IDS)
    return execute(RunOptions(scenario=scenario, outdir=args.out, workers=args.workers,
                              strict=args.strict, baseline=args.baseline,
                              find_limit=args.find_limit, replay=not args.no_replay,
                              master=master, target=args.target))


def worker(args: argparse.Namespace) -> int:
    """Become a Locust worker for a `peakready run --master` (exec: signals go straight
    to Locust, which stops its users and reports to the master)."""
    load_scenario(args.scenario, check_ids=IDS)  # bad input fails here, with its place
    cmd = worker_command(args.scenario, args.master_host, args.master_port)
    os.execv(cmd[0], cmd)
    return ExitCode.INTERNAL_ERROR  # not reached
