"""Block Kit in a terminal: a pure function from the messages the bot posted
(as the Slack stand-in holds them) to text, with every button numbered.

Headers are set off by rules, sections wrap, context lines are indented and
marked with `·`, code is shown as `$ command`, and buttons read
`[1] Run all  [2] Escalate`. Slack's mrkdwn is turned into plain text: no
colours or escapes, so the output is the same on a terminal, in a pipe and in
a snapshot.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.demo.slackapi import Message, Note, SharedFile, View

WIDTH = 100
# A text file (timeline, postmortem) is printed where the thread shows it, up
# to this many lines; the rest is in the saved file.
FILE_LINES = 150
Block = dict[str, Any]

_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>")
_BARE = re.compile(r"<((?:https?|mailto):[^<>]+)>")
_USER = re.compile(r"<@([A-Z0-9]+)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")
_CODE = re.compile(r"```(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Click:
    """A button as the terminal offers it: where it is and what it carries."""

    label: str
    action_id: str
    value: str
    block_id: str
    message_ts: str


@dataclass(frozen=True)
class Shown:
    message: Message
    text: str


@dataclass(frozen=True)
class Screen:
    shown: list[Shown]
    clicks: list[Click]  # clicks[n - 1] is the button shown as [n]


def render_thread(messages: Sequence[Message], *, width: int = WIDTH) -> Screen:
    """Every message (thread replies indented), buttons numbered from 1."""
    shown: list[Shown] = []
    clicks: list[Click] = []
    for message in messages:
        text, found = render_message(message, first=len(clicks) + 1, width=width)
        shown.append(Shown(message, text))
        clicks += found
    return Screen(shown, clicks)


def render_message(
    message: Message, *, first: int = 1, width: int = WIDTH
) -> tuple[str, list[Click]]:
    reply = message.thread_ts is not None and message.thread_ts != message.ts
    margin = "    │ " if reply else "│ "
    inner = width - len(margin)
    lines: list[str] = []
    clicks: list[Click] = []
    blocks = [] if message.file else message.blocks or [_fallback(message.text)]
    if message.file is not None:
        lines += file_lines(message.file, inner)
    for block in blocks:
        if block.get("type") == "actions":
            found = _clicks(block, message.ts)
            lines += _buttons(found, first + len(clicks), inner)
            clicks += found
        else:
            lines += _RENDERERS.get(str(block.get("type")), _unknown)(block, inner)
    who = "triage" if message.user.startswith("U0TRIAGE") else f"@{message.user}"
    edited = " (edited)" if message.edits else ""
    top = ("    ╭─ " if reply else "╭─ ") + f"{who}{edited}"
    return "\n".join([top, *(f"{margin}{line}".rstrip() for line in lines)]), clicks


def file_lines(file: SharedFile, width: int = WIDTH) -> list[str]:
    """An uploaded file where Slack would show it: its title, where it was
    saved, then an image's alt text (a chart's series as sparklines, one line
    each) or a text file's content as it is (tables are not rewrapped)."""
    lines = _wrap(f"📎 {file.title} ({file.filename}, {file.size:,} bytes)", width)
    if file.path is not None:
        lines.append(f"  saved as {file.path}")
    if file.alt:
        alt = file.alt.splitlines()
        if alt and alt[0] == file.title:  # the title is said already
            alt = alt[1:]
        lines += [f"  {line}" for line in alt]
    elif file.text is not None:
        text = file.text.splitlines()
        for line in text[:FILE_LINES]:
            lines += [f"  ┊ {part}".rstrip() for part in _wrap(line, width - 4, indent="  ")]
        if len(text) > FILE_LINES:
            rest = f" (in {file.path})" if file.path else ""
            lines.append(f"  ┊ … {len(text) - FILE_LINES} more lines{rest}")
    return lines


def render_note(note: Note, *, width: int = WIDTH) -> str:
    """A reply only the user sees (help, "did you mean", a refused click)."""
    lines: list[str] = []
    for block in note.blocks or [_fallback(note.text)]:
        lines += _RENDERERS.get(str(block.get("type")), _unknown)(block, width - 2)
    body = [f"┆ {line}".rstrip() for line in lines]
    return "\n".join(["╭─ triage (only visible to you)", *body])


CONFIRM = "confirm"


def render_view(view: View, *, width: int = WIDTH) -> str:
    """A dialog: its title, its blocks, and how to answer it by typing."""
    body = view.body
    title = plain(str(body.get("title", {}).get("text", "")))
    lines: list[str] = []
    for block in body.get("blocks", []):
        lines += _RENDERERS.get(str(block.get("type")), _unknown)(block, width - 2)
    submit, close = view_buttons(view)
    how = (
        f"type {CONFIRM} to press [{submit}]; anything else presses [{close}]"
        if submit
        else f"any input presses [{close}]"
    )
    return "\n".join(
        [f"╔═ dialog: {title}", *(f"║ {line}".rstrip() for line in lines), f"╚═ {how}"]
    )


def view_buttons(view: View) -> tuple[str | None, str]:
    """(the submit label or None, the close label) of a dialog."""
    body = view.body
    submit = body.get("submit", {}).get("text")
    return (str(submit) if submit else None), str(body.get("close", {}).get("text", "Cancel"))


def plain(mrkdwn: str) -> str:
    """Slack mrkdwn as plain text: links, mentions, emphasis and escapes."""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", mrkdwn)
    text = _BARE.sub(r"\1", text)
    text = _USER.sub(r"@\1", text)
    text = _BOLD.sub(r"\1", _ITALIC.sub(r"\1", text))
    return _unescape(text)


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _header(block: Block, width: int) -> list[str]:
    title = plain(str(block.get("text", {}).get("text", "")))
    return [title, "═" * min(len(title), width)]


def _section(block: Block, width: int) -> list[str]:
    text = str(block.get("text", {}).get("text", ""))
    lines: list[str] = []
    for n, part in enumerate(_CODE.split(text)):
        if n % 2:  # inside ``` ```: a command to copy, never wrapped
            # Slack shows entities decoded in code too (the bot escapes there as well).
            lines += [f"    $ {_unescape(line)}" for line in part.strip().splitlines()]
        elif part.strip():
            lines += _wrap(plain(part.strip("\n")), width)
    return lines


def _context(block: Block, width: int) -> list[str]:
    texts = [str(e.get("text", "")) for e in block.get("elements", []) if "text" in e]
    return [f"  {line}" for line in _wrap("· " + plain(" ".join(texts)), width - 2, indent="  ")]


def _divider(block: Block, width: int) -> list[str]:
    return ["─" * width]


def _unknown(block: Block, width: int) -> list[str]:
    return [f"[{block.get('type')} block]"]


def _clicks(block: Block, ts: str) -> list[Click]:
    return [
        Click(
            label=str(e.get("text", {}).get("text", "")),
            action_id=str(e.get("action_id", "")),
            value=str(e.get("value", "")),
            block_id=str(block.get("block_id", "")),
            message_ts=ts,
        )
        for e in block.get("elements", [])
        if e.get("type") == "button"
    ]


def _buttons(clicks: list[Click], first: int, width: int) -> list[str]:
    labels = [f"[{first + n}] {click.label}" for n, click in enumerate(clicks)]
    return textwrap.wrap("  ".join(labels), width, break_on_hyphens=False) or []


def _wrap(text: str, width: int, *, indent: str = "") -> list[str]:
    lines: list[str] = []
    for line in text.splitlines() or [""]:
        lead = line[: len(line) - len(line.lstrip())]
        wrapped = textwrap.wrap(
            line, width, subsequent_indent=lead + indent, break_on_hyphens=False
        )
        lines += wrapped or [""]
    return lines


def _fallback(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


_RENDERERS: dict[str, Callable[[Block, int], list[str]]] = {
    "header": _header,
    "section": _section,
    "context": _context,
    "divider": _divider,
}
