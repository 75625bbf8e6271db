"""An answer button names the question its message showed, whatever a later
run shows: a re-run that flips an `if:` reading the checks must not turn a
click on the message drawn before it into an answer to another question.
Buttons are drawn by the Slack renderer and pressed through the Slack
button's own work (no Slack server): what a person's click does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.engine.records import StepRecord
from bot.engine.site_settings import settings
from bot.incidents.answers import CHANGED, UNCLEAR, StaleAnswer
from bot.incidents.presenter import Ran, StepState
from bot.incidents.service import Actor, IncidentService
from bot.incidents.views import ESCALATION_ID, EscalationView, StepView
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.loader import load_site
from bot.slack import render
from bot.slack.actions.button import Click
from bot.slack.actions.incident import BUTTONS
from bot.slack.payloads import Act, decode
from bot.store import Incident, SqliteStore
from tests.incidents.test_service import Shown

ME = Actor("U1", "r1")

# Each list has a question shown only while the port answers, one only while
# it does not, and one always: a flip swaps the first two.
RUNBOOK = """
id: flip
title: Flip
summary: Questions whose `if:` reads a check.
targets:
  svc: {{title: The service, impact: Nobody can use it., host: 127.0.0.1, port: {port}}}
steps:
  - id: port
    title: Does the port answer?
    checks:
      - {{id: tcp, type: tcp, host: "{{{{ target.host }}}}", port: "{{{{ target.port }}}}"}}
    manual:
      - if: checks.tcp.status == 'pass'
        ask: Is it the right service?
        answers:
          - {{label: "Yes", say: "the right service answers"}}
      - if: checks.tcp.status == 'fail'
        ask: Is a firewall in the way?
        answers:
          - {{label: "Yes", say: "a firewall is in the way"}}
      - ask: Was it deployed today?
        answers:
          - {{label: "Yes", say: "deployed today"}}
          - {{label: "No", say: "not deployed today"}}
escalation:
  why: Still broken.
  manual:
    - if: checks.tcp.status == 'pass'
      ask: Page the owner?
      answers:
        - {{label: "Page", say: "the owner is paged"}}
    - if: checks.tcp.status == 'fail'
      ask: Page the network team?
      answers:
        - {{label: "Page", say: "the network team is paged"}}
    - ask: Open a ticket?
      answers:
        - {{label: "Open", say: "a ticket is open"}}
"""


@dataclass
class Drawn(Shown):
    """Shown, keeping what each message was drawn from."""

    records: list[StepRecord] = field(default_factory=list)
    escalations: list[EscalationView] = field(default_factory=list)
    views: dict[str, StepView] = field(default_factory=dict)

    async def step(
        self, incident: Incident, view: StepView, state: StepState, *, at: str | None
    ) -> str:
        self.views[view.id] = view
        if isinstance(state, Ran):
            self.records.append(state.record)
        return await super().step(incident, view, state, at=at)

    async def escalation(self, incident: Incident, view: EscalationView) -> str:
        self.escalations.append(view)
        return await super().escalation(incident, view)

    def said(self) -> list[Any]:
        return [detail for what, detail in self.calls if what == "answer"]


@dataclass
class Port:
    """A port that answers until it is closed."""

    server: asyncio.Server

    @property
    def number(self) -> int:
        return int(self.server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        self.server.close()
        await self.server.wait_closed()


@pytest.fixture
async def port() -> AsyncIterator[Port]:
    async def hang_up(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    opened = Port(await asyncio.start_server(hang_up, "127.0.0.1", 0))
    yield opened
    await opened.close()


def catalogue(folder: Path, text: str) -> Catalogue:
    folder.mkdir(exist_ok=True)
    (folder / "flip.yaml").write_text(text)
    return Catalogue.load([folder], load_site(None, []))


@pytest.fixture
async def service(tmp_path: Path, port: Port) -> AsyncIterator[tuple[IncidentService, Drawn]]:
    drawn = Drawn()
    store = SqliteStore(tmp_path / "t.db")
    found = catalogue(tmp_path / "runbooks", RUNBOOK.format(port=port.number))
    yield IncidentService(found, store, drawn, settings(load_site(None, []))), drawn
    store.close()


def button(blocks: list[dict[str, Any]], asked: str, label: str) -> str:
    """The value of the answer button `label` under the question `asked`."""
    for n, block in enumerate(blocks):
        if block["type"] == "section" and asked in block["text"]["text"]:
            found = [e for e in blocks[n + 1]["elements"] if e["text"]["text"] == label]
            return str(found[0]["value"])
    raise AssertionError(f"no question {asked!r} in the message")


async def press(incidents: IncidentService, incident: Incident, raw: str) -> None:
    """What the Slack answer button does with this value (its checks passed)."""
    value = decode(raw)
    click = Click(incident, value, ME, incidents, None, "")  # type: ignore[arg-type]
    await BUTTONS[Act.ANSWER].work(click)


async def test_a_click_on_a_step_drawn_before_a_re_run_answers_the_question_it_showed(
    service: tuple[IncidentService, Drawn], port: Port
) -> None:
    incidents, drawn = service
    incident = await incidents.open(channel="C1", target="svc", runbook="flip", actor=ME)
    await incidents.run_step(incident.id, "port", ME)  # the port answers
    blocks = render.step_blocks(drawn.views["port"], incident.id, result=drawn.records[-1])
    right = button(blocks, "Is it the right service?", "Yes")
    deployed = button(blocks, "Was it deployed today?", "No")

    await port.close()
    await incidents.run_step(incident.id, "port", ME)  # it does not: the `if:`s flip
    assert drawn.records[-1].manual[0].ask == "Is a firewall in the way?"

    await press(incidents, incident, right)
    await press(incidents, incident, deployed)
    assert drawn.said() == ["the right service answers", "not deployed today"]
    audit = incidents.store.sync.audit_log(incident_id=incident.id)
    answered = [r.params for r in audit if r.action == "answer"]
    assert [(p["question"], p["answer"]) for p in answered] == [(0, "Yes"), (2, "No")]


async def test_a_click_on_the_escalation_drawn_before_a_re_run_answers_the_question_it_showed(
    service: tuple[IncidentService, Drawn], port: Port
) -> None:
    incidents, drawn = service
    incident = await incidents.open(channel="C1", target="svc", runbook="flip", actor=ME)
    await incidents.run_step(incident.id, "port", ME)
    await incidents.escalate(incident.id, ME)  # drawn once, while the port answers
    (view,) = drawn.escalations
    blocks = render.escalation_blocks(view.why, view.manual, view.actions, incident.id)
    owner = button(blocks, "Page the owner?", "Page")
    ticket = button(blocks, "Open a ticket?", "Open")

    await port.close()
    await incidents.run_step(incident.id, "port", ME)  # now the network team is asked

    await press(incidents, incident, owner)
    await press(incidents, incident, ticket)
    assert drawn.said() == ["the owner is paged", "a ticket is open"]
    assert len(drawn.escalations) == 1  # not drawn again


async def test_a_button_drawn_from_another_version_of_the_runbook_is_refused(
    service: tuple[IncidentService, Drawn], port: Port, tmp_path: Path
) -> None:
    incidents, drawn = service
    incident = await incidents.open(channel="C1", target="svc", runbook="flip", actor=ME)
    await incidents.run_step(incident.id, "port", ME)
    blocks = render.step_blocks(drawn.views["port"], incident.id, result=drawn.records[-1])
    deployed = button(blocks, "Was it deployed today?", "Yes")
    # The runbook is reloaded with that question reworded in its place.
    changed = RUNBOOK.replace("Was it deployed today?", "Was it deployed this week?")
    incidents.catalogue = catalogue(tmp_path / "v2", changed.format(port=port.number))

    with pytest.raises(StaleAnswer) as refused:
        await press(incidents, incident, deployed)
    assert refused.value.tell == CHANGED
    assert drawn.said() == []


async def test_a_button_posted_before_the_upgrade_works_where_it_can_only_name_one_question(
    service: tuple[IncidentService, Drawn], port: Port
) -> None:
    incidents, drawn = service
    incident = await incidents.open(channel="C1", target="svc", runbook="flip", actor=ME)
    await incidents.escalate(incident.id, ME)
    # Version 2 counted the questions shown. Before the ticket, an `if:` may
    # have hidden one: which did the message show? Refused, not guessed at.
    with pytest.raises(StaleAnswer) as refused:
        await press(incidents, incident, f'{{"v":2,"incident":{incident.id},'
                    f'"step":"{ESCALATION_ID}","question":1,"answer":0}}')  # fmt: skip
    assert refused.value.tell == UNCLEAR
    assert drawn.said() == []
