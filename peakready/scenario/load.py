"""Reading a scenario file: once, every problem at once, every path resolved.

``load_scenario`` is the one way in. It reports every problem with its file,
line and path in the file (``demo.yaml:14: flows[2].weight: must be > 0``);
unknown keys and unknown check ids are errors, so a typo never silently
disables a rule. It then resolves every path the scenario names in one
place, under one rule, and records where the scenario came from, so nothing
downstream needs the file's location:

- a path is relative to the scenario file's folder;
- if nothing is there, a file of that name shipped with peakready (the demo's
  history and zone file) is used, so a copied demo scenario still runs;
- zone files, the links CSV and the shop profile's data pools are parsed
  now, so a broken one is bad input (exit 2) before any traffic; the history
  is read when the plan is built (a worker of a distributed run never reads
  it).

Then ``check_flows`` checks that every flow and the promo checks can run on
the shop's profile (peakready.shops).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from peakready.email.zonefile import load_zones
from peakready.errors import BadInput
from peakready.findings import Level
from peakready.flows import ORDERING_FLOWS, FlowKind
from peakready.links.linkset import read_csv
from peakready.scenario.model import Scenario
from peakready.scenario.positions import LineIndex, format_loc
from peakready.scenarios import DEMO_SCENARIO, shipped
from peakready.shops.flow import flow_steps
from peakready.shops.profile import SESSION_VALUES, Profile
from peakready.shops.section import resolve_pools

DEFAULT_SCENARIO = DEMO_SCENARIO

_MESSAGES = {
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than_equal": "must be <= {le}",
    "less_than": "must be < {lt}",
    "missing": "required, but missing",
    "too_short": "must have at least {min_length} item(s)",
}


def _explain(err: Any) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown key; check its spelling against the scenario reference"
    if kind in _MESSAGES:
        try:
            return _MESSAGES[kind].format(**ctx)
        except (KeyError, IndexError):
            pass
    if kind == "enum":
        return f"must be one of: {ctx.get('expected', '')}"
    msg = err["msg"]
    return msg.removeprefix("Value error, ")


def parse_scenario(text: str, source: str = "<scenario>", *, base: Path | None = None,
                   check_ids: Collection[str] | None = None) -> Scenario:
    """Parse, validate and resolve; raise BadInput listing every problem with
    its place. Relative paths are resolved against ``base`` (default: the
    current folder). ``check_ids`` are the registry's ids, which the
    ``checks:`` keys must be among; None skips that test, for a process that
    never applies the gate policy (a Locust worker)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise BadInput(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise BadInput(f"{source}: a scenario must be a YAML mapping (name:, target:, load:, ...)")
    try:
        scenario = Scenario.model_validate(data, context={"check_ids": check_ids})
    except ValidationError as exc:
        index = LineIndex(text)
        problems = []
        for err in exc.errors():
            loc = [p for p in err["loc"] if p not in ("function-after", "function-before")]
            line = index.line_of(loc)
            place = f"{source}:{line}" if line else source
            problems.append(f"{place}: {format_loc(loc)}: {_explain(err)}")
        n = len(problems)
        raise BadInput(f"{source}: {n} problem{'s' if n > 1 else ''} in the scenario",
                       problems) from None
    if scenario.load.arrival_rate is not None and not math.isfinite(scenario.load.arrival_rate):
        raise BadInput(f"{source}: load.arrival_rate must be a finite number")
    scenario = resolve_paths(scenario, base or Path.cwd(), source)
    check_flows(scenario, source)
    return scenario


def load_scenario(path: str | Path, *, check_ids: Collection[str] | None = None) -> Scenario:
    """Read the scenario at ``path`` (see ``parse_scenario``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"{path}: cannot read the scenario file: {exc.strerror}") from None
    scenario = parse_scenario(text, str(path), base=path.resolve().parent, check_ids=check_ids)
    scenario._source = path
    return scenario


def find_file(name: str, base: Path) -> Path:
    """The one rule: absolute as written; else beside the scenario; else a
    shipped file of that name; else beside the scenario (to be reported)."""
    if Path(name).is_absolute():
        return Path(name)
    beside = base / name
    if beside.exists():
        return beside
    ours = shipped(name)
    return ours if ours.is_file() else beside


def resolve_paths(scenario: Scenario, base: Path, source: str) -> Scenario:
    """The scenario with every path it names made absolute (and zone files, the
    links CSV and the shop's data pools parsed), so no later stage needs to know
    where it came from."""
    update: dict[str, Any] = {}
    if scenario.traffic is not None:
        history = find_file(scenario.traffic.history, base)
        update["traffic"] = scenario.traffic.model_copy(update={"history": str(history)})
    email = scenario.email
    if email is not None and email.zone_files:
        paths = [find_file(z, base) for z in email.zone_files]
        for i, (name, path) in enumerate(zip(email.zone_files, paths, strict=True)):
            if not path.is_file():
                raise BadInput(f"{source}: email.zone_files[{i}]: {name}: no such file (looked "
                               f"in {base} and among peakready's shipped files); fix the path, "
                               "relative to the scenario file")
        load_zones(paths)
        update["email"] = email.model_copy(update={"zone_files": [str(p) for p in paths]})
    if scenario.shop is not None:
        shop = scenario.shop
        if shop.profile is not None:
            shop = shop.model_copy(update={"profile": str(find_file(shop.profile, base))})
        # the data pools' files, the profile's own too: beside the scenario
        update["shop"] = resolve_pools(shop, source, lambda name: find_file(name, base))
    if scenario.links.csv:
        path = find_file(scenario.links.csv, base)
        read_csv(path)
        update["links"] = scenario.links.model_copy(update={"csv": str(path)})
    return scenario.model_copy(update=update) if update else scenario


def check_flows(scenario: Scenario, source: str) -> None:
    """Every flow can run on the shop's profile: it has each step the flow
    takes, every value a request needs is there by the time it is sent, and
    orders are placed only where ``target.mutations`` allows (the demo shop
    allows them). The promo checks (a ``promo:`` section whose checks are not
    ``off``) need the profile's catalog, totals, ``cart:add`` and
    ``checkout:promo``."""
    scenario = scenario.model_copy()
    scenario._source = Path(source) if source != "<scenario>" else None
    profile = scenario.shop_profile()
    problems: list[str] = []
    for i, flow in enumerate(scenario.flows):
        where = f"{source}: flows[{i}] ({flow.name}, {flow.kind.value})"
        if flow.kind is FlowKind.BOUNCE:
            continue
        if profile is None:
            problems.append(f"{where}: replaying more than landings needs a shop profile: "
                            "add `shop: {preset: NAME}` (or `profile: FILE`), or use kind "
                            "bounce")
            continue
        missing = profile.supports(flow.kind)
        if missing:
            problems.append(f"{where}: the shop profile {profile.name!r} has no step "
                            f"{', '.join(missing)}" + (f" ({profile.notes})" if profile.notes
                                                       else ""))
            continue
        problems += [f"{where}: {p}" for p in unfed_values(profile, flow.kind)]
        if (flow.kind in ORDERING_FLOWS and not scenario.target.is_demo
                and not scenario.target.mutations):
            problems.append(f"{where}: places orders; set target.mutations: true only for a "
                            "shop you own, with test payments, or drop this flow")
    problems += _promo_problems(scenario, profile, source)
    if problems:
        raise BadInput(f"{source}: {len(problems)} flow(s) or check(s) cannot run on this "
                       "shop", problems)


PROMO_CHECKS = ("promo.codes", "promo.race")


def _promo_problems(scenario: Scenario, profile: Profile | None, source: str) -> list[str]:
    on = [c for c in PROMO_CHECKS if scenario.level_for(c, Level.ERROR) is not Level.OFF]
    if scenario.promo is None or not on:
        return []
    where = f"{source}: promo ({', '.join(on)})"
    if profile is None:
        return [f"{where}: the promo checks read the shop's carts through its profile: add "
                "`shop: {preset: NAME}` (or `profile: FILE`), or set "
                + " and ".join(f"checks.{c}.level: off" for c in on)]
    missing = profile.can_read_carts()
    if missing:
        return [f"{where}: the shop profile {profile.name!r} has no {', '.join(missing)}, "
                "which the promo checks use to build carts and enter codes"
                + (f" ({profile.notes})" if profile.notes else "")]
    return []


def unfed_values(profile: Profile, kind: FlowKind) -> list[str]:
    """Placeholders a step of this flow uses before anything gives them a value."""
    have = set(SESSION_VALUES) | set(profile.values) | set(profile.pools)
    have |= set(profile.landing.capture)
    out = []
    for step in flow_steps(kind, products=1, code=True):
        for part in profile.steps[step]:
            for name in sorted(part.request.names()):
                if name.split(".")[0] not in have:
                    out.append(f"step {step}: {{{name}}} has no value yet: capture it in an "
                               "earlier step or give it in the profile's values")
            have |= set(part.capture)
    return out
