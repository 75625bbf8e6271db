"""`/triage help [word]`: the catalogue grouped by runbook, searchable, and
never cut silently.

One ephemeral message holds at most limits.MESSAGE_BLOCKS blocks and about
limits.BLOCKS_TEXT_MAX characters: runbooks are listed whole while they
fit; whatever does not is counted, and the last line says how many targets
were left out and how to find them.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Any

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from bot.runbooks.catalogue import HelpEntry
from bot.slack import limits
from bot.slack.mrkdwn import cut, escape

Blocks = list[dict[str, Any]]

INTRO = (
    "*`/triage &lt;target&gt; [runbook]`* opens an incident thread and walks you through"
    " the runbook. `/triage help &lt;word&gt;` lists only what matches the word."
)
# Room kept for the intro and the closing line.
_TEXT_BUDGET = limits.BLOCKS_TEXT_MAX - 1000
_GROUPS_MAX = limits.MESSAGE_BLOCKS - 2
_QUERY_SHOWN = 60


def matching(entries: Sequence[HelpEntry], query: str) -> list[HelpEntry]:
    """Entries whose target or runbook (name or title) holds every word."""
    words = query.lower().split()
    return [e for e in entries if all(w in e.haystack for w in words)]


def help_blocks(entries: Sequence[HelpEntry], query: str = "") -> Blocks:
    found = matching(entries, query)
    blocks: list[SectionBlock | ContextBlock] = [_section(INTRO)]
    budget, shown = _TEXT_BUDGET, 0
    for (_, title), group in groupby(found, key=lambda e: (e.runbook, e.runbook_title)):
        items = list(group)
        if len(blocks) > _GROUPS_MAX:
            break
        text, count = _group(title, items[0].runbook, items, min(budget, limits.SECTION_TEXT_MAX))
        if count == 0:
            break
        blocks.append(_section(text))
        budget -= len(text)
        shown += count
        if count < len(items):
            break
    closing = _closing(query, len(found), shown, len({e.runbook for e in found}))
    if closing:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=closing)]))
    return [b.to_dict() for b in blocks]


def _group(title: str, runbook: str, items: list[HelpEntry], limit: int) -> tuple[str, int]:
    """A runbook's heading and as many of its targets as fit in `limit`."""
    lines = [f"*{escape(title)}* (`{escape(runbook)}`)"]
    used = len(lines[0])
    for item in items:
        line = f"• `{escape(item.target)}`: {escape(item.title)}"
        line = cut(line, 300)
        if used + 1 + len(line) > limit:
            break
        lines.append(line)
        used += 1 + len(line)
    count = len(lines) - 1
    return ("\n".join(lines), count) if count else ("", 0)


def _closing(query: str, found: int, shown: int, runbooks: int) -> str:
    said = f"`{cut(escape(query.strip()), _QUERY_SHOWN)}`" if query.strip() else ""
    if query.strip() and found == 0:
        return f"No target or runbook matches {said}. `/triage help` lists them all."
    if shown < found:
        where = f" matching {said}" if said else ""
        return (
            f"… and {found - shown} more of {found} targets{where} ({runbooks} runbooks) not"
            " shown: `/triage help &lt;word&gt;` narrows the list."
        )
    return ""


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=cut(text, limits.SECTION_TEXT_MAX)))
