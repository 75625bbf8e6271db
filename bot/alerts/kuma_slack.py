"""Uptime Kuma's Slack notification, in the shapes its versions send:

- 1.23 and 2.0: "Uptime Kuma Alert" (as a header block or the first line of
  `text`) and the line `[<monitor>] [🔴 Down] <detail>` in `text` and/or in
  a `*Message*` field;
- 2.1 and later: the monitor's name as the header (or first line), its group
  path in italics above it when the notification asks for it, and the same
  line in a `*Message*` field.

The line is what every version shares, so it is what is parsed; the group
path is picked up from wherever the version put it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from bot.alerts.model import Alert, Status
from bot.alerts.slacktext import attachments, block_parts, blocks, plain, text

# Greedy name: monitor names may hold brackets themselves ("[HDC1] Freebox").
_LINE = re.compile(r"\[(.+)\] \[[^\[\]]*?\b(Down|Up)\](.*)")
_ITALIC = re.compile(r"_([^_].*?)_")
PATH_SEPARATOR = " / "


def parse(message: Mapping[str, Any]) -> list[Alert]:
    """The alert a Kuma message carries, or [] if it is not Kuma's."""
    lines = list(_lines(message))
    for line in lines:
        if match := _LINE.fullmatch(line):
            return [_alert(match, lines)]
    return []


def _lines(message: Mapping[str, Any]) -> Iterator[str]:
    pieces = [text(message.get("text"))]
    pieces += [text(a.get("text")) for a in attachments(message)]
    for container in [message, *attachments(message)]:
        for block in blocks(container):
            pieces += block_parts(block)
    for piece in pieces:
        for line in plain(piece).splitlines():
            if line.strip():
                yield line.strip()


def _alert(match: re.Match[str], lines: list[str]) -> Alert:
    name = match.group(1)
    path = _path(name, lines)
    leaf = path.rsplit(PATH_SEPARATOR, 1)[-1]
    labels = {"monitor": leaf}
    if path != leaf:
        labels["group"] = path[: -len(leaf) - len(PATH_SEPARATOR)]
    status: Status = "firing" if match.group(2) == "Down" else "resolved"
    return Alert(source="kuma", status=status, name=path, labels=labels, summary=match.group(0))


def _path(name: str, lines: list[str]) -> str:
    """`Group / Sub / Monitor` when the message says which group it is in."""
    if PATH_SEPARATOR in name:
        return name
    for line in lines:
        if line.endswith(PATH_SEPARATOR + name):
            return line
    for line in lines:
        if (group := _ITALIC.fullmatch(line)) is not None:
            return f"{group.group(1)}{PATH_SEPARATOR}{name}"
    return name
