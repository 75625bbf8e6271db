"""Button values: versioned typed payloads; the values of buttons posted
before an upgrade (version 1's one-letter keys, version 2) still decode (and
still work, end to end); an old answer's question reads as `shown`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.slack.payloads import Act, BadValue, ButtonValue, decode
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET, running_bot
from tests.slack.thread import CHANNEL, edited_to, posted, relay_sets, text_of


def test_a_value_is_versioned_and_reads_back_as_written() -> None:
    value = ButtonValue(incident=7, step="ecs-health", question=1, answer=0, check="0a1b2c")
    raw = value.encode()
    assert raw.startswith('{"v":3,') and '"incident":7' in raw and len(raw) < 100
    assert decode(raw) == value


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('{"i":1}', ButtonValue(incident=1)),
        ('{"i":7,"s":"ecs-health"}', ButtonValue(incident=7, step="ecs-health")),
        ('{"i":7,"s":"v"}', ButtonValue(incident=7, step="v")),  # a step named like the key
        (
            '{"i":7,"s":"ask","q":1,"a":0}',
            ButtonValue(incident=7, step="ask", shown=1, answer=0),
        ),
        ('{"i":1,"s":"restart","r":3}', ButtonValue(incident=1, step="restart", request=3)),
        ('{"v":2,"incident":7,"step":"ecs-health"}', ButtonValue(incident=7, step="ecs-health")),
        (
            '{"v":2,"incident":7,"step":"ask","question":1,"answer":0}',
            ButtonValue(incident=7, step="ask", shown=1, answer=0),
        ),
        (
            '{"v":2,"incident":1,"step":"restart","request":3}',
            ButtonValue(incident=1, step="restart", request=3),
        ),
    ],
)
def test_a_value_posted_before_the_upgrade_still_decodes(old: str, new: ButtonValue) -> None:
    assert decode(old) == new


@pytest.mark.parametrize(
    "raw",
    [
        '{"v":4,"incident":1}',  # a version this bot does not know
        '{"v":3,"incident":1,"step":"ask","shown":0,"answer":0}',  # never written
        '{"v":2,"incident":1,"step":"ask","question":0,"check":"0a1b2c"}',  # not in v2
        '{"v":3,"incident":1,"step":"ask","question":0,"answer":0,"check":"XYZ"}',
        '{"v":2,"i":1}',  # the versions' keys mixed
        '{"v":2,"incident":1,"cmd":"id"}',  # a field too many
        '{"i":1,"s":"x","cmd":"id"}',
        '{"i":0}',
        '["i", 1]',
        "not json",
        "",
    ],
)
def test_anything_else_is_refused(raw: str) -> None:
    with pytest.raises(BadValue):
        decode(raw)


async def test_a_run_step_button_with_an_old_value_runs_the_step(
    slack_api: SlackStandIn, tmp_path: Path, closed_port: Peer, ca_file: str
) -> None:
    """A message posted by the bot before the upgrade carries version 1."""
    sets = relay_sets(closed_port, ca_file)
    with running_bot(slack_api.url, tmp_path / "t.db", sets) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.command("smtp-relay", channel=CHANNEL)
            _, first = await slack_api.wait_for_async(lambda: posted(slack_api, 2))
            reply = await slack.action(
                Act.RUN_STEP.value, '{"i":1,"s":"outside-in"}', channel=CHANNEL,
                message_ts=first.ts, thread_ts=first.thread_ts,
            )  # fmt: skip
            assert reply.status_code == 200
            step = await slack_api.wait_for_async(lambda: edited_to(slack_api, first, "❌"))
    assert "refused" in text_of(step)
