"""A real NSD (Debian's ``nsd``) serving test zones on 127.0.0.1 and a free port.

The tests ask it what a live resolver would ask the Internet: answers,
NXDOMAIN, CNAMEs; REFUSED for a zone it does not serve and SERVFAIL for one
it is configured for but cannot load. Everything it needs (config, pidfile,
state) lives in a temporary folder; it runs in the foreground (-d) as the
current user, is stopped by its pid, and any failure to start is loud.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode

NSD_HINT = ("NSD is not installed: run `make test` (it installs it as root with "
            "scripts/ensure-debian-packages nsd) or `apt-get install nsd`")


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (NSD listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return int(port)
    raise RuntimeError("no free loopback port for NSD")


def _binary() -> str:
    for candidate in (shutil.which("nsd"), "/usr/sbin/nsd"):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError(NSD_HINT)


class NsdServer:
    """``with NsdServer(zone_files, workdir) as ns: ns.address`` -> "127.0.0.1:PORT"."""

    def __init__(self, zone_files: list[Path], workdir: Path,
                 broken_zones: tuple[str, ...] = ()) -> None:
        self.zone_files = zone_files
        self.broken_zones = broken_zones  # configured without a file: SERVFAIL
        self.workdir = workdir
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _config(self) -> str:
        w = self.workdir
        lines = [
            "server:",
            f"  ip-address: 127.0.0.1@{self.port}",
            "  do-ip6: no",
            '  username: ""',  # stay the current user: no chroot, no privilege switch
            '  chroot: ""',
            f'  zonesdir: "{w}"',
            f'  pidfile: "{w}/nsd.pid"',
            '  database: ""',
            f'  xfrdfile: "{w}/xfrd.state"',
            f'  zonelistfile: "{w}/zone.list"',
            f'  xfrdir: "{w}"',
            f'  logfile: "{w}/nsd.log"',
            "  server-count: 1",
            "  rrl-ratelimit: 0",  # response rate limiting would drop the tests' bursts
            "  verbosity: 1",
            "remote-control:",
            "  control-enable: no",
        ]
        for path in self.zone_files:
            lines += ["zone:", f"  name: {path.name.removesuffix('.zone')}",
                      f"  zonefile: {path.name}"]
        for name in self.broken_zones:
            lines += ["zone:", f"  name: {name}", f"  zonefile: {name}.missing"]
        return "\n".join(lines) + "\n"

    def __enter__(self) -> NsdServer:
        binary = _binary()
        self.workdir.mkdir(parents=True, exist_ok=True)
        for path in self.zone_files:
            shutil.copy(path, self.workdir / path.name)
        self.port = free_port()
        conf = self.workdir / "nsd.conf"
        conf.write_text(self._config())
        self.proc = subprocess.Popen([binary, "-d", "-c", str(conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self, timeout: float = 10.0) -> None:
        assert self.proc is not None
        apex = self.zone_files[0].name.removesuffix(".zone")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                log = (self.workdir / "nsd.log")
                raise RuntimeError(f"nsd exited with {self.proc.returncode}: {err.strip()}\n"
                                   + (log.read_text() if log.exists() else ""))
            try:
                reply = dns.query.udp(dns.message.make_query(apex, "SOA"), "127.0.0.1",
                                      port=self.port, timeout=0.2)
                if reply.rcode() == dns.rcode.NOERROR and reply.answer:
                    return
            except (dns.exception.Timeout, OSError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"nsd did not answer for {apex} within {timeout:g}s on "
                           f"{self.address}")

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None
