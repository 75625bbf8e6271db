"""One action at a time per incident across replicas: two "replicas" (each
an IncidentService and its EscalationActions on a PostgreSQL pool of its
own, so two owners) share one database, and people confirm (or approve)
actions on one incident on both at once. The database decides: one runs
against (moto's) ECS, the other is refused, audited, and calls nothing.

A proxy in front of moto (tests/faults/gate.py) lets the winning run
through its first change (scale to 0), then holds it there: the second
attempt is decided while the first is halfway, as a person on another
replica would find it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.engine.site_settings import settings
from bot.incidents.escalation import EscalationActions
from bot.incidents.service import Actor, IncidentService
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.loader import load_site
from bot.store.postgres import PostgresStore
from tests.faults.gate import Gate, gate_before
from tests.incidents.test_escalation import ShownActions
from tests.incidents.test_service import Shown
from tests.peers.aws import REGION, MotoPeer, ecs_service
from tests.peers.mail import Peer
from tests.store import pg

RUNBOOKS = Path(__file__).parents[2] / "runbooks"
ONE, TWO = Actor("U1", "r1"), Actor("U3", "r2")
REFUSED = "An action is already running for this incident; wait for it to finish."
UPDATE = "AmazonEC2ContainerServiceV20141113.UpdateService"


@dataclass
class Replica:
    store: PostgresStore
    incidents: IncidentService
    escalation: EscalationActions
    shown: ShownActions

    def progress(self) -> list[object]:
        """The action messages this replica showed (a run's progress)."""
        return [run for what, run in self.shown.calls if what == "action"]


@pytest.fixture
def gate(aws_env: MotoPeer) -> Iterator[Gate]:
    ecs_service("mail", "cabal-smtp-in", desired=1, running=1, events=["ok"])
    with gate_before(aws_env.url, "UpdateService") as held:
        yield held


@pytest.fixture
async def replicas(gate: Gate, closed_port: Peer) -> AsyncIterator[tuple[Replica, Replica]]:
    site = load_site(None, [
        f"targets.smtp-relay.host={closed_port.host}",
        f"targets.smtp-relay.port={closed_port.port}",
        f"vars.region={REGION}", "vars.cluster=mail", f"aws.endpoint_url={gate.url}",
        "aws.read_timeout=30",  # a run held at the gate waits, rather than failing
        "actions.restart-service.users=[U1, U3]", "actions.force-new-deployment.users=[U1, U3]",
    ])  # fmt: skip
    with pg.fresh_schema() as url:
        made: list[Replica] = []
        try:
            for _ in range(2):
                store = PostgresStore(url, min_size=1, max_size=4)
                await store.connect()
                incidents = IncidentService(
                    Catalogue.load([RUNBOOKS], site), store, Shown(), settings(site)
                )
                shown = ShownActions()
                escalation = EscalationActions(incidents, shown, shown, site.actions)
                made.append(Replica(store, incidents, escalation, shown))
            yield made[0], made[1]
        finally:
            for replica in made:
                await replica.store.aclose()


async def held(gate: Gate, deadline_s: float = 20.0) -> None:
    """Until a run is held at the gate, past its first change."""
    deadline = time.monotonic() + deadline_s
    while not gate.held:
        assert time.monotonic() < deadline, f"no run reached the gate: {gate.seen}"
        await asyncio.sleep(0.02)


async def test_two_replicas_confirming_at_once_run_one_action_and_refuse_the_other(
    replicas: tuple[Replica, Replica], gate: Gate
) -> None:
    a, b = replicas
    incident = await a.incidents.open(
        channel="C1", target="smtp-relay", runbook="probe-failure", actor=ONE
    )
    both = [
        asyncio.create_task(a.escalation.confirm(incident.id, "restart-service", ONE)),
        asyncio.create_task(b.escalation.confirm(incident.id, "restart-service", TWO)),
    ]
    # The loser is answered while the winner is held halfway; before the
    # fix both ran, and neither answered until the gate opened.
    decided, _ = await asyncio.wait(both, timeout=20, return_when=asyncio.FIRST_COMPLETED)
    gate.release()
    answers = await asyncio.gather(*both)

    assert decided, "no replica answered while the other's action ran"
    assert sorted(answers, key=str) == [REFUSED, None]
    winner, loser = (a, b) if answers[0] is None else (b, a)
    assert gate.seen.count(UPDATE) == 2  # one restart: to 0 and back, nothing more
    assert not loser.progress()  # refused before anything was shown or called
    assert "restarted" in str(winner.progress()[-1])
    audit = await a.store.audit_log(incident_id=incident.id)
    runs = [(r.actor, r.outcome) for r in audit if r.action == "run_action"]
    refused_by = (TWO if loser is b else ONE).user
    assert (refused_by, "refused: already running") in runs
    assert [o for _, o in runs if o == "started"] == ["started"]
    assert len([o for _, o in runs if o.startswith("restarted")]) == 1

    # Finished: the incident takes another action, on either replica.
    assert await loser.escalation.confirm(incident.id, "restart-service", ONE) is None
    assert gate.seen.count(UPDATE) == 4


async def test_an_approval_on_one_replica_is_refused_while_another_runs_an_action(
    replicas: tuple[Replica, Replica], gate: Gate
) -> None:
    a, b = replicas
    incident = await a.incidents.open(
        channel="C1", target="smtp-relay", runbook="probe-failure", actor=ONE
    )
    assert await b.escalation.confirm(incident.id, "force-new-deployment", ONE) is None
    (approval_id,) = [ask[1] for what, ask in b.shown.calls if what == "approval_asked"]
    running = asyncio.create_task(a.escalation.confirm(incident.id, "restart-service", ONE))
    await held(gate)  # replica a's restart has scaled to 0 and waits
    deciding = asyncio.create_task(b.escalation.decide(approval_id, TWO, approve=True))
    # Refused at once; before the fix it ran, its own change held at the gate.
    decided, _ = await asyncio.wait([deciding], timeout=20)
    gate.release()
    answer = await deciding
    assert await running is None

    assert decided, "the approval was not answered while the other replica's action ran"
    assert answer == REFUSED
    assert gate.seen.count(UPDATE) == 2  # the restart's two; no forced deployment
    audit = await b.store.audit_log(incident_id=incident.id)
    runs = [(r.actor, r.outcome, r.params.get("service")) for r in audit]
    # Run as its requester (U1), refused as such: the approver is in the params.
    assert ("U1", "refused: already running", "cabal-smtp-in") in runs
