"""A one-metric exporter on loopback whose value the test flips, for the
real Prometheus to scrape."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Exporter:
    host: str
    port: int
    value: float = 1.0

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@contextmanager
def running_exporter(metric: str = 'probe_success{probe="smtp"}') -> Iterator[Exporter]:
    exporter = Exporter("127.0.0.1", 0)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"# TYPE probe_success gauge\n{metric} {exporter.value:g}\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    exporter.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="exporter")
    thread.start()
    try:
        yield exporter
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
