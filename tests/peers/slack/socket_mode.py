"""A Socket Mode stand-in: the WebSocket end of docs.slack.dev/apis/events-api/using-socket-mode.

It greets every connection with `hello`, delivers envelopes to the newest
open connection (queued until one exists, so sending never waits on the
client) and records the acks the client sends back.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import WSMsgType, web

from tests.peers.slack.serving import Served
from tests.peers.slack.workspace import APP_ID

ENVELOPE_TYPES = frozenset({"slash_commands", "interactive", "events_api"})
# Interactions whose ack may carry a response (a modal's errors, options, ...).
_ANSWERABLE = frozenset({"view_submission", "block_suggestion"})


@dataclass(frozen=True)
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None
    at: float  # time.monotonic() when it arrived


class SocketModeStandIn:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._acks: dict[str, Ack] = {}
        self._envelopes: list[dict[str, Any]] = []
        self.connections = 0  # WebSocket connections accepted so far
        self._sockets: list[web.WebSocketResponse] = []
        app = web.Application()
        app.router.add_get("/link/", self._link)
        app.on_shutdown.append(self._close_sockets)
        self._served = Served(app, "slack-socket-mode")
        self._open = self._served.thread.run(_event())

    @property
    def port(self) -> int:
        return self._served.port

    def connection_url(self, port: int | None = None) -> str:
        """A fresh wss-style URL, as apps.connections.open returns (to `port`,
        a relay in front of this stand-in, when given)."""
        ticket = uuid.uuid4()
        return f"ws://127.0.0.1:{port or self.port}/link/?ticket={ticket}&app_id={APP_ID}"

    def wait_for_connections(self, count: int, timeout: float = 5.0) -> None:
        """Until `count` WebSocket connections have been accepted in all."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.connections >= count, timeout):
                raise TimeoutError(f"{self.connections} connection(s) within {timeout} s")

    def stop(self) -> None:
        self._served.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def send_envelope(
        self, type: str, payload: dict[str, Any], *, retry_attempt: int = 0, retry_reason: str = ""
    ) -> str:
        """Queue an envelope for the client and return its envelope_id at once."""
        if type not in ENVELOPE_TYPES:
            raise ValueError(f"unknown envelope type {type!r}; one of {sorted(ENVELOPE_TYPES)}")
        envelope = {
            "envelope_id": str(uuid.uuid4()),
            "payload": payload,
            "type": type,
            "accepts_response_payload": type == "slash_commands"
            or payload.get("type") in _ANSWERABLE,
            "retry_attempt": retry_attempt,
            "retry_reason": retry_reason,
        }
        with self._changed:
            self._envelopes.append(envelope)
        self._served.thread.submit(self._deliver(json.dumps(envelope)))
        return str(envelope["envelope_id"])

    def envelopes(self) -> list[dict[str, Any]]:
        """Every envelope sent so far, delivered or still queued."""
        with self._changed:
            return list(self._envelopes)

    def acks(self) -> list[Ack]:
        with self._changed:
            return list(self._acks.values())

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        with self._changed:
            if not self._changed.wait_for(lambda: envelope_id in self._acks, timeout):
                raise TimeoutError(
                    f"no ack for {envelope_id} within {timeout} s "
                    f"({self.connections} connection(s) so far, {len(self._acks)} ack(s))"
                )
            return self._acks[envelope_id]

    async def wait_for_ack_async(self, envelope_id: str, timeout: float = 5.0) -> Ack:  # noqa: ASYNC109
        """`wait_for_ack` without blocking the calling loop (the client's, perhaps)."""
        return await asyncio.to_thread(self.wait_for_ack, envelope_id, timeout)

    # -- serving it (on the server's thread) ----------------------------------

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json(_hello(len(self._sockets) + 1))
        self._sockets.append(ws)
        self._open.set()
        with self._changed:  # counted once envelopes go to this connection
            self.connections += 1
            self._changed.notify_all()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._record(json.loads(message.data))
        finally:
            self._sockets.remove(ws)
            if not self._sockets:
                self._open.clear()
        return ws

    async def _deliver(self, text: str) -> None:
        await self._open.wait()
        await self._sockets[-1].send_str(text)

    def _record(self, message: dict[str, Any]) -> None:
        if "envelope_id" not in message:
            return
        ack = Ack(message["envelope_id"], message.get("payload"), time.monotonic())
        with self._changed:
            self._acks[ack.envelope_id] = ack
            self._changed.notify_all()

    async def _close_sockets(self, app: web.Application) -> None:
        for ws in list(self._sockets):
            await ws.close()


async def _event() -> asyncio.Event:
    # Created on the server's loop, where it is awaited.
    return asyncio.Event()


def _hello(connections: int) -> dict[str, Any]:
    return {
        "type": "hello",
        "num_connections": connections,
        "debug_info": {
            "host": "applink-triage-test",
            "build_number": 1,
            "approximate_connection_time": 18060,
        },
        "connection_info": {"app_id": APP_ID},
    }
