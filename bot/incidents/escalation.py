"""Escalation actions, decided here for every front end: who may (the
action's and the site's allow lists, user groups), what exactly (the plan,
filled in with the run's findings), confirm, approve, run once, and an
audit record for every attempt, written before anything is changed.

Each method returns None when it went ahead, or the reason it refused, for
the front end to tell the person who clicked (and no one else). A refusal
makes no AWS call. What to show goes to an ActionPresenter; the front end
keeps its dialogs and its rendering, nothing else.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from bot.actions.plan import Plan, plan_for
from bot.actions.policy import Policy, policy_for
from bot.actions.run import ActionFailed, Journal, carry_out, read_state
from bot.engine.records import read_across
from bot.incidents import views
from bot.incidents.service import Actor, IncidentService
from bot.runbooks.actions import Action, Allow
from bot.runbooks.templates import TemplateError
from bot.store import Approval, Incident


@dataclass(frozen=True, kw_only=True)
class Confirmation:
    """What the person is asked to confirm: the plan and the state now."""

    action: Action
    plan: Plan
    state: dict[str, Any] | None = None
    error: str | None = None  # why the state could not be read


@dataclass(frozen=True, kw_only=True)
class ActionRun:
    """One run of an action as shown while it goes (or, `dry_run`, what it
    would call): `outcome` None while it runs."""

    plan: Plan
    by: str
    approved_by: str | None = None
    lines: tuple[str, ...] = ()
    dry_run: bool = False
    outcome: str | None = None
    failed: bool = False


class ActionPresenter(Protocol):
    """How a front end shows escalation actions. As with Presenter, `at`
    is where it put a message (an opaque reference) handed back to edit it;
    `reply_to` is where to ask the person who clicked (Slack: a trigger id)."""

    async def confirmation(
        self, incident: Incident, asked: Confirmation, *, reply_to: str
    ) -> None: ...

    async def approval_asked(self, incident: Incident, plan: Plan, approval: Approval) -> str: ...

    async def approval_decided(
        self, incident: Incident, plan: Plan, approval: Approval, *, verdict: str, by: str, at: str
    ) -> None: ...

    async def action(self, incident: Incident, run: ActionRun, *, at: str | None) -> str: ...


class Directory(Protocol):
    """Who is in a user group (a front end's own directory)."""

    async def members(self, group: str) -> frozenset[str]: ...


class EscalationActions:
    def __init__(
        self,
        incidents: IncidentService,
        presenter: ActionPresenter,
        directory: Directory,
        site_allow: dict[str, Allow],
    ) -> None:
        self.incidents = incidents
        self.presenter = presenter
        self.directory = directory
        self.site_allow = site_allow

    async def ask(
        self, incident_id: int, action_id: str, actor: Actor, reply_to: str
    ) -> str | None:
        """Ask the person to confirm, with the state read just now."""
        found = await self._allowed(incident_id, action_id, actor, "ask")
        if isinstance(found, str):
            return found
        incident, action, plan = found
        asked = Confirmation(action=action, plan=plan, error="dry run: the state is not read")
        if not incident.dry_run:
            state, error = await self._state(plan)
            asked = replace(asked, state=state, error=error)
        await self.presenter.confirmation(incident, asked, reply_to=reply_to)
        return None

    async def confirm(self, incident_id: int, action_id: str, actor: Actor) -> str | None:
        """Confirmed: run now, or ask a second person."""
        found = await self._allowed(incident_id, action_id, actor, "confirm")
        if isinstance(found, str):
            return found
        incident, action, plan = found
        if incident.dry_run:
            await self._describe(incident, plan, actor)
            return None
        if not action.approval:
            return await self._run(incident, action, plan, actor, approved_by=None)
        store = self.incidents.store
        approval = await store.request_approval(
            incident.id, action.id, requester=actor.user, ttl=action.approval_ttl
        )
        at = await self.presenter.approval_asked(incident, plan, approval)
        await store.set_approval_message(approval.id, at)
        await self._audit(actor, "request_approval", incident, plan, "pending")
        return None

    async def decide(self, approval_id: int, actor: Actor, *, approve: bool) -> str | None:
        store = self.incidents.store
        try:
            approval = await store.approval(approval_id)
        except KeyError:
            return await self.refused(actor, "approve", "no such approval request", r=approval_id)
        found = await self._allowed(approval.incident_id, approval.action_id, actor, "approve")
        if isinstance(found, str):
            return found
        incident, action, plan = found
        refusal = _approval_refusal(approval, actor)
        if refusal:
            await self._audit(actor, "approve", incident, plan, f"refused: {refusal}")
            return refusal
        verdict = "approved" if approve else "rejected"
        # One decision: of two people (or replicas) deciding at once, the
        # database lets one through.
        if not await store.decide(approval_id, status=verdict, by=actor.user):
            await self._audit(
                actor, "approve", incident, plan, "refused: decided by someone else first"
            )
            return "Someone else decided on this request first."
        await self._audit(actor, verdict, incident, plan, verdict)
        if approval.message_ts:
            await self.presenter.approval_decided(
                incident, plan, approval, verdict=verdict, by=actor.user, at=approval.message_ts
            )
        if approve:
            requester = Actor(approval.requester, actor.request_id)
            return await self._run(incident, action, plan, requester, approved_by=actor.user)
        return None

    async def _describe(self, incident: Incident, plan: Plan, actor: Actor) -> None:
        """Dry-run mode: say exactly what would be called, call nothing."""
        lines = tuple(f"would call {c.text()}" for c in plan.calls)
        run = ActionRun(plan=plan, by=actor.user, lines=lines, dry_run=True)
        await self.presenter.action(incident, run, at=None)
        await self._audit(actor, "dry_run_action", incident, plan, "described")

    async def _run(
        self, incident: Incident, action: Action, plan: Plan, actor: Actor, *,
        approved_by: str | None,
    ) -> str | None:  # fmt: skip
        """Runs the action unless one already runs for this incident (two
        dialogs, two approvals, a replay, two people on two replicas): one
        change at a time, refused and audited otherwise. The database
        decides (Journal.claim), before anything is shown or called; no
        set in memory, which one replica's clicks alone would see."""
        journal = Journal(
            self.incidents.store, incident.id, actor.user, actor.request_id,
            plan.audit_params(approved_by),
        )  # fmt: skip
        if not await journal.claim(action.id):
            await self._audit(actor, "run_action", incident, plan, "refused: already running")
            return "An action is already running for this incident; wait for it to finish."
        try:
            await self._run_once(incident, action, plan, actor, journal, approved_by=approved_by)
        except Exception:
            # Not left "running" (it would refuse every later action on the
            # incident while this replica lives): finished as interrupted, so
            # the same action run again picks up from what it noted. The
            # error still propagates (its unit tells the person).
            with contextlib.suppress(Exception):
                await journal.finished("interrupted")
            raise
        return None

    async def _run_once(
        self, incident: Incident, action: Action, plan: Plan, actor: Actor, journal: Journal,
        *, approved_by: str | None,
    ) -> None:  # fmt: skip
        run = ActionRun(plan=plan, by=actor.user, approved_by=approved_by)
        shown = _Shown(self.presenter, incident, run)
        # The journal notes where the run is shown and audits "started"
        # before the first call (what a rerun after a crash picks up from).
        journal.message_ts = await shown.start()
        try:
            outcome = await carry_out(
                action, plan, self.incidents.settings.aws, shown.line, journal
            )
        except (ActionFailed, TimeoutError) as exc:
            failed = str(exc) or f"no result within {action.timeout:g} s"
            await self._audit(
                actor, "run_action", incident, plan, f"failed: {failed}", approved_by=approved_by
            )
            await shown.end(failed, failed=True)
        else:
            await self._audit(actor, "run_action", incident, plan, outcome, approved_by=approved_by)
            await shown.end(outcome)
        await self.incidents.refresh_header(incident.id)

    async def _allowed(
        self, incident_id: int, action_id: str, actor: Actor, stage: str
    ) -> tuple[Incident, Action, Plan] | str:
        """The incident, action and plan, if this person may; else why not
        (audited either way a refusal happens)."""
        try:
            incident = await self.incidents.store.incident(incident_id)
        except KeyError:
            await self.refused(actor, stage, "no such incident", i=incident_id, s=action_id)
            return "This incident no longer exists."
        ids: dict[str, object] = {"i": incident.id, "s": action_id}
        action = self._action(incident, action_id)
        if action is None:
            return await self.refused(
                actor, stage, f"No action {action_id!r} for {incident.target}.", **ids
            )
        if incident.status != "open":
            return await self.refused(actor, stage, "This incident is resolved.", **ids)
        try:
            plan = plan_for(action, await self.scope(incident))
        except TemplateError as exc:
            return await self.refused(
                actor, stage, f"Cannot fill in {action.title!r} for {incident.target}: {exc}",
                **ids,
            )  # fmt: skip
        if not await self.may(actor.user, policy_for(action, self.site_allow.get(action.id))):
            await self._audit(actor, stage, incident, plan, "refused: not allowed")
            return f"You may not run {action.title!r} (not on its allow list); this is audited."
        return incident, action, plan

    def _action(self, incident: Incident, action_id: str) -> Action | None:
        """The runbook's action of that id, if it applies to this target."""
        escalation = self.incidents.catalogue.bindings[incident.runbook].runbook.escalation
        action = next(
            (a for a in (escalation.actions if escalation else []) if a.id == action_id), None
        )
        if action is None or (action.targets is not None and incident.target not in action.targets):
            return None
        return action

    async def scope(self, incident: Incident) -> dict[str, Any]:
        """The incident's scope with its findings: an action's templates may
        read any step's checks (`checks.<id>...`), as its escalation's
        manual items do."""
        binding = self.incidents.catalogue.bindings[incident.runbook]
        runs = views.records(await self.incidents.store.latest_runs(incident.id))
        checks = read_across(runs.values())
        return binding.scope(incident.target, alert=incident.alert, checks=checks)

    async def may(self, user: str, policy: Policy) -> bool:
        """Whether `user` is on `policy`, by id or by a user group."""
        if policy.nobody:
            return False
        groups = {g for g in policy.groups if user in await self.directory.members(g)}
        return policy.allows(user, groups)

    async def _state(self, plan: Plan) -> tuple[dict[str, Any] | None, str | None]:
        try:
            return await read_state(plan, self.incidents.settings.aws), None
        except ActionFailed as exc:
            return None, str(exc)

    async def refused(self, actor: Actor, stage: str, reason: str, **ids: object) -> str:
        """Audits a refusal that has no plan (a bad value, an unknown id, a
        replay) and returns the reason, to tell the person who clicked."""
        incident_id = ids.get("i")
        await self.incidents.store.audit(
            actor=actor.user,
            action=stage,
            outcome=f"refused: {reason}",
            request_id=actor.request_id,
            incident_id=incident_id if isinstance(incident_id, int) else None,
            params={k: v for k, v in ids.items() if v is not None},
        )
        return reason

    async def _audit(
        self, actor: Actor, action: str, incident: Incident, plan: Plan, outcome: str, *,
        approved_by: str | None = None,
    ) -> None:  # fmt: skip
        await self.incidents.store.audit(
            actor=actor.user, action=action, outcome=outcome, request_id=actor.request_id,
            incident_id=incident.id, params=plan.audit_params(approved_by),
        )  # fmt: skip


def _approval_refusal(approval: Approval, actor: Actor) -> str | None:
    if actor.user == approval.requester:
        return "You asked for this change; someone else must approve it."
    if approval.status != "pending":
        return f"This request is already {approval.status}."
    if time.time() > approval.expires_at:
        return "This approval request has expired; ask again."
    return None


@dataclass
class _Shown:
    """A run's message, kept current as the run reports lines."""

    presenter: ActionPresenter
    incident: Incident
    run: ActionRun
    at: str | None = field(default=None)

    async def start(self) -> str:
        self.at = await self.presenter.action(self.incident, self.run, at=None)
        return self.at

    async def line(self, line: str) -> None:
        self.run = replace(self.run, lines=(*self.run.lines, line))
        await self.presenter.action(self.incident, self.run, at=self.at)

    async def end(self, outcome: str, *, failed: bool = False) -> None:
        self.run = replace(self.run, outcome=outcome, failed=failed)
        await self.presenter.action(self.incident, self.run, at=self.at)
