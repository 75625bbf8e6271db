"""An HTTP proxy in front of moto that lets AWS requests through until a
chosen one has passed, then holds every later request (as a hung peer
would) until released: the window in which a test kills the bot mid-action."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOLD_AT_MOST_S = 60.0


@dataclass
class Gate:
    url: str
    upstream: str
    close_after: str  # an X-Amz-Target suffix, e.g. "UpdateService"
    closed: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    held: int = 0
    seen: list[str] = field(default_factory=list)  # every request's X-Amz-Target, in order

    def release(self) -> None:
        self.released.set()


def _handler(gate: Gate) -> type[BaseHTTPRequestHandler]:
    upstream = urlsplit(gate.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            target = self.headers.get("X-Amz-Target", "")
            gate.seen.append(target)
            if gate.closed.is_set():
                gate.held += 1
                gate.released.wait(HOLD_AT_MOST_S)
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            connection.request("POST", self.path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            connection.close()
            if target.endswith(gate.close_after):
                gate.closed.set()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in {"content-length", "transfer-encoding", "connection"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


@contextmanager
def gate_before(upstream: str, close_after: str) -> Iterator[Gate]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Gate("", upstream, close_after)))
    gate = Gate(f"http://127.0.0.1:{server.server_address[1]}", upstream, close_after)
    server.RequestHandlerClass = _handler(gate)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield gate
    finally:
        gate.release()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
