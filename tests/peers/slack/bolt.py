"""Requests to the bot's real Bolt HTTP endpoint, signed as Slack signs them
(docs.slack.dev/authentication/verifying-requests-from-slack)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, Self
from urllib.parse import urlencode

import httpx

from tests.peers.slack.payloads import block_actions_payload, command_payload, event_callback
from tests.peers.slack.webapi import SlackStandIn

SIGNING_SECRET = "triage-test-signing-secret"
_NOWHERE = "https://hooks.slack.com/commands/T0TRIAGE/0/unreachable"


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """X-Slack-Signature and X-Slack-Request-Timestamp for `body` (now by default)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


class BoltClient:
    """POSTs signed requests to `base_url + path` and returns the response.

    With `slack`, response URLs are minted on that stand-in (so `respond()`
    lands there) and clicks carry the clicked message as it stands there.
    """

    def __init__(
        self,
        base_url: str,
        secret: str,
        *,
        path: str = "/slack/events",
        slack: SlackStandIn | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = base_url.rstrip("/") + path
        self.secret = secret
        self.slack = slack
        self._http = httpx.AsyncClient(timeout=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def command(
        self,
        text: str,
        *,
        user: str = "U1",
        channel: str = "C1",
        command: str = "/triage",
        response_url: str | None = None,
    ) -> httpx.Response:
        fields = command_payload(
            text,
            user=user,
            channel=channel,
            command=command,
            response_url=response_url or self._response_url(),
        )
        return await self._form(fields)

    async def action(
        self,
        action_id: str,
        value: str,
        *,
        user: str = "U1",
        channel: str = "C1",
        message_ts: str,
        thread_ts: str | None = None,
        block_id: str = "actions",
        response_url: str | None = None,
    ) -> httpx.Response:
        payload = block_actions_payload(
            action_id,
            value,
            user=user,
            channel=channel,
            message_ts=message_ts,
            thread_ts=thread_ts,
            block_id=block_id,
            response_url=response_url or self._response_url(),
            message=self.slack.messages(channel).get(message_ts) if self.slack else None,
        )
        return await self._form({"payload": json.dumps(payload)})

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> httpx.Response:
        body = json.dumps(event_callback(event, event_id=event_id)).encode()
        headers = {"Content-Type": "application/json"}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        return await self.raw(body, headers | sign(body, self.secret))

    async def raw(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """Exactly this body and these headers: for forged or stale signatures."""
        return await self._http.post(self.url, content=body, headers=headers)

    async def _form(self, fields: dict[str, str]) -> httpx.Response:
        body = urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return await self.raw(body, headers | sign(body, self.secret))

    def _response_url(self) -> str:
        return self.slack.response_url() if self.slack else _NOWHERE
