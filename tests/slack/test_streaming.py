"""Findings as they arrive (issue 19): with one check hanging to its
deadline, the others' findings are in the thread while it still hangs.

The relay is a peer that accepts and never answers (its checks wait out
their deadline); AWS is a closed port, so the ECS and load balancer checks
fail at once. The stand-in records every chat.update; the test waits on a
condition (an update of the header that shows the AWS findings) with a
deadline shorter than the hanging checks', and checks at that moment that
the run is still going: the findings came before the slowest check ended."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.slack.payloads import Act
from tests.peers.mail import Peer
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET, running_bot
from tests.slack.thread import CHANNEL, click, posted

# The relay's checks' deadline in runbooks/probe-failure.yaml is 5 s; the
# partial findings must be shown well before it passes.
WITHIN_S = 3.5


def _header_updates_with(stand_in: SlackStandIn, ts: str, needle: str) -> list[Any]:
    return [
        c
        for c in stand_in.calls("chat.update")
        if c.ok and c.args.get("ts") == ts and needle in json.dumps(c.args.get("blocks"))
    ]


async def test_findings_stream_into_the_header_while_a_check_hangs(
    slack_api: SlackStandIn, tmp_path: Path, silent_peer: Peer
) -> None:
    sets = [
        f"targets.smtp-relay.host={silent_peer.host}",
        f"targets.smtp-relay.port={silent_peer.port}",
        "aws.endpoint_url=http://127.0.0.1:9",
        "aws.max_attempts=1",
    ]
    with running_bot(slack_api.url, tmp_path / "t.db", sets) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            assert (await slack.command("smtp-relay", channel=CHANNEL)).status_code == 200
            header, _ = await slack_api.wait_for_async(lambda: posted(slack_api, 2))
            await click(slack, slack_api, header, Act.RUN_ALL)
            (streamed, *_) = await slack_api.wait_for_async(
                lambda: _header_updates_with(slack_api, header.ts, "Found so far"),
                timeout=WITHIN_S,
            )
            # The run has not finished: the relay's checks still hang.
            assert bot.store.last_unfinished("run_all", 1, "") is not None
            shown = json.dumps(streamed.args["blocks"])
            assert "ECS service running vs desired" in shown  # AWS refused at once
            assert "within the 5 s deadline" not in shown  # no hanging check's result yet
            # Then the final header: running no more, every finding.
            final = await slack_api.wait_for_async(
                lambda: _header_updates_with(slack_api, header.ts, "*Findings*"), timeout=15
            )
            assert "Found so far" not in json.dumps(final[-1].args["blocks"])
    assert slack_api.refused() == []  # edits kept within the stand-in's per-message rate
