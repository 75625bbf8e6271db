"""The pieces the end-to-end alert-flow test wires together: Alertmanager's
config with the bot's webhook and/or a Slack receiver, that receiver (it
forwards each Slack notification to the bot as a signed `message` event from
the alert channel, as Slack's Events API would), and the Prometheus scrape
that names the probed peer as the runbook's target does."""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import yaml

from tests.peers import alertmanager as am
from tests.peers.alertstack import MODULE, WebhookReceiver
from tests.peers.slack.bolt import sign
from tests.peers.slack.payloads import event_callback

AM_BOT_ID = "B07AMHOOK"  # Alertmanager's incoming-webhook app, as Slack shows it


@dataclass
class SlackForwarder:
    """Alertmanager's Slack notifier posts here (its `api_url`); each post
    becomes a signed message event at the bot's /slack/events."""

    signing_secret: str
    channel: str
    events_url: str | None = None  # set once the bot listens
    url: str = ""
    forwarded: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def forward(self, body: dict[str, Any]) -> None:
        with self._lock:
            n = next(self._ids)
        ts = f"{int(time.time())}.{n:06d}"
        event = {
            "type": "message", "subtype": "bot_message", "channel": self.channel,
            "ts": ts, "event_ts": ts, "channel_type": "channel", "bot_id": AM_BOT_ID,
            "username": body.get("username") or "AlertManager", "text": body.get("text") or "",
            "attachments": body.get("attachments") or [],
        }  # fmt: skip
        with self._lock:
            self.forwarded.append((time.monotonic(), event))
        if self.events_url is None:
            raise AssertionError("a Slack notification before the bot was listening")
        raw = json.dumps(event_callback(event, event_id=f"EvAM{n}")).encode()
        headers = {"Content-Type": "application/json", **sign(raw, self.signing_secret)}
        httpx.post(self.events_url, content=raw, headers=headers, timeout=10).raise_for_status()


def _handler(forwarder: SlackForwarder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                forwarder.forward(json.loads(self.rfile.read(length) or b"{}"))
            except httpx.HTTPError:  # the bot has stopped (the test's end): Slack would 5xx
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")  # Slack's incoming webhooks answer "ok"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    return Handler


@contextlib.contextmanager
def slack_forwarder(secret: str, channel: str) -> Iterator[SlackForwarder]:
    forwarder = SlackForwarder(secret, channel)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(forwarder))
    server.daemon_threads = True
    forwarder.url = f"http://127.0.0.1:{server.server_address[1]}/services/T0/B0/x"
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="am-slack")
    thread.start()
    try:
        yield forwarder
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class WebhookRelay(WebhookReceiver):
    """Alertmanager's webhook receiver: records each notification as it is
    sent (the figures' start) and, once `bot_url` is set, relays it to the
    bot's /alerts/alertmanager, answering what the bot answered (a 503 is
    retried by Alertmanager)."""

    bot_url: str | None = None
    secret: str = ""

    def relay(self, raw: bytes) -> int:
        self.put(json.loads(raw or b"{}"))
        if self.bot_url is None:
            return 200
        headers = {"Authorization": f"Bearer {self.secret}", "Content-Type": "application/json"}
        try:
            return httpx.post(self.bot_url, content=raw, headers=headers, timeout=15).status_code
        except httpx.HTTPError:  # the bot has stopped (the test's end)
            return 503


def _relay_handler(relay: WebhookRelay) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.send_response(relay.relay(self.rfile.read(length)))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    return Handler


@contextlib.contextmanager
def webhook_relay(secret: str) -> Iterator[WebhookRelay]:
    relay = WebhookRelay(secret=secret)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _relay_handler(relay))
    server.daemon_threads = True
    relay.url = f"http://127.0.0.1:{server.server_address[1]}/alerts"
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="am-relay")
    thread.start()
    try:
        yield relay
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def am_config(*, webhook_url: str, slack_url: str | None, group_by: Sequence[str]) -> str:
    """One receiver with the webhook (the relay) and, if asked, Slack."""
    receiver: dict[str, Any] = {
        "name": "team",
        "webhook_configs": [{"url": webhook_url, "send_resolved": True}],
    }
    if slack_url is not None:
        receiver["slack_configs"] = [
            {"api_url": slack_url, "channel": "#alerts", "send_resolved": True}
        ]
    route = {"receiver": "team", "group_by": list(group_by), **am.ROUTE}
    return yaml.safe_dump({"route": route, "receivers": [receiver]}, sort_keys=False)


def named_scrape(exporter_url: str, targets: dict[str, str]) -> dict[str, Any]:
    """Probe each loopback address, labelled with the name the runbook's
    trigger knows it by (`instance="smtp-in.e2e.test:25"`): how a site
    names its probes when the address is not the name."""
    return {
        "job_name": "blackbox",
        "metrics_path": "/probe",
        "params": {"module": [MODULE]},
        "static_configs": [
            {"targets": [address], "labels": {"probe_name": name}}
            for address, name in targets.items()
        ],
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["probe_name"], "target_label": "instance"},
            {"action": "labeldrop", "regex": "probe_name"},
            {"target_label": "__address__", "replacement": exporter_url.removeprefix("http://")},
        ],
    }
