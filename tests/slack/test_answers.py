"""Answering questions: in a step with two of them, and in the escalation
(issue #12, item 5). Driven through the incident service (Slack presenter) against the strict
Slack stand-in, with a runbook written for the purpose."""

from __future__ import annotations

from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from bot.cli.run import settings
from bot.incidents.service import Actor, IncidentService
from bot.incidents.views import ESCALATION_ID
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.loader import load_site
from bot.slack.poster import Poster
from bot.slack.presenter import slack_incidents
from bot.store import SqliteStore
from tests.peers.slack import SlackStandIn

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
