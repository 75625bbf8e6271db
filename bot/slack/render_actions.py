"""Block Kit for escalation actions: the confirmation dialog, the approval
request, progress and outcome. Pure functions, like render.py."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, SectionBlock
from slack_sdk.models.blocks.basic_components import MarkdownTextObject

from bot.actions.plan import Plan
from bot.slack.limits import MODAL_LABEL_MAX, SECTION_TEXT_MAX
from bot.slack.mrkdwn import cut, cut_plain, escape, mention
from bot.slack.payloads import CONFIRM_VIEW, Act, ButtonValue
from bot.slack.render import Blocks

Modal = dict[str, Any]


def confirm_view(
    plan: Plan, state: dict[str, Any] | None, state_error: str | None, value: ButtonValue
) -> Modal:
    """The dialog shown before anything changes: the calls, the state now
    and the state it will set."""
    blocks: list[Block] = [
        _md(f"*{escape(plan.title)}*"),
        _md(
            "*Now:* "
            + (
                _state(state)
                if state is not None
                else f"could not read it ({escape(state_error or '?')})"
            )
        ),
        _md("*Calls, in order:*\n" + _calls(plan)),
        _md(f"*Will set:* {escape(plan.sets)}"),
    ]
    if plan.approval:
        blocks.append(_md("A second allowed person must approve before it runs."))
    return {
        "type": "modal",
        "callback_id": CONFIRM_VIEW,
        "private_metadata": value.encode(),
        "title": _label("Confirm the change"),
        "submit": _label("Request approval" if plan.approval else "Run it"),
        "close": _label("Cancel"),
        "blocks": [b.to_dict() for b in blocks],
    }


def approval_blocks(plan: Plan, requester: str, value: ButtonValue, expires: str) -> Blocks:
    buttons = [
        ButtonElement(text="Approve", action_id=Act.APPROVE, value=value.encode(), style="primary"),
        ButtonElement(text="Reject", action_id=Act.REJECT, value=value.encode(), style="danger"),
    ]
    return [
        _md(
            f"🔐 {mention(requester)} asks to run *{escape(plan.title)}*.\n{_calls(plan)}"
        ).to_dict(),
        _md(f"Another allowed person may approve until {expires}.").to_dict(),
        ActionsBlock(block_id=f"approval:{value.request}", elements=buttons).to_dict(),
    ]


def decided_blocks(plan: Plan, requester: str, verdict: str) -> Blocks:
    # `verdict` is ours, built with `mrkdwn.mention` (its mention stays live).
    said = f"🔐 {mention(requester)}'s request to run *{escape(plan.title)}*: {verdict}"
    return [_md(said).to_dict()]


def progress_blocks(plan: Plan, lines: list[str], *, by: str, done: str | None = None) -> Blocks:
    """`by` is ours, built with `mrkdwn.mention` (mentions stay live);
    `lines` and `done` may quote AWS."""
    head = f"⚙️ *{escape(plan.title)}*" + (f": {escape(done)}" if done else "")
    body = "\n".join(f"• {escape(line)}" for line in lines)
    body = f"{by}\n{body}" if body else by
    return [_md(f"{head}\n{body}").to_dict()]


def _state(state: dict[str, Any]) -> str:
    if {"running", "desired"} <= state.keys():
        said = f"running {state['running']} of desired {state['desired']} ({state.get('status')})"
        return escape(said)
    return f"`{cut(escape(json.dumps(state, default=str)), 500)}`"


def _calls(plan: Plan) -> str:
    """The calls in a code block; their arguments may hold outside text."""
    return "```" + cut(escape("\n".join(c.text() for c in plan.calls)), 2000) + "```"


def _label(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": cut_plain(text, MODAL_LABEL_MAX)}


def _md(text: str) -> SectionBlock:
    """`text` is mrkdwn the caller escaped."""
    return SectionBlock(text=MarkdownTextObject(text=cut(text, SECTION_TEXT_MAX)))
