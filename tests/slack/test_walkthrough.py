"""The bot end to end: signed requests to its real Bolt HTTP endpoint, the
Web API stand-in recording what it posts, loopback peers and moto behind the
checks."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bot.slack.payloads import Act
from bot.store import SqliteStore
from tests.peers.aws import MotoPeer, ecs_service, target_group
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn, command_payload, sign
from tests.slack.bot import SECRET, running_bot
from tests.slack.thread import CHANNEL, click, edited_to, posted, relay_sets, step_after, text_of


async def test_help_and_unknown_words_answer_in_the_ack_and_post_nothing(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    with running_bot(slack_api.url, tmp_path / "t.db") as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            help_reply = await slack.command("help")
            unknown = await slack.command("smtp-rely")
            shell = await slack.command("127.0.0.1; rm -rf /")
    assert help_reply.status_code == 200
    assert "smtp-relay" in help_reply.text and "api-list" in help_reply.text
    assert "Did you mean `smtp-relay`" in unknown.json()["blocks"][0]["text"]["text"]
    assert "expected a target" in shell.text
    assert slack_api.calls("chat.postMessage") == []


async def test_walkthrough_runs_each_step_and_edits_its_message_in_place(
    slack_api: SlackStandIn,
    tmp_path: Path,
    aws_env: MotoPeer,
    smtp_starttls_peer: Peer,
    ca_file: str,
) -> None:
    ecs_service("mail", "cabal-smtp-in", desired=1, running=0, events=["CannotPullContainerError"])
    target_group("cabal-smtp-in-25", {"10.0.1.5": "unhealthy"})
    with running_bot(
        slack_api.url, tmp_path / "t.db", relay_sets(smtp_starttls_peer, ca_file)
    ) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            assert (await slack.command("smtp-relay", channel=CHANNEL)).status_code == 200
            header, first = await slack_api.wait_for_async(lambda: posted(slack_api, 2))
            assert first.thread_ts == header.ts
            assert "What it means" in text_of(header)

            await click(slack, slack_api, first, Act.RUN_STEP)
            step1 = await slack_api.wait_for_async(lambda: edited_to(slack_api, first, "✅"))
            assert "STARTTLS" in text_of(step1)

            await click(slack, slack_api, step1, Act.NEXT)
            second = await slack_api.wait_for_async(lambda: step_after(slack_api, first))
            await click(slack, slack_api, second, Act.RUN_STEP)
            step2 = await slack_api.wait_for_async(lambda: edited_to(slack_api, second, "❌"))
            assert "runs 0 of 1 tasks" in text_of(step2)
            assert "CannotPullContainerError" in text_of(step2)

            await click(slack, slack_api, step2, Act.DETAILS)
            upload = await slack_api.wait_for_async(
                lambda: [u for u in slack_api.uploads() if u.completed][:1]
            )
            assert b"CannotPullContainerError" in upload[0].content

            # The header is edited after the step's message, at its own pace.
            header_now = await slack_api.wait_for_async(
                lambda: edited_to(slack_api, header, "2/3 steps run")
            )
            assert "ecs-health/service" in text_of(header_now)

            await click(slack, slack_api, header_now, Act.RESOLVE)
            resolved = await slack_api.wait_for_async(
                lambda: edited_to(slack_api, header, "resolved by")
            )
            assert "<@U1>" in text_of(resolved)

            await click(slack, slack_api, step2, Act.RERUN)
            refusal = await slack_api.wait_for_async(lambda: slack_api.calls("response_url"))
            assert "is resolved" in json.dumps(refusal[0].args)
    store = SqliteStore(tmp_path / "t.db")
    incident = store.incident(1)
    assert (incident.status, incident.resolved_by) == ("resolved", "U1")
    actions = [r.action for r in store.audit_log(incident_id=1)]
    assert actions[0] == "open"
    assert {"run_step", "next", "details", "resolve"} <= set(actions)


async def test_run_all_posts_one_summary_and_updates_the_header(
    slack_api: SlackStandIn, tmp_path: Path, aws_env: MotoPeer, closed_port: Peer, ca_file: str
) -> None:
    ecs_service("mail", "cabal-smtp-in", desired=1, running=1, events=["steady"])
    target_group("cabal-smtp-in-25", {"10.0.1.5": "healthy"})
    with running_bot(slack_api.url, tmp_path / "t.db", relay_sets(closed_port, ca_file)) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.command("smtp-relay", channel=CHANNEL)
            header, _ = await slack_api.wait_for_async(lambda: posted(slack_api, 2))
            await click(slack, slack_api, header, Act.RUN_ALL)
            *_, summary = await slack_api.wait_for_async(lambda: posted(slack_api, 3))
            assert "Run all" in text_of(summary)
            assert "refused" in text_of(summary)
            await slack_api.wait_for_async(lambda: edited_to(slack_api, header, "3/3 steps run"))


async def test_a_click_on_a_message_posted_before_a_restart_still_works(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer, ca_file: str
) -> None:
    db = tmp_path / "t.db"
    sets = relay_sets(closed_port, ca_file)
    with running_bot(slack_api.url, db, sets) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.command("smtp-relay", channel=CHANNEL)
            _, first = await slack_api.wait_for_async(lambda: posted(slack_api, 2))
    with running_bot(slack_api.url, db, sets) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await click(slack, slack_api, first, Act.RUN_STEP)
            step1 = await slack_api.wait_for_async(lambda: edited_to(slack_api, first, "❌"))
    assert "refused" in text_of(step1)


async def test_the_same_event_delivered_four_times_opens_one_incident(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    event = {
        "type": "app_mention", "user": "U2", "channel": CHANNEL,
        "text": "<@U0TRIAGEBOT> ntfy", "ts": "1767000000.000001",
    }  # fmt: skip
    with running_bot(slack_api.url, tmp_path / "t.db") as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            replies = [
                await slack.event(event, event_id="Ev0SAME", retry_num=n or None) for n in range(4)
            ]
            header, _ = await slack_api.wait_for_async(lambda: posted(slack_api, 2))
    assert [r.status_code for r in replies] == [200] * 4
    assert header.thread_ts == "1767000000.000001"
    headers = [
        c for c in slack_api.calls("chat.postMessage") if "What it means" in json.dumps(c.args)
    ]
    assert len(headers) == 1


@pytest.mark.parametrize("forgery", ["bad-signature", "stale"])
async def test_forged_or_stale_requests_get_401_and_run_nothing(
    slack_api: SlackStandIn, tmp_path: Path, forgery: str
) -> None:
    fields = command_payload("smtp-relay", response_url=slack_api.response_url())
    body = urlencode(fields).encode()
    secret = "wrong-secret" if forgery == "bad-signature" else SECRET
    stale = int(time.time()) - 3600 if forgery == "stale" else None
    headers = sign(body, secret, timestamp=stale)
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    with running_bot(slack_api.url, tmp_path / "t.db") as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            reply = await slack.raw(body, headers)
    assert reply.status_code == 401
    assert slack_api.calls("chat.postMessage") == []
    assert SqliteStore(tmp_path / "t.db").audit_log() == []


async def test_a_429_on_post_message_is_waited_out_and_posted_once(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    slack_api.fail_next("chat.postMessage", status=429, retry_after=1)
    with running_bot(slack_api.url, tmp_path / "t.db") as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.command("ntfy", channel=CHANNEL)
            await slack_api.wait_for_async(lambda: posted(slack_api, 2), timeout=10)
    calls = slack_api.calls("chat.postMessage")
    assert [c.status for c in calls[:2]] == [429, 200]
    assert calls[1].at - calls[0].at >= 0.9
    assert len(slack_api.messages(CHANNEL)) == 2  # header and step 1, nothing lost or doubled
    assert SqliteStore(tmp_path / "t.db").incident(1).thread_ts is not None
