"""The incident service with no Slack at all: a presenter that records what
it is told to show. What it decides and records (store, audit, work) is the
same for every front end; Slack is one presenter of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.engine.records import StepRecord
from bot.engine.results import RunResult
from bot.engine.site_settings import settings
from bot.incidents.presenter import Pending, Ran, Running, Skipped, StepState
from bot.incidents.service import Actor, IncidentService
from bot.incidents.views import EscalationView, Progress, StepView, TargetView
from bot.runbooks.binding import Binding
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.loader import load_site
from bot.store import Incident, SqliteStore
from tests.peers.mail import Peer

RUNBOOK = """
id: reach
title: Reach the service
summary: A runbook with one check and one question.
targets:
  svc:
    title: The service
    impact: Nobody can use it.
    host: 127.0.0.1
    port: {port}
steps:
  - id: port
    title: Does the port answer?
    checks:
      - id: tcp
        title: TCP connect
        type: tcp
        host: "{{{{ target.host }}}}"
        port: "{{{{ target.port }}}}"
  - id: ask
    title: Ask
    manual:
      - ask: Is it up?
        answers:
          - {{label: "Yes", say: "it is up"}}
escalation:
  why: Still broken.
"""


@dataclass
class Shown:
    """Every call, in order, as (what, detail); message references are m1, m2..."""

    calls: list[tuple[str, Any]] = field(default_factory=list)
    posted: int = 0
    so_far: list[StepRecord] = field(default_factory=list)  # partial records shown running

    def at(self, at: str | None) -> str:
        if at is not None:
            return at
        self.posted += 1
        return f"m{self.posted - 1}"

    async def header(
        self, incident: Incident, target: TargetView, progress: Progress, *, at: str | None
    ) -> str:
        self.calls.append(("header", (at, progress.running, progress.failing)))
        return self.at(at)

    async def step(
        self, incident: Incident, view: StepView, state: StepState, *, at: str | None
    ) -> str:
        self.calls.append(("step", (view.id, type(state).__name__, at)))
        if isinstance(state, Ran):
            self.calls.append(("ran", state.record))
        if isinstance(state, Running) and state.so_far is not None:
            self.so_far.append(state.so_far)
        return self.at(at)

    async def run_all_summary(self, incident: Incident, result: RunResult, *, by: str) -> None:
        self.calls.append(("run_all", result.status))

    async def escalation(self, incident: Incident, view: EscalationView) -> str:
        self.calls.append(("escalation", view.why))
        return self.at(None)

    async def answer(self, incident: Incident, *, by: str, label: str, say: str) -> None:
        self.calls.append(("answer", say))

    async def resolved(self, incident: Incident, *, by: str) -> None:
        self.calls.append(("resolved", by))

    async def file(self, incident: Incident, *, filename: str, content: str, title: str) -> None:
        self.calls.append(("file", filename))

    async def charts(self, incident: Incident, record: StepRecord, binding: Binding) -> None:
        self.calls.append(("charts", record.id))

    def names(self) -> list[str]:
        return [what for what, _ in self.calls]


@pytest.fixture
def service(tmp_path: Path, closed_port: Peer) -> Any:
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "reach.yaml").write_text(RUNBOOK.format(port=closed_port.port))
    site = load_site(None, [])
    catalogue = Catalogue.load([tmp_path / "runbooks"], site)
    store = SqliteStore(tmp_path / "t.db")
    shown = Shown()
    yield IncidentService(catalogue, store, shown, settings(site)), shown
    store.close()


ME = Actor("U1", "r1")


async def test_open_shows_the_header_and_first_step_and_keeps_where(service: Any) -> None:
    incidents, shown = service
    incident = await incidents.open(channel="C1", target="svc", runbook="reach", actor=ME)
    assert shown.calls == [("header", (None, False, [])), ("step", ("port", "Pending", None))]
    assert incident.thread_ts == "m0"  # the header opens the thread
    assert incident.step_messages == {"header": "m0", "port": "m1"}
    audit = incidents.store.sync.audit_log(incident_id=incident.id)
    assert [r.action for r in audit] == ["open"]


async def test_a_step_runs_shows_running_then_findings_then_charts(service: Any) -> None:
    incidents, shown = service
    incident = await incidents.open(channel="C1", target="svc", runbook="reach", actor=ME)
    shown.calls.clear()
    await incidents.run_step(incident.id, "port", ME)
    # The closed port answers at once: no edit is spent on "running" or on
    # the finding so far (streaming.GRACE_S, SETTLE_S), the findings come
    # straight away (a slow check's are streamed: tests/slack/test_streaming.py).
    assert shown.names() == ["step", "ran", "header", "charts"]
    assert [d for w, d in shown.calls if w == "step"] == [("port", "Ran", "m1")]
    record = next(d for w, d in shown.calls if w == "ran")
    assert record.status == "fail" and record.failing[0].id == "tcp"
    # The header is drawn from the same record, read back from the store.
    assert shown.calls[2] == ("header", ("m0", False, ["port/tcp"]))
    (work,) = incidents.store.sync.unfinished_work() or [None]
    assert work is None  # the run's work claim is finished


async def test_an_unattended_triage_shows_running_then_findings_then_charts(
    service: Any,
) -> None:
    """Alerts' path: opened without being shown; the triage shows it."""
    incidents, shown = service
    incident = await incidents.open(
        channel="C1", target="svc", runbook="reach", actor=Actor("alert:kuma", ""),
        thread_ts="1.5", unattended=True,
    )  # fmt: skip
    assert shown.calls == []
    status = await incidents.triage(incident)
    assert status == "fail"
    assert shown.calls[0] == ("header", (None, True, []))
    assert shown.calls[1] == ("header", ("m0", False, ["port/tcp"]))
    assert shown.names()[2:] == ["charts", "charts"]  # after the findings, one per step
    after = await incidents.store.incident(incident.id)
    assert after.thread_ts == "1.5" and after.step_messages == {"header": "m0"}
    audit = incidents.store.sync.audit_log(incident_id=incident.id)
    assert [(r.actor, r.action, r.outcome) for r in audit] == [
        ("alert:kuma", "auto_triage", "fail")
    ]


async def test_skip_answer_escalate_and_resolve_each_show_one_thing(service: Any) -> None:
    incidents, shown = service
    incident = await incidents.open(channel="C1", target="svc", runbook="reach", actor=ME)
    shown.calls.clear()
    await incidents.skip(incident.id, "port", ME)
    assert shown.calls == [("step", ("port", "Skipped", "m1")), ("step", ("ask", "Pending", None))]
    await incidents.answer(incident.id, "ask", 0, 0, ME)
    with pytest.raises(LookupError):
        await incidents.answer(incident.id, "ask", 0, 3, ME)
    await incidents.next(incident.id, "ask", ME)
    await incidents.next(incident.id, "ask", ME)  # the escalation is shown once
    await incidents.resolve(incident.id, ME)
    assert shown.names()[2:] == ["answer", "escalation", "resolved", "header", "file"]
    assert shown.calls[-1] == ("file", f"incident-{incident.id}-postmortem.md")
    assert isinstance(Pending(), Pending) and isinstance(Skipped("U1"), Skipped)
    assert isinstance(Running(), Running)
