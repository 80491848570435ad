"""peakready installs the way a command-line tool is installed: the wheel puts
one package, ``peakready``, into site-packages (the repository's checks/,
reports/, locustfiles/ and scenarios/ inside it), ships its scenarios, zone
file, sample histories and templates as package data, and runs the demo from
an empty folder.

The wheel is built from this checkout and installed, without its
dependencies, into a fresh virtualenv that sees the test environment's
dependencies through a ``.pth`` line (installing Locust, matplotlib and the
rest again would add a minute and test pip, not peakready); the test then
checks that every dependency peakready declares is met there. Nothing of the checkout is
importable in that environment: the test runs from an empty folder.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import tomllib
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from peakready.scenarios import DEMO_SCENARIO

from peakready import __version__
from peakready.flows import LANDING
from peakready.load.results import LoadResult
from peakready.load.slo import interval_breaches
from peakready.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ["peakready/scenarios/demo.yaml", "peakready/scenarios/demo-history.log.gz",
           "peakready/scenarios/demo-email.zone", "peakready/scenarios/shopify-store.yaml",
           "peakready/scenarios/shopify-store-ga4.csv",
           "peakready/scenarios/rest-storefront.yaml",
           "peakready/scenarios/rest-storefront-access.log.gz",
           "peakready/reports/templates/report.html.j2",
           "peakready/reports/report.schema.json",
           "peakready/shops/profiles/demo.yaml",
           "peakready/locustfiles/storefront.py", "peakready/checks/email/spf.py"]


# every dependency peakready declares is there, in a version it accepts
UNMET = """
import json
from importlib import metadata
from packaging.requirements import Requirement
unmet = []
for text in metadata.requires("peakready"):
    req = Requirement(text)
    if req.marker and not req.marker.evaluate({"extra": ""}):
        continue
    try:
        if metadata.version(req.name) not in req.specifier:
            unmet.append(text)
    except metadata.PackageNotFoundError:
        unmet.append(text)
print(json.dumps(unmet))
"""


@dataclass
class Installed:
    wheel: Path
    bin: Path  # the fresh virtualenv's bin/
    empty: Path  # a folder with nothing in it, the working directory

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        return subprocess.run([str(self.bin / args[0]), *args[1:]], cwd=self.empty,
                              capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("wheel")
    # build from a copy of what the wheel is made of: a build/ folder left in
    # the checkout by an earlier build would leak stale modules into it
    src = base / "src"
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    for folder in {*setuptools["package-dir"].values()}:
        shutil.copytree(ROOT / folder, src / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "--quiet", "--wheel-dir", str(base / "dist"),
                            str(src)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    [wheel] = (base / "dist").glob("peakready-*.whl")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bindir = env_dir / "bin"
    purelib = Path(subprocess.run(
        [str(bindir / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True).stdout.strip())
    # the test environment's dependencies, after the fresh environment's own packages
    ours = {Path(p) for p in [*site.getsitepackages(), sysconfig.get_path("purelib")]}
    (purelib / "zz-test-dependencies.pth").write_text(
        "\n".join(str(p) for p in sorted(ours)) + "\n")
    pip = subprocess.run([str(bindir / "python"), "-m", "pip", "install", "--no-deps",
                          "--no-index", "--quiet", str(wheel)],
                         capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stderr
    empty = base / "empty"
    empty.mkdir()
    yield Installed(wheel, bindir, empty)


def test_the_wheel_holds_one_package_and_its_data(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"peakready", f"peakready-{__version__}.dist-info"}
    for path in SHIPPED:
        assert path in names, path
    assert not any("/tests/" in n or n.startswith("tests/") for n in names)


def test_installed_from_the_wheel_not_the_checkout(installed: Installed) -> None:
    out = installed.run("python", "-c", "import json, peakready, peakready.checks, "
                        "peakready.scenarios as s; print(json.dumps([peakready.__file__, "
                        "peakready.checks.__file__, str(s.DEMO_SCENARIO)]))")
    assert out.returncode == 0, out.stderr
    for path in json.loads(out.stdout):
        assert str(ROOT) not in path and "site-packages" in path, path
    unmet = installed.run("python", "-c", UNMET)
    assert unmet.returncode == 0 and unmet.stdout.strip() == "[]", unmet.stdout + unmet.stderr


def test_version_and_help(installed: Installed) -> None:
    out = installed.run("peakready", "--version")
    assert out.returncode == 0 and out.stdout.strip() == f"peakready {__version__}"
    assert installed.run("peakready", "--help").returncode == 0


def test_validate_and_plan_the_shipped_scenarios(installed: Installed) -> None:
    where = installed.run("python", "-c", "from peakready.scenarios import shipped; "
                          "print(shipped('.'))").stdout.strip()
    files = [str(Path(where) / n) for n in ("demo.yaml", "shopify-store.yaml",
                                             "rest-storefront.yaml")]
    out = installed.run("peakready", "validate", *files)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count(": ok (") == 3


def test_run_from_an_empty_folder_replays_the_demo(installed: Installed) -> None:
    """`peakready run` with no argument, as a new user types it after installing."""
    out = installed.run("peakready", "run", timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads((installed.empty / "out" / "demo" / "report.json").read_text())
    assert report["verdict"] == "GO" and not report["partial"]
    assert report["load"]["totals"]["started"] == report["load"]["totals"]["planned"] > 0
    for name in ("report.html", "report.md", "junit.xml"):
        assert (installed.empty / "out" / "demo" / name).stat().st_size > 0
    assert "site-packages" in report["scenario"]["path"]
    # the shipped demo's intervals are long enough for its per-interval SLOs to be
    # judged (issue 14: 3 s and none judged before; tests/test_intervals.py the rule)
    load = LoadResult.model_validate(report["load"])
    judged, _ = interval_breaches(load, load_scenario(DEMO_SCENARIO).slos)
    assert load.interval_s == 20 and judged.get(LANDING, 0) >= 1, (load.interval_s, judged)
    assert "median" in report["plan"]["summary"]["interval_basis"]
