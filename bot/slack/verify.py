"""Requests to /slack/events are judged here, in front of Bolt: only a
request Slack signed, within its time window, seen once, with a body Bolt can
read, reaches Bolt and its listeners, middleware and error handler.

Everything else is answered here and reaches no code that talks to Slack:
  401  no signature, a malformed or stale timestamp, a signature that does not
       match (docs.slack.dev/authentication/verifying-requests-from-slack)
  400  a signed body that is not what Slack sends (`{`, `null`, a `payload`
       that is not a JSON object, bytes that are not UTF-8)
  200  a replay: the same (timestamp, signature) again within the window is
       answered as Slack expects and does nothing (Slack's own retries of an
       event are dropped the same way, by event id, in bot/slack/middleware.py)

Bolt checks the signature again behind this; slack_sdk's verifier raises on
a non-numeric timestamp, which is why the check is not left to it alone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware
from slack_bolt.request.internals import parse_body

log = logging.getLogger(__name__)

# Slack's window: a request older (or newer) than this is refused.
WINDOW_S = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII: int() takes other digits too
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
# Slack's SSL check while an app is configured: answered here, reaches nothing.
_SSL_CHECK = "ssl_check"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Seen:
    """(timestamp, signature) pairs seen within the window. A pair older than
    the window cannot pass the time check any more, so it is forgotten then;
    the set is in memory only (a restart empties it: the dialog's own
    idempotency key, in the store, still holds across restarts)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._at: dict[tuple[str, str], float] = {}

    def first(self, timestamp: str, signature: str) -> bool:
        now = self._clock()
        if len(self._at) > 1024:
            self._at = {k: t for k, t in self._at.items() if now - t <= 2 * WINDOW_S}
        key = (timestamp, signature)
        if key in self._at:
            return False
        self._at[key] = now
        return True


def signature_refusal(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> str | None:
    """Why the request is not Slack's, or None when it is."""
    if not secret:
        return "no signing secret configured"
    if timestamp is None or signature is None:
        return "unsigned"
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        return "malformed signature headers"
    if abs(now - int(timestamp)) > WINDOW_S:
        return "stale timestamp"
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return "signature mismatch"
    return None


def body_refusal(body: bytes, content_type: str) -> str | None:
    """Why Bolt could not read this body, or None when it can: Bolt's own
    parser, which raises (a 500 and a traceback) or yields a non-object."""
    try:
        text = body.decode("utf-8")
        parsed: Any = parse_body(text, content_type)
    except (UnicodeDecodeError, ValueError):
        return "the body is not what Slack sends"
    if not isinstance(parsed, dict):
        return "the body is not a JSON object"
    return None


def middleware(secret: str, path: str, seen: Seen | None = None) -> Middleware:
    """An aiohttp middleware guarding `path` (POST only) with `secret`."""
    seen = seen or Seen()

    @web.middleware
    async def verify(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != path or request.method != "POST":
            return await handler(request)
        body = await request.read()
        headers = request.headers
        timestamp = headers.get("X-Slack-Request-Timestamp")
        signature = headers.get("X-Slack-Signature")
        refusal = signature_refusal(secret, timestamp, signature, body, time.time())
        if refusal == "unsigned" and _is_ssl_check(body):
            return web.Response(status=200)
        if refusal:
            # The reason and the size only: the body may hold Slack's `token=`.
            log.warning("refused a request to %s: %s (%d bytes)", path, refusal, len(body))
            return _answer(401, "invalid request signature")
        assert timestamp is not None and signature is not None
        if not seen.first(timestamp, signature):
            log.warning("dropped a replayed request to %s (timestamp %s)", path, timestamp)
            return web.Response(status=200)
        refusal = body_refusal(body, request.content_type)
        if refusal:
            log.warning("refused a signed request to %s: %s", path, refusal)
            return _answer(400, refusal)
        return await handler(request)

    return verify


def _is_ssl_check(body: bytes) -> bool:
    return body.startswith(f"{_SSL_CHECK}=1".encode()) and len(body) < 512


def _answer(status: int, error: str) -> web.Response:
    return web.Response(
        status=status, text=json.dumps({"error": error}), content_type="application/json"
    )
