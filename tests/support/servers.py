"""Real loopback servers: a small HTTP(S) site whose routes a test declares
and a socket that never answers (the link and TLS tests), a throwaway CA that
issues certificates with the dates a test needs (built with ``cryptography``),
and a slow target that serves 5 responses a second (the load tests)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# path -> (status, headers, body), or a function of the request's query giving one
Answer = tuple[int, dict[str, str], str]
Route = Answer | Callable[[str], Answer]

TAGGED = ("<html><head><script>gtag('config','G-TESTSITE1');</script></head>"
          "<body>{}</body></html>")


def page(body: str = "", tagged: bool = True) -> Answer:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, (
        TAGGED.format(body) if tagged else f"<html><body>{body}</body></html>")


def redirect(location: str, status: int = 301, keep_query: bool = True) -> Route:
    def answer(query: str) -> Answer:
        sep = "&" if "?" in location else "?"
        target = f"{location}{sep}{query}" if keep_query and query else location
        return status, {"Location": target}, ""
    return answer


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        route = self.server.routes.get(parts.path)
        status, headers, body = (route(parts.query) if callable(route) else route) \
            if route is not None else (404, {}, "not found")
        data = body.encode()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Route]


class Site:
    """``with Site({"/": page()}) as site: site.url`` — http, or https with ``tls``."""

    def __init__(self, routes: dict[str, Route], tls: ssl.SSLContext | None = None,
                 host: str = "127.0.0.1") -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.routes = routes
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class Silent:
    """A listening socket that never answers: connections hang until timeout."""

    def __enter__(self) -> Silent:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


class Busy:
    """A one-request-at-a-time server whose every response takes 0.2 s: 5 a
    second, whatever the machine's speed (CPU work would vary with it)."""

    def __init__(self) -> None:
        one_at_a_time = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with one_at_a_time:  # 0.2 s per response, serialized
                    time.sleep(0.2)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class ScratchCA:
    """A short-lived certificate authority that lives in one test's tmp_path."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    pem: Path

    @classmethod
    def create(cls, where: Path) -> ScratchCA:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "peakready test CA")])
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=3))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                             False, False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                               critical=False)
                .sign(key, hashes.SHA256()))
        pem = where / "test-ca.pem"
        pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cls(key, cert, pem)

    def server_context(self, where: Path, *, not_before: dt.datetime,
                       not_after: dt.datetime) -> ssl.SSLContext:
        """A server-side SSL context with a leaf for 127.0.0.1 and localhost."""
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
                .issuer_name(self.cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(not_before).not_valid_after(not_after)
                .add_extension(x509.SubjectAlternativeName([
                    x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                    critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.key.public_key()), critical=False)
                .sign(self.key, hashes.SHA256()))
        chain = where / f"leaf-{leaf.serial_number}.pem"
        chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM)
                          + key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(chain)
        return ctx
