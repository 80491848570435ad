"""`peakready email DOMAIN...`: the email checks without a scenario — one
verdict per sending domain, a table each (or JSON findings), and the exit
code a report would have (peakready.verdict decides both).

The checks run exactly as in `peakready run`: the same check values (only
the email area is imported), the same runner (peakready.checks.runner) and
the same DnsContext, in a context built from the command line instead of
the scenario's ``email:`` section.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from peakready.checks import email as email_checks
from peakready.checks.check import Check, CheckContext, Phase
from peakready.checks.runner import run_checks
from peakready.email.config import Email, EmailDomain
from peakready.email.dns import DnsContext
from peakready.errors import BadInput
from peakready.findings import Finding
from peakready.verdict import Verdict, apply_levels, verdict

EMAIL_CHECKS: tuple[Check, ...] = email_checks.ALL
STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red", "error": "magenta",
         "skip": "dim"}
VERDICT_STYLE = {"GO": "bold green", "GO WITH WARNINGS": "bold yellow", "NO-GO": "bold red",
                 "INCONCLUSIVE": "bold magenta"}


def check_email(email: Email, dns: DnsContext) -> list[Finding]:
    """Run the email checks; the findings come back stamped with their levels."""
    ctx = CheckContext(email=email, resolver=dns, timeout=max(10.0, 2 * email.timeout))
    findings = run_checks(EMAIL_CHECKS, ctx, Phase.PRE)
    return apply_levels(findings, {c.id: c.default_level for c in EMAIL_CHECKS})


def by_domain(findings: Sequence[Finding], domains: Sequence[str]) -> dict[str, list[Finding]]:
    """Each finding under the longest listed domain its subject belongs to."""
    out: dict[str, list[Finding]] = {d: [] for d in domains}
    for f in findings:
        owners = [d for d in domains if f.subject == d or f.subject.endswith("." + d)]
        out[max(owners, key=len) if owners else domains[0]].append(f)
    return out


def build_email(args: argparse.Namespace) -> Email:
    try:
        return Email(domains=[EmailDomain(name=d, selectors=args.selector or [])
                              for d in args.domains],
                     zone_files=[str(p) for p in args.zone_file or []],
                     nameserver=args.nameserver, timeout=args.timeout)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: "
                    f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
        raise BadInput("peakready email: bad arguments", problems) from None


def _table(domain: str, v: Verdict, findings: list[Finding]) -> Table:
    table = Table(title=Text.assemble(domain, "  ", (v.value, VERDICT_STYLE[v.value])),
                  title_justify="left", show_lines=False, expand=False)
    for col in ("status", "check", "code", "what was seen"):
        table.add_column(col, overflow="fold")
    for f in findings:
        seen = Text(f.summary)  # Text, not markup: DNS data is shown as data
        if f.subject != domain:
            seen = Text.assemble((f.subject, "bold"), "\n", seen)
        if f.remediation and f.status.value not in ("pass", "skip"):
            seen.append("\nfix: " + f.remediation, style="dim")
        table.add_row(Text(f.status.value.upper(), STYLE[f.status.value]), Text(f.check),
                      Text(f.code), seen)
    return table


def email_command(args: argparse.Namespace) -> int:
    email = build_email(args)
    for path in email.zone_files:
        if not Path(path).is_file():
            raise BadInput(f"--zone-file {path}: no such file")
    with DnsContext.from_files(email.zone_files, email.nameserver, email.timeout) as dns:
        findings = check_email(email, dns)
    names = [d.name for d in email.domains]
    grouped = by_domain(findings, names)
    overall = verdict(findings)
    code = int(overall.exit_code(args.strict))
    if args.json:
        doc = {"verdict": overall.value, "exit_code": code, "domains": [
            {"domain": d, "verdict": verdict(fs).value,
             "findings": [f.model_dump(mode="json") for f in fs]}
            for d, fs in grouped.items()]}
        json.dump(doc, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return code
    console = Console(highlight=False)
    for d, fs in grouped.items():
        console.print(_table(d, verdict(fs), fs))
        console.print()
    console.print(Text.assemble("verdict: ", (overall.value, VERDICT_STYLE[overall.value])))
    return code
