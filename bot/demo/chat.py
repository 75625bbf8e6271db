"""The real Bolt app, told about a user's typing and clicking as Slack would
tell it: signed slash commands, block_actions and events through the app's
own request handling (signature check, middleware, listeners, ack).

Each request's listener keeps working after its ack; `_settle` waits for the
tasks that request started, so the caller sees the thread once the bot has
finished posting.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.demo.slackapi import BOT_USER, TEAM, Message, Note, SlackRecorder, View
from bot.demo.terminal import Click

# A walkthrough step's checks have their own deadlines (seconds); this only
# stops a wedged listener from hanging the terminal.
SETTLE_TIMEOUT = 120.0
APP_ID = "A0TRIAGE"


class Chat:
    CHANNEL = "C0INCIDENTS"

    def __init__(
        self,
        app: AsyncApp,
        slack: SlackRecorder,
        secret: str,
        *,
        user: str = "U0YOU",
        channel: str = CHANNEL,
    ) -> None:
        self.app = app
        self.slack = slack
        self.secret = secret
        self.user = user  # who types and clicks; the console's `as U0OTHER` changes it
        self.channel = channel
        self._triggers: dict[str, str] = {}  # trigger_id -> the user whose click made it

    async def command(self, text: str, *, command: str = "/triage") -> None:
        fields = {
            "team_id": TEAM, "channel_id": self.channel, "channel_name": "incidents",
            "user_id": self.user, "user_name": "you", "command": command, "text": text,
            "api_app_id": APP_ID, "response_url": self.slack.response_url(),
            "trigger_id": self._trigger(),
        }  # fmt: skip
        await self._form(fields)

    async def click(self, click: Click) -> None:
        message = next((m for m in self.slack.messages() if m.ts == click.message_ts), None)
        await self._form({"payload": json.dumps(self._block_actions(click, message))})

    async def submit(self, view: View) -> None:
        """The user pressed the dialog's submit button: a view_submission,
        from the user who opened it."""
        user = self._triggers.get(view.trigger_id, self.user)
        payload = {
            "type": "view_submission", "api_app_id": APP_ID, "trigger_id": self._trigger(user),
            "team": {"id": TEAM}, "user": {"id": user, "username": user.lower(), "team_id": TEAM},
            "view": {
                **view.body, "id": view.id, "team_id": TEAM, "app_id": APP_ID,
                "bot_id": f"B{BOT_USER[1:]}", "state": {"values": {}}, "hash": view.hash,
                "root_view_id": view.id, "previous_view_id": None,
            },
            "response_urls": [], "is_enterprise_install": False,
        }  # fmt: skip
        await self._form({"payload": json.dumps(payload)})

    async def event(self, event: dict[str, Any]) -> None:
        """An Events API delivery (a message in a channel, a mention)."""
        envelope = {
            "team_id": TEAM, "api_app_id": APP_ID, "type": "event_callback", "event": event,
            "event_id": f"Ev{secrets.token_hex(6).upper()}", "event_time": int(time.time()),
        }  # fmt: skip
        await self._send(json.dumps(envelope), "application/json")

    def _block_actions(self, click: Click, message: Message | None) -> dict[str, Any]:
        thread = message.thread_ts if message else None
        shown = {"type": "message", "ts": click.message_ts, "text": message.text if message else ""}
        return {
            "type": "block_actions", "api_app_id": APP_ID, "trigger_id": self._trigger(),
            "user": {"id": self.user, "username": "you", "team_id": TEAM},
            "team": {"id": TEAM}, "channel": {"id": self.channel},
            "container": {
                "type": "message", "message_ts": click.message_ts,
                "channel_id": self.channel, "thread_ts": thread,
            },
            "message": shown | ({"thread_ts": thread} if thread else {}),
            "response_url": self.slack.response_url(),
            "actions": [{
                "type": "button", "action_id": click.action_id, "block_id": click.block_id,
                "value": click.value, "action_ts": f"{time.time():.6f}",
                "text": {"type": "plain_text", "text": click.label},
            }],
        }  # fmt: skip

    def _trigger(self, user: str | None = None) -> str:
        trigger = secrets.token_hex(8)
        self._triggers[trigger] = user or self.user
        return trigger

    async def _form(self, fields: dict[str, str]) -> None:
        await self._send(urlencode(fields), "application/x-www-form-urlencoded")

    async def _send(self, body: str, content_type: str) -> None:
        headers: dict[str, str | Sequence[str]] = {
            "content-type": content_type,
            **sign(body.encode(), self.secret),
        }
        before = asyncio.all_tasks()
        response = await self.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
        if response.status != 200:
            raise RuntimeError(f"the app answered {response.status}: {response.body[:200]}")
        _ack_note(response.body, self.slack)
        await _settle(before)


def sign(body: bytes, secret: str) -> dict[str, str]:
    """Slack's request signature (v0, HMAC-SHA256 over timestamp and body)."""
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {"x-slack-request-timestamp": stamp, "x-slack-signature": f"v0={digest.hexdigest()}"}


def _ack_note(body: str, slack: SlackRecorder) -> None:
    """An ack with content (help, "did you mean") is a reply only the user sees."""
    if not body:
        return
    try:
        reply = json.loads(body)
    except ValueError:
        return
    if isinstance(reply, dict) and (reply.get("text") or reply.get("blocks")):
        slack.note(Note(str(reply.get("text", "")), reply.get("blocks") or []))


async def _settle(before: set[asyncio.Task[Any]]) -> None:
    """Wait for the listener tasks this request started (and theirs)."""
    current = asyncio.current_task()
    async with asyncio.timeout(SETTLE_TIMEOUT):
        while started := asyncio.all_tasks() - before - {current}:
            await asyncio.gather(*started, return_exceptions=True)
