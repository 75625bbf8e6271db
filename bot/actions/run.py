"""Carrying an action out, step by step, reporting progress as it goes:
the action's type (bot.actions.registry) does the work, within the action's
deadline; boto3 calls run off the event loop.

Every run is journalled: its work row is claimed first (one action per
incident at a time, decided by the database, so across replicas), then an
audit record "started" (with its parameters) is written before the first
AWS call, what is learnt on the way (the desired count before scaling to 0)
is added before the call that changes anything, and the work is finished
after. A process killed halfway leaves the work unfinished: start-up repair
(bot.slack.recovery) says so in the thread, and the same action run again
picks up from the journal.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from bot.actions.registry import ACTION_TYPES
from bot.actions.types import (
    ActionBase,
    ActionFailed,
    Call,
    Execution,
    Plan,
    Progress,
    invoke,
    read_state,
)
from bot.checks.context import AwsSettings
from bot.store import Store

__all__ = ["ActionFailed", "Call", "Journal", "Progress", "carry_out", "invoke", "read_state"]


@dataclass
class Journal:
    """Where a run is recorded before and after it acts."""

    store: Store
    incident_id: int
    actor: str
    request_id: str
    params: dict[str, Any]  # as the audit log shows them
    message_ts: str | None = None  # the run's progress message in the thread
    work_id: int | None = None
    # What an interrupted run of this action had noted (read by `claim`).
    resumed: dict[str, Any] = field(default_factory=dict)

    async def claim(self, action_id: str) -> bool:
        """Record the run as the incident's one action under way: False
        (nothing recorded) while another action on it is unfinished and its
        process alive, in this replica or any other. Its work row keeps the
        action's id as key: what repair and a rerun look it up by."""
        # Read before the claim: the run's own row, the latest, would hide it.
        self.resumed = await self.interrupted(action_id)
        self.work_id = await self.store.start_exclusive(
            "action", self.incident_id, key=action_id, actor=self.actor,
            request_id=self.request_id, params=self.params,
        )  # fmt: skip
        return self.work_id is not None

    async def started(self) -> None:
        """Audited "started" (and where its progress is shown), before the
        first AWS call; the run must have been claimed."""
        if self.work_id is None:
            raise RuntimeError("an action's journal is claimed before it is started")
        if self.message_ts is not None:
            await self.store.note_work(self.work_id, {"message_ts": self.message_ts})
        await self.store.audit(
            actor=self.actor, action="run_action", outcome="started",
            request_id=self.request_id, incident_id=self.incident_id, params=self.params,
        )  # fmt: skip

    async def note(self, values: dict[str, Any]) -> None:
        if self.work_id is not None:
            await self.store.note_work(self.work_id, values)

    async def finished(self, outcome: str) -> None:
        if self.work_id is not None:
            await self.store.finish_work(self.work_id, outcome)

    async def interrupted(self, action_id: str) -> dict[str, Any]:
        """What an interrupted run of this action noted before it stopped."""
        work = await self.store.last_unfinished("action", self.incident_id, action_id)
        return dict(work.params) if work is not None else {}


async def _no_journal(values: dict[str, Any]) -> None:
    return None


async def carry_out(
    action: ActionBase,
    plan: Plan,
    settings: AwsSettings,
    progress: Progress,
    journal: Journal | None = None,
) -> str:
    """Run the plan; returns the outcome in words or raises ActionFailed.
    A journal, if given, has been claimed (Journal.claim)."""
    if journal is not None:
        await journal.started()
    run = Execution(
        settings, progress, note=journal.note if journal else _no_journal,
        resumed=journal.resumed if journal else {},
    )  # fmt: skip
    try:
        async with asyncio.timeout(action.timeout):
            outcome = await ACTION_TYPES[action.type].execute(action, plan, run)
    except (ActionFailed, TimeoutError) as exc:
        if journal is not None:
            await journal.finished(f"failed: {exc}")
        raise
    if journal is not None:
        await journal.finished(outcome)
    return outcome
