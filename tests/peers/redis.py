"""A real redis-server on loopback, started for the tests and stopped after.

redis-server cannot bind port 0 (`--port 0` means "no TCP at all"), so a
free port is found by binding one and releasing it; the server is ready when
it logs "Ready to accept connections", read with a deadline, not a sleep.
"""

from __future__ import annotations

import os
import selectors
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

READY = b"Ready to accept connections"
PASSWORD = "redis-test-password-7c1"


@dataclass(frozen=True)
class RedisPeer:
    host: str
    port: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(process: subprocess.Popen[bytes], deadline_s: float) -> None:
    assert process.stdout is not None
    seen = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        end = time.monotonic() + deadline_s
        while READY not in seen:
            left = end - time.monotonic()
            if left <= 0 or not selector.select(left):
                raise RuntimeError(f"redis-server not ready in {deadline_s} s: {seen[-500:]!r}")
            chunk = process.stdout.read1(4096)
            if not chunk:
                raise RuntimeError(f"redis-server exited: {seen[-500:]!r}")
            seen += chunk


def _serve(directory: Path, *extra: str) -> Iterator[RedisPeer]:
    exe = shutil.which("redis-server")
    if exe is None:
        if os.environ.get("CI"):  # .ci/run installs it: missing there is a failure
            pytest.fail("redis-server is not installed (.ci/run installs it)")
        pytest.skip("redis-server is not installed")
    port = _free_port()
    args = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(
        [*args, "--dir", str(directory), "--loglevel", "notice", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_ready(process, 10.0)
        yield RedisPeer("127.0.0.1", port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisPeer]:
    yield from _serve(tmp_path_factory.mktemp("redis"))


@pytest.fixture(scope="session")
def redis_with_password(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisPeer]:
    """Answers PING with -NOAUTH until a client authenticates."""
    yield from _serve(tmp_path_factory.mktemp("redis-auth"), "--requirepass", PASSWORD)
