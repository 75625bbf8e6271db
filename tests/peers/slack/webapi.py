"""The Slack Web API stand-in: records every call and answers like Slack.

Routes, under `root` (http://127.0.0.1:<port>/):
  api/<method>          the Web API (`url`, what AsyncWebClient's base_url wants)
  upload/v1/<file_id>   where files.getUploadURLExternal sends the bytes
  response/<id>         response_url posts (mint one with `response_url()`)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Self, TypeVar
from urllib.parse import parse_qsl

from aiohttp import web

from bot.slack import limits
from tests.peers.slack.methods import APP_LEVEL, Args, Body, answer, error
from tests.peers.slack.serving import Served
from tests.peers.slack.workspace import APP_TOKEN, BOT_TOKEN, Message, Upload, Workspace

T = TypeVar("T")
# How long a test waits for a condition by default: generous, since a wait
# ends as soon as the condition holds (on 2 busy cores, 5 s was seen to be
# too short for a whole triage).
WAIT_S = 15.0
Reply = tuple[int, Body, dict[str, str]]  # HTTP status, JSON body, headers
# Arguments that clients send as JSON text inside forms; decoded so that
# tests see the same shapes whichever encoding the client chose.
_JSON_ARGS = frozenset({"blocks", "attachments", "view", "files", "metadata", "unfurls"})


@dataclass(frozen=True)
class Call:
    method: str  # "chat.postMessage", or "upload" / "response_url" for those routes
    args: Args  # query, form and JSON merged; the `token` argument moved to `token`
    token: str | None  # from Authorization: Bearer, else the `token` argument
    at: float  # time.monotonic() when the request arrived
    path: str
    status: int  # the HTTP status answered
    response: Body | None
    body: bytes  # the raw request body (empty for multipart)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool((self.response or {}).get("ok"))


@dataclass
class _Failure:
    status: int
    retry_after: int
    error: str
    times: int

    def reply(self) -> Reply:
        headers = {"Retry-After": str(self.retry_after)} if self.status == 429 else {}
        return self.status, error(self.error), headers


class SlackStandIn:
    def __init__(self, *, token: str = BOT_TOKEN, app_token: str = APP_TOKEN) -> None:
        self.token = token
        self.app_token = app_token
        self._changed = threading.Condition(threading.RLock())
        self._calls: list[Call] = []
        self._failures: defaultdict[str, list[_Failure]] = defaultdict(list)
        self._response_ids = itertools.count(1)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        app.router.add_post("/response/{id}", self._response_url)
        self._served = Served(app, "slack-web-api")
        self.root = f"http://127.0.0.1:{self._served.port}/"
        self.url = f"{self.root}api/"
        self._workspace = Workspace(self.root)

    def stop(self) -> None:
        self._served.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- programming it -------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        error: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with `status` and
        {"ok": false, "error": ...}; a 429 carries Retry-After."""
        default = "ratelimited" if status == 429 else "internal_error"
        with self._changed:
            self._failures[method].append(_Failure(status, retry_after, error or default, times))

    def clear_failures(self) -> None:
        """Forget failures programmed and not yet taken (the rest stays)."""
        with self._changed:
            self._failures.clear()

    def response_url(self) -> str:
        return f"{self.root}response/{next(self._response_ids)}"

    def attach_socket_mode(self, connect_url: Callable[[], str] | None) -> None:
        """What apps.connections.open hands out (None: no Socket Mode stand-in)."""
        with self._changed:
            self._workspace.connect_url = connect_url

    def clear(self) -> None:
        """Forget calls, messages, uploads and pending failures."""
        with self._changed:
            self._calls.clear()
            self._failures.clear()
            connect_url = self._workspace.connect_url
            self._workspace = Workspace(self.root)
            self._workspace.connect_url = connect_url

    # -- looking at it --------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self._changed:
            return [c for c in self._calls if method is None or c.method == method]

    def messages(self, channel: str) -> dict[str, Message]:
        """The channel's messages by ts, in posting order, as they stand now."""
        with self._changed:
            return dict(self._workspace.channels.get(channel, {}))

    def thread(self, channel: str, thread_ts: str) -> list[Message]:
        """The replies in a thread (not its parent), oldest first."""
        return [m for m in self.messages(channel).values() if m.thread_ts == thread_ts]

    def uploads(self) -> list[Upload]:
        with self._changed:
            return list(self._workspace.uploads.values())

    def wait_for(self, predicate: Callable[[], T], timeout: float = WAIT_S) -> T:
        """Block until `predicate()` is truthy (re-checked on every call
        received) and return its value; TimeoutError after `timeout` seconds.
        `predicate` may use `calls()`, `messages()` and friends."""
        with self._changed:
            result = self._changed.wait_for(predicate, timeout)
            if not result:
                seen = ", ".join(f"{c.method}:{c.status}" for c in self._calls) or "none"
                raise TimeoutError(f"not met within {timeout} s; calls so far: {seen}")
            return result

    # The deadline bounds a wait in another thread, which asyncio.timeout could
    # not cut short: hence a parameter.
    async def wait_for_async(self, predicate: Callable[[], T], timeout: float = WAIT_S) -> T:  # noqa: ASYNC109
        """`wait_for` from a coroutine, without blocking its loop (where the
        bot under test may be running)."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout)

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = WAIT_S) -> list[Call]:
        """The first `count` calls of `method`, once that many have arrived."""

        def enough() -> list[Call]:
            found = self.calls(method)
            return found[:count] if len(found) >= count else []

        return self.wait_for(enough, timeout)

    # -- serving it (on the server's thread) ----------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        method = request.match_info["method"]
        args, body = await _arguments(request)
        token = _token(request, args)
        with self._changed:
            status, reply, headers = self._answer(method, args, token)
            self._record(Call(method, args, token, at, request.path, status, reply, body))
        return web.json_response(reply, status=status, headers=headers)

    async def _upload(self, request: web.Request) -> web.Response:
        at, body, file_id = time.monotonic(), await request.read(), request.match_info["file_id"]
        with self._changed:
            upload = self._workspace.uploads.get(file_id)
            status, reply, headers = self._take_failure("upload") or (200, {"ok": True}, {})
            if upload is None:
                status, reply = 404, error("file_not_found")
            elif status == 200:
                self._workspace.uploads[file_id] = replace(upload, content=body)
            call = Call("upload", {"file_id": file_id}, None, at, request.path, status, reply, body)
            self._record(call)
        if status != 200:
            return web.json_response(reply, status=status, headers=headers)
        return web.Response(text=f"OK - {len(body)}")

    async def _response_url(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        args, body = await _arguments(request)
        with self._changed:
            status, reply, headers = self._take_failure("response_url") or self._respond(args)
            self._record(Call("response_url", args, None, at, request.path, status, reply, body))
        return web.json_response(reply, status=status, headers=headers)

    def _answer(self, method: str, args: Args, token: str | None) -> Reply:
        denied = self._denied(method, token)
        if denied is not None:
            return 200, error(denied), {}
        planned = self._take_failure(method)
        if planned is not None:
            return planned
        # Slack checks the payload before it acts: a refused message is not stored.
        refusal = limits.check_call(method, args)
        TALLY.count(method, args, refusal)
        if refusal is not None:
            return 200, refusal.body(), {}
        return 200, answer(self._workspace, method, args), {}

    def _respond(self, args: Args) -> Reply:
        """A response_url post is a message, checked as one."""
        refusal = limits.check_message(args)
        TALLY.count("response_url", args, refusal)
        return (200, refusal.body(), {}) if refusal else (200, {"ok": True}, {})

    def refused(self) -> list[Call]:
        """Calls Slack would have refused for their payload (not planned failures)."""
        with self._changed:
            return [c for c in self._calls if _refused_payload(c)]

    def _denied(self, method: str, token: str | None) -> str | None:
        wanted = self.app_token if method in APP_LEVEL else self.token
        if token == wanted:
            return None
        if token is None:
            return "not_authed"
        return "not_allowed_token_type" if token in (self.token, self.app_token) else "invalid_auth"

    def _take_failure(self, method: str) -> Reply | None:
        planned = self._failures.get(method)
        if not planned:
            return None
        failure = planned[0]
        failure.times -= 1
        if failure.times <= 0:
            planned.pop(0)
        return failure.reply()

    def _record(self, call: Call) -> None:
        self._calls.append(call)
        self._changed.notify_all()


def _refused_payload(call: Call) -> bool:
    response = call.response or {}
    return not response.get("ok", True) and "response_metadata" in response


class Tally:
    """Across the whole test session: how many payloads the strict checks saw,
    how many they refused, and the largest message accepted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.validated = 0
        self.refused = 0
        self.largest_blocks = 0
        self.largest_chars = 0

    def count(self, method: str, args: Args, refusal: limits.Refusal | None) -> None:
        if method not in limits.MESSAGE_METHODS | limits.VIEW_METHODS | {"response_url"}:
            return
        size = limits.measure(args)
        with self._lock:
            self.validated += 1
            self.refused += refusal is not None
            if refusal is None:
                self.largest_blocks = max(self.largest_blocks, size.blocks)
                self.largest_chars = max(self.largest_chars, size.chars)

    def summary(self) -> str:
        return (
            f"Slack stand-in: {self.validated} payloads validated, {self.refused} refused; "
            f"largest accepted: {self.largest_blocks} blocks, {self.largest_chars} characters"
        )


TALLY = Tally()


async def _arguments(request: web.Request) -> tuple[Args, bytes]:
    args: Args = dict(request.query)
    body = b""
    if request.content_type.startswith("multipart/"):
        # Read as a form only: the stream cannot be read twice.
        for name, value in (await request.post()).items():
            args[name] = value.file.read() if isinstance(value, web.FileField) else value
    else:
        body = await request.read()
        if request.content_type == "application/json" and body:
            args.update(json.loads(body))
        elif body:
            args.update(parse_qsl(body.decode(), keep_blank_values=True))
    return {k: _decoded(k, v) for k, v in args.items()}, body


def _decoded(name: str, value: Any) -> Any:
    if name in _JSON_ARGS and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _token(request: web.Request, args: Args) -> str | None:
    token = args.pop("token", None)
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials
    return token if isinstance(token, str) else None
