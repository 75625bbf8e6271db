"""Escalation actions in Slack: the confirmation dialog, the approval
request and its buttons, the progress message, and who is in a user group.
What may be done, by whom, and the audit are bot.incidents.escalation's."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from slack_sdk.errors import SlackApiError

from bot.actions.plan import Plan
from bot.incidents.escalation import ActionRun, Confirmation
from bot.slack import render_actions
from bot.slack.mrkdwn import escape, mention
from bot.slack.payloads import ButtonValue
from bot.slack.poster import Poster
from bot.store import Approval, Incident

log = logging.getLogger(__name__)
GROUP_CACHE_S = 60.0


class SlackActions:
    """The ActionPresenter and Directory of bot.incidents.escalation."""

    def __init__(self, poster: Poster) -> None:
        self.poster = poster
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}

    async def confirmation(self, incident: Incident, asked: Confirmation, *, reply_to: str) -> None:
        """The dialog, opened with the clicked button's trigger id."""
        value = ButtonValue(incident=incident.id, step=asked.action.id)
        view = render_actions.confirm_view(asked.plan, asked.state, asked.error, value)
        await self.poster.client.views_open(trigger_id=reply_to, view=view)

    async def approval_asked(self, incident: Incident, plan: Plan, approval: Approval) -> str:
        value = ButtonValue(incident=incident.id, step=approval.action_id, request=approval.id)
        expires = datetime.fromtimestamp(approval.expires_at, UTC).strftime("%H:%M UTC")
        return await self.poster.post(
            incident.channel,
            text=f"Approval asked: {escape(plan.title)}",
            blocks=render_actions.approval_blocks(plan, approval.requester, value, expires),
            thread_ts=incident.thread_ts,
        )

    async def approval_decided(
        self, incident: Incident, plan: Plan, approval: Approval, *, verdict: str, by: str, at: str
    ) -> None:
        blocks = render_actions.decided_blocks(
            plan, approval.requester, f"{verdict} by {mention(by)}"
        )
        await self.poster.update(incident.channel, at, text=verdict, blocks=blocks)

    async def action(self, incident: Incident, run: ActionRun, *, at: str | None) -> str:
        """Posts the run's message, or (`at`) edits it as the run goes."""
        title, done = run.plan.title, _done(run)
        blocks = render_actions.progress_blocks(run.plan, list(run.lines), by=_by(run), done=done)
        if at is None:
            text = f"Dry run: {escape(title)}" if run.dry_run else escape(title)
            return await self.poster.post(
                incident.channel, text=text, blocks=blocks, thread_ts=incident.thread_ts
            )
        await self.poster.update(
            incident.channel, at, text=escape(f"{title}: {done or 'running'}"), blocks=blocks
        )
        return at

    async def members(self, group: str) -> frozenset[str]:
        """A user group's members, cached for a minute (Slack's rate limits)."""
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


def _by(run: ActionRun) -> str:
    if run.dry_run:
        return f"dry run by {mention(run.by)}"
    approved = f", approved by {mention(run.approved_by)}" if run.approved_by else ""
    return f"started by {mention(run.by)}{approved}"


def _done(run: ActionRun) -> str | None:
    if run.dry_run:
        return "🧪 dry run, nothing changed"
    if run.outcome is None:
        return None
    return f"❌ failed: {run.outcome}" if run.failed else f"✅ {run.outcome}"
