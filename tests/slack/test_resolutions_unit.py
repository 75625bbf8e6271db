"""Without `alertmanager:` in the site config nothing polls (#14 item 6)."""

from __future__ import annotations

from pathlib import Path

from bot.store import SqliteStore
from tests.peers.slack import SlackStandIn
from tests.slack.bot import make_bot


async def test_no_alertmanager_no_polling(slack_api: SlackStandIn, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "t.db")
    try:
        bot = make_bot(slack_api.url, store, ["alerts.channels=[C0ALERTS]"], signing_secret=None)
        resolutions = bot.autotriage.resolutions
        resolutions.start()
        assert resolutions.api is None
        assert resolutions._task is None  # nothing started, nothing to cancel
        await resolutions.stop()
    finally:
        store.close()


async def test_with_alertmanager_polling_starts_and_stops_cleanly(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    store = SqliteStore(tmp_path / "t.db")
    sets = ["alerts.channels=[C0ALERTS]", "alertmanager.url=http://127.0.0.1:9"]
    try:
        bot = make_bot(slack_api.url, store, sets, signing_secret=None)
        resolutions = bot.autotriage.resolutions
        resolutions.start()
        task = resolutions._task
        assert task is not None and not task.done()
        await resolutions.stop()
        assert task.cancelled()
    finally:
        store.close()
