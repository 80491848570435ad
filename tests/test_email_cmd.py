"""`peakready email`: a table or JSON per domain, exit codes like the report,
against the real NSD, a planned zone file, or a server that is not there."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.cli import peakready
from tests.support.nsd import NsdServer, free_port
from tests.support.paths import ROOT

DEMO_ZONE = str(ROOT / "scenarios" / "demo-email.zone")


def _json(*args: str) -> tuple[int, dict[str, Any]]:
    res = peakready("email", *args, "--json", "--timeout", "1", timeout=60)
    assert res.returncode in (0, 1), res.stderr
    return res.returncode, json.loads(res.stdout)


@pytest.mark.parametrize(("args", "verdict", "code"), [
    (["esp.test", "--selector", "s1"], "GO", 0),
    (["relaxed.esp.test", "--selector", "s1"], "GO WITH WARNINGS", 0),
    (["relaxed.esp.test", "--selector", "s1", "--strict"], "GO WITH WARNINGS", 1),
    (["eleven.spf.test", "esp.test", "--selector", "s1"], "NO-GO", 1),
])
def test_verdict_and_exit_code(nsd: NsdServer, args: list[str], verdict: str,
                               code: int) -> None:
    rc, doc = _json(*args, "--nameserver", nsd.address)
    assert (doc["verdict"], doc["exit_code"], rc) == (verdict, code, code)
    assert [d["domain"] for d in doc["domains"]] == [a for a in args if a.endswith(".test")]


def test_nameserver_by_host_name(nsd: NsdServer) -> None:
    rc, doc = _json("esp.test", "--selector", "s1", "--nameserver", f"localhost:{nsd.port}")
    assert (doc["verdict"], rc) == ("GO", 0)


def test_one_verdict_per_domain(nsd: NsdServer) -> None:
    _, doc = _json("eleven.spf.test", "esp.test", "--selector", "s1",
                   "--nameserver", nsd.address)
    by = {d["domain"]: d for d in doc["domains"]}
    assert by["esp.test"]["verdict"] == "GO"
    assert by["eleven.spf.test"]["verdict"] == "NO-GO"
    codes = {f["code"] for f in by["eleven.spf.test"]["findings"]}
    assert {"spf-too-many-lookups", "dkim-selector-missing", "dmarc-missing"} <= codes
    esp = {(f["check"], f["code"], f["subject"]) for f in by["esp.test"]["findings"]}
    assert ("email.dkim", "dkim-ok", "s1._domainkey.esp.test") in esp
    for f in by["esp.test"]["findings"]:
        assert f["level"] in ("error", "warn") and "bulk_sender" in f["evidence"]


def test_unreachable_nameserver_is_no_go_with_errors_only() -> None:
    rc, doc = _json("shop.example", "--selector", "s1", "--nameserver",
                    f"127.0.0.1:{free_port()}")
    statuses = {f["status"] for d in doc["domains"] for f in d["findings"]}
    assert (rc, doc["verdict"], statuses) == (1, "NO-GO", {"error"})


def test_zone_file_pre_flight_needs_no_server() -> None:
    """The demo's planned zone answers everything: GO, though no server listens."""
    rc, doc = _json("hearth-home.example", "--selector", "hh2025", "--zone-file", DEMO_ZONE,
                    "--nameserver", f"127.0.0.1:{free_port()}")
    assert (rc, doc["verdict"]) == (0, "GO")
    sources = {f["evidence"].get("source") for d in doc["domains"] for f in d["findings"]}
    assert "zone demo-email.zone" in sources


def test_table_shows_records_as_text(nsd: NsdServer) -> None:
    res = peakready("email", "markup.esp.test", "esp.test", "--selector", "s1",
                    "--nameserver", nsd.address, timeout=60)
    assert res.returncode == 1, res.stderr
    out = res.stdout
    assert "markup.esp.test" in out and "NO-GO" in out and "esp.test" in out
    assert "spf-syntax" in out and "red]boom[/bold" in out  # markup printed, not applied
    assert "verdict: NO-GO" in out


@pytest.mark.parametrize(("args", "message"), [
    (["not_a domain"], "not a domain name"),
    (["shop.example", "--nameserver", "not a host"], "HOST[:PORT]"),
    (["shop.example", "--nameserver", "127.0.0.1:99999"], "port"),
    (["shop.example", "--selector", "bad selector"], "not a DKIM selector"),
    (["shop.example", "--zone-file", "/nonexistent.zone"], "no such file"),
])
def test_bad_arguments_exit_2(args: list[str], message: str) -> None:
    res = peakready("email", *args, timeout=60)
    assert res.returncode == 2, res.stderr
    assert message in res.stderr
