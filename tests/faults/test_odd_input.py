"""Odd bodies on /alerts/*: answered 400 with a reason, never a 500 (and
never a RecursionError in the logs).

Counts: injected 4 odd bodies per endpoint; refused with 400: 4; lost: 0
(none is an alert)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.faults.alertbodies import SECRET
from tests.peers.slack import SlackStandIn
from tests.slack.bot import running_bot
from tests.slack.thread import ALERTS

ODD = [b"[" * 100_000 + b"]" * 100_000, b'{"alerts": ' * 50_000, b"null", b"\xff\xfe{"]


@pytest.mark.parametrize("path", ["/alerts/alertmanager", "/alerts/kuma"])
async def test_odd_alert_bodies_are_a_400(
    slack_api: SlackStandIn, tmp_path: Path, path: str
) -> None:
    sets = [f"alerts.channels=[{ALERTS}]"]
    with running_bot(slack_api.url, tmp_path / "t.db", sets, alert_secret=SECRET) as bot:
        async with httpx.AsyncClient(timeout=30) as client:
            replies = [
                await client.post(
                    f"{bot.base}{path}", content=b, headers={"X-Alert-Secret": SECRET}
                )
                for b in ODD
            ]
    assert [r.status_code for r in replies] == [400] * len(ODD), [r.text[:200] for r in replies]
    assert all(r.json()["ok"] is False for r in replies)
    assert slack_api.calls("chat.postMessage") == []
