"""bot.metrics: checks by runbook and target, and the time-to-resolve
histogram, after real work through the app."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bot.slack.payloads import Act
from bot.store import SqliteStore
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET, running_bot
from tests.slack.test_metrics import scrape, value
from tests.slack.thread import CHANNEL, click, edited_to, local_site, posted


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_a_resolve_is_observed_by_runbook_and_target(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    with running_bot(slack_api.url, tmp_path / "t.db", local_site(closed_port.port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.command("ntfy", channel=CHANNEL)
            header, _ = await slack_api.wait_for_async(lambda: posted(slack_api, 2))
            before = await scrape(bot.base)
            await click(slack, slack_api, header, Act.RESOLVE)
            await slack_api.wait_for_async(lambda: edited_to(slack_api, header, "resolved by"))
            await slack_api.wait_for_async(lambda: slack_api.calls("files.getUploadURLExternal"))
            after = await scrape(bot.base)
    labels = {"runbook": "probe-failure", "target": "ntfy"}
    assert value(before, "triage_time_to_resolve_seconds_count", **labels) == 0
    assert value(after, "triage_time_to_resolve_seconds_count", **labels) == 1
    assert value(after, "triage_time_to_resolve_seconds_bucket", le="60.0", **labels) == 1
    assert value(after, "triage_time_to_resolve_seconds_sum", **labels) < 60


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_checks_are_counted_by_runbook_target_and_status(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    with running_bot(slack_api.url, tmp_path / "t.db", local_site(closed_port.port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.command("ntfy", channel=CHANNEL)
            header, _ = await slack_api.wait_for_async(lambda: posted(slack_api, 2))
            await click(slack, slack_api, header, Act.RUN_ALL)
            await slack_api.wait_for_async(lambda: edited_to(slack_api, header, "steps run"))
            await slack_api.wait_for_async(lambda: posted(slack_api, 3))
            samples = await scrape(bot.base)
    store = SqliteStore(tmp_path / "t.db")
    try:
        ran = Counter(c["status"] for r in store.runs_of(1) for c in r.result["checks"])
    finally:
        store.close()
    assert ran
    for status, times in ran.items():
        labels = {"runbook": "probe-failure", "target": "ntfy", "status": status}
        assert value(samples, "triage_target_checks_total", **labels) == times
