"""Several `triage serve --http` processes on one PostgreSQL database, as
replicas behind a load balancer, and a TCP peer whose answers the test
holds back (so that a step is still running while the clicks race)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.peers.slack import SlackStandIn

ROOT = Path(__file__).parents[2]
SECRET = "s3cret"
ALERT_SECRET = "alert-s3cret"
CHANNEL = "C0ALERTS"

# One target, two steps of one held TCP check each, and an alert that opens it.
RUNBOOK = """
id: gate
title: Gate
summary: A peer the test holds back.
targets:
  svc: {title: Svc, impact: none, protocol: smtp, host: 127.0.0.1, port: PORT}
triggers:
  alertmanager:
    - alertname: GateDown
      label: instance
      targets: {"gate:1": svc}
steps:
  - id: hold
    title: Hold
    checks:
      - {id: held, type: tcp, host: 127.0.0.1, port: PORT, banner: "^220", timeout: 60}
  - id: second
    title: Second
    checks:
      - {id: held-too, type: tcp, host: 127.0.0.1, port: PORT, banner: "^220", timeout: 60}
"""


@dataclass
class Gate:
    """A TCP peer that answers "220" only once opened; counts connections."""

    port: int = 0
    connections: int = 0
    opened: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _held: list[socket.socket] = field(default_factory=list)

    def serve(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            self.opened.wait()
            with contextlib.suppress(OSError):  # the replica that asked may be gone
                conn.sendall(b"220 gate\r\n")


@contextmanager
def gate() -> Iterator[Gate]:
    listener = socket.create_server(("127.0.0.1", 0))
    peer = Gate(port=listener.getsockname()[1])
    threading.Thread(target=peer.serve, args=(listener,), daemon=True).start()
    try:
        yield peer
    finally:
        peer.opened.set()
        listener.close()


@dataclass
class Replica:
    process: subprocess.Popen[str]
    base: str
    log: Path

    def kill(self) -> None:
        """kill -9: no shutdown, no goodbye to PostgreSQL."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def text(self) -> str:
        return self.log.read_text()


@contextmanager
def replicas(
    count: int,
    *,
    url: str,
    slack_api: SlackStandIn,
    peer: Gate,
    tmp_path: Path,
    runbook: str = RUNBOOK,
) -> Iterator[list[Replica]]:
    """`count` replicas, each ready (its store connected) before this yields."""
    runbooks = tmp_path / "runbooks"
    runbooks.mkdir(exist_ok=True)
    (runbooks / "gate.yaml").write_text(runbook.replace("PORT", str(peer.port)))
    env = dict(os.environ, SLACK_API_URL=slack_api.url, SLACK_BOT_TOKEN="xoxb-test",
               SLACK_SIGNING_SECRET=SECRET, TRIAGE_DB=url, TRIAGE_RUNBOOKS=str(runbooks),
               TRIAGE_ALERT_SECRET=ALERT_SECRET)  # fmt: skip
    env.pop("SLACK_APP_TOKEN", None)
    with ExitStack() as stack:
        started = [
            stack.enter_context(_replica(env, tmp_path / f"replica-{n}.log")) for n in range(count)
        ]
        for r in started:
            assert wait_until(lambda r=r: _ready(r.base)), r.text()  # type: ignore[misc]
        yield started


@contextmanager
def _replica(env: dict[str, str], log: Path) -> Iterator[Replica]:
    with log.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1",
             "--port", "0", "--set", f"alerts.channels=[{CHANNEL}]"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            line = process.stdout.readline()  # blocks until it says where it listens
            match = re.search(r"http://127\.0\.0\.1:(\d+)/slack/events", line)
            assert match, line + log.read_text()
            yield Replica(process, f"http://127.0.0.1:{match[1]}", log)
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=20)


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until(condition: Callable[[], object], deadline_s: float = 60.0) -> bool:
    """Poll `condition` until it holds or the deadline passes (two busy cores)."""
    deadline = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
