"""Block Kit for escalation actions: the confirmation dialog, the approval
request, progress and outcome. Pure functions, like render.py."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, SectionBlock
from slack_sdk.models.blocks.basic_components import MarkdownTextObject

from bot.actions.plan import Plan
from bot.slack.payloads import CONFIRM_VIEW, Act, ButtonValue
from bot.slack.render import SECTION_MAX, Blocks, _cut, _escape

Modal = dict[str, Any]


def confirm_view(
    plan: Plan, state: dict[str, Any] | None, state_error: str | None, value: ButtonValue
) -> Modal:
    """The dialog shown before anything changes: the calls, the state now
    and the state it will set."""
    blocks: list[Block] = [
        _md(f"*{_escape(plan.title)}*"),
        _md(
            "*Now:* "
            + (
                _state(state)
                if state is not None
                else f"could not read it ({_escape(state_error or '?')})"
            )
        ),
        _md("*Calls, in order:*\n```" + "\n".join(c.text() for c in plan.calls) + "```"),
        _md(f"*Will set:* {_escape(plan.sets)}"),
    ]
    if plan.approval:
        blocks.append(_md("A second allowed person must approve before it runs."))
    return {
        "type": "modal",
        "callback_id": CONFIRM_VIEW,
        "private_metadata": value.encode(),
        "title": {"type": "plain_text", "text": "Confirm the change"},
        "submit": {"type": "plain_text", "text": "Request approval" if plan.approval else "Run it"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [b.to_dict() for b in blocks],
    }


def approval_blocks(plan: Plan, requester: str, value: ButtonValue, expires: str) -> Blocks:
    calls = "\n".join(c.text() for c in plan.calls)
    buttons = [
        ButtonElement(text="Approve", action_id=Act.APPROVE, value=value.encode(), style="primary"),
        ButtonElement(text="Reject", action_id=Act.REJECT, value=value.encode(), style="danger"),
    ]
    return [
        _md(f"🔐 <@{requester}> asks to run *{_escape(plan.title)}*.\n```{calls}```").to_dict(),
        _md(f"Another allowed person may approve until {expires}.").to_dict(),
        ActionsBlock(block_id=f"approval:{value.r}", elements=buttons).to_dict(),
    ]


def decided_blocks(plan: Plan, requester: str, verdict: str) -> Blocks:
    return [_md(f"🔐 <@{requester}>'s request to run *{_escape(plan.title)}*: {verdict}").to_dict()]


def progress_blocks(plan: Plan, lines: list[str], *, by: str, done: str | None = None) -> Blocks:
    """`by` is ours (mentions stay live); `lines` and `done` may quote AWS."""
    head = f"⚙️ *{_escape(plan.title)}*" + (f": {_escape(done)}" if done else "")
    body = "\n".join(f"• {_escape(line)}" for line in lines)
    body = f"{by}\n{body}" if body else by
    return [_md(_cut(f"{head}\n{body}", SECTION_MAX)).to_dict()]


def _state(state: dict[str, Any]) -> str:
    if {"running", "desired"} <= state.keys():
        return f"running {state['running']} of desired {state['desired']} ({state.get('status')})"
    return f"`{_escape(json.dumps(state, default=str)[:500])}`"


def _md(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=_cut(text, SECTION_MAX)))
