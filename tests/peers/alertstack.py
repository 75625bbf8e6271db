"""The real alerting pipeline on loopback, for end-to-end tests:

    IMAP STARTTLS peer <- blackbox_exporter <- Prometheus -> Alertmanager -> webhook

- a peer the test can `kill()` (the port refuses) and `restore()` (same port);
- the session's blackbox_exporter (tests/peers/blackbox.py) probing it with
  the user's `imap_starttls` module;
- Prometheus scraping it every second with the user's probe-failure rule
  (`probe_success == 0`, severity critical) at `for: 0s`;
- Alertmanager grouping by `group_by`, group_wait/interval 1 s, posting to
  the webhook URL the test gives (`WebhookReceiver` records what arrives).

Everything binds 127.0.0.1 and stops when the test ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.peers import alertmanager as am
from tests.peers import prometheus_server as prom
from tests.peers.blackbox import Exporter
from tests.peers.certs import server_context
from tests.peers.mail import Peer, _LoopThread, _shutdown, _tracked, imap_responder

PROBE_RULE = "BlackboxProbeFailure"
MODULE = "imap_starttls"


class SwitchablePeer:
    """An IMAP STARTTLS responder whose port can be closed and reopened."""

    def __init__(self, tls: Any) -> None:
        self._thread = _LoopThread()
        self._handler = imap_responder(tls)
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def peer(self) -> Peer:
        return Peer("127.0.0.1", self.port)

    def restore(self) -> None:
        async def start() -> asyncio.Server:
            on_connect = _tracked(self._handler, self._writers)
            return await asyncio.start_server(on_connect, "127.0.0.1", self.port)

        self._server = self._thread.call(start())
        self.port = self._server.sockets[0].getsockname()[1]

    def kill(self) -> None:
        """Close the listener and every open connection: probes are refused."""
        if self._server is not None:
            self._thread.call(_shutdown(self._server, self._writers))
            self._writers.clear()
            self._server = None

    def close(self) -> None:
        self.kill()
        self._thread.stop()


@dataclass
class Notification:
    at: float  # time.monotonic() on arrival
    body: dict[str, Any]

    def alerts(self, status: str) -> list[dict[str, Any]]:
        return [a for a in self.body.get("alerts", []) if a.get("status") == status]


@dataclass
class WebhookReceiver:
    """Records Alertmanager's webhook posts; `url` is what its config names."""

    url: str = ""
    received: list[Notification] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def put(self, body: dict[str, Any]) -> None:
        with self._changed:
            self.received.append(Notification(time.monotonic(), body))
            self._changed.notify_all()

    def wait_for(
        self, wanted: Callable[[Notification], bool], *, after: float, within: float
    ) -> Notification:
        """The first notification since `after` that `wanted` accepts."""
        deadline = time.monotonic() + within
        with self._changed:
            while True:
                for note in self.received:
                    if note.at >= after and wanted(note):
                        return note
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [n.body.get("status") for n in self.received]
                    raise AssertionError(f"no such notification within {within} s; saw {seen}")
                self._changed.wait(timeout=left)


def _receiver_handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            receiver.put(json.loads(self.rfile.read(length) or b"{}"))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    return Handler


@contextlib.contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _receiver_handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/alerts"
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="am-receiver")
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def probe_rules() -> dict[str, Any]:
    """The user's probe-failure rule, its `for` cut to 0 s for tests."""
    rule = {
        "alert": PROBE_RULE,
        "expr": "probe_success == 0",
        "for": "0s",
        "labels": {"severity": "critical"},
        "annotations": {
            "summary": "Blackbox probe to {{ $labels.instance }} failing",
            "runbook_url": "https://example.com/runbooks/probe-failure.md",
        },
    }
    return {"groups": [{"name": "blackbox", "rules": [rule]}]}


def probe_scrape(
    exporter_url: str, targets: Sequence[str], job: str = "blackbox"
) -> dict[str, Any]:
    """The usual blackbox relabelling: target -> ?target= and `instance`."""
    return {
        "job_name": job,
        "metrics_path": "/probe",
        "params": {"module": [MODULE]},
        "static_configs": [{"targets": list(targets)}],
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"target_label": "__address__", "replacement": exporter_url.removeprefix("http://")},
        ],
    }


@dataclass
class AlertStack:
    peers: list[SwitchablePeer]
    prometheus: prom.Prometheus
    alertmanager: am.Alertmanager
    exporter: Exporter

    @property
    def peer(self) -> SwitchablePeer:
        return self.peers[0]

    @property
    def instance(self) -> str:
        return self.instances[0]

    @property
    def instances(self) -> list[str]:
        return [f"127.0.0.1:{p.port}" for p in self.peers]


@contextlib.contextmanager
def alert_stack(
    folder: Path,
    exporter: Exporter,
    receiver_url: str,
    *,
    tls: Any,
    group_by: Sequence[str] = ("alertname", "instance"),
    peers: int = 1,
) -> Iterator[AlertStack]:
    switchable = [SwitchablePeer(tls) for _ in range(peers)]
    try:
        for peer in switchable:
            peer.restore()
        config = am.config(receiver_url, group_by=list(group_by))
        with am.running(folder / "alertmanager", config) as manager:
            targets = [f"127.0.0.1:{p.port}" for p in switchable]
            settings = prom.config([probe_scrape(exporter.url, targets)], alertmanager=manager.url)
            with prom.running(folder / "prometheus", settings, probe_rules()) as prometheus:
                yield AlertStack(switchable, prometheus, manager, exporter)
    finally:
        for peer in switchable:
            peer.close()


def slack_subject(body: dict[str, Any]) -> str:
    """The title Alertmanager's default Slack template (`__subject`) gives
    the notification whose webhook body this is: status, firing count, the
    group labels' values, then the other common labels' values in brackets."""
    status = str(body["status"]).upper()
    count = sum(1 for a in body["alerts"] if a["status"] == "firing")
    head = f"[{status}:{count}]" if body["status"] == "firing" else f"[{status}]"
    group = body["groupLabels"]
    common = {k: v for k, v in body["commonLabels"].items() if k not in group}
    text = f"{head} {' '.join(v for _, v in sorted(group.items()))}"
    if common:
        text += f" ({' '.join(v for _, v in sorted(common.items()))})"
    return text


@pytest.fixture
def alert_receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def alertstack(
    tmp_path: Path,
    blackbox_exporter: Exporter,
    alert_receiver: WebhookReceiver,
    cert_valid: Any,
) -> Iterator[AlertStack]:
    """The stack, notifying `alert_receiver`, grouped per instance."""
    with alert_stack(
        tmp_path, blackbox_exporter, alert_receiver.url, tls=server_context(cert_valid)
    ) as stack:
        yield stack
