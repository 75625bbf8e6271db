"""Answering questions: in a step with two of them, and in the escalation
(issue #12, item 5). Driven through the incident service (Slack presenter) against the strict
Slack stand-in, with a runbook written for the purpose; and clicked in Slack,
with buttons posted before the upgrade too."""

from __future__ import annotations

import json
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from bot.cli.run import settings
from bot.incidents.answers import UNCLEAR
from bot.incidents.service import Actor, IncidentService
from bot.incidents.views import ESCALATION_ID
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.loader import load_site
from bot.slack.payloads import Act
from bot.slack.poster import Poster
from bot.slack.presenter import slack_incidents
from bot.store import SqliteStore
from tests.peers.slack import BoltClient, SlackStandIn
from tests.slack.bot import SECRET, running_bot
from tests.slack.thread import CHANNEL, button, posted

RUNBOOK = """
id: asks
title: Two questions
summary: A runbook that asks.
targets:
  web:
    title: The web
    impact: Nobody can browse.
    protocol: tcp
    host: 127.0.0.1
    port: 9
steps:
  - id: ask
    title: Ask twice
    manual:
      - ask: Is the disk full?
        answers:
          - {label: "Yes", say: "the disk is full"}
          - {label: "No", say: "the disk has room"}
      - ask: Is the network up?
        answers:
          - {label: "Yes", say: "the network is up"}
          - {label: "No", say: "the network is down"}
escalation:
  why: Still broken.
  manual:
    - ask: Page the owner?
      answers:
        - {label: "Paged", say: "the owner is paged"}
"""


def incidents(slack_api: SlackStandIn, tmp_path: Path) -> IncidentService:
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "asks.yaml").write_text(RUNBOOK)
    site = load_site(None, [])
    catalogue = Catalogue.load([tmp_path / "runbooks"], site)
    client = AsyncWebClient(base_url=slack_api.url, token=slack_api.token)
    poster = Poster(client, post_interval=0.0, edit_interval=0.0)
    return slack_incidents(catalogue, SqliteStore(tmp_path / "t.db"), poster, settings(site))


async def test_each_answer_button_records_its_own_questions_answer(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    w = incidents(slack_api, tmp_path)
    actor = Actor("U1", "r1")
    incident = await w.open(channel="C1", target="web", runbook="asks", actor=actor)
    await w.answer(incident.id, "ask", 1, 1, actor)  # question 2, answer "No"
    said = list(slack_api.messages("C1").values())[-1]
    assert "the network is down" in (said.text or "")
    w.store.close()


async def test_a_question_in_the_escalation_can_be_answered(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    w = incidents(slack_api, tmp_path)
    actor = Actor("U1", "r1")
    incident = await w.open(channel="C1", target="web", runbook="asks", actor=actor)
    await w.escalate(incident.id, actor)
    await w.answer(incident.id, ESCALATION_ID, 0, 0, actor)
    said = list(slack_api.messages("C1").values())[-1]
    assert "the owner is paged" in (said.text or "")
    w.store.close()


# The escalation's first question is shown only for one target: a button
# that counts the questions its message showed cannot say whether it was.
IFFY = RUNBOOK.replace(
    "  manual:\n    - ask: Page the owner?",
    "  manual:\n    - if: \"target.name == 'web'\"\n      ask: Is it the web?\n"
    '      answers:\n        - {label: "Yes", say: "it is the web"}\n'
    "    - ask: Page the owner?",
)


async def test_clicks_in_slack_with_todays_and_older_values(
    slack_api: SlackStandIn, tmp_path: Path
) -> None:
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "asks.yaml").write_text(IFFY)
    folders = [tmp_path / "runbooks"]
    with running_bot(slack_api.url, tmp_path / "t.db", [], runbook_dirs=folders) as bot:
        async with BoltClient(bot.base, SECRET, slack=slack_api) as slack:
            await slack.command("web", channel=CHANNEL)
            _, step = await slack_api.wait_for_async(lambda: posted(slack_api, 2))

            async def answer(value: str, count: int) -> None:
                await slack.action(
                    f"{Act.ANSWER.value}:1", value, channel=CHANNEL, message_ts=step.ts
                )
                await slack_api.wait_for_async(lambda: posted(slack_api, count))

            await answer(button(step, f"{Act.ANSWER.value}:1"), 3)  # today's: the disk has room
            # Version 1, posted before the upgrade: no `if:` in this step, so
            # the second question shown is the second question written.
            await answer('{"i":1,"s":"ask","q":1,"a":1}', 4)
            said = [m.text or "" for m in list(slack_api.messages(CHANNEL).values())[2:]]
            assert "the disk has room" in said[0] and "the network is down" in said[1]
            # Version 2, the escalation's first question shown: which was it?
            await slack.action(
                f"{Act.ANSWER.value}:0",
                '{"v":2,"incident":1,"step":"escalation","question":0,"answer":0}',
                channel=CHANNEL, message_ts=step.ts,
            )  # fmt: skip
            (refusal,) = await slack_api.wait_for_async(lambda: slack_api.calls("response_url"))
    assert UNCLEAR in json.dumps(refusal.args)
    assert len(slack_api.messages(CHANNEL)) == 4  # nothing said for it
    audit = SqliteStore(tmp_path / "t.db").audit_log(incident_id=1)
    refused = [r for r in audit if r.outcome.startswith("refused")]
    assert [(r.action, r.params.get("shown")) for r in refused] == [("answer", 0)]
