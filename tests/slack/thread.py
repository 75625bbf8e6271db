"""Reading the incident thread the Slack stand-in holds, and clicking in it:
shared by the Slack tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.slack.payloads import Act, decode
from tests.peers.aws import REGION
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn

CHANNEL = "C0INCIDENT"


def button(message: Any, action: str) -> str:
    """The value of the button with this action id in a posted message."""
    for block in message.blocks or []:
        for element in block.get("elements", []):
            if element.get("action_id") == action:
                return str(element["value"])
    raise AssertionError(f"no {action} button in {json.dumps(message.blocks)[:400]}")


def text_of(message: Any) -> str:
    return json.dumps(message.blocks, ensure_ascii=False)


def relay_sets(peer: Peer, ca_file: str) -> list[str]:
    return [
        f"targets.smtp-relay.host={peer.host}",
        f"targets.smtp-relay.port={peer.port}",
        f"ca_file={ca_file}",
        f"vars.region={REGION}",
        "vars.cluster=mail",
    ]


FIXTURES = Path(__file__).parents[1] / "alerts" / "fixtures"
ALERTS = "C0ALERTS"
TARGETS = ["imap", "smtp-relay", "submission", "submission-tls", "admin-app", "api-list", "ntfy"]


def fixture(name: str, **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    event.update(changes)
    return event


def local_site(port: int) -> list[str]:
    """Every target at a loopback port nothing listens on, AWS unreachable:
    checks fail fast and touch nothing outside this machine."""
    sets = [
        f"alerts.channels=[{ALERTS}]",
        "vars.control_domain=example.com",
        "aws.endpoint_url=http://127.0.0.1:9",
        "aws.max_attempts=1",
        "alerts.storm_targets=5",
    ]
    for name in TARGETS:
        sets += [f"targets.{name}.host=127.0.0.1", f"targets.{name}.port={port}"]
    for name in ("admin-app", "api-list", "ntfy"):
        sets.append(f"targets.{name}.url=http://127.0.0.1:{port}/")
    return sets


def headers_in(stand_in: SlackStandIn) -> list[Any]:
    return [
        m for m in stand_in.messages(ALERTS).values() if "What it means" in json.dumps(m.blocks)
    ]


def header_saying(stand_in: SlackStandIn, needle: str) -> Any:
    return next((h for h in headers_in(stand_in) if needle in text_of(h)), None)


async def click(slack: BoltClient, stand_in: SlackStandIn, message: Any, act: Act) -> None:
    value = button(message, act.value)
    decode(value)  # what the bot posted is what it accepts back
    reply = await slack.action(
        act.value, value, channel=CHANNEL, message_ts=message.ts, thread_ts=message.thread_ts
    )
    assert reply.status_code == 200


def posted(stand_in: SlackStandIn, count: int) -> list[Any] | None:
    messages = list(stand_in.messages(CHANNEL).values())
    return messages[:count] if len(messages) >= count else None


def step_after(stand_in: SlackStandIn, message: Any) -> Any:
    """The first message posted after `message` that is a step (has a Run step
    button): a chart's note may be posted between two steps."""
    later = [m for m in stand_in.messages(CHANNEL).values() if float(m.ts) > float(message.ts)]
    return next((m for m in later if _has(m, Act.RUN_STEP.value)), None)


def _has(message: Any, action: str) -> bool:
    blocks = message.blocks or []
    return any(e.get("action_id") == action for b in blocks for e in b.get("elements", []))


def edited_to(stand_in: SlackStandIn, message: Any, needle: str) -> Any:
    """The message once it says `needle` and is no longer running (a step's
    findings are streamed into it while its checks run)."""
    now = stand_in.messages(CHANNEL).get(message.ts)
    if now is None or "⏳ running" in text_of(now):
        return None
    return now if needle in text_of(now) else None
