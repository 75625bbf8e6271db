"""The postmortem draft posted on Resolve: a snapshot from an incident
recorded through the real app, facts only."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.runbooks.catalogue import Catalogue
from bot.runbooks.loader import load_site
from bot.slack.payloads import Act
from bot.store import SqliteStore
from bot.timeline.postmortem import postmortem
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import ROOT, SECRET, running_bot
from tests.slack.thread import CHANNEL, click, edited_to, local_site, posted
from tests.timeline.recorded import matches_snapshot, normalised, record_incident


@pytest.mark.usefixtures("aws_fake_credentials")
async def test_resolve_posts_a_postmortem_draft_of_recorded_facts(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer
) -> None:
    db = tmp_path / "t.db"
    files = await record_incident(slack_api, db, closed_port.port)
    posted = files["Incident 1: postmortem draft"]
    assert posted.filename == "incident-1-postmortem.md"
    assert posted.thread_ts is not None
    text = (posted.content or b"").decode()
    # The source's clock: 10:31:20.123 to 10:47:05.
    assert "Time to recovery: 15m 44s by the source's clock" in text
    assert "Mail sent to our domains bounces" in text  # the target's impact
    assert "Could not check (Is the ECS service running all its tasks?)" in text
    assert "Answered Yes, inside works" in text
    catalogue = Catalogue.load([ROOT / "runbooks"], load_site(None, local_site(closed_port.port)))
    store = SqliteStore(db)
    try:
        again = postmortem(store, catalogue.bindings["probe-failure"], 1)
    finally:
        store.close()
    assert again == text
    matches_snapshot("postmortem.md", normalised(text))
    assert [u.title for u in slack_api.uploads()].count("Incident 1: postmortem draft") == 1


@pytest.mark.usefixtures("aws_fake_credentials")
@pytest.mark.parametrize("upload_fails", [False, True])
async def test_the_resolve_button_resolves_first_and_a_failed_draft_does_not_undo_it(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer, upload_fails: bool
) -> None:
    if upload_fails:  # Slack refuses the upload: the incident stays resolved, once
        slack_api.fail_next("files.getUploadURLExternal", status=200, error="not_allowed")
    with running_bot(slack_api.url, tmp_path / "t.db", local_site(closed_port.port)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.command("ntfy", channel=CHANNEL)
            header, _ = await slack_api.wait_for_async(lambda: posted(slack_api, 2))
            await click(slack, slack_api, header, Act.RESOLVE)
            await slack_api.wait_for_async(lambda: edited_to(slack_api, header, "resolved by"))
            calls = await slack_api.wait_for_async(
                lambda: slack_api.calls("files.getUploadURLExternal")
            )
            if not upload_fails:
                await slack_api.wait_for_async(
                    lambda: [u for u in slack_api.uploads() if u.completed]
                )
    assert len(calls) == 1
    resolved_line = [m for m in slack_api.messages(CHANNEL).values() if m.text == "Resolved"]
    assert len(resolved_line) == 1
    # The draft comes after the resolve is recorded and shown.
    said = [c for c in slack_api.calls("chat.postMessage") if c.args.get("text") == "Resolved"]
    assert said[0].at < calls[0].at
    store = SqliteStore(tmp_path / "t.db")
    try:
        assert store.incident(1).status == "resolved"
    finally:
        store.close()
    assert len([u for u in slack_api.uploads() if u.completed]) == (0 if upload_fails else 1)
