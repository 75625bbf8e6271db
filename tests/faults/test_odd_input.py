"""Odd bodies on /alerts/*: answered 400 with a reason, never a 500 (and
never a RecursionError in the logs); a store file `triage serve` cannot
write is one line saying so and exit code 2, not a traceback.

Counts: injected 4 odd bodies per endpoint; refused with 400: 4; lost: 0
(none is an alert). Store: 2 injected (read-only file, missing folder),
both a one-line refusal to start."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.faults.alertbodies import SECRET
from tests.peers.slack import SlackStandIn
from tests.slack.bot import running_bot
from tests.slack.thread import ALERTS

ROOT = Path(__file__).parents[2]
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


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """The file cannot be written, even by root (whom permissions do not stop)."""
    sqlite3.connect(path).execute("CREATE TABLE IF NOT EXISTS t (a)").connection.close()
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    else:
        path.chmod(0o444)
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o644)


def serve(db: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="s",
               TRIAGE_DB=str(db))  # fmt: skip
    env.pop("SLACK_APP_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


def test_a_read_only_store_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "triage.db"
    with read_only(db):
        done = serve(db)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert str(db) in line and "readonly" in line


def test_a_store_in_a_missing_folder_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    done = serve(tmp_path / "gone" / "triage.db")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "unable to open" in done.stderr
