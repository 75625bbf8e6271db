"""Buttons of the walkthrough, one handler per action id; anything else is
refused and audited (a forged or outdated click is an attempt too)."""

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond

from bot.slack.actions import escalate, walkthrough
from bot.slack.walkthrough import Walkthrough


def register(app: AsyncApp) -> None:
    for act, handler in {**walkthrough.HANDLERS, **escalate.HANDLERS}.items():
        # Answer buttons share a block, so their ids carry a ":<n>" suffix.
        app.action(re.compile(rf"^{re.escape(act.value)}(:\d+)?$"))(handler)
    # Registered last: Bolt runs the first listener that matches.
    app.action(re.compile(r"(?s).*"))(on_unknown)


async def on_unknown(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, respond: AsyncRespond
) -> None:
    await ack()
    wt: Walkthrough = context["walkthrough"]
    action = (body.get("actions") or [{}])[0] or {}
    await wt.store.audit(
        actor=str((body.get("user") or {}).get("id") or "unknown"),
        action="unknown_action",
        outcome="refused: unknown action id",
        request_id=context["request_id"],
        params={"action_id": str(action.get("action_id"))[:200],
                "value": str(action.get("value"))[:200]},
    )  # fmt: skip
    if body.get("response_url"):
        await respond(
            text="This button is not valid any more.",
            response_type="ephemeral",
            replace_original=False,
        )
