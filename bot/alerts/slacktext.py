"""Reading what a Slack message event carries.

Slack stores message text in its own markup: `&`, `<` and `>` are escaped,
and URLs (sometimes bare host names too) come back wrapped as `<url>` or
`<url|shown text>`. Parsers compare text the way a person reads it, so they
go through `plain` first.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from typing import Any

_ANGLE = re.compile(r"<([^<>]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^<>|]*)(?:\|([^<>]*))?>")


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def plain(markup: str) -> str:
    """What the reader sees: links as their shown text, mentions dropped."""
    return html.unescape(_ANGLE.sub(_shown, markup))


def _shown(match: re.Match[str]) -> str:
    inner = match.group(1)
    if inner.startswith(("!", "@", "#")):
        return ""
    url, _, label = inner.partition("|")
    return label or url


def links(markup: str) -> Iterator[tuple[str, str]]:
    """(url, shown text) for each link in Slack markup."""
    for match in _LINK.finditer(markup):
        yield html.unescape(match.group(1)), html.unescape(match.group(2) or "")


def attachments(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = message.get("attachments")
    return [a for a in found if isinstance(a, Mapping)] if isinstance(found, list) else []


def blocks(container: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = container.get("blocks")
    return [b for b in found if isinstance(b, Mapping)] if isinstance(found, list) else []


def block_text(block: Mapping[str, Any]) -> str:
    inner = block.get("text")
    return text(inner.get("text")) if isinstance(inner, Mapping) else text(inner)


def block_parts(block: Mapping[str, Any]) -> list[str]:
    """Every text a header, section or context block shows, in order."""
    parts = [block_text(block)]
    for key in ("fields", "elements"):
        items = block.get(key)
        if isinstance(items, list):
            parts += [block_text(i) for i in items if isinstance(i, Mapping)]
    return [p for p in parts if p]
