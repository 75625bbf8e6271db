"""A step's manual items after it ran: filled from its checks (an `if:` or
a `{{ checks... }}` reading them); an answer names its question by its
position as written, whichever the message shows (bot.incidents.answers)."""

from __future__ import annotations

from pathlib import Path

from bot.engine.site_settings import settings
from bot.incidents.service import Actor, IncidentService
from bot.incidents.views import StepView
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.loader import load_site
from bot.slack import render
from bot.store import SqliteStore
from tests.incidents.test_service import Shown
from tests.peers.mail import Peer

ME = Actor("U1", "r1")


REACH = """
id: reach
title: Reach the service
summary: A step whose manual items read its check.
targets:
  svc: {{title: The service, impact: Nobody can use it., host: 127.0.0.1, port: {port}}}
steps:
  - id: port
    title: Does the port answer?
    checks:
      - {{id: tcp, type: tcp, host: "{{{{ target.host }}}}", port: "{{{{ target.port }}}}"}}
    manual:
      - if: checks.tcp.status == 'fail'
        ask: "Is a firewall in the way? ({{{{ checks.tcp.summary }}}})"
        answers:
          - {{label: "Yes", say: "open it"}}
      - ask: Is it up?
        answers:
          - {{label: "Yes", say: "it is up"}}
"""


async def test_after_a_run_the_step_shows_its_manual_items_filled_and_answers_find_them(
    tmp_path: Path, closed_port: Peer
) -> None:
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "reach.yaml").write_text(REACH.format(port=closed_port.port))
    site = load_site(None, [])
    store = SqliteStore(tmp_path / "t.db")
    shown = Shown()
    service = IncidentService(
        Catalogue.load([tmp_path / "runbooks"], site), store, shown, settings(site)
    )
    try:
        incident = await service.open(channel="C1", target="svc", runbook="reach", actor=ME)
        before: StepView = service.step_view(incident, "port")
        assert [m.ask for m in before.manual] == ["Is it up?"]  # the `if:` reads no check yet
        await service.run_step(incident.id, "port", ME)
        record = next(d for w, d in shown.calls if w == "ran")
        blocks = str(render.step_blocks(before, incident.id, result=record))
        assert "Is a firewall in the way? (" in blocks and "{{" not in blocks
        # Its buttons name each question by its place as written.
        asked = [(m.ask or "")[:9] for m in record.manual]
        assert list(zip(asked, [m.position for m in record.manual], strict=True)) == [
            ("Is a fire", 0), ("Is it up?", 1),
        ]  # fmt: skip
        await service.answer(incident.id, "port", 1, 0, ME)
        await service.answer(incident.id, "port", 0, 0, ME)
        assert [d for w, d in shown.calls if w == "answer"] == ["it is up", "open it"]
        # Run again: while it runs, the message shows the items before a run
        # (Running carries no record): the same position names the same question.
        await service.store.start_run(
            "step", incident.id, key="port", actor="U2", request_id="r9", params={}
        )
        await service.answer(incident.id, "port", 1, 0, ME)
        assert [d for w, d in shown.calls if w == "answer"][-1] == "it is up"
    finally:
        store.close()
