"""A TCP relay in front of the Slack stand-in that resets the first
`resets` connections once their request has arrived (RST, as a load
balancer or NAT dropping state does), then relays the rest unchanged."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass


@dataclass
class Relay:
    url: str  # the Web API base URL through the relay
    resets_left: int
    reset: int = 0


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def _serve(listener: socket.socket, relay: Relay, upstream: tuple[str, int]) -> None:
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        if relay.resets_left > 0:
            relay.resets_left -= 1
            client.recv(65536)  # the request has arrived
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()  # RST
            relay.reset += 1
            continue
        server = socket.create_connection(upstream, timeout=30)
        for a, b in ((client, server), (server, client)):
            threading.Thread(target=_pump, args=(a, b), daemon=True).start()


@contextmanager
def resetting(api_url: str, resets: int) -> Iterator[Relay]:
    host, _, rest = api_url.removeprefix("http://").partition(":")
    port, _, path = rest.partition("/")
    listener = socket.create_server(("127.0.0.1", 0))
    relay = Relay(f"http://127.0.0.1:{listener.getsockname()[1]}/{path}", resets)
    thread = threading.Thread(target=_serve, args=(listener, relay, (host, int(port))), daemon=True)
    thread.start()
    try:
        yield relay
    finally:
        with suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes accept(); close() alone does not
        listener.close()
        thread.join(timeout=10)
