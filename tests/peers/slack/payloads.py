"""What Slack sends an app, shaped as in its docs: slash command fields,
block_actions payloads and event_callback envelopes. The HTTP client
(`BoltClient`) and the Socket Mode stand-in wrap the same dicts."""

from __future__ import annotations

import itertools
import secrets
import time
from typing import Any

from tests.peers.slack.workspace import APP_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, Message

# Slack still sends the deprecated verification token; Bolt ignores it.
VERIFICATION_TOKEN = "legacy-verification-token"
_triggers = itertools.count(1)


def trigger_id() -> str:
    return f"{int(time.time())}.{next(_triggers)}.{secrets.token_hex(16)}"


def action_ts() -> str:
    return f"{time.time():.6f}"


def command_payload(
    text: str,
    *,
    user: str = "U1",
    channel: str = "C1",
    command: str = "/triage",
    response_url: str,
) -> dict[str, str]:
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel,
        "channel_name": f"triage-{channel.lower()}",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id(),
    }


def block_actions_payload(
    action_id: str,
    value: str,
    *,
    user: str,
    channel: str,
    message_ts: str,
    thread_ts: str | None,
    block_id: str,
    response_url: str,
    message: Message | None = None,
) -> dict[str, Any]:
    """A button click on the message at `message_ts`; `message`, when known,
    fills in its text and blocks as Slack does."""
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel,
        "is_ephemeral": False,
    }
    shown: dict[str, Any] = message.as_slack() if message else _bare_message(message_ts)
    if thread_ts is not None:
        container["thread_ts"] = thread_ts
        shown["thread_ts"] = thread_ts
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id(),
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": f"triage-{channel.lower()}"},
        "message": shown,
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": action_ts(),
            }
        ],
    }


def _bare_message(ts: str) -> dict[str, Any]:
    return {"type": "message", "user": BOT_USER_ID, "ts": ts, "text": "", "blocks": []}


def event_callback(event: dict[str, Any], *, event_id: str) -> dict[str, Any]:
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_urlsafe(24)}",
    }
