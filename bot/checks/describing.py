"""How a check type describes itself, for docs and for a dry run.

Each `CheckType` carries two describers: `describe` turns the parameters as
filled in for a page (values may still be `<placeholders>`, nothing is
validated) into words, and `dry_call` turns validated parameters into the
exact call a run would make. The small helpers they share live here, so that
a check module needs nothing from `bot.docs` or `bot.engine`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from bot.checks.context import RunContext

Call = dict[str, Any]
"""The call as data: what a dry run puts under `details.dry_run`."""
Words = Mapping[str, Any]
"""Parameters as filled in for a page: any value may be a placeholder."""
Describe = Callable[[Words], str]
DryCall = Callable[[Any, RunContext], tuple[str, Call]]


def plain(value: Any) -> str:
    """A value as a reader would write it."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(plain(v) for v in value)
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(", ", ": "), default=str)


def code(text: str) -> str:
    """An inline code span that survives backticks inside it."""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def by_parameters(params: Words) -> str:
    """Words for a type that has none of its own: its parameters.
    `expect` is shown on a line of its own, as "passes when"."""
    return ", ".join(f"{k} {code(plain(v))}" for k, v in params.items() if k != "expect")


def read_by_word(check_type: str, what_key: str) -> Callable[[Words], dict[str, str]]:
    """A check whose `what_key` (an http method, a tcp line) is a read only by
    the author's word: `read_only_because`, listed for review."""

    def reviews(written: Words) -> dict[str, str]:
        reason = written.get("read_only_because")
        if not isinstance(reason, str):
            return {}
        what = written.get(what_key)
        return {"read_only_because": f"review: {check_type} {what} taken as a read: {reason}"}

    return reviews


def env(*names: str) -> str | None:
    """The first of these environment variables that is set and not empty."""
    return next((os.environ[n] for n in names if os.environ.get(n)), None)


def vantage_get(kind: str, name: str, ctx: RunContext, path: str, query: dict[str, str]) -> Call:
    """The GET a vantage-point check would send, or a note that it cannot."""
    point = ctx.vantage.points.get(name)
    if point is None or point.kind != kind:
        note = f"the site config has no {kind} vantage point {name!r}"
        return {"type": kind, "vantage": name, "url": None, "note": note}
    url = f"{point.url.rstrip('/')}{path}?{urlencode(query)}"
    return {"type": kind, "vantage": name, "method": "GET", "url": url}
