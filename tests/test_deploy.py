"""deploy/: the Kubernetes manifests and the image definition.

No cluster and no container engine here, so what can be checked offline is:
every manifest against the Kubernetes JSON schemas (strict: an unknown field
fails), and the manifests' consistency with each other, with the Dockerfile
and with peakready itself (its CLI parser, its scenario validation, its
version)."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from peakready import __version__
from peakready.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
KUBE = ROOT / "deploy" / "kubernetes"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
KUBE_VERSIONS = ("1.29.0", "1.33.0")  # oldest and newest this was written for


def _docs() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(KUBE.glob("*.yaml")):
        out += [(path.name, d) for d in yaml.safe_load_all(path.read_text()) if d]
    return out


DOCS = _docs()
RESOURCES = [(name, d) for name, d in DOCS if d.get("kind") != "Kustomization"]


def _one(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for _, d in RESOURCES
             if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def _pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["spec"] if doc["kind"] == "Pod" else doc["spec"]["template"]["spec"]


def _container(doc: dict[str, Any]) -> dict[str, Any]:
    [container] = _pod_spec(doc)["containers"]
    return container


MASTER = _one("Job", "peakready-master")
WORKERS = _one("Deployment", "peakready-worker")
SERVICE = _one("Service", "peakready-master")
CONFIGMAP = _one("ConfigMap", "peakready-scenario")
PODS = [d for _, d in RESOURCES if d["kind"] in ("Job", "Deployment", "Pod")]


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    logical, buf = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        buf += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            logical.append(buf.strip())
            buf = ""
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in logical]


def _instr(name: str) -> list[str]:
    return [args for instr, args in dockerfile() if instr == name]


@pytest.mark.parametrize("version", KUBE_VERSIONS)
@pytest.mark.parametrize(("name", "doc"), RESOURCES,
                         ids=[f"{n}:{d['kind']}" for n, d in RESOURCES])
def test_manifest_matches_the_kubernetes_schema(name: str, doc: dict[str, Any],
                                                version: str) -> None:
    kubernetes_validate.validate(doc, version, strict=True)


def test_a_typo_fails_the_schema_check() -> None:
    """The schema check above is strict enough to catch a misspelt field."""
    bad = json.loads(json.dumps(WORKERS))
    _container(bad)["resource"] = _container(bad).pop("resources")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBE_VERSIONS[-1], strict=True)


def test_kustomization_lists_every_manifest_but_the_reader() -> None:
    [kustomization] = [d for _, d in DOCS if d.get("kind") == "Kustomization"]
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in KUBE.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk - {"report-reader.yaml"}
    assert {d["kind"] for _, d in RESOURCES} == {
        "ConfigMap", "PersistentVolumeClaim", "Service", "Job", "Deployment", "Pod"}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_kustomize_builds_it() -> None:
    out = subprocess.run(["kubectl", "kustomize", str(KUBE)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    kinds = sorted(d["kind"] for d in yaml.safe_load_all(out.stdout) if d)
    assert kinds == ["ConfigMap", "Deployment", "Job", "PersistentVolumeClaim", "Service"]


def test_master_is_a_job_that_runs_once() -> None:
    assert MASTER["spec"]["backoffLimit"] == 0
    assert _pod_spec(MASTER)["restartPolicy"] == "Never"


def test_selectors_match_the_pod_labels() -> None:
    worker_labels = WORKERS["spec"]["template"]["metadata"]["labels"]
    master_labels = MASTER["spec"]["template"]["metadata"]["labels"]
    assert WORKERS["spec"]["selector"]["matchLabels"].items() <= worker_labels.items()
    selector = SERVICE["spec"]["selector"]
    assert selector.items() <= master_labels.items()
    assert not selector.items() <= worker_labels.items()  # workers never get master traffic


def _args(doc: dict[str, Any]) -> Any:
    return build_parser().parse_args(_container(doc)["args"])


def test_commands_parse_with_the_cli() -> None:
    master, worker = _args(MASTER), _args(WORKERS)
    assert master.command == "run" and master.master and master.out
    assert worker.command == "worker"


def test_ports_line_up() -> None:
    """The workers dial the Service, the Service forwards to the port the master binds."""
    master, worker = _args(MASTER), _args(WORKERS)
    [port] = SERVICE["spec"]["ports"]
    assert worker.master_host == SERVICE["metadata"]["name"]
    assert worker.master_port == port["port"] == master.master_bind_port
    [exposed] = [p for p in _container(MASTER)["ports"] if p["name"] == port["targetPort"]]
    assert exposed["containerPort"] == master.master_bind_port
    assert f"{master.master_bind_port}" in _instr("EXPOSE")[0].split()


def test_master_waits_for_exactly_the_workers_there_are() -> None:
    assert _args(MASTER).expect_workers == WORKERS["spec"]["replicas"]


def _scenario_arg(doc: dict[str, Any]) -> Path:
    return Path(_args(doc).scenario)


@pytest.mark.parametrize("doc", [MASTER, WORKERS], ids=["master", "worker"])
def test_scenario_path_is_the_configmap_key(doc: dict[str, Any]) -> None:
    volumes = {v["name"]: v for v in _pod_spec(doc)["volumes"]}
    mounts = {m["mountPath"]: m for m in _container(doc)["volumeMounts"]}
    path = _scenario_arg(doc)
    mount = mounts[str(path.parent)]
    assert volumes[mount["name"]]["configMap"]["name"] == CONFIGMAP["metadata"]["name"]
    assert path.name in CONFIGMAP["data"]


def test_the_embedded_scenario_validates(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / _scenario_arg(MASTER).name
    path.write_text(CONFIGMAP["data"][path.name], encoding="utf-8")
    assert main(["validate", str(path)]) == 0, capsys.readouterr().err


def test_report_goes_to_the_volume_the_reader_mounts() -> None:
    out = Path(_args(MASTER).out)
    mounts = {m["mountPath"]: m["name"] for m in _container(MASTER)["volumeMounts"]}
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"]
              for v in _pod_spec(MASTER)["volumes"] if "persistentVolumeClaim" in v}
    claim = claims[mounts[str(out.parent)]]
    assert claim == _one("PersistentVolumeClaim")["metadata"]["name"]
    reader = _one("Pod", "peakready-report-reader")
    [v] = _pod_spec(reader)["volumes"]
    assert v["persistentVolumeClaim"]["claimName"] == claim
    assert str(out) in (KUBE / "report-reader.yaml").read_text()  # the documented kubectl cp


def test_one_image_with_the_package_version() -> None:
    images = {_container(d)["image"] for d in PODS}
    assert images == {f"peakready:{__version__}"}
    build = [ln for ln in DOCKERFILE.read_text().splitlines() if "docker build" in ln]
    assert build and all(f"-t peakready:{__version__}" in ln for ln in build)


@pytest.mark.parametrize("doc", PODS, ids=lambda d: d["metadata"]["name"])
def test_pods_are_unprivileged_and_bounded(doc: dict[str, Any]) -> None:
    [user] = _instr("USER")
    uid = int(user.split(":")[0])
    pod = _pod_spec(doc)["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] == uid != 0
    container = _container(doc)
    sec = container["securityContext"]
    assert sec.get("privileged", False) is False and sec["allowPrivilegeEscalation"] is False
    assert sec["capabilities"]["drop"] == ["ALL"] and sec["readOnlyRootFilesystem"] is True
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][bound])


def test_dockerfile() -> None:
    assert _instr("FROM") == ["python:3.11-slim AS wheel", "python:3.11-slim"]
    assert json.loads(_instr("ENTRYPOINT")[0]) == ["peakready"]
    assert any("pip install" in run for run in _instr("RUN"))
    user = _instr("USER")[-1]
    assert user.split(":")[0].isdigit() and int(user.split(":")[0]) != 0
    # every folder pyproject.toml maps into the package is copied into the
    # build stage, and the image installs the wheel built from them
    copied = {src.rstrip("/") for c in _instr("COPY") if not c.startswith("--from")
              for src in shlex.split(c)[:-1]}
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert {"pyproject.toml", "README.md", *setuptools["package-dir"].values()} == copied
    assert any("pip wheel" in run for run in _instr("RUN"))
    assert any("pip install /wheels/" in run and "-e" not in run.split()
               for run in _instr("RUN"))
    ignore = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().splitlines()
    assert {f"!{c}" if "." in c else f"!{c}/" for c in copied} <= set(ignore)
