"""Escalation actions from Slack: who may, what exactly, confirm, approve,
run, and an audit record for every attempt.

Each method returns None when it went ahead, or the reason it refused, for
the listener to tell the person who clicked (ephemerally). A refusal makes
no AWS call.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.actions.plan import Plan, plan_for
from bot.actions.policy import Policy, policy_for
from bot.actions.run import ActionFailed, Journal, carry_out, read_state
from bot.incidents.service import Actor, IncidentService
from bot.runbooks.actions import Action, Allow
from bot.runbooks.templates import TemplateError
from bot.slack import render_actions
from bot.slack.mrkdwn import escape, mention
from bot.slack.payloads import ButtonValue
from bot.slack.poster import Poster
from bot.store import Incident

log = logging.getLogger(__name__)
GROUP_CACHE_S = 60.0


class EscalationActions:
    def __init__(
        self, incidents: IncidentService, poster: Poster, site_allow: dict[str, Allow]
    ) -> None:
        self.incidents = incidents
        self.poster = poster
        self.site_allow = site_allow
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}
        self._running: set[int] = set()  # incidents with an action under way

    async def ask(
        self, incident_id: int, action_id: str, actor: Actor, trigger_id: str
    ) -> str | None:
        """Open the confirmation dialog, with the state read just now."""
        found = await self._allowed(incident_id, action_id, actor, "ask")
        if isinstance(found, str):
            return found
        incident, action, plan = found
        state: dict[str, Any] | None = None
        error: str | None = "dry run: the state is not read"
        if not incident.dry_run:
            state, error = await self._state(plan)
        value = ButtonValue(incident=incident.id, step=action.id)
        view = render_actions.confirm_view(plan, state, error, value)
        await self.poster.client.views_open(trigger_id=trigger_id, view=view)
        return None

    async def confirm(self, incident_id: int, action_id: str, actor: Actor) -> str | None:
        """The dialog was submitted: run now, or ask a second person."""
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
        value = ButtonValue(incident=incident.id, step=action.id, request=approval.id)
        expires = datetime.fromtimestamp(approval.expires_at, UTC).strftime("%H:%M UTC")
        blocks = render_actions.approval_blocks(plan, actor.user, value, expires)
        ts = await self.poster.post(
            incident.channel,
            text=f"Approval asked: {escape(plan.title)}",
            blocks=blocks,
            thread_ts=incident.thread_ts,
        )
        await store.set_approval_message(approval.id, ts)
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
        refusal = self._approval_refusal(
            approval.requester, approval.expires_at, approval.status, actor
        )
        if refusal:
            await self._audit(actor, "approve", incident, plan, f"refused: {refusal}")
            return refusal
        verdict = "approved" if approve else "rejected"
        if not await store.decide(approval_id, status=verdict, by=actor.user):
            await self._audit(
                actor, "approve", incident, plan, "refused: decided by someone else first"
            )
            return "Someone else decided on this request first."
        await self._audit(actor, verdict, incident, plan, verdict)
        if approval.message_ts:
            blocks = render_actions.decided_blocks(
                plan, approval.requester, f"{verdict} by {mention(actor.user)}"
            )
            await self.poster.update(
                incident.channel, approval.message_ts, text=verdict, blocks=blocks
            )
        if approve:
            requester = Actor(approval.requester, actor.request_id)
            return await self._run(incident, action, plan, requester, approved_by=actor.user)
        return None

    def _approval_refusal(
        self, requester: str, expires_at: float, status: str, actor: Actor
    ) -> str | None:
        if actor.user == requester:
            return "You asked for this change; someone else must approve it."
        if status != "pending":
            return f"This request is already {status}."
        if time.time() > expires_at:
            return "This approval request has expired; ask again."
        return None

    async def _describe(self, incident: Incident, plan: Plan, actor: Actor) -> None:
        """Dry-run mode: say exactly what would be called, call nothing."""
        lines = [f"would call {c.text()}" for c in plan.calls]
        blocks = render_actions.progress_blocks(
            plan, lines, by=f"dry run by {mention(actor.user)}", done="🧪 dry run, nothing changed"
        )
        await self.poster.post(
            incident.channel,
            text=f"Dry run: {escape(plan.title)}",
            blocks=blocks,
            thread_ts=incident.thread_ts,
        )
        await self._audit(actor, "dry_run_action", incident, plan, "described")

    async def _run(
        self,
        incident: Incident,
        action: Action,
        plan: Plan,
        actor: Actor,
        *,
        approved_by: str | None,
    ) -> str | None:
        """Runs the action unless one already runs for this incident (two
        dialogs, two approvals, a replay): one change at a time, refused
        and audited otherwise."""
        if incident.id in self._running:
            await self._audit(actor, "run_action", incident, plan, "refused: already running")
            return "An action is already running for this incident; wait for it to finish."
        self._running.add(incident.id)
        try:
            await self._run_locked(incident, action, plan, actor, approved_by=approved_by)
        finally:
            self._running.discard(incident.id)
        return None

    async def _run_locked(
        self,
        incident: Incident,
        action: Action,
        plan: Plan,
        actor: Actor,
        *,
        approved_by: str | None,
    ) -> None:
        poster, lines = self.poster, list[str]()
        by = f"started by {mention(actor.user)}" + (
            f", approved by {mention(approved_by)}" if approved_by else ""
        )

        async def show(done: str | None = None) -> None:
            blocks = render_actions.progress_blocks(plan, lines, by=by, done=done)
            await poster.update(
                incident.channel,
                ts,
                text=escape(f"{plan.title}: {done or 'running'}"),
                blocks=blocks,
            )

        async def progress(line: str) -> None:
            lines.append(line)
            await show()

        blocks = render_actions.progress_blocks(plan, lines, by=by)
        ts = await poster.post(
            incident.channel, text=escape(plan.title), blocks=blocks, thread_ts=incident.thread_ts
        )
        journal = Journal(
            self.incidents.store, incident.id, actor.user, actor.request_id,
            plan.audit_params(approved_by), message_ts=ts,
        )  # fmt: skip
        try:
            outcome = await carry_out(action, plan, self.incidents.settings.aws, progress, journal)
        except (ActionFailed, TimeoutError) as exc:
            failed = str(exc) or f"no result within {action.timeout:g} s"
            await self._audit(
                actor, "run_action", incident, plan, f"failed: {failed}", approved_by=approved_by
            )
            await show(f"❌ failed: {failed}")
        else:
            await self._audit(actor, "run_action", incident, plan, outcome, approved_by=approved_by)
            await show(f"✅ {outcome}")
        await self.incidents.refresh_header(incident.id)

    async def _allowed(
        self, incident_id: int, action_id: str, actor: Actor, stage: str
    ) -> tuple[Incident, Action, Plan] | str:
        """The incident, action and plan, if this person may; else why not
        (audited either way a refusal happens)."""
        store = self.incidents.store
        try:
            incident = await store.incident(incident_id)
        except KeyError:
            await self.refused(actor, stage, "no such incident", i=incident_id, s=action_id)
            return "This incident no longer exists."
        binding = self.incidents.catalogue.bindings[incident.runbook]
        escalation = binding.runbook.escalation
        action = next(
            (a for a in (escalation.actions if escalation else []) if a.id == action_id), None
        )
        if action is None or (action.targets is not None and incident.target not in action.targets):
            return await self.refused(
                actor, stage, f"No action {action_id!r} for {incident.target}.",
                i=incident.id, s=action_id,
            )  # fmt: skip
        if incident.status != "open":
            return await self.refused(
                actor, stage, "This incident is resolved.", i=incident.id, s=action_id
            )
        try:
            plan = plan_for(action, binding.scope(incident.target, alert=incident.alert))
        except TemplateError as exc:
            return await self.refused(
                actor, stage, f"Cannot fill in {action.title!r} for {incident.target}: {exc}",
                i=incident.id, s=action_id,
            )  # fmt: skip
        policy = policy_for(action, self.site_allow.get(action.id))
        if not await self.may(actor.user, policy):
            await self._audit(actor, stage, incident, plan, "refused: not allowed")
            return f"You may not run {action.title!r} (not on its allow list); this is audited."
        return incident, action, plan

    async def may(self, user: str, policy: Policy) -> bool:
        """Whether `user` is on `policy`, by id or by a user group (cached)."""
        return not policy.nobody and policy.allows(user, await self._groups_of(user, policy.groups))

    async def _groups_of(self, user: str, groups: frozenset[str]) -> set[str]:
        member = set()
        for group in groups:
            if user in await self._members(group):
                member.add(group)
        return member

    async def _members(self, group: str) -> frozenset[str]:
        cached = self._groups.get(group)
        if cached and time.monotonic() - cached[0] < GROUP_CACHE_S:
            return cached[1]
        try:
            response = await self.poster.client.usergroups_users_list(usergroup=group)
            users = frozenset(response.get("users") or [])
        except SlackApiError:
            log.warning("could not list members of user group %s", group, exc_info=True)
            users = frozenset()
        self._groups[group] = (time.monotonic(), users)
        return users

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
        self,
        actor: Actor,
        action: str,
        incident: Incident,
        plan: Plan,
        outcome: str,
        *,
        approved_by: str | None = None,
    ) -> None:
        params: dict[str, Any] = {
            "action": plan.action_id,
            **plan.params,
            "calls": [c.text() for c in plan.calls],
        }
        if approved_by:
            params["approved_by"] = approved_by
        await self.incidents.store.audit(
            actor=actor.user,
            action=action,
            outcome=outcome,
            request_id=actor.request_id,
            incident_id=incident.id,
            params=params,
        )
