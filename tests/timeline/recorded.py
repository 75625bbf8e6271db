"""A recorded incident, built through the real app: an Alertmanager webhook
opens it (source times known), the alert repeats, a responder walks,
answers, skips, escalates and asks for the timeline, and the resolved
webhook closes it. Shared by the timeline and postmortem tests."""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any

import httpx

from bot.slack.payloads import Act, decode
from bot.store import SqliteStore
from tests.faults.waiting import until
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET, running_bot
from tests.slack.thread import ALERTS, FIXTURES, header_saying, local_site, text_of

ALERT_SECRET = "s3cret"
SNAPSHOTS = Path(__file__).parent / "snapshots"


def webhook(status: str) -> bytes:
    """Alertmanager's webhook for the SMTP relay's probe alone, firing or resolved."""
    body: dict[str, Any] = json.loads((FIXTURES / "webhook-am-firing.json").read_text())
    alert = copy.deepcopy(body["alerts"][0])
    alert["status"] = status
    if status == "resolved":
        alert["endsAt"] = "2024-06-01T10:47:05Z"
    body.update(status=status, alerts=[alert])
    return json.dumps(body).encode()


def find_button(message: Any, prefix: str) -> tuple[str, str]:
    for block in message.blocks or []:
        for element in block.get("elements", []):
            if str(element.get("action_id", "")).startswith(prefix):
                return str(element["action_id"]), str(element["value"])
    raise AssertionError(f"no {prefix} button in {json.dumps(message.blocks)[:300]}")


async def press(slack: BoltClient, message: Any, prefix: str) -> None:
    action_id, value = find_button(message, prefix)
    decode(value)
    reply = await slack.action(
        action_id, value, channel=ALERTS, message_ts=message.ts, thread_ts=message.thread_ts
    )
    assert reply.status_code == 200


def in_thread(stand_in: SlackStandIn, needle: str) -> Any:
    found = [m for m in stand_in.messages(ALERTS).values() if needle in text_of(m) + m.text]
    return found[-1] if found else None


async def record_incident(stand_in: SlackStandIn, db: Path, closed_port: int) -> dict[str, Any]:
    """Returns the files posted in the thread, by title."""
    sets = local_site(closed_port)
    with running_bot(stand_in.url, db, sets, alert_secret=ALERT_SECRET) as bot:
        async with (
            BoltClient(bot.base, SECRET, slack=stand_in) as slack,
            httpx.AsyncClient() as client,
        ):
            url, auth = f"{bot.base}/alerts/alertmanager", {"X-Alert-Secret": ALERT_SECRET}
            assert (await client.post(url, content=webhook("firing"), headers=auth)).is_success
            header = await stand_in.wait_for_async(lambda: header_saying(stand_in, "Findings"))
            assert (await client.post(url, content=webhook("firing"), headers=auth)).is_success
            # Alertmanager re-sending the same firing (same startsAt) is no news
            # in the thread (issue #14), but the timeline keeps the repeat.
            await until(lambda: _repeats(db) >= 2)
            await press(slack, header, Act.WALK.value)
            step = await stand_in.wait_for_async(lambda: in_thread(stand_in, "Did the connection"))
            await press(slack, step, Act.ANSWER.value)
            await stand_in.wait_for_async(lambda: in_thread(stand_in, "answered"))
            await press(slack, step, Act.SKIP.value)
            await stand_in.wait_for_async(lambda: in_thread(stand_in, "skipped"))
            await press(slack, header, Act.ESCALATE.value)
            await stand_in.wait_for_async(lambda: in_thread(stand_in, "Escalation"))
            await press(slack, header, Act.TIMELINE.value)
            await stand_in.wait_for_async(lambda: _uploaded(stand_in, "timeline"))
            assert (await client.post(url, content=webhook("resolved"), headers=auth)).is_success
            await stand_in.wait_for_async(lambda: header_saying(stand_in, "resolved by"))
            await stand_in.wait_for_async(lambda: _uploaded(stand_in, "postmortem"))
    return {u.title: u for u in stand_in.uploads() if u.completed}


def _repeats(db: Path) -> int:
    store = SqliteStore(db)
    try:
        return max((a.times for a in store.alerts_of(1)), default=0)
    finally:
        store.close()


def _uploaded(stand_in: SlackStandIn, needle: str) -> list[Any] | None:
    done = [u for u in stand_in.uploads() if u.completed and needle in (u.title or "")]
    return done or None


# Times by the bot's clock change from run to run; the source's do not.
_BOT_TIMES = [
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"), "YYYY-MM-DD HH:MM:SS UTC"),
    (re.compile(r"^\| \d\d:\d\d:\d\d \| \+[0-9hms ]+ \|", re.M), "| HH:MM:SS | +T |"),
    (re.compile(r"^\d\d:\d\d:\d\d +\+(\d+h \d+m|\d+m \d+s|\d+s)", re.M), "HH:MM:SS  +T"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"),
    (re.compile(r"(First findings|Time to resolve:) [0-9hms ]+? (after|from)"), r"\1 T \2"),
    (re.compile(r"\([0-9hms ]+ later\)"), "(T later)"),  # the fixture's source time is fixed
]


def normalised(text: str) -> str:
    for pattern, replacement in _BOT_TIMES:
        text = pattern.sub(replacement, text)
    return text


def matches_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(text)
    assert path.exists(), f"no snapshot {path.name}: run with UPDATE_SNAPSHOTS=1"
    assert text == path.read_text()
