"""Alertmanager webhook bodies of any size, and ways of sending them."""

from __future__ import annotations

import json
import re
import select
import socket
from typing import Any

import httpx

from tests.slack.thread import FIXTURES

SECRET = "s3cret"
INSTANCES = [
    "imap.cabal.internal:143", "smtp-in.example.com:25", "smtp-out.example.com:587",
    "smtp-out.example.com:465", "unknown-1.example.com:25",
]  # fmt: skip


def body_with(count: int) -> dict[str, Any]:
    """One webhook body carrying `count` firing alerts, each its own fingerprint."""
    body: dict[str, Any] = json.loads((FIXTURES / "webhook-am-firing.json").read_text())
    template = body["alerts"][0]
    alerts = []
    for n in range(count):
        # A storm: a few known targets, most of them unknown hosts.
        instance = INSTANCES[n] if n < len(INSTANCES) else f"host-{n}.example.com:25"
        labels = {**template["labels"], "instance": instance, "replica": str(n)}
        alerts.append({**template, "labels": labels, "fingerprint": f"{n:016x}"})
    body["alerts"] = alerts
    return body


def alert_tally(base: str) -> int:
    """How many alerts the bot has taken in (triaged, joined, repeat, unmatched, resolved)."""
    text = httpx.get(f"{base}/metrics").text
    found = re.findall(r'^triage_alerts_received_total\{outcome="\w+"\} ([0-9.]+)$', text, re.M)
    return int(sum(float(n) for n in found))


def post_in_two_writes(base: str, body: bytes) -> tuple[int, bytes]:
    """POST the body as two TCP segments, the second sent only once the bot
    has had every chance to answer the first alone (it has not answered
    within the wait, or it answered: then we read what it said)."""
    host, port = base.removeprefix("http://").split(":")
    head = (
        f"POST /alerts/alertmanager HTTP/1.1\r\nHost: {host}\r\nX-Alert-Secret: {SECRET}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    half = len(body) // 2
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(head + body[:half])
        answered, _, _ = select.select([sock], [], [], 1.0)
        if not answered:
            sock.sendall(body[half:])
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status = int(reply.split(b" ", 2)[1])
    return status, reply.partition(b"\r\n\r\n")[2]


def post_announcing(base: str, length: int) -> tuple[int, bytes]:
    """Announce a body of `length` bytes, send none of it, read the answer."""
    host, port = base.removeprefix("http://").split(":")
    head = (
        f"POST /alerts/alertmanager HTTP/1.1\r\nHost: {host}\r\nX-Alert-Secret: {SECRET}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head)
        reply = b""
        while b"\r\n\r\n" not in reply:
            reply += sock.recv(65536)
    return int(reply.split(b" ", 2)[1]), reply
