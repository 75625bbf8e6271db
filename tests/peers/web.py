"""Loopback HTTP(S) peers for the http check, served from a background thread.

Routes: /ok (200), /unauthorized (401), /error (500), /redirect (302 -> /ok),
/loop (302 -> itself), /to-metadata and /to-metadata-decimal (302 -> the
instance metadata address), /slow (headers at once, then a byte every 0.2 s),
/big (200 with 200 KiB of body). HEAD is answered on every route.
JSON routes: /api/health (a health document), /api/echo (any method: the
request's method, headers and body, as JSON), /api/307 (307 -> /api/echo,
which keeps the method and body) and /api/303 (303 -> /api/echo, as GET).
The TLS peers use their own trustme CA (`web_ca`), independent of certs.py.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

OK_BODY = b"<html><title>triage</title><body>status: all good</body></html>"
HEALTH = {
    "status": "degraded",
    "version": "1.4.2",
    "checks": [
        {"name": "database", "status": "ok", "latency_ms": 3},
        {"name": "cache", "status": "down", "error": "connection refused"},
    ],
}
HEALTH_BODY = json.dumps(HEALTH).encode()
SLOW_TICK = 0.2
SLOW_TICKS = 25
_ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {
    "/ok": (200, {}, OK_BODY),
    "/unauthorized": (401, {"WWW-Authenticate": "Bearer"}, b"no token"),
    "/error": (500, {}, b"boom"),
    "/redirect": (302, {"Location": "/ok"}, b""),
    "/loop": (302, {"Location": "/loop"}, b""),
    # A peer that tries to send the bot to instance metadata, in two spellings.
    "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
    "/to-metadata-decimal": (302, {"Location": "http://2852039166/latest/"}, b""),
    "/big": (200, {}, b"x" * 200 * 1024 + b"needle"),
    "/api/health": (200, {"Content-Type": "application/json"}, HEALTH_BODY),
    "/api/307": (307, {"Location": "/api/echo"}, b""),
    "/api/303": (303, {"Location": "/api/echo"}, b""),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def do_POST(self) -> None:
        self._answer(with_body=True)

    def do_OPTIONS(self) -> None:
        self._answer(with_body=True)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: pytest shows the failing assertion, not an access log."""

    def _answer(self, *, with_body: bool) -> None:
        if self.path == "/slow":
            self._trickle(with_body=with_body)
            return
        length = int(self.headers.get("Content-Length") or 0)
        sent = self.rfile.read(length) if length else b""
        if self.path == "/api/echo":
            echo = {
                "method": self.command,
                "headers": dict(self.headers.items()),
                "body": sent.decode("utf-8", errors="replace"),
            }
            answer = (200, {"Content-Type": "application/json"}, json.dumps(echo).encode())
        else:
            answer = _ROUTES.get(self.path, (404, {}, b"not found"))
        status, headers, body = answer
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if "Content-Type" not in headers:
            self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def _trickle(self, *, with_body: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(SLOW_TICKS))
        self.end_headers()
        self.wfile.flush()
        for _ in range(SLOW_TICKS if with_body else 0):
            if self.server.stopping.wait(SLOW_TICK):
                return
            try:
                self.wfile.write(b".")
                self.wfile.flush()
            except OSError:
                return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stopping: threading.Event

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up or reject our certificate are the point of the tests."""


@dataclass(frozen=True)
class WebPeer:
    base_url: str

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


def _serve(tls: ssl.SSLContext | None) -> Iterator[WebPeer]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.stopping = threading.Event()
    if tls is not None:
        # Handshake lazily in the handler thread, so a stalled client cannot
        # block the accept loop.
        server.socket = tls.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="web-peer")
    thread.start()
    scheme = "https" if tls is not None else "http"
    try:
        yield WebPeer(f"{scheme}://127.0.0.1:{server.server_address[1]}")
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _server_context(ca: trustme.CA, *identities: str, **kw: datetime) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(*identities, **kw).configure_cert(context)
    return context


@pytest.fixture(scope="session")
def web_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def web_ca_file(web_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("web-ca") / "ca.pem"
    web_ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="session")
def web_server() -> Iterator[WebPeer]:
    yield from _serve(None)


@pytest.fixture(scope="session")
def web_tls_server(web_ca: trustme.CA) -> Iterator[WebPeer]:
    yield from _serve(_server_context(web_ca, "127.0.0.1", "localhost"))


@pytest.fixture(scope="session")
def web_wrong_host_tls_server(web_ca: trustme.CA) -> Iterator[WebPeer]:
    """Signed by the trusted CA, but for another name."""
    yield from _serve(_server_context(web_ca, "wrong.example"))


@pytest.fixture(scope="session")
def web_expired_tls_server(web_ca: trustme.CA) -> Iterator[WebPeer]:
    now = datetime.now(UTC)
    context = _server_context(
        web_ca,
        "127.0.0.1",
        not_before=now - timedelta(days=30),
        not_after=now - timedelta(days=1),
    )
    yield from _serve(context)


@pytest.fixture(scope="session")
def web_short_lived_tls_server(web_ca: trustme.CA) -> Iterator[WebPeer]:
    """Valid today, but expiring in ten days."""
    now = datetime.now(UTC)
    context = _server_context(web_ca, "127.0.0.1", not_after=now + timedelta(days=10, hours=1))
    yield from _serve(context)


@pytest.fixture(scope="session")
def web_closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    server = _Server(("127.0.0.1", 0), _Handler)
    port = int(server.server_address[1])
    server.server_close()
    return port
