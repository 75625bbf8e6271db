"""A loopback stand-in for Prometheus's query API (`/api/v1/query`).

It answers the queries a test gives it, as Prometheus would, and answers
any other query with Prometheus's own bad_data error.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class PromPeer:
    url: str
    # query -> the `data` of a successful answer
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def vector(self, query: str, *series: tuple[dict[str, str], str]) -> None:
        result = [{"metric": m, "value": [1700000000.0, v]} for m, v in series]
        self.answers[query] = {"resultType": "vector", "result": result}


def _handler(peer: PromPeer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query).get("query", [""])[0]
            peer.asked.append(query)
            if parts.path != "/api/v1/query":
                self._send(404, {"status": "error", "errorType": "not_found", "error": "no"})
            elif query in peer.answers:
                self._send(200, {"status": "success", "data": peer.answers[query]})
            else:
                error = f'1:1: parse error: unexpected query "{query}"'
                self._send(400, {"status": "error", "errorType": "bad_data", "error": error})

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    return Handler


@pytest.fixture(scope="session")
def _prometheus_server() -> Iterator[PromPeer]:
    # One server for the session (shutting one down costs half a second);
    # each test gets it with its answers cleared.
    peer = PromPeer("")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(peer))
    server.daemon_threads = True
    peer.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="prometheus")
    thread.start()
    try:
        yield peer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def prometheus_peer(_prometheus_server: PromPeer) -> PromPeer:
    _prometheus_server.answers.clear()
    _prometheus_server.asked.clear()
    return _prometheus_server
