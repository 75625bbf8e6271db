"""The one escaping boundary for what the bot writes in Slack's mrkdwn.

Text that did not come from the bot itself (alerts, check output, AWS
answers, runbook authors' text with placeholders like `<target>`) passes
through `escape` once, where the renderer composes it; markup the bot means
(a mention, a link) is built by `mention` and `link` only, after escaping.
Cuts happen after escaping, on whole characters, never inside an entity or a
piece of markup, and say how much was left out.

https://docs.slack.dev/messaging/formatting-message-text#escaping: `&`, `<`
and `>` are the three characters to escape, as `&amp;`, `&lt;`, `&gt;`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# A Slack user id as Slack writes them (U..., or W... on Enterprise Grid).
USER_ID = re.compile(r"^[UW][A-Z0-9]{1,20}$")
# Where a cut must not fall: inside an entity or a `<...>` markup.
_UNSPLITTABLE = re.compile(r"&(?:amp|lt|gt);|<[^<>]*>")
ELLIPSIS = "…"


def escape(text: str) -> str:
    """Outside text made inert: it shows as written and pings no one."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> str:
    """What a reader sees of escaped text (for tests and the demo terminal)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mention(user: str) -> str:
    """A live mention of a Slack user; anything else (an alert source such as
    `alert:kuma`, a forged id) is named in words, escaped."""
    if USER_ID.match(user):
        return f"<@{user}>"
    source = user.removeprefix("alert:")
    return f"an alert ({escape(source)})" if source != user else escape(user or "someone")


def link(url: str, label: str) -> str:
    """A link, or the escaped label alone when the URL is not plain http(s)."""
    if re.fullmatch(r"https?://[^\s<>|]{1,2900}", url):
        return f"<{url}|{escape(label)}>"
    return escape(label)


def cut(text: str, limit: int) -> str:
    """`text` (already escaped mrkdwn) within `limit` characters: cut at a
    whole character outside any entity or markup, saying how much is left."""
    if len(text) <= limit:
        return text
    room = max(limit - len(_more(len(text))), 0)
    end = _safe_end(text, room)
    return text[:end] + _more(len(text) - end)


def cut_plain(text: str, limit: int) -> str:
    """A plain_text field (a header, a button label): nothing to escape."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def lines(items: Sequence[str], limit: int, *, head: str = "") -> str:
    """Whole lines (escaped mrkdwn) within `limit`, then `… and N more`."""
    shown: list[str] = [head] if head else []
    used = len(head)
    for n, item in enumerate(items):
        tail = f"\n{ELLIPSIS} and {len(items) - n} more"
        cost = len(item) + (1 if shown else 0)
        rest_needs = len(tail) if n < len(items) - 1 else 0
        if used + cost + rest_needs > limit:
            room = limit - used - len(tail) - (1 if shown else 0)
            if room > 40:  # a long first line: show its start rather than nothing
                shown.append(cut(item, room))
                tail = f"\n{ELLIPSIS} and {len(items) - n - 1} more" if n < len(items) - 1 else ""
            return "\n".join(shown) + tail
        shown.append(item)
        used += cost
    return "\n".join(shown)


def _more(left: int) -> str:
    return f"{ELLIPSIS} ({left} more characters)"


def _safe_end(text: str, end: int) -> int:
    """`end`, moved back out of any entity or markup it falls inside."""
    for match in _UNSPLITTABLE.finditer(text, max(0, end - 3100), min(len(text), end + 3100)):
        if match.start() < end < match.end():
            return match.start()
    return end
