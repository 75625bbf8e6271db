"""What the stand-in workspace remembers: messages by channel and ts, uploads,
ids and the `ts` clock. Not thread-safe on its own: `SlackStandIn` holds its
lock around every use."""

from __future__ import annotations

import copy
import itertools
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

TEAM_ID = "T0TRIAGE"
TEAM_DOMAIN = "triage-test"
APP_ID = "A0TRIAGE"
BOT_ID = "B0TRIAGE"
BOT_USER_ID = "U0TRIAGEBOT"
BOT_TOKEN = "xoxb-test"
APP_TOKEN = "xapp-test"

Blocks = list[dict[str, Any]]


@dataclass(frozen=True)
class Message:
    """A message as it stands after every post, update and delete."""

    channel: str
    ts: str
    text: str | None
    blocks: Blocks | None
    thread_ts: str | None = None
    user: str = BOT_USER_ID
    edits: int = 0

    def as_slack(self) -> dict[str, Any]:
        """The message object Slack returns and puts in interaction payloads."""
        shown: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": self.text or "",
            "ts": self.ts,
        }
        if self.blocks is not None:
            shown["blocks"] = self.blocks
        if self.thread_ts is not None:
            shown["thread_ts"] = self.thread_ts
        return shown


@dataclass(frozen=True)
class Upload:
    """One file of `files_upload_v2`: announced, uploaded, then completed."""

    file_id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel_id: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    completed: bool = False


class Workspace:
    def __init__(self, root_url: str) -> None:
        self.root_url = root_url
        self.channels: defaultdict[str, dict[str, Message]] = defaultdict(dict)
        self.uploads: dict[str, Upload] = {}
        # Set while a Socket Mode stand-in is attached: mints a WebSocket URL.
        self.connect_url: Callable[[], str] | None = None
        self._ids = itertools.count(1)
        self._last_us = 0

    def next_ts(self) -> str:
        """Microseconds since the epoch as Slack writes them, strictly increasing."""
        self._last_us = max(time.time_ns() // 1000, self._last_us + 1)
        seconds, micros = divmod(self._last_us, 1_000_000)
        return f"{seconds}.{micros:06d}"

    def new_id(self, prefix: str) -> str:
        return f"{prefix}0{next(self._ids):09X}"

    def store(self, message: Message) -> Message:
        kept = replace(message, blocks=copy.deepcopy(message.blocks))
        self.channels[message.channel][message.ts] = kept
        return kept

    def find(self, channel: str, ts: str) -> Message | None:
        return self.channels.get(channel, {}).get(ts)

    def permalink(self, message: Message) -> str:
        link = (
            f"https://{TEAM_DOMAIN}.slack.com/archives/{message.channel}/"
            f"p{message.ts.replace('.', '')}"
        )
        if message.thread_ts is not None:
            link += f"?thread_ts={message.thread_ts}&cid={message.channel}"
        return link
