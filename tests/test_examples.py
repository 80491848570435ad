"""examples/ci/: the GitHub Actions and GitLab CI examples.

Each file passes its CI system's schema (SchemaStore's, as vendored by
check-jsonschema), has the shape the README promises (pre-flight on pull or
merge requests, a scheduled replay, JUnit published, exit code 4 handled on
its own), and every `peakready` command line in it parses with peakready's
real CLI parser, so the examples cannot drift from the CLI."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from peakready.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / "examples" / "ci" / "github-actions.yml"
GITLAB = ROOT / "examples" / "ci" / "gitlab-ci.yml"
STOP = {"&&", "||", ";", "|", ")", "(", "&"}


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads GitHub's `on:` key as the boolean true
        data["on"] = data.pop(True)
    return data


def peakready_commands(script: str, env: dict[str, str]) -> Iterator[list[str]]:
    """argv (after `peakready`) of every peakready invocation in a shell script."""
    script = re.sub(r"\$\{\{\s*[^}]*\}\}", "GITHUB_EXPRESSION", script)
    script = re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), m.group(0)), script)
    script = re.sub(r"<<'?(\w+)'?\n.*?\n\1\n", "\n", script, flags=re.S)  # heredoc bodies
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
        for i, token in enumerate(tokens):
            if token != "peakready" or (i and tokens[i - 1] not in STOP | {"then", "do"}):
                continue
            argv = []
            for t in tokens[i + 1:]:
                if t in STOP or t[0] in "<>":
                    if argv and argv[-1].isdigit():  # the 2 of 2>file
                        argv.pop()
                    break
                argv.append(t)
            yield argv


def _github_scripts(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, str]]]:
    for job in data["jobs"].values():
        for step in job["steps"]:
            if "run" in step:
                yield step["run"], {**data.get("env", {}), **job.get("env", {}),
                                    **step.get("env", {})}


def _gitlab_scripts(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, str]]]:
    for name, job in data.items():
        if isinstance(job, dict) and not name.startswith(".") and name != "default":
            env = {**data.get("variables", {}), **job.get("variables", {})}
            for key in ("before_script", "script", "after_script"):
                for item in job.get(key, []):
                    yield item, env


def _commands(path: Path) -> list[list[str]]:
    data = _load(path)
    scripts = _github_scripts(data) if path == GITHUB else _gitlab_scripts(data)
    return [argv for script, env in scripts for argv in peakready_commands(script, env)]


@pytest.mark.parametrize(("path", "schema", "key", "typo"), [
    (GITHUB, "vendor.github-workflows", "timeout-minutes:", "timeout-minute:"),
    (GITLAB, "vendor.gitlab-ci", "expire_in:", "expires_in:"),
], ids=["github", "gitlab"])
def test_passes_the_ci_schema(path: Path, schema: str, key: str, typo: str,
                              tmp_path: Path) -> None:
    def check(file: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                               schema, str(file)], capture_output=True, text=True, timeout=120)

    ok = check(path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = tmp_path / path.name  # the check can fail: a misspelt key is caught
    assert key in path.read_text()
    broken.write_text(path.read_text().replace(key, typo))
    assert check(broken).returncode != 0


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_every_peakready_command_parses(path: Path) -> None:
    commands = _commands(path)
    assert {argv[0] for argv in commands} >= {"validate", "email", "run"}
    parser = build_parser()
    for argv in commands:
        try:
            parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"{path.name}: `peakready {shlex.join(argv)}` does not parse")


@pytest.mark.parametrize(("script", "expected"), [
    ("peakready validate a.yaml b.yaml", [["validate", "a.yaml", "b.yaml"]]),
    ("rc=0\npeakready run s.yaml --out out/x || rc=$?", [["run", "s.yaml", "--out", "out/x"]]),
    ("peakready email a.example \\\n  --selector s1 > email.txt 2>&1",
     [["email", "a.example", "--selector", "s1"]]),
    ("if [ -f x ]; then\n  peakready run $S --baseline ${B}/r.json; fi",
     [["run", "scen.yaml", "--baseline", "base/r.json"]]),
    ("echo peakready run nothing  # peakready run comment", []),
    ("python - <<'EOF'\npeakready = 1\nEOF\npeakready docs", [["docs"]]),
])
def test_command_extraction(script: str, expected: list[list[str]]) -> None:
    assert list(peakready_commands(script, {"S": "scen.yaml", "B": "base"})) == expected


def test_a_drifted_command_is_caught() -> None:
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "s.yaml", "--output", "out/x"])


def _verdict_cases(script: str) -> set[str]:
    return set(re.findall(r"^\s*([0-4])\)", script, flags=re.M))


def test_github_workflow_shape() -> None:
    data = _load(GITHUB)
    assert "pull_request" in data["on"]
    [cron] = [s["cron"] for s in data["on"]["schedule"]]
    assert len(cron.split()) == 5
    pre, nightly = data["jobs"]["preflight"], data["jobs"]["nightly"]
    assert "pull_request" in pre["if"] and "schedule" in nightly["if"]
    assert data["permissions"]["checks"] == "write"  # the JUnit check run
    for job in (pre, nightly):
        runs = "\n".join(s.get("run", "") for s in job["steps"])
        assert re.search(r"report\.md >> \"\$GITHUB_STEP_SUMMARY\"", runs)
        uses = {s["uses"].split("@")[0]: s for s in job["steps"] if "uses" in s}
        assert uses["mikepenz/action-junit-report"]["with"]["report_paths"].endswith(
            "junit.xml")
        assert uses["actions/upload-artifact"]["if"] == "always()"
        assert all("@v" in s["uses"] for s in job["steps"] if "uses" in s)  # pinned
        [verdict] = [s for s in job["steps"] if s.get("name") == "Verdict"]
        assert _verdict_cases(verdict["run"]) == {"0", "1", "2", "3", "4"}
    nightly_verdict = next(s["run"] for s in nightly["steps"] if s.get("name") == "Verdict")
    assert re.search(r"^\s*4\).*::warning", nightly_verdict, flags=re.M)


def test_gitlab_shape() -> None:
    data = _load(GITLAB)
    pre, nightly = data["preflight"], data["nightly"]
    assert pre["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert nightly["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    for job in (pre, nightly):
        assert job["artifacts"]["reports"]["junit"].endswith("junit.xml")
        assert job["artifacts"]["when"] == "always"
        assert _verdict_cases("\n".join(job["script"])) == {"0", "1", "2", "3", "4"}
    assert nightly["allow_failure"] == {"exit_codes": [4]}
    assert "allow_failure" not in pre
