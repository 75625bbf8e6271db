"""Escalation actions decided in the core (bot.incidents.escalation), with
no Slack at all: presenters that record. docs/examples/ecs-tiers.yaml is
the fixture: its escalation's manual item and action read the run's
findings (`checks.tier.result.name`), read back from the stored records.
And a step's manual items after it ran: filled from its checks, with the
answer buttons' question index counted over the list the message showed."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.actions.plan import Plan
from bot.actions.types import Allow
from bot.checks.context import RunContext
from bot.checks.params import Params
from bot.checks.result import CheckResult
from bot.engine.runner import Engine, OnCheck
from bot.engine.site_settings import settings
from bot.incidents.escalation import ActionRun, Confirmation, EscalationActions
from bot.incidents.service import Actor, IncidentService
from bot.incidents.views import EscalationView
from bot.runbooks.binding import Binding
from bot.runbooks.catalogue import Catalogue
from bot.runbooks.checkdefs import CheckDef
from bot.runbooks.loader import load_site
from bot.store import Approval, Incident, SqliteStore
from tests.incidents.test_service import Shown

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
ME, HER, STRANGER = Actor("U1", "r1"), Actor("U3", "r2"), Actor("U9", "r3")
# `worker` is short of tasks; its last task stopped, and says why.
REASON = "OutOfMemoryError: Container killed due to memory usage"


async def ecs(check: CheckDef, params: Params, ctx: RunContext) -> CheckResult:
    """The execute seam for ecs-tiers' checks: what ECS would answer."""
    asked = params.model_dump()["params"]
    if check.id.startswith("tier-"):  # its for_each runs: tier-web, tier-worker, ...
        name = asked["services"][0]
        state = {"name": name, "running": 0 if name == "worker" else 2, "desired": 2}
        if state["running"] < state["desired"]:
            return CheckResult.failed(f"{name} runs 0 of 2", result=state)
        return CheckResult.passed(f"{name} runs 2 of 2", result=state)
    if check.id == "stopped":
        assert asked["serviceName"] == "worker"  # the drill-down read the failing tier
        return CheckResult.failed("1 stopped task", result=["arn:aws:ecs:task/app/abc"])
    return CheckResult.passed("read its reason", result=REASON)


class SeamService(IncidentService):
    """The service with its checks' calls answered by `ecs` (streaming kept)."""

    def engine_for(
        self, binding: Binding, incident: Incident | None = None, *, also: OnCheck | None = None
    ) -> Engine:
        return Engine(binding, settings=self.settings, on_check=also, execute=ecs)


@dataclass
class Views(Shown):
    """Shown, keeping the views themselves."""

    views: list[Any] = field(default_factory=list)

    async def escalation(self, incident: Incident, view: EscalationView) -> str:
        self.views.append(view)
        return await super().escalation(incident, view)


@dataclass
class ShownActions:
    """ActionPresenter and Directory: records; group S1 is U3 alone."""

    calls: list[tuple[str, Any]] = field(default_factory=list)

    async def confirmation(self, incident: Incident, asked: Confirmation, *, reply_to: str) -> None:
        self.calls.append(("confirmation", (asked, reply_to)))

    async def approval_asked(self, incident: Incident, plan: Plan, approval: Approval) -> str:
        self.calls.append(("approval_asked", (approval.requester, approval.id)))
        return "a1"

    async def approval_decided(
        self, incident: Incident, plan: Plan, approval: Approval, *, verdict: str, by: str, at: str
    ) -> None:
        self.calls.append(("approval_decided", (verdict, by, at)))

    async def action(self, incident: Incident, run: ActionRun, *, at: str | None) -> str:
        self.calls.append(("action", run))
        return at or "p1"

    async def members(self, group: str) -> frozenset[str]:
        return frozenset({"U3"}) if group == "S1" else frozenset()


@pytest.fixture
def tiers(tmp_path: Path) -> Any:
    (tmp_path / "runbooks").mkdir()
    shutil.copy(EXAMPLES / "ecs-tiers.yaml", tmp_path / "runbooks")
    site = load_site(None, [])
    store = SqliteStore(tmp_path / "t.db")
    shown, actions = Views(), ShownActions()
    service = SeamService(
        Catalogue.load([tmp_path / "runbooks"], site), store, shown, settings(site)
    )
    allow = {"redeploy": Allow(users=["U1"], groups=["S1"])}
    yield service, shown, EscalationActions(service, actions, actions, allow), actions
    store.close()


async def _run_and_escalate(service: IncidentService) -> Incident:
    incident = await service.open(channel="C1", target="app", runbook="ecs-tiers", actor=ME)
    await service.run_all(incident.id, ME)
    await service.escalate(incident.id, ME)
    return await service.store.incident(incident.id)


async def test_the_escalation_shows_its_manual_items_filled_from_the_findings(tiers: Any) -> None:
    service, shown, _, _ = tiers
    await _run_and_escalate(service)
    (view,) = shown.views
    assert [m.say for m in view.manual] == [
        "worker runs 0 of 2 tasks.",
        f"Its last task stopped because: {REASON}",
    ]
    assert view.actions == [("redeploy", "Replace the short service's tasks")]


async def test_an_action_is_planned_from_the_findings_for_allowed_people_only(
    tiers: Any,
) -> None:
    service, _, escalation, actions = tiers
    incident = await _run_and_escalate(service)
    await service.toggle_dry_run(incident.id, ME)  # nothing is called: no AWS here
    refused = await escalation.ask(incident.id, "redeploy", STRANGER, "trigger-1")
    assert refused is not None and "allow list" in refused
    assert await escalation.ask(incident.id, "redeploy", ME, "trigger-2") is None
    ((what, (asked, reply_to)),) = actions.calls
    assert (what, reply_to) == ("confirmation", "trigger-2")
    assert asked.plan.calls[0].params["service"] == "worker"
    assert asked.state is None and asked.error == "dry run: the state is not read"
    assert await escalation.confirm(incident.id, "redeploy", HER) is None  # by her group
    run = actions.calls[-1][1]
    assert run.dry_run and 'service="worker"' in run.lines[0], run.lines
    audit = [(r.actor, r.action, r.outcome) for r in service.store.sync.audit_log()]
    assert ("U9", "ask", "refused: not allowed") in audit
    assert audit[-1] == ("U3", "dry_run_action", "described")


async def test_an_approval_is_decided_once_and_never_by_its_requester(tiers: Any) -> None:
    service, _, escalation, actions = tiers
    incident = await _run_and_escalate(service)
    assert await escalation.confirm(incident.id, "redeploy", ME) is None
    ((what, (requester, request_id)),) = actions.calls
    assert (what, requester) == ("approval_asked", "U1")
    request = await service.store.approval(request_id)
    assert request.message_ts == "a1"  # where the presenter put it, kept
    own = await escalation.decide(request.id, ME, approve=True)
    assert own is not None and "someone else must approve" in own
    assert await escalation.decide(request.id, HER, approve=False) is None
    assert actions.calls[-1] == ("approval_decided", ("rejected", "U3", "a1"))
    again = await escalation.decide(request.id, HER, approve=True)
    assert again == "This request is already rejected."
    audit = [(r.actor, r.action, r.outcome) for r in service.store.sync.audit_log()]
    assert ("U1", "request_approval", "pending") in audit
    assert ("U3", "rejected", "rejected") in audit
    assert not [a for a in audit if a[1] == "run_action"]  # rejected: nothing ran


async def test_an_action_cut_short_by_an_error_holds_up_no_later_action(
    tiers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, _, escalation, actions = tiers
    incident = await _run_and_escalate(service)
    assert await escalation.confirm(incident.id, "redeploy", ME) is None
    (approval_id,) = [ask[1] for what, ask in actions.calls if what == "approval_asked"]

    async def unreachable(*args: object, **kwargs: object) -> str:
        raise ConnectionError("the front end is unreachable")

    monkeypatch.setattr(actions, "action", unreachable)  # fails before any AWS call
    with pytest.raises(ConnectionError):
        await escalation.decide(approval_id, HER, approve=True)
    # Finished, not left running (which would refuse every later action on
    # the incident while this process lives); a rerun picks up from it.
    cut = await service.store.last_unfinished("action", incident.id, "redeploy")
    assert cut is not None and cut.outcome == "interrupted"
    later = await service.store.start_exclusive(
        "action", incident.id, key="redeploy", actor="U1", request_id="r9"
    )
    assert later is not None
