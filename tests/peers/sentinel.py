"""A listening socket nothing should connect to: tests that prove the bot
opened no connection count what it accepted."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest


@pytest.fixture
def sentinel() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        yield listener


def accepted(listener: socket.socket) -> int:
    """How many connections it has accepted (and closed) so far."""
    count = 0
    while True:
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1
