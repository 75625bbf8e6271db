"""Posting to Slack at Slack's pace.

chat.postMessage allows about one message per second per channel, and a
message edited many times a second is throttled too. Posts wait their turn
per channel and edits per message (one a second on average, two at once
after a quiet spell: EDIT_BURST), so bursts are spread out rather than
refused. (A 429 that still happens is waited out by the Web client's
RateLimitErrorRetryHandler.) Replicas sharing a PostgreSQL store take
turns per channel through it (SharedPace): the budget is the channel's, not
each process's.

Everything goes out redacted (`bot.redact`): text, blocks and file content,
so that a secret in a check's output or an AWS error never reaches Slack.
A caller that has redacted already (`clean`, in a stretch of work off the
ack path: bot.incidents.work) sends with `cleaned=True`.

Edits of one message waiting for their turn are coalesced: the latest state
wins and the ones in between are never sent (findings streamed as checks
finish would otherwise queue one edit per check, a second apart).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.redact import Redactor, active
from bot.store import StoreUnavailable
from bot.store.protocol import Store

# A message is edited at most once per edit_interval on average, and twice at
# once after a quiet spell: a state change (a run starting) and the first
# findings that follow it within the interval, as checks that fail at once
# do, go out together instead of the findings waiting the whole interval
# (issue 19: a finding's latency was 1.01-1.02 s in about one run in four,
# against its goal of 1 s). Slack documents no per-message edit rate;
# chat.update's own limit (Tier 3) is per workspace and allows bursts.
EDIT_BURST = 2


class Pace:
    """One use per `interval` seconds for each key, on average, counted from
    the end of each use; up to `burst` at once after a quiet spell (a token
    bucket, kept as the time its budget is next whole)."""

    def __init__(
        self, interval: float, *, burst: int = 1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self.burst = burst
        self._clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._full_at: dict[str, float] = {}  # when the key's budget is whole again

    @asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            # A whole budget holds `burst` uses: the next may go this long
            # before the budget is whole again.
            early = (self.burst - 1) * self.interval
            wait = self._full_at.get(key, 0.0) - early - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                now = self._clock()
                self._full_at[key] = max(self._full_at.get(key, 0.0), now) + self.interval


class SharedPace:
    """One post per `interval` seconds for each channel across every replica:
    each turn books the next free slot in the store (Store.reserve), so
    three replicas posting to one channel keep Slack's pace together. A
    store that does not answer falls back to this process's own pace."""

    def __init__(self, store: Store, interval: float) -> None:
        self.store = store
        self.interval = interval
        self._local = Pace(interval)

    @asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        try:
            wait = await self.store.reserve(f"post:{key}", interval=self.interval)
        except StoreUnavailable:
            async with self._local.turn(key):
                yield
            return
        if wait > 0:
            await asyncio.sleep(wait)  # until the booked slot, not a wait on a condition
        yield


@dataclass(eq=False)
class _Edit:
    """The state an edit waiting for its turn will send (the latest asked)."""

    text: str
    blocks: list[dict[str, Any]]
    cleaned: bool
    sent: asyncio.Event = field(default_factory=asyncio.Event)
    error: BaseException | None = None


class Poster:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        post_interval: float = 1.0,
        edit_interval: float = 1.0,
        redactor: Redactor | None = None,
    ) -> None:
        self.client = client
        self.redactor = redactor or active()
        self._posts: Pace | SharedPace = Pace(post_interval)
        self._edits = Pace(edit_interval, burst=EDIT_BURST)
        self._waiting: dict[str, _Edit] = {}  # per message: the edit waiting for its turn
        self._session_loop: asyncio.AbstractEventLoop | None = None
        # Waited for right before each Web API call (after the pace's wait,
        # which can end at any moment): no call starts while an ack is
        # pending (bot.incidents.work.Work.quiet).
        self.quiet: Callable[[], Awaitable[None]] = _at_once

    def _session(self) -> None:
        """One aiohttp session for every Web API call on this loop: without
        one, slack_sdk opens a new session, connector and TCP connection
        per call, which is CPU on the loop for every post and edit (issue
        19: opening connections was the loop's top stall under load)."""
        if not isinstance(self.client, AsyncWebClient):  # a test's stand-in client
            return
        loop = asyncio.get_running_loop()
        session = self.client.session
        if session is None or session.closed or self._session_loop is not loop:
            timeout = aiohttp.ClientTimeout(total=self.client.timeout)
            self.client.session = aiohttp.ClientSession(timeout=timeout)
            self._session_loop = loop

    async def aclose(self) -> None:
        """Close the shared session (at shutdown)."""
        session, self.client.session = self.client.session, None
        if session is not None and not session.closed:
            await session.close()

    def share_pace(self, store: Store) -> None:
        """Pace posts per channel with the other replicas of `store`."""
        self._posts = SharedPace(store, self._posts.interval)

    async def post(
        self,
        channel: str,
        *,
        text: str,
        blocks: list[dict[str, Any]],
        thread_ts: str | None = None,
        cleaned: bool = False,
    ) -> str:
        if not cleaned:
            text, blocks = self.clean(text, blocks)
        self._session()
        async with self._posts.turn(channel):
            await self.quiet()
            response = await self.client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, unfurl_links=False
            )
        return str(response["ts"])

    async def update(
        self,
        channel: str,
        ts: str,
        *,
        text: str,
        blocks: list[dict[str, Any]],
        cleaned: bool = False,
    ) -> None:
        """Edit the message; returns once this state, or a later one asked
        for meanwhile, is shown (or raises what the edit raised)."""
        key = f"{channel}/{ts}"
        waiting = self._waiting.get(key)
        if waiting is not None:  # not sent yet: it will carry this state instead
            waiting.text, waiting.blocks, waiting.cleaned = text, blocks, cleaned
            await _sent(waiting)
            return
        edit = self._waiting[key] = _Edit(text, blocks, cleaned)
        try:
            async with self._edits.turn(key):
                del self._waiting[key]  # from here, a newer state waits for the next turn
                text, blocks = edit.text, edit.blocks
                if not edit.cleaned:
                    text, blocks = self.clean(text, blocks)
                self._session()
                await self.quiet()
                await self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except BaseException as exc:
            edit.error = exc
            if self._waiting.get(key) is edit:  # cut short before its turn
                del self._waiting[key]
            raise
        finally:
            edit.sent.set()

    async def upload(
        self,
        channel: str,
        thread_ts: str | None,
        *,
        filename: str,
        content: str | bytes,
        title: str,
        alt_txt: str | None = None,
    ) -> None:
        """Text is redacted; bytes (a chart's PNG) are drawn from numbers.
        `alt_txt` describes an image (screen readers, the console)."""
        # Slack keeps at most 1,000 characters of alt text.
        alt = self.redactor.redact(alt_txt)[:1000] if alt_txt else None
        self._session()
        async with self._posts.turn(channel):
            await self.quiet()
            await self.client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                filename=filename,
                content=self.redactor.redact(content) if isinstance(content, str) else content,
                title=self.redactor.redact(title),
                alt_txt=alt,
            )

    def clean(self, text: str, blocks: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
        """Text and blocks as they may leave the process: redacted."""
        cleaned: list[dict[str, Any]] = self.redactor.redact_tree(blocks)
        return self.redactor.redact(text), cleaned


async def _sent(edit: _Edit) -> None:
    await edit.sent.wait()
    if edit.error is not None:
        raise edit.error


async def _at_once() -> None:
    """No ack to wait for (a poster on its own: tests, the CLI)."""
